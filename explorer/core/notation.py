"""The book's names for things, for labels shown to people.

Arrays are 0-based; the book counts neurons from 1. So ``weights[3][1, 3]`` is shown as
w^3_24: layer 3, neuron 2 of that layer, neuron 4 of the layer before.
"""

from __future__ import annotations

import math


def subscript(*indices: int) -> str:
    """The book's 1-based subscript of 0-based indices: '24' for (1, 3), '12,3' for (11, 2)."""
    # The book writes w^3_24; with a two-digit index that would be ambiguous, so use commas.
    one_based = [str(i + 1) for i in indices]
    if all(len(s) == 1 for s in one_based):
        return "".join(one_based)
    return ",".join(one_based)


def weight_name(l: int, j: int, k: int, symbol: str = "w") -> str:
    """'w^3_24' for layer l and 0-based j, k."""
    return f"{symbol}^{l}_{subscript(j, k)}"


def neuron_name(symbol: str, l: int, j: int) -> str:
    """'δ^2_1', 'a^3_2', 'b^2_3' ... for layer l and 0-based neuron j."""
    return f"{symbol}^{l}_{subscript(j)}"


def weight_latex(l: int, j: int, k: int, symbol: str = "w") -> str:
    """The same name as LaTeX: 'w^{3}_{24}'."""
    return f"{symbol}^{{{l}}}_{{{subscript(j, k)}}}"


def neuron_latex(symbol: str, l: int, j: int) -> str:
    """'\\delta^{2}_{1}' style names as LaTeX."""
    return f"{symbol}^{{{l}}}_{{{subscript(j)}}}"


def number(value: float, digits: int = 4) -> str:
    """A number for people: ``digits`` significant figures, a true minus sign, "—" if not finite."""
    value = float(value)
    if not math.isfinite(value):
        return "—"
    return f"{value:.{digits}g}".replace("-", "−")
