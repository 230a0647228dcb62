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

import ipywidgets as widgets
import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.patches import Rectangle

from ...core import Trace
from ...core import saturation as rules
from ...core.notation import neuron_name
from ...core.saturation import DEFAULT_A_THRESHOLD, DEFAULT_SAT_FRACTION, WeightVerdict, max_sigma_prime
from ..figures import Blitter, live_figure
from ..panel import Panel
from ..state import ExplorerState


def _fmt(value: float) -> str:
    """A number in 3 significant digits, with a readable exponent (2.1e-05 → 2.1e-5)."""
    text = f"{value:.3g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def verdict_table_html(
    verdicts: list[WeightVerdict], selected_k: int | None = None, note: str = ""
) -> str:
    """The verdicts as an HTML table (the selected weight's row in bold)."""
    if not verdicts:
        return ""
    v0 = verdicts[0]
    l, j = v0.layer, v0.j
    head = (
        f"<b>Weights into {neuron_name('a', l, j)}</b> (layer {l}, neuron {j + 1}), current "
        f"example: {neuron_name('δ', l, j)} = {_fmt(v0.delta)}, "
        f"σ'({neuron_name('z', l, j)}) = {_fmt(v0.sigma_prime)} "
        f"(max {_fmt(v0.sigma_prime_max)})"
    )
    cell = "padding:3px 10px;text-align:right"
    rows = [
        "<tr style='background:#eee'>"
        f"<th style='{cell}'>weight</th><th style='{cell}'>a_in</th>"
        f"<th style='{cell}'>σ'(z_out)</th><th style='{cell}'>|∂C/∂w|</th>"
        f"<th style='padding:3px 10px;text-align:left'>verdict</th></tr>"
    ]
    for v in verdicts:
        colour = "#fde2e2" if v.slow else "#e3f4e3"
        weight = "bold" if v.k == selected_k else "normal"
        a_label = neuron_name("a", v.layer - 1, v.k)
        rows.append(
            f"<tr style='background:{colour};font-weight:{weight}'>"
            f"<td style='{cell}'>{v.name}</td>"
            f"<td style='{cell}'>{a_label} = {_fmt(v.a_in)}</td>"
            f"<td style='{cell}'>{_fmt(v.sigma_prime)}</td>"
            f"<td style='{cell}'>{_fmt(abs(v.gradient))}</td>"
            f"<td style='padding:3px 10px'>{html.escape(v.reason)}</td></tr>"
        )
    note_html = f"<div style='color:#b00'>{html.escape(note)}</div>" if note else ""
    return (
        f"<div style='font-size:15px'>{note_html}<div>{head}</div>"
        f"<table style='border-collapse:collapse;margin-top:4px'>{''.join(rows)}</table></div>"
    )


# ----------------------------------------------------------------------------- the panel

# Layout in inches. Every refresh ends in ipympl PNG-encoding the whole canvas (≈ 14 ns per
# pixel here), so the figure is kept compact; fonts stay large.
_WIDTH = 8.0
_LEFT, _HEAT_W, _GAP, _FRAC_W, _CBAR_GAP, _CBAR_W = 0.7, 4.8, 0.12, 1.15, 0.12, 0.16
_TOP, _BOTTOM, _TITLE_H, _BLOCK_GAP, _ROW_H = 0.42, 0.62, 0.36, 0.1, 0.21
# The current example gets a wide column of its own, then a gap, then the rest of the batch
# (in units of one batch column).
_CURRENT_W, _CURRENT_GAP = 8.0, 1.5
_CURRENT = "#ff3b30"  # the current example's outline
_SELECTED = "#ff9500"  # the selected neuron's row
_MARKER = "white"


def _column_edges(m: int) -> tuple[np.ndarray, np.ndarray]:
    """x edges of the heatmap cells and the centre of each example's cell.

    The cells are: the current example (wide), a gap (an empty cell), examples 2..m.
    """
    if m == 1:
        return np.array([0.0, _CURRENT_W]), np.array([_CURRENT_W / 2])
    start = _CURRENT_W + _CURRENT_GAP
    edges = np.concatenate([[0.0, _CURRENT_W], start + np.arange(m)])
    centres = np.concatenate([[_CURRENT_W / 2], start + np.arange(m - 1) + 0.5])
    return edges, centres


