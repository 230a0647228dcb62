"""Text reports: the chapter's equations with the current numbers written in.

Plain text, so that a notebook cell, a terminal and a test all read the same thing.
"""

from __future__ import annotations

import numpy as np

from .core import Network, Trace, finite_difference_gradient
from .core.notation import neuron_name as _book_neuron, number, plain_name, weight_name as _book_weight


def neuron_name(symbol: str, l: int, j: int) -> str:
    """The book's name as printed text: 'δ²₁' (explorer.core.notation, without TeX)."""
    return plain_name(_book_neuron(symbol, l, j))


def weight_name(l: int, j: int, k: int) -> str:
    return plain_name(_book_weight(l, j, k))


def _n(v: float) -> str:
    """A result, in the one number format at 6 significant figures."""
    return number(v, 6)


def _f(v: float) -> str:
    """A number for a sum of products: negative ones in parentheses, so signs never pile up."""
    text = _n(v)
    return f"({text})" if text.startswith("−") else text


def forward_pass(net: Network, trace: Trace, example: int = 0) -> str:
    """Eq. (25) layer by layer: every z^l_j = Σ_k w^l_jk a^(l−1)_k + b^l_j and a^l_j = σ(z^l_j)."""
    lines = [f"a¹ = x = [{', '.join(number(v) for v in trace.a[1][:, example])}]"]
    for l in net.layers:
        act = net.activation(l).name
        for j in range(net.sizes[l - 1]):
            terms = " + ".join(
                f"{_f(net.weights[l][j, k])}·{_f(trace.a[l - 1][k, example])}"
                for k in range(net.sizes[l - 2])
            )
            z, a = trace.z[l][j, example], trace.a[l][j, example]
            lines.append(
                f"{neuron_name('z', l, j)} = {terms} + {_f(net.biases[l][j, 0])} = {_n(z)}"
                f"   {neuron_name('a', l, j)} = {act}({number(z)}) = {_n(a)}"
            )
    lines.append(f"C = {_n(trace.cost)}  ({net.cost.name} cost)")
    return "\n".join(lines)


def four_equations(net: Network, trace: Trace, l: int, j: int, k: int, example: int = 0) -> str:
    """BP1–BP4 for neuron j of layer l and weight w^l_jk, numbers substituted, for one example."""
    L = net.L
    e = example
    sp = trace.sigma_prime
    lines = []
    for m in range(net.sizes[-1]):
        lines.append(
            f"BP1  {neuron_name('δ', L, m)} = ∂C/∂{neuron_name('a', L, m)} · σ′({neuron_name('z', L, m)})"
            f" = {_f(trace.cost_gradient[m, e])} · {_f(sp[L][m, e])} = {_n(trace.delta[L][m, e])}"
        )
    if l < L:
        back = " + ".join(
            f"{_f(net.weights[l + 1][q, j])}·{_f(trace.delta[l + 1][q, e])}"
            for q in range(net.sizes[l])
        )
        lines.append(
            f"BP2  {neuron_name('δ', l, j)} = (Σₖ {plain_name(f'w^{l + 1}_')}ₖ{plain_name(f'^_{j + 1}')} {plain_name(f'δ^{l + 1}_')}ₖ) · σ′({neuron_name('z', l, j)})"
            f" = ({back}) · {_f(sp[l][j, e])} = {_n(trace.delta[l][j, e])}"
        )
    lines.append(f"BP3  ∂C/∂{neuron_name('b', l, j)} = {neuron_name('δ', l, j)} = {_n(trace.delta[l][j, e])}")
    lines.append(
        f"BP4  ∂C/∂{weight_name(l, j, k)} = {neuron_name('a', l - 1, k)} · {neuron_name('δ', l, j)}"
        f" = {_f(trace.a[l - 1][k, e])} · {_f(trace.delta[l][j, e])}"
        f" = {_n(trace.a[l - 1][k, e] * trace.delta[l][j, e])}"
    )
    return "\n".join(lines)


def gradient_check(net: Network, x, y) -> str:
    """Backprop against central finite differences (eq. 46), one line per layer."""
    trace = net.trace(x, y)
    fd = finite_difference_gradient(trace, eps=1e-6, central=True)  # from the same pass's parameters
    lines = [f"{fd.forward_passes} forward passes for finite differences, one backprop for the rest"]
    for l in net.layers:
        dw = np.abs(fd.nabla_w[l] - trace.nabla_w[l]).max()
        db = np.abs(fd.nabla_b[l] - trace.nabla_b[l]).max()
        lines.append(f"layer {l}: largest difference ∂C/∂w {number(dw, 2)}, ∂C/∂b {number(db, 2)}")
    return "\n".join(lines)
