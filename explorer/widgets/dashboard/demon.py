"""The demon panel: add Δz to one neuron's weighted input and compare ΔC with δ·Δz.

The chapter's demon sits at neuron j of layer l and changes z^l_j by Δz; to first order the
cost then moves by δ^l_j Δz, which is why δ^l_j is called the error of that neuron (eq. 29).
The panel plots the actual ΔC over the whole slider range against that tangent line, so a
student sees where the first-order story holds and where it bends away, and lists how the
change travels through the later layers. For a selected weight it does the same for a nudge
Δw (eq. 47).
"""

from __future__ import annotations

import math

import ipywidgets as widgets
import numpy as np

from ...core.notation import neuron_latex, neuron_name, weight_name
from ..figures import Blitter, live_figure
from ..panel import Panel
from ..state import ExplorerState

#: The demon's Δz slider runs over ±DZ_RANGE; the curve is drawn over the same range.
DZ_RANGE = 5.0
TANGENT_SPAN = 2.0
#: Points of the ΔC(Δz) curve (odd, so that Δz = 0 is one of them).
N_CURVE = 101
#: The Δw slider of a selected weight runs over ±DW_RANGE.
DW_RANGE = 2.0
#: At most this many entries of a Δa^l vector are written out.
MAX_VECTOR = 8

