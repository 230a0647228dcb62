"""Where the selected neuron sits on its activation: σ(z), σ'(z), and what σ' would be with another σ.

Every δ^l_j carries the factor σ'(z^l_j) (BP1 at the output, BP2 below). The panel draws the
selected neuron's σ and σ' with its current z marked (and the z's of the state's batch as
ticks), so a student sees whether the neuron sits on a flat part, where σ' ≈ 0 and its weights
learn slowly. A row of buttons swaps this one neuron's activation (the chapter's exercise on a
single modified neuron), and a table gives σ'(z) at this very z for every built-in activation:
which of them would keep learning here, and on which side each of them saturates.
"""

from __future__ import annotations


from .. import ui as widgets
import numpy as np

from ...core.notation import neuron_name
from ...core.saturation import DEFAULT_SAT_FRACTION, neuron_saturation, sigma_prime_of_builtins
from ..drawing.plot import Plot
from ..markup import html_name, num_span, number as _g, plain_name
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
    ``plot`` (the browser-drawn figure: axes ``f`` and ``p``; marks ``f_curve``, ``p_curve``
    (the curves), ``f_dot``, ``p_dot`` (the neuron, this example), ``rug`` (the batch's z's on
    the σ' axes) and ``band`` (the saturated strip); read them with ``plot.values``); ``z``,
    ``sigma_prime`` (this neuron, this example), ``neuron`` (the core's ``NeuronSaturation`` of
    it: σ'/max σ', saturated or not, δ's other factor), ``slopes`` (σ'(z) by activation name),
    ``xlim`` (the z range shown), ``titles`` (of the two axes), ``readout`` (HTML) and ``summary()``.
    """

    def __init__(self, state: ExplorerState):
        self._curve_key = None
        self.titles = ("", "")
        self.xlim = (-Z_RANGE, Z_RANGE)
        self.activation_buttons = widgets.ToggleButtons(
            options=list(ACTIVATIONS), description="this neuron:", style={"button_width": "80px"},
        )
        self.activation_buttons.observe(self._on_activation, names="value")
        self.readout = widgets.HTML()
        self.plot = Plot()
        self.widget = widgets.VBox([self.activation_buttons, self.plot, self.readout])
        self.widget.add_class("slope-panel")
        super().__init__(state)
        self.refresh()

    def _spec(self, titles) -> dict:
        def axes(id_, title, marks, ylabel):
            left = 60 if id_ == "f" else 510
            return {"id": id_, "left": left, "top": 30, "width": 370, "height": 200, "title": title,
                    "xlabel": "z", "ylabel": ylabel, "grid": True, "marks": marks}
        zero = {"id": "zero", "type": "rule", "color": "#cccccc", "width": 1}
        return {
            "name": "sigma-and-sigma-prime", "width": 900, "height": 285,
            "description": "the neuron's activation σ(z) and its slope σ'(z), with the neuron's z marked",
            "axes": [
                axes("f", titles[0], [zero, {"id": "f_curve", "type": "line", "color": _CURVE},
                                      {"id": "f_dot", "type": "points", "color": _DOT, "r": 6, "stroke": "#ffffff"}], "a"),
                axes("p", titles[1], [{"id": "band", "type": "bars", "color": "#f6dcdc"}, zero,
                                      {"id": "p_curve", "type": "line", "color": _CURVE},
                                      {"id": "rug", "type": "points", "color": "#8c8c8c", "r": 2.5},
                                      {"id": "p_dot", "type": "points", "color": _DOT, "r": 6, "stroke": "#ffffff"}],
                     "σ'(z)"),
            ],
        }

    # ------------------------------------------------------------ controls → state
    def _on_activation(self, change) -> None:
        l, j = self.state.selected_neuron
        if change["new"] is None or change["new"] == neuron_activation(self.state.network, l, j).name:
            return
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
        shown = act.name if act.name in ACTIVATIONS else None
        if self.activation_buttons.value != shown:
            self.activation_buttons.value = shown  # its handler sees the state's own activation
        self.neuron = neuron_saturation(t, l, j, 0, SATURATED)
        self.z, self.sigma_prime, a = self.neuron.z, self.neuron.sigma_prime, self.neuron.a
        peak = self.neuron.max_prime
        marks = {}
        with np.errstate(all="ignore"):
            batch = state.batch_trace
            others = (np.asarray(batch.z[l][j, 1:], float)
                      if batch is not None and batch.sizes == net.sizes else np.zeros(0))
            span = max(Z_RANGE, abs(self.z) * 1.15)
            key = (act, span)
            if key != self._curve_key:
                # The curves and limits change only with the activation or a far-out z; the
                # dots move on every event.
                self._curve_key = key
                zs = np.linspace(-span, span, N_POINTS)
                f, p = act(zs.reshape(1, -1))[0], act.prime(zs.reshape(1, -1))[0]
                finite = f[np.isfinite(f)]
                lo, hi = float(finite.min()), float(finite.max())
                pad = 0.08 * (hi - lo or 1.0)
                self.xlim = (-span, span)
                marks.update({
                    "f_curve": {"x": zs, "y": f}, "p_curve": {"x": zs, "y": p},
                    "zero": {"x": [0.0], "y": [0.0]},
                    "band": {"x": [0.0], "y": [SATURATED * peak], "barWidth": 2 * span},
                    "@f": {"xlim": [-span, span], "ylim": [lo - pad, hi + pad]},
                    "@p": {"xlim": [-span, span], "ylim": [-0.06 * peak, 1.12 * peak]},
                })
            self.slopes = slopes_at(self.z)
        marks.update({
            "f_dot": {"x": [self.z], "y": [a]},
            "p_dot": {"x": [self.z], "y": [self.sigma_prime]},
            "rug": {"x": others, "y": np.zeros_like(others)},
        })
        name = f"{act.name}" + (" (this neuron only)" if act is not net.base_activation(l) else "")
        titles = (f"a = σ(z^{l}_{j + 1}): {name}", f"σ'(z^{l}_{j + 1}), the factor in δ^{l}_{j + 1}")
        if titles != self.titles or not self.plot.spec:
            self.titles = titles
            self.plot.spec = self._spec(titles)
        self.plot.show(**marks)
        self.readout.value = self._readout_html(l, j, act, peak)

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
            f"<div>{zn} = {num_span('z', self.z, 5)}, "
            f"σ′({zn}) = {num_span('sp', self.sigma_prime, 4)} "
            f"({_g(100 * share, 3)}% of the largest σ′ of {act.name}, {_g(peak)}): {verdict}</div>"
            f"<div>{rule} = {num_span('delta', delta, 5)}</div>"
            f"<div style='margin-top:4px'>σ′ at this same z for each activation (the buttons above swap this neuron's):</div>"
            f"<table class='slopes'>{rows}</table></div>"
        )

    def summary(self) -> str:
        l, j = self.state.selected_neuron
        act = neuron_activation(self.state.network, l, j)
        others = ", ".join(f"{name} {_g(v, 3)}" for name, v in self.slopes.items())
        zn = plain_name(neuron_name("z", l, j))
        return f"{zn} = {_g(self.z)} ({act.name}): σ′({zn}) = {_g(self.sigma_prime)}; at this z: {others}"


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
