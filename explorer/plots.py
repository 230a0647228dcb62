"""Static matplotlib figures for notebooks (live panels are in ``explorer.widgets``).

Each function builds a ``matplotlib.figure.Figure`` without pyplot, so a notebook shows it
once, where the cell returns it, and no global figure state is left behind.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .core import Network, get_activation
from .core.notation import neuron_latex, number


def demon_figure(net: Network, x, y, layer: int, neuron: int, span: float = 3.0, points: int = 121) -> Figure:
    """The demon's ΔC against Δz at neuron j of layer l, with the tangent of slope δ^l_j."""
    trace = net.trace(x, y)
    dzs = np.linspace(-span, span, points)
    actual = np.array([net.demon(x, y, layer, neuron, dz, trace=trace).actual for dz in dzs])
    slope = float(np.mean(trace.delta[layer][neuron]))
    fig = Figure(figsize=(6, 3.6), layout="constrained")
    ax = fig.add_subplot()
    ax.plot(dzs, actual, lw=2, label="actual ΔC")
    ax.plot(dzs, slope * dzs, "--", label=f"δ·Δz, slope δ = {number(slope, 4, signed=True)}")
    ax.axhline(0, color="0.8", lw=0.8)
    ax.axvline(0, color="0.8", lw=0.8)
    name = f"${neuron_latex('z', layer, neuron)}$"
    ax.set_xlabel(f"Δz added to {name}")
    ax.set_ylabel("ΔC")
    ax.set_title(f"The demon at {name}: first order near Δz = 0")
    ax.legend(loc="best")
    return fig


def activation_figure(names=("sigmoid", "tanh", "relu", "softplus"), span: float = 8.0) -> Figure:
    """σ(z) and σ'(z) side by side: where σ' is near 0 the neuron has saturated."""
    z = np.linspace(-span, span, 401)
    fig = Figure(figsize=(8, 3.2), layout="constrained")
    ax_f, ax_p = fig.subplots(1, 2)
    for name in names:
        act = get_activation(name)
        ax_f.plot(z, act(z), label=name)
        ax_p.plot(z, act.prime(z), label=name)
    ax_f.set_title("σ(z)")
    ax_p.set_title("σ'(z): near 0 means saturated, learns slowly")
    for ax in (ax_f, ax_p):
        ax.set_xlabel("z")
        ax.grid(alpha=0.3)
    ax_f.set_ylim(-1.2, 2.5)
    ax_f.legend(loc="upper left")
    return fig


def accuracy_figure(history, title: str = "Test accuracy per epoch") -> Figure:
    """Test accuracy after each epoch of ``Network.SGD``."""
    fig = Figure(figsize=(6, 3.2), layout="constrained")
    ax = fig.add_subplot()
    ax.plot([r.epoch for r in history], [100 * r.accuracy for r in history], "o-")
    ax.set_xlabel("epoch")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    return fig