# Nice axis ends: the y-limits are the smallest of these (times a power of ten) that hold the
# curve, so they stay put while the curve moves a little, and are a function of the curve
# alone (a panel updated in place shows what a fresh one would).
_LADDER = (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


# ---------------------------------------------------------------------- formatting helpers
def fmt(value: float, digits: int = 5) -> str:
    """A signed number with ``digits`` significant digits and a true minus sign; '—' if not finite."""
    value = float(value)
    if not math.isfinite(value):
        return "—"
    if value == 0:
        return "0"
    return f"{value:+.{digits}g}".replace("-", "−")


def _exact(value: float) -> str:
    """The full-precision value for a data attribute; empty when it is not a finite number."""
    value = float(value)
    return repr(value) if math.isfinite(value) else ""


def num_span(name: str, value: float, digits: int = 5) -> str:
    """A number as ``<span class="num" data-q=name data-value=repr>shown</span>`` (tests parse it)."""
    value = float(value)
    return f'<span class="num" data-q="{name}" data-value="{_exact(value)}">{fmt(value, digits)}</span>'


def html_name(name: str) -> str:
    """'δ^2_1' (from ``explorer.core.notation``) as HTML: δ<sup>2</sup><sub>1</sub>."""
    head, _, rest = name.partition("^")
    sup, _, sub = rest.partition("_")
    return f"{head}<sup>{sup}</sup><sub>{sub}</sub>"


def vector_span(name: str, values) -> str:
    """A short vector [+0.012, −0.004, …] as a span; data-values holds every entry exactly."""
    values = np.asarray(values, dtype=float).reshape(-1)
    shown = [fmt(v, 3) for v in values[:MAX_VECTOR]]
    if values.size > MAX_VECTOR:
        shown.append("…")
    exact = ",".join(_exact(v) for v in values)
    return f'<span class="vec" data-q="{name}" data-values="{exact}">[{", ".join(shown)}]</span>'


def nice_ceil(value: float) -> float:
    """The smallest number of the form ladder × 10^n that is ≥ value (value > 0)."""
    exponent = math.floor(math.log10(value))
    for exp in (exponent - 1, exponent, exponent + 1):
        for step in _LADDER:
            candidate = step * 10.0**exp
            if candidate >= value:
                return candidate
    return value  # not reached for finite positive values


def y_limits(curve: np.ndarray, floor: float) -> tuple[float, float]:
    """Axis limits that hold the curve (and 0) with a little headroom, on the nice ladder.

    Each side is at least ``floor`` (and a tenth of the other side), so a nearly flat curve
    stays flat-looking instead of being magnified into noise.
    """
    finite = curve[np.isfinite(curve)]
    hi = max(float(finite.max(initial=0.0)), 0.0)
    lo = min(float(finite.min(initial=0.0)), 0.0)
    big = min(max(hi, -lo, floor), 1e300)
    side = max(floor, 0.1 * big)
    top = nice_ceil(max(min(hi, 1e300) * 1.08, side))
    bottom = -nice_ceil(max(min(-lo, 1e300) * 1.08, side))
    return bottom, top


# ---------------------------------------------------------------------- the panel
class DemonPanel(Panel):
    """The demon at the selected neuron: a Δz slider, ΔC against δ·Δz, and how Δz travels.

    Widgets other code and tests use: ``layer_dropdown``, ``neuron_dropdown``, ``dz_slider``,
    ``readout`` (HTML), ``dw_slider``, ``weight_readout`` and ``weight_box`` (shown only when a
    weight is selected), ``fig`` and ``ax`` with the artists ``curve_line`` (actual ΔC),
    ``tangent_line`` (δ·Δz), ``point`` (this Δz), ``gap_line`` (actual − predicted),
    ``title`` and ``name_text`` (the neuron's name); ``curve`` and ``slope`` hold the data.
    """

    def __init__(self, state: ExplorerState):
        self._syncing = False
        self._sizes = None
        self._neuron_layer = None
        self.slope = math.nan
        self._curve_key = None
        self._figure_key = None
        self._diverged_shown = None
        self.dzs = np.linspace(-DZ_RANGE, DZ_RANGE, N_CURVE)

        self.layer_dropdown = widgets.Dropdown(description="layer", layout=widgets.Layout(width="150px"))
        self.neuron_dropdown = widgets.Dropdown(description="neuron", layout=widgets.Layout(width="150px"))
        for dd in (self.layer_dropdown, self.neuron_dropdown):
            dd.style.description_width = "50px"
        self.dz_slider = widgets.FloatSlider(
            value=state.dz, min=-DZ_RANGE, max=DZ_RANGE, step=0.01, description="Δz",
            continuous_update=True, readout_format="+.2f", layout=widgets.Layout(width="420px"),
        )
        self.dw_slider = widgets.FloatSlider(
            value=state.dw, min=-DW_RANGE, max=DW_RANGE, step=0.01, description="Δw",
            continuous_update=True, readout_format="+.2f", layout=widgets.Layout(width="420px"),
        )
        self.readout = widgets.HTML()
        self.weight_readout = widgets.HTML()
        self.weight_box = widgets.VBox([self.dw_slider, self.weight_readout])

        self._build_figure()
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.layer_dropdown, self.neuron_dropdown]),
                self.dz_slider,
                self.fig.canvas,
                self.readout,
                self.weight_box,
            ],
            # Keep the figure's natural size beside a tall neighbour (the equations) instead
            # of stretching or squeezing it.
            layout=widgets.Layout(width="620px", flex="0 0 auto", align_items="flex-start"),
        )
        self.fig.canvas.layout.flex = "0 0 auto"
        self.widget.add_class("demon-panel")

        self.layer_dropdown.observe(self._on_layer, names="value")
        self.neuron_dropdown.observe(self._on_neuron, names="value")
        self.dz_slider.observe(self._on_dz, names="value")
        self.dw_slider.observe(self._on_dw, names="value")
        super().__init__(state)
        self.refresh()

    # ------------------------------------------------------------ figure
    def _build_figure(self) -> None:
        fig = self.fig = live_figure(6.0, 3.3)
        # A fixed layout: the same pixels whatever the tick labels say, so an updated panel
        # and a freshly built one draw the same image (and no layout pass is ever needed).
        fig.set_layout_engine("none")
        ax = self.ax = fig.add_axes((0.19, 0.19, 0.78, 0.57))
        ax.set_xlim(-DZ_RANGE * 1.04, DZ_RANGE * 1.04)
        ax.set_ylim(-1.0, 1.0)
        ax.axhline(0.0, color="0.75", lw=1, zorder=0)
        ax.axvline(0.0, color="0.75", lw=1, zorder=0)
        ax.set_xlabel("Δz added to the selected neuron's z", fontsize=13)
        ax.set_ylabel("ΔC", fontsize=14)
        ax.tick_params(labelsize=12)
        ax.yaxis.get_offset_text().set_fontsize(11)
        ax.grid(True, color="0.92", lw=0.8)
        self.curve_line, = ax.plot([], [], color="#1f4e9c", lw=2.6, label="actual ΔC")
        self.tangent_line, = ax.plot([], [], color="#d62728", lw=2, ls="--", label="δ·Δz")
        self.gap_line, = ax.plot([], [], color="#ff7f0e", lw=3, solid_capstyle="butt", label="gap")
        self.point, = ax.plot([], [], "o", ms=10, color="#1f4e9c", mec="white", mew=1.5, label="this Δz")
        fig.legend(
            handles=[self.curve_line, self.tangent_line, self.gap_line, self.point],
            loc="upper center", bbox_to_anchor=(0.58, 0.895), ncol=4, fontsize=13,
            frameon=False, handlelength=1.6, columnspacing=1.2,
        )
        self.title = fig.text(0.02, 0.915, "The demon at", fontsize=14, va="baseline", ha="left")
        # Only the neuron's name changes with the selection: a short animated text right after
        # the static words, so a click blits instead of redrawing the figure. Its place comes
        # from the static text's measured width (the same in every panel: fixed layout).
        right = self.title.get_window_extent(fig.canvas.get_renderer()).x1 / fig.bbox.width
        self.name_text = fig.text(right + 0.008, 0.915, "", fontsize=15, va="baseline", ha="left")
        self.blitter = Blitter(fig)
        self.blitter.add(self.curve_line, self.tangent_line, self.gap_line, self.point, self.name_text)

    # ------------------------------------------------------------ controls → state
    def _on_layer(self, change) -> None:
        if self._syncing:
            return
        l = change["new"]
        _, j = self.state.selected_neuron
        self.state.select_neuron(l, min(j, self.state.network.sizes[l - 1] - 1))

    def _on_neuron(self, change) -> None:
        if self._syncing:
            return
        l, _ = self.state.selected_neuron
        self.state.select_neuron(l, change["new"])

    def _on_dz(self, change) -> None:
        if not self._syncing:
            self.state.dz = float(change["new"])

    def _on_dw(self, change) -> None:
        if not self._syncing:
            self.state.dw = float(change["new"])

    # ------------------------------------------------------------ state → widgets
    def _sync_controls(self) -> None:
        state, net = self.state, self.state.network
        l, j = state.selected_neuron
        self._syncing = True
        try:
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
        finally:
            self._syncing = False

    def refresh(self) -> None:
        state = self.state
        self._sync_controls()
        weight_selected = state.selection["kind"] == "weight"
        self.weight_box.layout.display = None if weight_selected else "none"
        if state.diverged or state.trace is None:
            self._show_diverged(state.diverged or "no trace yet")
            return
        full = False
        if self._diverged_shown:
            self._diverged_shown = None
            for artist in (self.curve_line, self.tangent_line, self.gap_line, self.point, self.name_text):
                artist.set_visible(True)
            self.title.set_text("The demon at")  # static text: needs a full draw
            full = True
        l, j = state.selected_neuron
        # The curve depends on the trace and the neuron only: a new trace comes with a new
        # ``trace_revision``, and a Δz moves the point alone.
        key = (l, j, state.trace_revision)
        if key != self._curve_key:
            self._curve_key = key
            full = self._update_curve(l, j) or full
        self._update_point()
        figure_key = (key, state.dz)
        if full or figure_key != self._figure_key:
            self._figure_key = figure_key
            self.blitter.update(full=full, now=state.render_now)
        self.readout.value = self._readout_html(l, j)
        self.weight_readout.value = self._weight_html() if weight_selected else ""

    def _update_curve(self, l: int, j: int) -> bool:
        """New curve, tangent and name; True if the y-limits changed (then a full redraw)."""
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
        self.curve_line.set_data(self.dzs, curve)
        self.tangent_line.set_data(ends, np.where(np.isfinite(tangent), tangent, np.nan))
        full = False
        self.name_text.set_text(f"${neuron_latex('z', l, j)}$")
        floor = max(0.02 * abs(trace.cost), 1e-9) if math.isfinite(trace.cost) else 1e-3
        # The limits also hold the tangent for |Δz| ≤ TANGENT_SPAN, so the gap between δ·Δz and
        # the actual ΔC stays in view where students use the demon; they depend on the trace
        # only, not on Δz, so moving Δz never needs a full redraw.
        limits = y_limits(np.append(curve, self.slope * np.array([-TANGENT_SPAN, TANGENT_SPAN])), floor)
        if limits != tuple(self.ax.get_ylim()):
            self.ax.set_ylim(*limits)
            full = True
        return full

    def _curve_pointwise(self, l: int, j: int) -> np.ndarray:
        state, net = self.state, self.state.network
        out = np.full(self.dzs.shape, np.nan)
        for i, dz in enumerate(self.dzs):
            try:
                out[i] = net.demon(state.x, state.y, l, j, float(dz), trace=state.trace).actual
            except ValueError:
                pass
        return out

    def _update_point(self) -> None:
        demon = self.state.demon
        dz = demon.dz
        actual = demon.actual if math.isfinite(demon.actual) else np.nan
        predicted = demon.predicted if math.isfinite(demon.predicted) else np.nan
        self.point.set_data([dz], [actual])
        self.gap_line.set_data([dz, dz], [predicted, actual])

    def _show_diverged(self, message: str) -> None:
        self.readout.value = f'<div class="diverged" style="color:#b00020;font-size:15px">⚠ {message}</div>'
        self.weight_readout.value = ""
        if self._diverged_shown != message:
            self._diverged_shown = message
            for artist in (self.curve_line, self.tangent_line, self.gap_line, self.point):
                artist.set_visible(False)
            self.title.set_text("⚠ no numbers: the message below says why")
            self.name_text.set_visible(False)
            self._curve_key = None
            self._figure_key = None
            self.blitter.update(full=True, now=self.state.render_now)

    # ------------------------------------------------------------ readouts
    def _readout_html(self, l: int, j: int) -> str:
        demon = self.state.demon
        delta = html_name(neuron_name("δ", l, j))
        z = html_name(neuron_name("z", l, j))
        ratio = demon.actual / demon.predicted if demon.predicted != 0 else math.nan
        rows = [
            (f"predicted ΔC = {delta} · Δz", num_span("predicted", demon.predicted, 6)),
            ("actual ΔC", num_span("actual", demon.actual, 6)),
            ("actual − predicted", num_span("difference", demon.error, 4)),
            ("actual / predicted", num_span("ratio", ratio, 4)),
        ]
        table = "".join(
            f'<tr><td style="padding:1px 12px 1px 0">{label}</td><td style="text-align:right">{value}</td></tr>'
            for label, value in rows
        )
        travel = "".join(
            f'<div>Δa<sup>{m}</sup> = {vector_span(f"da{m}", demon.delta_a[m])}</div>'
            for m in sorted(demon.delta_a)
        )
        return (
            '<div class="demon-readout" style="font-size:15px;line-height:1.45">'
            f"<div>The demon adds Δz = {num_span('dz', demon.dz, 4)} to {z}, where "
            f"{delta} = {num_span('delta', self.slope, 6)}</div>"
            f"<table>{table}</table>"
            f'<div style="margin-top:4px"><b>How the change travels</b> (a after minus before):</div>'
            f'<div class="travel" style="font-family:monospace;font-size:14px">{travel}</div>'
            "</div>"
        )

    def _weight_html(self) -> str:
        nudge = self.state.nudge
        if nudge is None:
            return ""
        l, j, k = nudge.layer, nudge.j, nudge.k
        w = html_name(weight_name(l, j, k))
        ratio = nudge.actual / nudge.predicted if nudge.predicted != 0 else math.nan
        rows = [
            (f"predicted ΔC ≈ ∂C/∂{w} · Δw (eq. 47)", num_span("w_predicted", nudge.predicted, 6)),
            ("actual ΔC", num_span("w_actual", nudge.actual, 6)),
            ("actual − predicted", num_span("w_difference", nudge.error, 4)),
            ("actual / predicted", num_span("w_ratio", ratio, 4)),
        ]
        table = "".join(
            f'<tr><td style="padding:1px 12px 1px 0">{label}</td><td style="text-align:right">{value}</td></tr>'
            for label, value in rows
        )
        gradient = self.state.trace.nabla_w[l][j, k]
        return (
            '<div class="weight-readout" style="font-size:15px;line-height:1.45">'
            f"<div>Nudge {w} by Δw = {num_span('dw', nudge.dw, 4)}; "
            f"∂C/∂{w} = {num_span('dC_dw', gradient, 6)}</div>"
            f"<table>{table}</table></div>"
        )


__all__ = ["DemonPanel", "fmt", "html_name", "num_span", "vector_span", "y_limits"]
