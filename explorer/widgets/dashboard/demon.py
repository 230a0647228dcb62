"""The demon panel: add Δz to one neuron's weighted input and compare ΔC with δ·Δz.

The chapter's demon sits at neuron j of layer l and changes z^l_j by Δz; to first order the
cost then moves by δ^l_j Δz, which is why δ^l_j is called the error of that neuron (eq. 29).
The panel plots the actual ΔC over the whole slider range against that tangent line, so a
student sees where the first-order story holds and where it bends away, and lists how the
change travels through the later layers. For a selected weight it does the same for a nudge
Δw (eq. 47).
"""

from __future__ import annotations

import html
import math

from .. import ui as widgets
import numpy as np

from ...core.notation import neuron_name, weight_name
from ..drawing import Plot
from ..drawing.axes import nice_ceil, y_limits
from ..drawing.formula import Formula, html_slot, vector_slot
from ..markup import html_name, number
from ..panel import Panel
from ..state import ExplorerState

#: The demon's Δz slider runs over ±DZ_RANGE; the curve is drawn over the same range.
DZ_RANGE = 5.0
#: The Δz slider's step, an arrow key's move (the shortcuts add ±0.5 and ±0.05: widgets/keys.py).
DZ_STEP = 0.05
TANGENT_SPAN = 2.0
#: Points of the ΔC(Δz) curve (odd, so that Δz = 0 is one of them).
N_CURVE = 101
#: The Δw slider of a selected weight runs over ±DW_RANGE.
DW_RANGE = 2.0
#: At most this many entries of a Δa^l vector are written out.
MAX_VECTOR = 8



# ---------------------------------------------------------------------- formatting
def signed(value: float, digits: int) -> list:
    """A signed live number for a readout's slot: [shown text, exact value]."""
    return [number(value, digits, signed=True), value]


def signed_vector(values) -> list:
    """A signed short vector for a slot: "[+0.012, −0.004, …]" and every entry."""
    values = np.asarray(values, dtype=float).reshape(-1)
    shown = [number(v, 3, signed=True) for v in values[:MAX_VECTOR]] + (["…"] if values.size > MAX_VECTOR else [])
    return [f"[{', '.join(shown)}]", [float(v) if math.isfinite(v) else None for v in values]]


