"""The forward pass of one neuron, and of its whole layer: eq. (23) and eq. (25) with numbers.

For the selected neuron j of layer l the panel writes the weighted sum of eq. (23) term by term,
z^l_j = Σ_k w^l_jk a^(l−1)_k + b^l_j, with every weight's book name on hover, and then the same
numbers as the matrix form of eq. (25), z^l = w^l a^(l−1) + b^l: row j of w^l, times the column
a^(l−1), plus b^l_j, is that sum. Seeing the row light up shows why the book writes w^l_jk with
j the receiving neuron: the matrix multiplies the activations without a transpose.
"""

from __future__ import annotations

import html
import math

from .. import ui as widgets
import numpy as np

from ...core.notation import neuron_name, number as _g, plain_name, weight_name
from ..choices import follow
from ..markup import html_name
from ..panel import Panel, diverged_html
from ..state import ExplorerState

#: At most this many terms of the sum (and rows or columns of a matrix) are written out.
MAX_TERMS = 6

_CHOSEN = "background:#fff3b0"
_ROW = "background:#e8f0fe"




def _cell(q: str, value: float, title: str, style: str = "", digits: int = 4) -> str:
    """A table cell holding one number, with its book name as the hover text."""
    exact = repr(float(value)) if math.isfinite(value) else ""
    return (
        f'<td class="{q}" title="{html.escape(title)}" data-value="{exact}" '
        f'style="padding:1px 6px;text-align:right;{style}">{_g(value, digits)}</td>'
    )


def shown_indices(n: int, chosen: int | None = None, limit: int = MAX_TERMS) -> list[int | None]:
    """Which of n indices to write out: all if n ≤ limit, else the first ones, ``None`` for "…",
    and the chosen index if it would otherwise be hidden."""
    if n <= limit:
        return list(range(n))
    head = list(range(limit - 1))
    if chosen is not None and chosen >= limit - 1:
        return head + [None, chosen] + ([None] if chosen < n - 1 else [])
    return head + [None, n - 1]


def hidden_run(shown: list[int | None], pos: int, n: int) -> list[int]:
    """The indices a "…" at position ``pos`` of ``shown`` stands for: those between its neighbours."""
    before = shown[pos - 1] if pos > 0 else -1
    after = shown[pos + 1] if pos + 1 < len(shown) else n
    return list(range(before + 1, after))


