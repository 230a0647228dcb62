"""Saturation heatmaps: σ'(z^l) of every neuron over a batch, and which weights learn slowly.

The chapter's reading of BP1–BP4: a weight w^l_jk learns slowly when the activation feeding it
is small (BP4: ∂C/∂w = a_in δ_out) or when neuron j is saturated, σ'(z^l_j) ≈ 0, which shrinks
δ^l_j (BP1 at the output, BP2 below it). The heatmaps show where that happens across a batch
of examples; the table applies the rule to the weights into the selected neuron. The rules
themselves (thresholds, masks, fractions, verdicts) are ``explorer.core.saturation``; this
module only draws them.
"""

from __future__ import annotations

import html

from .. import ui as widgets
import numpy as np

from ...core import Trace
from ...core import saturation as rules
from ...core.notation import neuron_name, weight_name
from ...core.saturation import DEFAULT_A_THRESHOLD, DEFAULT_SAT_FRACTION, WeightVerdict, max_sigma_prime
from ..drawing import Plot
from ..drawing.plot import VIRIDIS
from ..drawing.formula import Formula, html_slot
from ..markup import html_name, number
from ..panel import Panel
from ..state import ExplorerState


def _three(value: float) -> list:
    """A slot's entry: the value to 3 significant digits, and exactly."""
    return [number(value, 3), value]


_CELL = "padding:3px 10px;text-align:right"


def verdict_template(l: int, j: int, ks: list[int], selected_k: int | None = None) -> str:
    """The verdict table's template for the weights into neuron j of layer l (the selected
    weight's row in bold): typeset once per neuron; each event only fills its slots."""
    a, d, z = (html_name(neuron_name(s, l, j)) for s in ("a", "δ", "z"))
    head = (f"<b>Weights into {a}</b> (layer {l}, neuron {j + 1}), current example: "
            f"{d} = {html_slot('delta')}, σ'({z}) = {html_slot('sp')} (max {html_slot('sp_max')})")
    rows = [
        "<tr style='background:#eee'>"
        f"<th style='{_CELL}'>weight</th><th style='{_CELL}'>a_in</th>"
        f"<th style='{_CELL}'>σ'(z_out)</th><th style='{_CELL}'>|∂C/∂w|</th>"
        f"<th style='padding:3px 10px;text-align:left'>verdict</th></tr>"
    ]
    for k in ks:
        weight = "bold" if k == selected_k else "normal"
        rows.append(
            f"<tr style='font-weight:{weight}'>"
            f"<td style='{_CELL}'>{html_name(weight_name(l, j, k))}</td>"
            f"<td style='{_CELL}'>{html_name(neuron_name('a', l - 1, k))} = {html_slot(f'a{k}')}</td>"
            f"<td style='{_CELL}'>{html_slot(f'sp{k}')}</td>"
            f"<td style='{_CELL}'>{html_slot(f'g{k}')}</td>"
            f"<td style='padding:3px 10px'>{html_slot(f'why{k}')}</td></tr>"
        )
    return (f"<div class='verdict-table' style='font-size:15px'><div>{head}</div>"
            f"<table style='border-collapse:collapse;margin-top:4px'>{''.join(rows)}</table></div>")


def verdict_numbers(verdicts: list[WeightVerdict]) -> dict:
    """The verdict table's slots: the neuron's δ and σ', each weight's a_in, σ', |∂C/∂w| and
    its verdict (state "bad" for a slow weight, "ok" else: the row's colour)."""
    v0 = verdicts[0]
    numbers = {"delta": _three(v0.delta), "sp": _three(v0.sigma_prime), "sp_max": _three(v0.sigma_prime_max)}
    for v in verdicts:
        numbers.update({f"a{v.k}": _three(v.a_in), f"sp{v.k}": _three(v.sigma_prime),
                        f"g{v.k}": _three(abs(v.gradient)), f"why{v.k}": [v.reason, None, "bad" if v.slow else "ok"]})
    return numbers


# ----------------------------------------------------------------------------- the panel

CURRENT = "#ff3b30"  # the current example's outline
SELECTED = "#ff9500"  # the selected neuron's row
#: Layout in pixels: the current example's column, the batch, the bars, the colour bar.
WIDTH = 800
LEFT, CURRENT_W, BATCH_LEFT, BATCH_W, FRAC_LEFT, FRAC_W, BAR_LEFT, BAR_W = 52, 36, 98, 440, 552, 110, 722, 14
TOP, TITLE_H, GAP, BOTTOM, MAX_ROW_H = 40, 24, 14, 46, 18
COLOUR_BAR_STEPS = 24


