"""Where the selected neuron sits on its activation: σ(z), σ'(z), and what σ' would be with another σ.

Every δ^l_j carries the factor σ'(z^l_j) (BP1 at the output, BP2 below). The panel draws the
selected neuron's σ and σ' with its current z marked (and the z's of the state's batch as
ticks), so a student sees whether the neuron sits on a flat part, where σ' ≈ 0 and its weights
learn slowly. A row of buttons swaps this one neuron's activation (the chapter's exercise on a
single modified neuron), and a table gives σ'(z) at this very z for every built-in activation:
which of them would keep learning here, and on which side each of them saturates.
"""

from __future__ import annotations


import ipywidgets as widgets
import numpy as np

from ...core.notation import neuron_name, number as _g
from ...core.saturation import DEFAULT_SAT_FRACTION, neuron_saturation, sigma_prime_of_builtins
from ..dashboard.demon import html_name
from ..figures import Blitter, live_figure
from ..panel import Panel, diverged_html
from ..state import ACTIVATIONS, ExplorerState

#: The z axis runs over at least ±Z_RANGE (wider if the neuron's z is further out).
Z_RANGE = 8.0
N_POINTS = 401
#: σ' below this fraction of the activation's largest σ' counts as saturated (as the heatmaps).
SATURATED = DEFAULT_SAT_FRACTION

_CURVE = "#4c72b0"
_DOT = "#d62728"




def neuron_activation(net, l: int, j: int):
    """The activation neuron j of layer l actually uses (a per-neuron override, or its layer's)."""
    return net.neuron_activation(l, j)


def slopes_at(z: float) -> dict[str, float]:
    """σ'(z) at one z for every built-in activation (``core.saturation.sigma_prime_of_builtins``)."""
    return sigma_prime_of_builtins(z)