class SaturationPanel(Panel):
    """Heatmaps of σ'(z^l) (neurons × examples), saturated cells marked, and the verdicts.

    The heatmaps are ``pcolormesh`` QuadMeshes rather than ``imshow`` images: the same cells
    and fixed colour scale, drawn in about half the time (0.9 ms against 1.7 ms a layer
    here), and they allow the current example its own wide column.

    For tests and other code: ``fig``, ``heatmaps`` {l: QuadMesh of σ'(z^l); its array is
    (n_l, m + 1): the current example, an empty (NaN) gap, examples 2..m}, ``marks`` {l:
    PathCollection of the saturated cells' ✕}, ``fraction_bars`` {l: PolyCollection, one bar
    per neuron}, ``fraction_texts`` {l: [Text per neuron]}, ``fractions`` {l: fraction of
    saturated examples per neuron}, ``saturated`` {l: boolean mask (n_l, m)}, ``sat_slider``,
    ``a_slider``, ``verdict_html``, ``verdicts`` (the last list of ``WeightVerdict``),
    ``blitter``.
    """

    def __init__(self, state: ExplorerState):
        super().__init__(state)
        self.sat_slider = widgets.FloatSlider(
            value=DEFAULT_SAT_FRACTION, min=0.01, max=0.5, step=0.01,
            description="saturated when σ' < (× max σ')", readout_format=".2f",
            style={"description_width": "initial"}, layout=widgets.Layout(width="560px"),
        )
        self.a_slider = widgets.FloatSlider(
            value=DEFAULT_A_THRESHOLD, min=0.0, max=0.5, step=0.01,
            description="small input when |a_in| <", readout_format=".2f",
            style={"description_width": "initial"}, layout=widgets.Layout(width="520px"),
        )
        self.verdict_html = widgets.HTML()
        self.verdicts: list[WeightVerdict] = []
        self.fractions: dict[int, np.ndarray] = {}
        self.saturated: dict[int, np.ndarray] = {}
        self.fig = None
        self._build_figure()
        self.sat_slider.observe(self._on_threshold, names="value")
        self.a_slider.observe(self._on_threshold, names="value")
        self.widget = widgets.VBox(
            [
                self.fig.canvas,
                widgets.HBox([self.sat_slider, self.a_slider], layout=widgets.Layout(flex_flow="row wrap")),
                self.verdict_html,
            ]
        )
        self.refresh()

    # ------------------------------------------------------------------ layout
    @staticmethod
    def _shape_key(net, m: int, maxima: dict[int, np.ndarray]):
        """What the static background depends on: sizes, batch width, colour scales."""
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

    def _build_figure(self) -> None:
        """Create (or re-create, after a change of shapes) every artist of the figure."""
        net = self.state.network
        trace = self.state.batch_trace
        m = trace.n_examples if trace is not None else 1
        maxima = self._maxima(net, trace)
        self._built_for = self._shape_key(net, m, maxima)
        row_h = {l: min(_ROW_H, 3.0 / net.sizes[l - 1]) for l in net.layers}
        block_h = {l: max(0.6, row_h[l] * net.sizes[l - 1]) for l in net.layers}
        W = _WIDTH
        H = _TOP + _BOTTOM + sum(_TITLE_H + block_h[l] + _BLOCK_GAP for l in net.layers)
        if self.fig is None:
            self.fig = live_figure(W, H)
            self.fig.set_layout_engine("none")  # positions are set by hand below
            self.blitter = Blitter(self.fig)
            self.fig.canvas.mpl_connect("draw_event", self._on_full_draw)
        else:
            self.fig.clear()
            self.fig.set_size_inches(W, H, forward=True)
            self.blitter.artists.clear()
        fig = self.fig
        self.axes, self.heatmaps, self.marks = {}, {}, {}
        self.fraction_bars, self.fraction_texts = {}, {}
        self.selection_boxes, self.threshold_lines = {}, {}
        self._buffers = {}
        edges, self._centres = _column_edges(m)
        x_max = edges[-1]
        cell_pt = _HEAT_W * 72 / x_max  # one batch column, in points
        marker_size = float(np.clip(cell_pt, 2.5, 8.0) ** 2)
        y = H - _TOP
        for l in net.layers:
            n = net.sizes[l - 1]
            y -= _TITLE_H
            bottom = y - block_h[l]
            ax = fig.add_axes((_LEFT / W, bottom / H, _HEAT_W / W, block_h[l] / H))
            vmax = float(maxima[l].max())
            buffer = np.full((n, len(edges) - 1), np.nan)  # NaN: the gap stays empty
            mesh = ax.pcolormesh(
                edges, np.arange(n + 1) - 0.5, buffer, cmap="viridis", vmin=0.0, vmax=vmax
            )
            marks = ax.scatter(
                np.zeros(0), np.zeros(0), s=marker_size, marker="x", c=_MARKER, linewidths=1.2
            )
            ax.set_xlim(0.0, x_max)
            ax.set_ylim(n - 0.5, -0.5)
            step = 1 if n <= 12 else int(np.ceil(n / 8))
            ax.set_yticks(range(0, n, step), [str(j + 1) for j in range(0, n, step)])
            ax.tick_params(labelsize=12, length=3)
            ax.set_ylabel("j", fontsize=14, rotation=0, labelpad=10, va="center")
            ax.set_title(rf"$\sigma'(z^{{{l}}})$ — layer {l}", fontsize=15, loc="left", pad=4)
            if l == net.L:
                shown = [0] + list(range(19, m - 5, 20))
                ax.set_xticks(self._centres[shown], [str(c + 1) for c in shown])
                ax.set_xlabel(f"example  (1 = the current example; {m} in all)", fontsize=13)
            else:
                ax.set_xticks([])
            for side in ("top", "right"):
                ax.spines[side].set_visible(False)
            # The current example is always column 1: a static outline.
            ax.add_patch(Rectangle((0.0, -0.5), _CURRENT_W, n, fill=False, edgecolor=_CURRENT,
                                   linewidth=2.5, clip_on=False, zorder=5))
            sel_box = Rectangle((0.0, -0.5), x_max, 1.0, fill=False, edgecolor=_SELECTED,
                                linewidth=2.5, clip_on=False, zorder=6, visible=False)
            ax.add_patch(sel_box)
            # Fraction of saturated examples per neuron: a bar (cheap) and its number.
            fax = fig.add_axes(
                ((_LEFT + _HEAT_W + _GAP) / W, bottom / H, _FRAC_W / W, block_h[l] / H)
            )
            fax.set_xlim(0.0, 1.75)  # bars reach 1.0 (all examples); numbers to their right
            fax.set_ylim(n - 0.5, -0.5)
            fax.set_xticks([0.0, 1.0], ["0", "100%"] if l == net.L else ["", ""])
            fax.tick_params(labelsize=10, length=2)
            fax.set_yticks([])
            for side in ("top", "right"):
                fax.spines[side].set_visible(False)
            fax.set_title("saturated", fontsize=12, pad=4)
            fax.axvline(1.0, color="0.75", linewidth=1)
            bars = PolyCollection([], facecolors="#d62728", linewidths=0)
            fax.add_collection(bars)
            texts = [
                fax.text(0.05, j, "", ha="left", va="center", fontsize=12 if n <= 12 else 8)
                for j in range(n)
            ]
            cax = fig.add_axes(
                ((_LEFT + _HEAT_W + _GAP + _FRAC_W + _CBAR_GAP) / W, bottom / H,
                 _CBAR_W / W, block_h[l] / H)
            )
            cbar = fig.colorbar(mesh, cax=cax)
            cbar.set_ticks([0.0, vmax / 2, vmax], labels=[_fmt(0.0), _fmt(vmax / 2), _fmt(vmax)])
            cbar.ax.tick_params(labelsize=11)
            line = cax.axhline(DEFAULT_SAT_FRACTION * vmax, color="white", linewidth=3)
            self.axes[l], self.heatmaps[l], self.marks[l] = ax, mesh, marks
            self.fraction_bars[l], self.fraction_texts[l] = bars, texts
            self.selection_boxes[l], self.threshold_lines[l] = sel_box, line
            self._buffers[l] = buffer
            self.blitter.add(mesh, marks, sel_box, line, bars, *texts)
            y = bottom - _BLOCK_GAP
        fig.text(_LEFT / W, 1.0 - 0.08 / H, "✕ saturated: σ' below the white line on the colour bar",
                 ha="left", va="top", fontsize=12)
        fig.text(1.0 - 0.1 / W, 1.0 - 0.08 / H, "red: current example", color=_CURRENT,
                 ha="right", va="top", fontsize=12)
        self._drawn_key = None
        self._needs_full = True

    # ------------------------------------------------------------------ updates
    def _on_full_draw(self, event) -> None:
        self._needs_full = False

    def _on_threshold(self, change) -> None:
        self.refresh()

    def refresh(self) -> None:
        state = self.state
        net, batch = state.network, state.batch_trace
        if batch is None or batch.sizes != net.sizes:
            # No trace of this network yet (it diverged at once): nothing true to show.
            note = html.escape(state.diverged or "no trace of this network yet")
            self.verdict_html.value = f"<div style='color:#b00;font-size:15px'>{note}</div>"
            self.verdicts = []
            return
        maxima = self._maxima(net, batch)
        if self._shape_key(net, batch.n_examples, maxima) != self._built_for:
            self._build_figure()
        self._update_heatmaps(net, batch, maxima)
        self._update_verdicts()

    def _update_heatmaps(self, net, batch: Trace, maxima) -> None:
        sat, sel = self.sat_slider.value, self.state.selected_neuron
        key = (sat, sel, tuple(tuple(v) for v in maxima.values()))
        drawn = self._drawn_key
        # The state keeps the same Trace object when nothing it holds changed (a Δz, a click).
        if drawn is not None and drawn[0] == key and drawn[1] is batch:
            return
        for l in net.layers:
            layer = rules.layer_saturation(batch, l, sat)
            values = layer.sigma_prime
            buffer = self._buffers[l]
            buffer[:, 0] = values[:, 0]
            buffer[:, 2:] = values[:, 1:]
            self.heatmaps[l].set_array(buffer)
            mask = layer.saturated
            self.saturated[l] = mask
            rows, cols = np.nonzero(mask)
            self.marks[l].set_offsets(np.column_stack([self._centres[cols], rows]))
            fractions = layer.fraction
            self.fractions[l] = fractions
            j = np.arange(len(fractions), dtype=float)
            lo, hi, zero = j - 0.35, j + 0.35, np.zeros_like(fractions)
            corners = [(zero, lo), (fractions, lo), (fractions, hi), (zero, hi)]
            self.fraction_bars[l].set_verts(np.stack([np.column_stack(c) for c in corners], axis=1))
            for text, f in zip(self.fraction_texts[l], fractions):
                # Text is the costly artist to draw: only the neurons that do saturate get one.
                text.set_text(f"{100 * f:.0f}%" if f > 0 else "")
                text.set_x(f + 0.05)
            vmax = float(maxima[l].max())
            self.threshold_lines[l].set_ydata([sat * vmax, sat * vmax])
            box = self.selection_boxes[l]
            box.set_visible(sel[0] == l)
            box.set_y(sel[1] - 0.5)
        self._drawn_key = (key, batch)
        # After a rebuild, blit nothing until a full draw has saved the new background.
        self.blitter.update(full=self._needs_full, now=self.state.render_now)

    def _update_verdicts(self) -> None:
        state = self.state
        l, j = state.selected_neuron
        sel = state.selection
        self.verdicts = rules.slow_learning_verdicts(
            state.trace, l, j, self.sat_slider.value, self.a_slider.value
        )
        selected_k = sel["k"] if sel.get("kind") == "weight" else None
        self.verdict_html.value = verdict_table_html(self.verdicts, selected_k, state.diverged)


__all__ = ["SaturationPanel", "verdict_table_html"]