class SaturationPanel(Panel):
    """Heatmaps of σ'(z^l) (neurons × examples), saturated cells marked, and the verdicts.

    Drawn in the browser (``plot``, a ``Plot``): per layer, the current example's column
    (outlined in red), the rest of the batch, the fraction of saturated examples per neuron as
    bars, and a colour bar with the threshold on it. The kernel sends σ' as float32 and the
    saturated cells as one byte each, only when the batch's trace or the thresholds change.

    For tests and other code: ``sigma_prime`` {l: (n_l, m) σ' shown, column 0 the current
    example}, ``vmax`` {l: top of the colour scale}, ``saturated`` {l: boolean mask (n_l, m)},
    ``fractions`` {l: fraction of saturated examples per neuron}, ``sat_slider``, ``a_slider``,
    ``verdict_html`` (a ``Formula``: the table's template per neuron, then its numbers), ``verdicts`` (the last list of ``WeightVerdict``), ``sends`` (messages sent).
    """

    def __init__(self, state: ExplorerState):
        super().__init__(state)
        self.sat_slider = widgets.FloatSlider(
            value=DEFAULT_SAT_FRACTION, min=0.01, max=0.5, step=0.01,
            description="saturated when σ' < this fraction of its max", readout_format=".2f",
            style={"description_width": "initial"}, layout=widgets.Layout(width="560px"),
        )
        self.a_slider = widgets.FloatSlider(
            value=DEFAULT_A_THRESHOLD, min=0.0, max=0.5, step=0.01,
            description="small input when |a_in| <", readout_format=".2f",
            style={"description_width": "initial"}, layout=widgets.Layout(width="520px"),
        )
        self.verdict_html = Formula()
        self.verdicts: list[WeightVerdict] = []
        self.fractions: dict[int, np.ndarray] = {}
        self.saturated: dict[int, np.ndarray] = {}
        self.sigma_prime: dict[int, np.ndarray] = {}
        self.vmax: dict[int, float] = {}
        self.sends = 0
        self.plot = Plot()
        self._built_for = None
        self._drawn_key = None
        self._fixed_marks = None
        self.sat_slider.observe(self._on_threshold, names="value")
        self.a_slider.observe(self._on_threshold, names="value")
        self.widget = widgets.VBox(
            [
                self.plot,
                widgets.HBox([self.sat_slider, self.a_slider], layout=widgets.Layout(flex_flow="row wrap")),
                self.verdict_html,
            ]
        )
        self.refresh()

    # ------------------------------------------------------------------ layout
    @staticmethod
    def _shape_key(net, m: int, maxima: dict[int, np.ndarray]):
        """What the figure's structure depends on: sizes, batch width, colour scales."""
        return (net.sizes, m, tuple(float(v.max()) for v in maxima.values()))

    @staticmethod
    def _maxima(net, trace: Trace | None) -> dict[int, np.ndarray]:
        """max σ' of every neuron: from the trace's activations, or the network's if no trace fits."""
        if trace is not None and trace.sizes == net.sizes:
            return {l: rules.neuron_max_prime(trace, l) for l in trace.layers}
        return {
            l: np.array([max_sigma_prime(net.neuron_activation(l, j)) for j in range(net.sizes[l - 1])])
            for l in net.layers
        }

    def _build(self, net, m: int, maxima) -> None:
        """The figure's structure (axes, scales, labels) for this network and batch."""
        self._built_for = self._shape_key(net, m, maxima)
        self._drawn_key = None
        axes, bars = [], {}
        top = TOP
        for index, l in enumerate(net.layers):
            n = net.sizes[l - 1]
            vmax = self.vmax[l] = float(maxima[l].max())
            height = max(40, min(MAX_ROW_H, 200 / n) * n)
            top += TITLE_H
            last = l == net.L
            step = 1 if n <= 12 else int(np.ceil(n / 8))
            rows = [[j + 0.5, str(j + 1)] for j in range(0, n, step)]
            common = {"top": top, "height": height, "ylim": [n, 0]}
            heat = {"type": "heatmap", "stops": list(VIRIDIS), "domain": [0.0, vmax], "outlineColor": SELECTED,
                    "rowNames": [f"σ'(z^{l}_{j + 1})" for j in range(n)], "columnName": "example"}
            legend = []
            if index == 0:
                legend = [{"id": "legend", "type": "text"}]
            axes += [
                {"id": f"cur{l}", "left": LEFT, "width": CURRENT_W, **common, "xlim": [0, 1], "yticks": rows,
                 "ylabel": "j", "ylabelOffset": 34, "frameColor": CURRENT,
                 "xticks": [[0.5, "1"]] if last else False, "marks": [{"id": f"cur{l}_h", **heat}, *legend]},
                {"id": f"batch{l}", "left": BATCH_LEFT, "width": BATCH_W, **common, "xlim": [0, max(m - 1, 1)],
                 "title": f"σ'(z^{l}) — layer {l}", "yticks": False,
                 "xticks": [[e - 1.5, str(e)] for e in range(20, m + 1, 20)] if last else False,
                 "xlabel": f"example  (1 = the current example; {m} in all)" if last else "",
                 "marks": [{"id": f"batch{l}_h", **heat, "columnName": "example"}]},
                {"id": f"frac{l}", "left": FRAC_LEFT, "width": FRAC_W, **common, "xlim": [0, 1.6], "title": "saturated",
                 "yticks": False, "xticks": [[0, "0"], [1, "100%"]] if last else False, "frame": False,
                 "marks": [{"id": f"frac{l}_full", "type": "rule", "color": "#bbbbbb", "width": 1},
                           {"id": f"frac{l}_b", "type": "bars", "horizontal": True, "color": "#d62728", "barWidth": 0.7},
                           {"id": f"frac{l}_t", "type": "text"}]},
                {"id": f"bar{l}", "left": BAR_LEFT, "width": BAR_W, **common, "ylim": [0, vmax], "xticks": False,
                 "yticks": [[v, number(v, 3)] for v in (0.0, vmax / 2, vmax)],
                 "marks": [{"id": f"bar{l}_h", **heat, "rowNames": [], "columnName": "σ'"},
                           {"id": f"bar{l}_r", "type": "rule", "color": "#ffffff", "width": 3}]},
            ]
            steps = (1 - (np.arange(COLOUR_BAR_STEPS) + 0.5) / COLOUR_BAR_STEPS) * vmax
            bars[f"bar{l}_h"] = {"shape": [COLOUR_BAR_STEPS, 1], "values": steps}
            bars[f"frac{l}_full"] = {"x": [1.0]}
            top += height + GAP
        self.plot.spec = {
            "name": "saturation",
            "description": "Heatmaps of σ' of every neuron over a batch of examples, per layer",
            "width": WIDTH,
            "height": top + BOTTOM,
            "axes": axes,
        }
        bars["legend"] = {"items": [
            {"px": -LEFT + 4, "py": -TITLE_H - 12, "text": "✕ saturated: σ' below the white line on the colour bar"},
            {"px": WIDTH - LEFT - 8, "py": -TITLE_H - 12, "text": "red: current example", "anchor": "end", "color": CURRENT},
        ]}
        # sent with the first heatmaps, in one message (``_update_heatmaps``)
        self._fixed_marks = bars
        self._drawn_key = None

    # ------------------------------------------------------------------ updates
    def _on_threshold(self, change) -> None:
        self.refresh()

    def refresh(self) -> None:
        state = self.state
        net, batch = state.network, state.batch_trace
        if batch is None or batch.sizes != net.sizes:
            # No trace of this network yet (it diverged at once): nothing true to show.
            note = html.escape(state.diverged or "no trace of this network yet")
            self.verdict_html.show(f"<div style='color:#b00;font-size:15px'>{note}</div>", {})
            self.verdicts = []
            return
        maxima = self._maxima(net, batch)
        if self._shape_key(net, batch.n_examples, maxima) != self._built_for:
            self._build(net, batch.n_examples, maxima)
        self._update_heatmaps(net, batch)
        self._update_verdicts()

    def _update_heatmaps(self, net, batch: Trace) -> None:
        sat, sel = self.sat_slider.value, self.state.selected_neuron
        key = (sat, sel)
        drawn = self._drawn_key
        # The state keeps the same Trace object when nothing it holds changed (a Δz, a click).
        if drawn is not None and drawn[0] == key and drawn[1] is batch:
            return
        marks = {}
        for l in net.layers:
            layer = rules.layer_saturation(batch, l, sat)
            values, mask = layer.sigma_prime, layer.saturated
            n, m = values.shape
            self.sigma_prime[l], self.saturated[l], self.fractions[l] = values, mask, layer.fraction
            row = sel[1] if sel[0] == l else -1
            marks[f"cur{l}_h"] = {"shape": [n, 1], "values": values[:, :1], "cross": mask[:, :1], "markedRow": row}
            marks[f"batch{l}_h"] = {"shape": [n, m - 1], "values": values[:, 1:], "cross": mask[:, 1:], "markedRow": row}
            j = np.arange(n) + 0.5
            marks[f"frac{l}_b"] = {"x": layer.fraction, "y": j}
            # Only neurons that do saturate get a number: the page stays quiet where all is well.
            marks[f"frac{l}_t"] = {"items": [
                {"x": float(f) + 0.05, "y": float(y) + 0.2, "text": f"{100 * f:.0f}%"}
                for f, y in zip(layer.fraction, j) if f > 0
            ]}
            marks[f"bar{l}_r"] = {"y": [sat * self.vmax[l]]}
        if self._fixed_marks is not None:  # a new figure: all its marks replace the old ones
            self.plot.reset(**self._fixed_marks, **marks)
            self._fixed_marks = None
        else:
            self.plot.show(**marks)
        self.sends += 1
        self._drawn_key = (key, batch)

    def _update_verdicts(self) -> None:
        state = self.state
        l, j = state.selected_neuron
        sel = state.selection
        self.verdicts = rules.slow_learning_verdicts(
            state.trace, l, j, self.sat_slider.value, self.a_slider.value
        )
        if not self.verdicts:
            self.verdict_html.show("", {})
            return
        selected_k = sel["k"] if sel.get("kind") == "weight" else None
        template = verdict_template(l, j, [v.k for v in self.verdicts], selected_k)
        if state.diverged:
            template = f"<div style='color:#b00;font-size:15px'>{html.escape(state.diverged)}</div>" + template
        self.verdict_html.show(template, verdict_numbers(self.verdicts))


__all__ = ["SaturationPanel", "verdict_numbers", "verdict_template"]