class SlopePanel(Panel):
    """σ(z) and σ'(z) of the selected neuron with its z marked; swap its activation; σ' elsewhere.

    For other code and tests: ``activation_buttons`` (ToggleButtons: this neuron's activation),
    ``fig``, ``ax_f`` and ``ax_p`` with the artists ``f_line``, ``p_line`` (the curves),
    ``f_dot``, ``p_dot`` (the neuron, this example) and ``rug`` (the batch's z's on the σ'
    axes); ``z``, ``sigma_prime`` (this neuron, this example), ``neuron`` (the core's
    ``NeuronSaturation`` of it: σ'/max σ', saturated or not, δ's other factor), ``slopes`` (σ'(z) by
    activation name), ``readout`` (HTML) and ``summary()``.
    """

    def __init__(self, state: ExplorerState):
        self._syncing = False
        self._curve_key = None
        self.activation_buttons = widgets.ToggleButtons(
            options=list(ACTIVATIONS), description="this neuron:", style={"button_width": "80px"},
        )
        self.activation_buttons.observe(self._on_activation, names="value")
        self.readout = widgets.HTML()
        self._build_figure()
        self.widget = widgets.VBox([self.activation_buttons, self.fig.canvas, self.readout])
        self.widget.add_class("slope-panel")
        super().__init__(state)
        self.refresh()

    def _build_figure(self) -> None:
        fig = self.fig = live_figure(9.0, 2.9)
        self.ax_f, self.ax_p = fig.subplots(1, 2)
        self.f_line, = self.ax_f.plot([], [], color=_CURVE, lw=2)
        self.p_line, = self.ax_p.plot([], [], color=_CURVE, lw=2)
        self.rug, = self.ax_p.plot([], [], "|", color="0.55", ms=10, alpha=0.6, label="other examples' z")
        self.f_dot, = self.ax_f.plot([], [], "o", ms=10, color=_DOT, mec="white", mew=1.5, zorder=5)
        self.p_dot, = self.ax_p.plot([], [], "o", ms=10, color=_DOT, mec="white", mew=1.5, zorder=5,
                                     label="this example")
        self.p_band = self.ax_p.axhspan(0.0, 0.0, color="#d62728", alpha=0.08, lw=0, label="saturated")
        for ax in (self.ax_f, self.ax_p):
            ax.axhline(0.0, color="0.8", lw=0.8)
            ax.axvline(0.0, color="0.8", lw=0.8)
            ax.grid(alpha=0.3)
            ax.set_xlabel("z", fontsize=12)
        self.ax_p.legend(loc="best", fontsize=9, framealpha=0.85)
        self.f_title = self.ax_f.set_title("", fontsize=12)
        self.p_title = self.ax_p.set_title("", fontsize=12)
        # The dots and ticks move with every slider event and are blitted; curves, limits and
        # titles change only with the selection or the activation, and then redraw everything.
        self.blitter = Blitter(fig)
        self.blitter.add(self.f_dot, self.p_dot, self.rug)
        self._static_key = None

    # ------------------------------------------------------------ controls → state
    def _on_activation(self, change) -> None:
        if self._syncing or change["new"] is None:
            return
        l, j = self.state.selected_neuron
        self.state.set_activation(l, change["new"], neuron=j)

    # ------------------------------------------------------------ state → figure
    def refresh(self) -> None:
        state = self.state
        if state.diverged or state.trace is None:
            self.readout.value = diverged_html(state.diverged or "no trace yet")
            return
        net, t = state.network, state.trace
        l, j = state.selected_neuron
        act = neuron_activation(net, l, j)
        self._syncing = True
        try:
            self.activation_buttons.value = act.name if act.name in ACTIVATIONS else None
        finally:
            self._syncing = False
        self.neuron = neuron_saturation(t, l, j, 0, SATURATED)
        self.z, self.sigma_prime, a = self.neuron.z, self.neuron.sigma_prime, self.neuron.a
        with np.errstate(all="ignore"):
            batch = state.batch_trace
            others = (np.asarray(batch.z[l][j, 1:], float)
                      if batch is not None and batch.sizes == net.sizes else np.zeros(0))
            span = max(Z_RANGE, abs(self.z) * 1.15)
            key = (act, span)
            peak = self.neuron.max_prime
            if key != self._curve_key:
                self._curve_key = key
                zs = np.linspace(-span, span, N_POINTS)
                f, p = act(zs.reshape(1, -1))[0], act.prime(zs.reshape(1, -1))[0]
                self.f_line.set_data(zs, f)
                self.p_line.set_data(zs, p)
                for ax in (self.ax_f, self.ax_p):
                    ax.set_xlim(-span, span)
                finite = f[np.isfinite(f)]
                lo, hi = float(finite.min()), float(finite.max())
                pad = 0.08 * (hi - lo or 1.0)
                self.ax_f.set_ylim(lo - pad, hi + pad)
                self.ax_p.set_ylim(-0.06 * peak, 1.12 * peak)
                self.p_band.set_y(-0.06 * peak)  # an axhspan: x spans the axes, y is in data
                self.p_band.set_height((0.06 + SATURATED) * peak)
            self.f_dot.set_data([self.z], [a])
            self.p_dot.set_data([self.z], [self.sigma_prime])
            self.rug.set_data(others, np.zeros_like(others))
            self.slopes = slopes_at(self.z)
        name = f"{act.name}" + (" (this neuron only)" if act is not net.base_activation(l) else "")
        zt = f"z^{{{l}}}_{{{j + 1}}}"
        self.f_title.set_text(f"$a = \\sigma({zt})$: {name}")
        self.p_title.set_text(f"$\\sigma'({zt})$, the factor in $\\delta^{{{l}}}_{{{j + 1}}}$")
        self.readout.value = self._readout_html(l, j, act, peak)
        static = (self._curve_key, self.f_title.get_text(), self.p_title.get_text())
        full = static != self._static_key
        self._static_key = static
        self.blitter.update(full=full, now=state.render_now)

    def _readout_html(self, l: int, j: int, act, peak: float) -> str:
        neuron = self.neuron
        zn, dn = html_name(neuron_name("z", l, j)), html_name(neuron_name("δ", l, j))
        share, saturated = neuron.share, neuron.saturated
        verdict = (
            '<span class="verdict saturated" style="color:#b00020;font-weight:bold">saturated: '
            f"{dn} is squeezed by this small factor, and the weights into the neuron learn slowly</span>"
            if saturated else
            '<span class="verdict ok" style="color:#1a7f37;font-weight:bold">not saturated</span>'
        )
        other = neuron.upstream  # ∂C/∂a^L_j (BP1) or ((w^(l+1))^T δ^(l+1))_j (BP2)
        if neuron.rule == "BP1":
            rule = f"BP1: {dn} = ∂C/∂a · σ′({zn}) = {_g(other)} · {_g(self.sigma_prime)}"
        else:
            rule = f"BP2: {dn} = ((w<sup>{l + 1}</sup>)<sup>T</sup>δ<sup>{l + 1}</sup>)<sub>{j + 1}</sub> · σ′({zn}) = {_g(other)} · {_g(self.sigma_prime)}"
        delta = neuron.delta
        bold = ' style="font-weight:bold"'
        rows = "".join(
            f'<tr class="slope-row" data-name="{name}"{bold if name == act.name else ""}>'
            f'<td style="padding:1px 10px 1px 0">{name}</td>'
            f'<td style="text-align:right" data-value="{v!r}">{_g(v, 3)}</td>'
            f'<td style="padding-left:10px;color:#555">{_where_flat(name)}</td></tr>'
            for name, v in self.slopes.items()
        )
        return (
            '<div class="slope-readout" style="font-size:15px;line-height:1.5">'
            f"<div>{zn} = <span class='num' data-q='z' data-value='{self.z!r}'>{_g(self.z, 5)}</span>, "
            f"σ′({zn}) = <span class='num' data-q='sp' data-value='{self.sigma_prime!r}'>{_g(self.sigma_prime, 4)}</span> "
            f"({100 * share:.3g}% of the largest σ′ of {act.name}, {_g(peak)}): {verdict}</div>"
            f"<div>{rule} = <span class='num' data-q='delta' data-value='{delta!r}'>{_g(delta, 5)}</span></div>"
            f"<div style='margin-top:4px'>σ′ at this same z for each activation (the buttons above swap this neuron's):</div>"
            f"<table class='slopes'>{rows}</table></div>"
        )

    def summary(self) -> str:
        l, j = self.state.selected_neuron
        act = neuron_activation(self.state.network, l, j)
        others = ", ".join(f"{name} {v:.3g}" for name, v in self.slopes.items())
        return f"z^{l}_{j + 1} = {self.z:.4f} ({act.name}): sigma'(z) = {self.sigma_prime:.4g}; at this z: {others}"


def _where_flat(name: str) -> str:
    return {
        "sigmoid": "flat on both sides: saturates for large |z|",
        "tanh": "flat on both sides, even faster than the sigmoid",
        "relu": "exactly 0 for every z < 0: a dead neuron never learns from that example",
        "leaky_relu": "never below 0.01: small for z < 0, but never 0",
        "softplus": "its σ′ is the sigmoid: → 1 for large z, → 0 only for very negative z",
        "linear": "σ′ = 1 everywhere: it never saturates (a network of only linear neurons is linear, though)",
    }.get(name, "")


__all__ = ["SlopePanel", "neuron_activation", "slopes_at"]
