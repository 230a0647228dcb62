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


#: Magnitudes below this are written in powers of ten (5×10⁻⁴), as are those that need more
#: digits before the point than the significant figures shown (12 345 at 4 figures: 1.235×10⁴).
SMALLEST_PLAIN = 1e-3

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def plain_name(name: str) -> str:
    """'w^3_24' as plain text with raised and lowered digits, 'w³₂₄', for places that show
    text only (a tooltip, a slider's label, a printed report): the book's name without TeX."""
    head, _, rest = name.partition("^")
    sup, _, sub = rest.partition("_")
    return f"{head}{sup.translate(_SUPERSCRIPT)}{sub.translate(_SUBSCRIPT)}" if rest else head


def number(value: float, digits: int = 4, signed: bool = False) -> str:
    """A number for people, the one format everywhere: ``digits`` significant figures with
    trailing zeros dropped, a true minus sign, "—" if not finite; below 0.001 (or too large for
    the figures shown) as a power of ten, 5×10⁻⁴. ``signed`` writes "+" on a positive number.
    """
    value = float(value) + 0.0  # −0.0 is written 0
    if not math.isfinite(value):
        return "—"
    if value == 0:
        return "0"
    mantissa, exponent = f"{abs(value):.{digits - 1}e}".split("e")
    exponent = int(exponent)  # of the value rounded to the figures shown
    if -3 <= exponent < digits:
        body = f"{abs(value):.{digits}g}"
    else:
        mantissa = mantissa.rstrip("0").rstrip(".") if "." in mantissa else mantissa
        body = f"{mantissa}×10{str(exponent).translate(_SUPERSCRIPT)}"
    sign = "−" if value < 0 else ("+" if signed else "")
    return sign + body