class ForwardPanel(Panel):
    """Eq. (23) for the selected neuron, term by term, and eq. (25) for its layer.

    For other code and tests: ``layer_dropdown``, ``neuron_dropdown`` (choose the neuron),
    ``html`` (the text; every number is a span or cell with ``data-value`` and its book name
    as ``title``), ``terms`` [(k, w^l_jk, a^(l−1)_k)] of the last neuron shown, ``z_sum`` (the
    sum of the terms and b^l_j, added up here in the order written), and ``summary()``.
    """

    def __init__(self, state: ExplorerState):
        self._key = None
        self.terms: list[tuple[int, float, float]] = []
        self.z_sum = math.nan
        self.layer_dropdown = widgets.Dropdown(description="layer", layout=widgets.Layout(width="150px"))
        self.neuron_dropdown = widgets.Dropdown(description="neuron", layout=widgets.Layout(width="150px"))
        for dd in (self.layer_dropdown, self.neuron_dropdown):
            dd.style.description_width = "50px"
        self.html = widgets.HTML(layout=widgets.Layout(width="100%"))
        self.controls = widgets.HBox([self.layer_dropdown, self.neuron_dropdown])
        self.widget = widgets.VBox(
            [self.controls, self.html],
            layout=widgets.Layout(min_width="460px", max_width="820px"),
        )
        self.widget.add_class("forward-panel")
        self.layer_dropdown.observe(self._on_layer, names="value")
        self.neuron_dropdown.observe(self._on_neuron, names="value")
        super().__init__(state)
        self.refresh()

    # ------------------------------------------------------------ controls → state
    def _on_layer(self, change) -> None:
        l, j = self.state.selected_neuron
        if change["new"] is not None and change["new"] != l:
            new = change["new"]
            self.state.select_neuron(new, min(j, self.state.network.sizes[new - 1] - 1))

    def _on_neuron(self, change) -> None:
        l, j = self.state.selected_neuron
        if change["new"] is not None and change["new"] != j:
            self.state.select_neuron(l, change["new"])

    def _sync_controls(self) -> None:
        net = self.state.network
        l, j = self.state.selected_neuron
        self.layer_dropdown = follow(self.controls, self.layer_dropdown,
                                     [(f"l = {m}", m) for m in net.layers], l, self._on_layer)
        self.neuron_dropdown = follow(self.controls, self.neuron_dropdown,
                                      [(f"j = {i + 1}", i) for i in range(net.sizes[l - 1])], j, self._on_neuron)

    # ------------------------------------------------------------ state → text
    def refresh(self) -> None:
        state = self.state
        self._sync_controls()
        if state.diverged or state.trace is None:
            self.html.value = (
                diverged_html(state.diverged or "no trace yet")
            )
            self._key = None
            return
        sel = state.selection
        l, j = state.selected_neuron
        k = sel.get("k") if sel["kind"] == "weight" else None
        # Every number shown is the trace's (its weights, biases, a and z); a new trace comes
        # with a new trace_revision, and a Δz or Δw changes none of them.
        key = (l, j, k, state.trace_revision)
        if key == self._key:
            return
        self._key = key
        with np.errstate(all="ignore"):
            self.html.value = self._build(l, j, k)

    def _build(self, l: int, j: int, k_chosen: int | None) -> str:
        t = self.state.trace
        w, b = t.weights[l], t.biases[l]
        a_prev = t.a[l - 1][:, 0]
        n_in = t.sizes[l - 2]
        act_name = t.activation(l, j).name
        self.terms = [(k, float(w[j, k]), float(a_prev[k])) for k in range(n_in)]
        self.z_sum = math.fsum(wk * ak for _, wk, ak in self.terms) + float(b[j, 0])
        z, a = float(t.z[l][j, 0]), float(t.a[l][j, 0])
        zn, an, bn = neuron_name("z", l, j), neuron_name("a", l, j), neuron_name("b", l, j)
        return (
            '<div class="forward" style="font-size:15px;line-height:1.45">'
            + self._sum_html(l, j, k_chosen, z, a, act_name, zn, an, bn)
            + self._matrix_html(l, j, k_chosen)
            + "</div>"
        )

    def _sum_html(self, l, j, k_chosen, z, a, act_name, zn, an, bn) -> str:
        t = self.state.trace
        b = float(t.biases[l][j, 0])
        names, numbers, products = [], [], []
        shown = shown_indices(len(self.terms), k_chosen)
        for pos, k in enumerate(shown):
            plus = '<td style="padding:0 2px">+</td>'
            if names:
                names.append(plus)
                numbers.append(plus)
                products.append(plus)
            if k is None:
                hidden = hidden_run(shown, pos, len(self.terms))
                rest = math.fsum(self.terms[i][1] * self.terms[i][2] for i in hidden)
                what = f"{len(hidden)} terms not written out (k = {hidden[0] + 1}..{hidden[-1] + 1})"
                names.append(f'<td title="{what}">…</td>')
                numbers.append(f'<td title="{what}">…</td>')
                products.append(_cell("rest", rest, f"the {what}, added up"))
                continue
            _, wk, ak = self.terms[k]
            wn, akn = weight_name(l, j, k), neuron_name("a", l - 1, k)
            what = (f"{wn} = {_g(wk, 6)}: the weight from neuron {k + 1} of layer {l - 1} to neuron "
                    f"{j + 1} of layer {l}")
            style = _CHOSEN if k == k_chosen else ""
            names.append(f'<td class="name" title="{html.escape(what)}" style="padding:1px 6px;{style}">'
                         f"{html_name(wn)}·{html_name(akn)}</td>")
            numbers.append(
                f'<td style="padding:1px 6px;text-align:right;{style}">'
                f'<span class="w" data-k="{k}" title="{html.escape(what)}">{_g(wk)}</span>·'
                f'<span class="a" data-k="{k}" title="{html.escape(f"{akn} = {_g(ak, 6)}, activation of neuron {k + 1} of layer {l - 1}")}">{_g(ak)}</span></td>'
            )
            products.append(_cell("term", wk * ak, f"{wn}·{akn}", style))
        bias_title = f"{bn} = {_g(b, 6)}: the bias of neuron {j + 1} of layer {l}"
        tail_names = f'<td style="padding:0 2px">+</td><td title="{html.escape(bias_title)}" style="padding:1px 6px">{html_name(bn)}</td>'
        row = lambda label, cells, extra: (
            f'<tr><td style="padding:1px 6px">{label}</td>{"".join(cells)}{extra}</tr>'
        )
        table = (
            '<table class="sum" style="border-collapse:collapse">'
            + row(f"{html_name(zn)} =", names, tail_names)
            + row("=", numbers, '<td style="padding:0 2px">+</td>' + _cell("bias", b, bias_title))
            + row("=", products, '<td style="padding:0 2px">+</td>' + _cell("bias", b, bias_title)
                  + '<td style="padding:0 4px">=</td>' + _cell("z", z, f"{zn}, the weighted input", "font-weight:bold", 6))
            + "</table>"
        )
        return (
            f'<div class="eq23"><b>eq. (23)</b> <span style="color:#555">neuron {j + 1} of layer {l}: '
            f"the weighted input {html_name(zn)} adds up every incoming activation times its weight, plus the bias "
            f"(hover over a term for its name)</span></div>{table}"
            f'<div class="activation">{html_name(an)} = σ({html_name(zn)}) = {act_name}({_g(z, 6)}) = '
            f'<span class="num" data-q="a" data-value="{a!r}">{_g(a, 6)}</span></div>'
        )

    def _matrix_html(self, l: int, j: int, k_chosen: int | None) -> str:
        t = self.state.trace
        w, b = t.weights[l], t.biases[l]
        a_prev, z, a = t.a[l - 1][:, 0], t.z[l][:, 0], t.a[l][:, 0]
        n_out, n_in = w.shape
        rows = shown_indices(n_out, j)
        cols = shown_indices(n_in, k_chosen)

        def column(q: str, values, symbol: str, layer: int, indices, highlight: int | None) -> str:
            cells = []
            for i in indices:
                if i is None:
                    cells.append('<tr><td style="text-align:center">⋮</td></tr>')
                    continue
                label = neuron_name(symbol, layer, i)
                style = _ROW if i == highlight else ""
                cells.append(f"<tr>{_cell(q, values[i], f'{label} = {_g(values[i], 6)}', style)}</tr>")
            return f'<table class="{q}-vector" style="border-left:2px solid #444;border-right:2px solid #444">{"".join(cells)}</table>'

        matrix_rows = []
        for r in rows:
            if r is None:
                matrix_rows.append("<tr>" + "".join('<td style="text-align:center">⋮</td>' for _ in cols) + "</tr>")
                continue
            cells = []
            for c in cols:
                if c is None:
                    cells.append("<td>⋯</td>")
                    continue
                style = _CHOSEN if (r == j and c == k_chosen) else (_ROW if r == j else "")
                name = weight_name(l, r, c)
                cells.append(_cell("W", w[r, c], f"{name} = {_g(w[r, c], 6)}: row {r + 1} (neuron {r + 1} of layer {l}), "
                                                 f"column {c + 1} (neuron {c + 1} of layer {l - 1})", style))
            matrix_rows.append("<tr>" + "".join(cells) + "</tr>")
        matrix = ('<table class="W-matrix" style="border-left:2px solid #444;border-right:2px solid #444">'
                  + "".join(matrix_rows) + "</table>")
        op = lambda s: f'<td style="padding:0 6px;font-size:18px">{s}</td>'
        lab = lambda s: f'<td style="text-align:center;color:#555;font-size:13px">{s}</td>'
        shape = f"{n_out}×{n_in}"
        return (
            f'<div class="eq25" style="margin-top:10px"><b>eq. (25)</b> <span style="color:#555">the whole layer '
            f"at once: z<sup>{l}</sup> = w<sup>{l}</sup> a<sup>{l - 1}</sup> + b<sup>{l}</sup>, "
            f"a<sup>{l}</sup> = σ(z<sup>{l}</sup>). Row {j + 1} of w<sup>{l}</sup> (shaded) times the column "
            f"a<sup>{l - 1}</sup>, plus b<sup>{l}</sup><sub>{j + 1}</sub>, is the sum above: entry (j, k) of the "
            f"matrix is w<sup>{l}</sup><sub>jk</sub>, so no transpose is needed.</span></div>"
            '<table class="matrix-form" style="border-collapse:collapse"><tr>'
            f"<td>{matrix}</td>{op('·')}<td>{column('aprev', a_prev, 'a', l - 1, cols, k_chosen)}</td>{op('+')}"
            f"<td>{column('b', b[:, 0], 'b', l, rows, j)}</td>{op('=')}<td>{column('zvec', z, 'z', l, rows, j)}</td>"
            f"{op('→σ→')}<td>{column('avec', a, 'a', l, rows, j)}</td></tr>"
            f"<tr>{lab(f'w<sup>{l}</sup> ({shape})')}<td></td>{lab(f'a<sup>{l - 1}</sup>')}<td></td>"
            f"{lab(f'b<sup>{l}</sup>')}<td></td>{lab(f'z<sup>{l}</sup>')}<td></td>{lab(f'a<sup>{l}</sup>')}</tr></table>"
        )

    # ------------------------------------------------------------ plain text
    def summary(self) -> str:
        """The shown sum as one line of text: z^l_j = w·a + … + b = value; a^l_j = σ(z) = value."""
        l, j = self.state.selected_neuron
        t = self.state.trace
        b = float(self.state.network.biases[l][j, 0])
        terms = " + ".join(f"{_g(wk)}·{_g(ak)}" for _, wk, ak in self.terms[:MAX_TERMS])
        if len(self.terms) > MAX_TERMS:
            terms += f" + … ({len(self.terms) - MAX_TERMS} more)"
        return (
            f"{plain_name(neuron_name('z', l, j))} = {terms} + {_g(b)} = {_g(t.z[l][j, 0], 6)}; "
            f"{plain_name(neuron_name('a', l, j))} = σ({plain_name(neuron_name('z', l, j))}) = {_g(t.a[l][j, 0], 6)}"
        )


__all__ = ["ForwardPanel", "hidden_run", "shown_indices"]
