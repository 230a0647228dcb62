"""Text reports: the chapter's equations with the current numbers written in.

Plain text, so that a notebook cell, a terminal and a test all read the same thing.
"""

from __future__ import annotations

import numpy as np

from .core import Network, Trace, finite_difference_gradient
from .core.notation import neuron_name, weight_name


def _f(v: float) -> str:
    """A number for a sum of products: negative ones in parentheses, so signs never pile up."""
    v = float(v)
    return f"{v:.6f}" if v >= 0 else f"({v:.6f})"


def forward_pass(net: Network, trace: Trace, example: int = 0) -> str:
    """Eq. (25) layer by layer: every z^l_j = Σ_k w^l_jk a^(l−1)_k + b^l_j and a^l_j = σ(z^l_j)."""
    lines = [f"a^1 = x = {np.array2string(trace.a[1][:, example], precision=4)}"]
    for l in net.layers:
        act = net.activation(l).name
        for j in range(net.sizes[l - 1]):
            terms = " + ".join(
                f"{_f(net.weights[l][j, k])}·{_f(trace.a[l - 1][k, example])}"
                for k in range(net.sizes[l - 2])
            )
            z, a = trace.z[l][j, example], trace.a[l][j, example]
            lines.append(
                f"{neuron_name('z', l, j)} = {terms} + {_f(net.biases[l][j, 0])} = {z:.6f}"
                f"   {neuron_name('a', l, j)} = {act}({z:.4f}) = {a:.6f}"
            )
    lines.append(f"C = {trace.cost:.6f}  ({net.cost.name} cost)")
    return "\n".join(lines)


def four_equations(net: Network, trace: Trace, l: int, j: int, k: int, example: int = 0) -> str:
    """BP1–BP4 for neuron j of layer l and weight w^l_jk, numbers substituted, for one example."""
    L = net.L
    e = example
    sp = trace.sigma_prime
    lines = []
    for m in range(net.sizes[-1]):
        lines.append(
            f"BP1  {neuron_name('δ', L, m)} = ∂C/∂{neuron_name('a', L, m)} · σ'({neuron_name('z', L, m)})"
            f" = {_f(trace.cost_gradient[m, e])} · {_f(sp[L][m, e])} = {trace.delta[L][m, e]:.6f}"
        )
    if l < L:
        back = " + ".join(
            f"{_f(net.weights[l + 1][q, j])}·{_f(trace.delta[l + 1][q, e])}"
            for q in range(net.sizes[l])
        )
        lines.append(
            f"BP2  {neuron_name('δ', l, j)} = (Σ_q w^{l + 1}_q{j + 1} δ^{l + 1}_q) · σ'({neuron_name('z', l, j)})"
            f" = ({back}) · {_f(sp[l][j, e])} = {trace.delta[l][j, e]:.6f}"
        )
    lines.append(f"BP3  ∂C/∂{neuron_name('b', l, j)} = {neuron_name('δ', l, j)} = {trace.delta[l][j, e]:.6f}")
    lines.append(
        f"BP4  ∂C/∂{weight_name(l, j, k)} = {neuron_name('a', l - 1, k)} · {neuron_name('δ', l, j)}"
        f" = {_f(trace.a[l - 1][k, e])} · {_f(trace.delta[l][j, e])}"
        f" = {trace.a[l - 1][k, e] * trace.delta[l][j, e]:.6f}"
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
        lines.append(f"layer {l}: largest difference ∂C/∂w {dw:.1e}, ∂C/∂b {db:.1e}")
    return "\n".join(lines)