# ---------------------------------------------------------------------- the panel
class DemonPanel(Panel):
    """The demon at the selected neuron: a Δz slider, ΔC against δ·Δz, and how Δz travels.

    Widgets other code and tests use: ``layer_dropdown``, ``neuron_dropdown``, ``dz_slider``,
    ``readout`` (a ``Formula``: its template changes with the neuron, then only its numbers),
    ``dw_slider``, ``weight_readout`` (a ``Formula``) and ``weight_box`` (shown only when a
    weight is selected), and ``plot`` (a ``Plot`` the browser draws: marks ``curve`` (actual
    ΔC over Δz), ``tangent`` (δ·Δz), ``point`` (this Δz), ``gap`` (actual − predicted) and
    ``labels`` (the title with the neuron's name), axes ``demon``); ``curve``, ``slope`` and
    ``ylim`` hold what was sent. A Δz moves only the point and the gap: one small message.

    ``presenter=True`` (the presenter layout) leaves room in the figure for text large enough
    for a projector (the layout's stylesheet sets its size) and fills the width it is given.
    """

    def __init__(self, state: ExplorerState, presenter: bool = False):
        self.presenter = presenter
        self._sizes = None
        self._neuron_layer = None
        self.slope = math.nan
        self._curve_key = None
        self._point_key = None
        self._diverged_shown = None
        self.ylim = (-1.0, 1.0)
        self.dzs = np.linspace(-DZ_RANGE, DZ_RANGE, N_CURVE)

        self.layer_dropdown = widgets.Dropdown(description="layer", layout=widgets.Layout(width="150px"))
        self.neuron_dropdown = widgets.Dropdown(description="neuron", layout=widgets.Layout(width="150px"))
        for dd in (self.layer_dropdown, self.neuron_dropdown):
            dd.style.description_width = "50px"
        self.dz_slider = widgets.FloatSlider(
            value=state.dz, min=-DZ_RANGE, max=DZ_RANGE, step=DZ_STEP, description="Δz",
            continuous_update=True, readout_format="+.2f", layout=widgets.Layout(width="420px"),
        )
        self.dw_slider = widgets.FloatSlider(
            value=state.dw, min=-DW_RANGE, max=DW_RANGE, step=0.01, description="Δw",
            continuous_update=True, readout_format="+.2f", layout=widgets.Layout(width="420px"),
        )
        self.readout = Formula()
        self.weight_readout = Formula()
        self.weight_box = widgets.VBox([self.dw_slider, self.weight_readout])
        self.weight_box.add_class("weight-box")

        self._build_figure()
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.layer_dropdown, self.neuron_dropdown]),
                self.dz_slider,
                self.plot,
                self.readout,
                self.weight_box,
            ],
            # Keep the figure's natural size beside a tall neighbour (the equations) instead
            # of stretching or squeezing it.
            layout=widgets.Layout(width="620px", flex="0 0 auto", align_items="flex-start"),
        )
        self.widget.add_class("demon-panel")

        self.layer_dropdown.observe(self._on_layer, names="value")
        self.neuron_dropdown.observe(self._on_neuron, names="value")
        self.dz_slider.observe(self._on_dz, names="value")
        self.dw_slider.observe(self._on_dw, names="value")
        super().__init__(state)
        self.refresh()

    # ------------------------------------------------------------ figure
    def _build_figure(self) -> None:
        self.plot = Plot()
        # presenter: the same 600-wide figure with wider margins for text about 1.7 × as large
        axes = (
            {"left": 96, "top": 76, "width": 484, "height": 134, "ylabelOffset": 78, "xtickOffset": 22, "xlabelOffset": 52}
            if self.presenter else {"left": 78, "top": 64, "width": 500, "height": 200, "ylabelOffset": 62}
        )
        self.plot.spec = {
            "name": "demon",
            "description": "The cost change ΔC against the demon's Δz, and the tangent δ·Δz",
            "width": 600,
            "height": 330 if not self.presenter else 270,
            "axes": [{
                "id": "demon", **axes,
                "xlim": [-DZ_RANGE * 1.04, DZ_RANGE * 1.04], "ylim": list(self.ylim), "grid": True,
                "xlabel": "Δz added to the selected neuron's z", "ylabel": "ΔC",
                "marks": [
                    {"id": "axes0", "type": "rule", "color": "#bfbfbf", "width": 1},
                    {"id": "curve", "type": "line", "color": "#1f4e9c", "width": 2.6},
                    {"id": "tangent", "type": "line", "color": "#d62728", "width": 2, "dash": "7 4"},
                    {"id": "gap", "type": "line", "color": "#ff7f0e", "width": 3},
                    {"id": "point", "type": "points", "color": "#1f4e9c", "r": 6, "stroke": "#ffffff"},
                    {"id": "labels", "type": "text"},
                ],
            }],
        }
        self.plot.show(axes0={"x": [0.0], "y": [0.0]})

    def _labels(self, title: str) -> dict:
        """The title and the legend (coloured words, as the marks are), above the axes."""
        if self.presenter:
            xs, title_y, legend_y = (-80, -80, 70, 170, 270), -52, -16
        else:
            xs, title_y, legend_y = (-70, 40, 170, 260, 330), -44, -14
        legend = [("actual ΔC", "#1f4e9c"), ("δ·Δz", "#d62728"), ("gap", "#ff7f0e"), ("● this Δz", "#1f4e9c")]
        items = [{"px": xs[0], "py": title_y, "text": title, "color": "#222"}]
        items += [
            {"px": x, "py": legend_y, "text": ("— " if not text.startswith("●") else "") + text, "color": c}
            for (text, c), x in zip(legend, xs[1:])
        ]
        return {"items": items}

    # ------------------------------------------------------------ controls → state
    # Each handler compares with the state and does nothing when they agree: the panel setting
    # its own controls from the state needs no guard.
    #: True while the panel sets its own controls from the state (a new options list resets a
    #: menu's value: that is no person's choice, and must not replace a selected weight).
    _syncing = False

    def _on_layer(self, change) -> None:
        if self._syncing:
            return
        l = change["new"]
        current, j = self.state.selected_neuron
        if l is not None and l != current:
            self.state.select_neuron(l, min(j, self.state.network.sizes[l - 1] - 1))

    def _on_neuron(self, change) -> None:
        if self._syncing:
            return
        l, current = self.state.selected_neuron
        if change["new"] is not None and change["new"] != current and self.layer_dropdown.value == l:
            self.state.select_neuron(l, change["new"])

    def _on_dz(self, change) -> None:
        if float(change["new"]) != self.state.dz:
            self.state.dz = float(change["new"])

    def _on_dw(self, change) -> None:
        if float(change["new"]) != self.state.dw:
            self.state.dw = float(change["new"])

    # ------------------------------------------------------------ state → widgets
    def _sync_controls(self) -> None:
        self._syncing = True
        try:
            self._set_controls()
        finally:
            self._syncing = False

    def _set_controls(self) -> None:
        state, net = self.state, self.state.network
        l, j = state.selected_neuron
        if self._sizes != net.sizes:
            self._sizes = net.sizes
            self.layer_dropdown.options = [(f"l = {m}", m) for m in net.layers]
            self._neuron_layer = None
        if self.layer_dropdown.value != l:
            self.layer_dropdown.value = l
        if self._neuron_layer != l:
            self._neuron_layer = l
            self.neuron_dropdown.options = [(f"j = {i + 1}", i) for i in range(net.sizes[l - 1])]
        if self.neuron_dropdown.value != j:
            self.neuron_dropdown.value = j
        if self.dz_slider.value != state.dz:
            self.dz_slider.value = state.dz
        if self.dw_slider.value != state.dw:
            self.dw_slider.value = state.dw

    def refresh(self) -> None:
        state = self.state
        self._sync_controls()
        weight_selected = state.selection["kind"] == "weight"
        self.weight_box.layout.display = None if weight_selected else "none"
        if state.diverged or state.trace is None:
            self._show_diverged(state.diverged or "no trace yet")
            return
        marks = {}
        if self._diverged_shown:
            self._diverged_shown = None
            self._curve_key = None
        l, j = state.selected_neuron
        # The curve depends on the trace and the neuron only: a new trace comes with a new
        # ``trace_revision``, and a Δz moves the point alone.
        key = (l, j, state.trace_revision)
        if key != self._curve_key:
            self._curve_key = key
            marks.update(self._update_curve(l, j))
        point_key = (key, state.dz)
        if marks or point_key != self._point_key:
            self._point_key = point_key
            marks.update(self._update_point())
            self.plot.show(**marks)
        self._show_readout(l, j)
        self._show_weight_readout(weight_selected)

    def _update_curve(self, l: int, j: int) -> dict:
        """The marks that change with the trace or the neuron: curve, tangent, title, limits."""
        net, trace = self.state.network, self.state.trace
        with np.errstate(all="ignore"):
            try:
                curve = net.demon_curve(trace, l, j, self.dzs)
            except ValueError:
                # e.g. a cross-entropy cost whose non-sigmoid output leaves [0, 1] for some Δz
                curve = self._curve_pointwise(l, j)
            curve = np.where(np.isfinite(curve), curve, np.nan)
            self.slope = float(np.mean(trace.delta[l][j]))
            ends = self.dzs[[0, -1]] * 1.04
            tangent = self.slope * ends
        self.curve = curve
        floor = max(0.02 * abs(trace.cost), 1e-9) if math.isfinite(trace.cost) else 1e-3
        # The limits also hold the tangent for |Δz| ≤ TANGENT_SPAN, so the gap between δ·Δz and
        # the actual ΔC stays in view where students use the demon; they depend on the trace
        # only, not on Δz, so moving Δz never needs a full redraw.
        self.ylim = y_limits(np.append(curve, self.slope * np.array([-TANGENT_SPAN, TANGENT_SPAN])), floor)
        return {
            "curve": {"x": self.dzs, "y": curve, "hidden": False},
            "tangent": {"x": ends, "y": np.where(np.isfinite(tangent), tangent, np.nan), "hidden": False},
            "labels": self._labels(f"The demon at {neuron_name('z', l, j)}"),
            "@demon": {"ylim": list(self.ylim)},
        }

    def _curve_pointwise(self, l: int, j: int) -> np.ndarray:
        state, net = self.state, self.state.network
        out = np.full(self.dzs.shape, np.nan)
        for i, dz in enumerate(self.dzs):
            try:
                out[i] = net.demon(state.x, state.y, l, j, float(dz), trace=state.trace).actual
            except ValueError:
                pass
        return out

    def _update_point(self) -> dict:
        demon = self.state.demon
        dz = demon.dz
        actual = demon.actual if math.isfinite(demon.actual) else np.nan
        predicted = demon.predicted if math.isfinite(demon.predicted) else np.nan
        return {
            "point": {"x": [dz], "y": [actual], "hidden": False},
            "gap": {"x": [dz, dz], "y": [predicted, actual], "hidden": False},
        }

    def _show_diverged(self, message: str) -> None:
        self.readout.show(f'<div class="diverged" style="color:#b00020;font-size:15px">⚠ {html.escape(message)}</div>', {})
        self._show_weight_readout(False)
        if self._diverged_shown != message:
            self._diverged_shown = message
            hidden = {"x": [], "y": [], "hidden": True}
            self.plot.show(
                curve=hidden, tangent=hidden, gap=hidden, point=hidden,
                labels=self._labels("⚠ no numbers: the message below says why"),
            )
            self._curve_key = None
            self._point_key = None

    # ------------------------------------------------------------ readouts
    def _show_readout(self, l: int, j: int) -> None:
        """The demon's numbers: a template per neuron (and the layers after it), then slots."""
        demon = self.state.demon
        delta = html_name(neuron_name("δ", l, j))
        z = html_name(neuron_name("z", l, j))
        travel = "".join(f'<div>Δa<sup>{m}</sup> = {vector_slot(f"da{m}")}</div>' for m in sorted(demon.delta_a))
        template = (
            '<div class="demon-readout" style="font-size:15px;line-height:1.45">'
            f"<div>The demon adds Δz = {html_slot('dz')} to {z}, where {delta} = {html_slot('delta')}</div>"
            f"<table>{_comparison_rows(f'predicted ΔC = {delta} · Δz', '')}</table>"
            f'<div class="travel-head" style="margin-top:4px"><b>How the change travels</b> (a after minus before):</div>'
            f'<div class="travel" style="font-family:monospace;font-size:14px">{travel}</div>'
            "</div>"
        )
        numbers = {"dz": signed(demon.dz, 4), "delta": signed(self.slope, 6), **_comparison_numbers(demon, "")}
        numbers.update({f"da{m}": signed_vector(v) for m, v in demon.delta_a.items()})
        self.readout.show(template, numbers)

    def _show_weight_readout(self, weight_selected: bool) -> None:
        nudge = self.state.nudge if weight_selected else None
        if nudge is None:
            if self.weight_readout.template:
                self.weight_readout.show("", {})
            return
        l, j, k = nudge.layer, nudge.j, nudge.k
        w = html_name(weight_name(l, j, k))
        template = (
            '<div class="weight-readout" style="font-size:15px;line-height:1.45">'
            f"<div>Nudge {w} by Δw = {html_slot('dw')}; ∂C/∂{w} = {html_slot('dC_dw')}</div>"
            f"<table>{_comparison_rows(f'predicted ΔC ≈ ∂C/∂{w} · Δw (eq. 47)', 'w_')}</table></div>"
        )
        numbers = {"dw": signed(nudge.dw, 4), "dC_dw": signed(self.state.trace.nabla_w[l][j, k], 6),
                   **_comparison_numbers(nudge, "w_")}
        self.weight_readout.show(template, numbers)


_COMPARISON = (("predicted", None, 6), ("actual", "actual ΔC", 6), ("difference", "actual − predicted", 4),
               ("ratio", "actual / predicted", 4))


def _comparison_rows(predicted_label: str, prefix: str) -> str:
    """Predicted against actual ΔC, their difference and ratio (a demon's Δz or a nudge's Δw)."""
    return "".join(
        f'<tr><td style="padding:1px 12px 1px 0">{label or predicted_label}</td>'
        f'<td style="text-align:right">{html_slot(prefix + key)}</td></tr>'
        for key, label, _ in _COMPARISON
    )


def _comparison_numbers(effect, prefix: str) -> dict:
    ratio = effect.actual / effect.predicted if effect.predicted != 0 else math.nan
    values = {"predicted": effect.predicted, "actual": effect.actual, "difference": effect.error, "ratio": ratio}
    return {prefix + key: signed(values[key], digits) for key, _, digits in _COMPARISON}


__all__ = ["DemonPanel", "nice_ceil", "y_limits"]
