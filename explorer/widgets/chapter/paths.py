"""Backpropagation in general: ∂C/∂w as a sum over every path from the weight to the cost.

A nudge of w^l_jk moves a^l_j, which moves every neuron of layer l + 1, and so on to C. Along
one path the rates multiply (eq. 51); ∂C/∂w^l_jk is the sum over all paths (eq. 53). The panel
lists every path of the selected weight with its rate factors in the book's names, draws the
running sum of the products converging on the trace's ∂C/∂w (which backprop got without
listing any path), highlights one path in a small drawing of the network, and shows how fast
the number of paths grows with depth and width, against the linear work of backprop.

A toggle uses weighted inputs z instead of activations a as the intermediate variables (the
chapter's closing trick): the same paths, the same products, with σ' moved from one factor to
the next; then the paths from z^l_j onward sum to δ^l_j, which is how the sum becomes BP2.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass

from .. import ui as widgets
import numpy as np

from ...core import count_paths, path_sum
from ...core.costs import QuadraticCost
from ...core.notation import neuron_name, weight_name
from ...core.paths import PathSum, path_sum_weighted_inputs
from ...core.finite_differences import partial_derivative
from ..choices import follow
from ..dashboard.diagram import NetworkDiagram
from ..drawing.plot import Plot
from ..markup import html_name, num_span, number as fmt
from ..panel import Panel, diverged_html
from ..state import ExplorerState

#: The panel lists at most this many paths (``path_sum``'s own limit is larger); beyond it,
#: only the count is shown.
PATH_LIMIT = 1000
#: The architectures of the growth table (the current network is added in front).
EXAMPLE_ARCHITECTURES = (
    (2, 3, 2),
    (4, 6, 6, 3),
    (784, 30, 10),
    (784, 100, 10),
    (784, 30, 30, 10),
    (784, 30, 30, 30, 10),
    (784, 30, 30, 30, 30, 10),
    (784, 100, 100, 100, 10),
)
VARIABLES = (("activations a", "a"), ("weighted inputs z", "z"))

PATH_COLOR = "#d95f02"
STEM_COLOR = "#9ecae1"
RUNNING_COLOR = "#08519c"
TARGET_COLOR = "#d62728"

_SUP = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_SUB = str.maketrans("0123456789,", "₀₁₂₃₄₅₆₇₈₉,")


# ============================================================================ names
def plain_name(symbol: str, l: int, *indices: int) -> str:
    """'a³₂' (plain text for a Select's options) for layer l and 0-based indices."""
    parts = [str(i + 1) for i in indices]
    sub = "".join(parts) if all(len(p) == 1 for p in parts) else ",".join(parts)
    return f"{symbol}{str(l).translate(_SUP)}{sub.translate(_SUB)}"


@dataclass(frozen=True)
class Factor:
    """One rate along a path: its book name, how it is made, and its parts' values."""

    name: str  # '∂a^3_2/∂a^2_1'
    formula: str  # "σ'(z^3_2) w^3_21"
    parts: tuple[float, ...]  # the values in the formula
    value: float
    operator: str = "×"  # how the parts combine: "×", or "−" for a^L_m − y_m


def path_factors(net, trace, layer: int, j: int, k: int, neurons, variables: str) -> list[Factor]:
    """The factors of one path, with the book's names, recomputed from the trace and weights.

    Activations (eq. 51): ∂a^l_j/∂w^l_jk = σ'(z^l_j) a^(l−1)_k, ∂a^r_q/∂a^(r−1)_p =
    σ'(z^r_q) w^r_qp, ∂C/∂a^L_m. Weighted inputs: ∂z^l_j/∂w^l_jk = a^(l−1)_k,
    ∂z^r_q/∂z^(r−1)_p = w^r_qp σ'(z^(r−1)_p), ∂C/∂z^L_m = δ^L_m.
    """
    sp = lambda l, i: float(trace.sigma_prime[l][i, 0])  # noqa: E731
    a = lambda l, i: float(trace.a[l][i, 0])  # noqa: E731
    L = net.L
    w_name = weight_name(layer, j, k)
    a_prev = neuron_name("a", layer - 1, k)
    out: list[Factor] = []
    if variables == "a":
        out.append(Factor(f"∂{neuron_name('a', layer, j)}/∂{w_name}",
                          f"σ'({neuron_name('z', layer, j)}) {a_prev}",
                          (sp(layer, j), a(layer - 1, k)), sp(layer, j) * a(layer - 1, k)))
    else:
        out.append(Factor(f"∂{neuron_name('z', layer, j)}/∂{w_name}", a_prev, (a(layer - 1, k),), a(layer - 1, k)))
    for r, (p, q) in enumerate(zip(neurons, neurons[1:]), start=layer + 1):
        w = float(net.weights[r][q, p])
        wn = weight_name(r, q, p)
        if variables == "a":
            out.append(Factor(f"∂{neuron_name('a', r, q)}/∂{neuron_name('a', r - 1, p)}",
                              f"σ'({neuron_name('z', r, q)}) {wn}", (sp(r, q), w), sp(r, q) * w))
        else:
            out.append(Factor(f"∂{neuron_name('z', r, q)}/∂{neuron_name('z', r - 1, p)}",
                              f"{wn} σ'({neuron_name('z', r - 1, p)})", (w, sp(r - 1, p)), w * sp(r - 1, p)))
    m = neurons[-1]
    if variables == "a":
        grad = float(trace.cost_gradient[m, 0])
        name = f"∂C/∂{neuron_name('a', L, m)}"
        if isinstance(net.cost, QuadraticCost):  # ∇_a C = a^L − y (eq. 30)
            formula = f"{neuron_name('a', L, m)} − y_{m + 1}"
            out.append(Factor(name, formula, (a(L, m), float(trace.y[m, 0])), grad, "−"))
        else:
            out.append(Factor(name, f"{net.cost.name.replace('_', '-')} cost's ∇_a C", (grad,), grad))
    else:
        d = float(trace.delta[L][m, 0])
        out.append(Factor(f"∂C/∂{neuron_name('z', L, m)}", f"{neuron_name('δ', L, m)} (BP1)", (d,), d))
    return out


# ============================================================================ growth
@dataclass(frozen=True)
class GrowthRow:
    """How many paths an architecture has, against the work backprop does."""

    sizes: tuple[int, ...]
    weights: int
    paths_one: int  # from one weight of layer 2 to C: n_3 × … × n_L
    paths_all: int  # summed over every weight: Σ_l n_l n_(l−1) × n_(l+1) × … × n_L
    backprop_work: int  # multiply-adds of one forward and one backward pass

    @property
    def ratio(self) -> float:
        return self.paths_all / self.backprop_work


def growth_row(sizes) -> GrowthRow:
    sizes = tuple(int(n) for n in sizes)
    L = len(sizes)
    per_layer = {l: sizes[l - 1] * sizes[l - 2] for l in range(2, L + 1)}
    weights = sum(per_layer.values())
    paths_all = sum(per_layer[l] * count_paths(sizes, l) for l in per_layer)
    # forward z^l = w^l a^(l−1): one multiply-add per weight; backward (w^(l+1))^T δ^(l+1) for
    # l = L−1 … 2 (BP2) and δ^l (a^(l−1))^T for every l (BP4): about two more per weight.
    bp2 = sum(per_layer[l] for l in range(3, L + 1))
    return GrowthRow(sizes, weights, count_paths(sizes, 2), paths_all, weights + bp2 + weights)


def growth_rows(architectures=EXAMPLE_ARCHITECTURES) -> list[GrowthRow]:
    return [growth_row(s) for s in architectures]


def _big(n: int) -> str:
    if n < 1_000_000:
        return f"{n:,}"
    exponent = int(math.floor(math.log10(n)))
    return fmt(n, 3)  # the one number format: 1.23×10⁹


def growth_table_html(rows: list[GrowthRow], current: tuple[int, ...] | None = None) -> str:
    head = ("<tr><th>network</th><th>weights</th><th>paths from one weight w<sup>2</sup><sub>jk</sub>"
            "<br><small>n<sub>3</sub> × … × n<sub>L</sub></small></th><th>paths, all weights together</th>"
            "<th>backprop's multiply-adds<br><small>one forward + one backward pass</small></th>"
            "<th>paths / backprop</th></tr>")
    body = []
    for r in rows:
        label = "[" + ", ".join(map(str, r.sizes)) + "]"
        if current is not None and r.sizes == tuple(current):
            label = f"<b>{label}</b> (this one)"
        ratio = f"{r.ratio:,.0f}" if r.ratio >= 10 else fmt(r.ratio, 2)
        body.append(
            f'<tr class="growth" data-sizes="{",".join(map(str, r.sizes))}" data-paths-one="{r.paths_one}" '
            f'data-paths-all="{r.paths_all}" data-weights="{r.weights}" data-work="{r.backprop_work}">'
            f"<td>{label}</td><td>{r.weights:,}</td><td>{_big(r.paths_one)}</td><td>{_big(r.paths_all)}</td>"
            f"<td>{r.backprop_work:,}</td><td>{ratio}</td></tr>"
        )
    return (
        '<div class="growth-table" style="font-size:13px;line-height:1.35"><b>How the number of paths grows.</b> A path '
        "picks one neuron in each later layer, so their number is the product of the widths: it "
        "multiplies with every layer added. Backprop visits each weight a few times, so its work "
        "grows only with the number of weights."
        '<table style="border-collapse:collapse;margin-top:4px" cellpadding="3">'
        f"{head}{''.join(body)}</table></div>"
    )


# ============================================================================ the panel
class PathsPanel(Panel):
    """Every path from the selected weight to C, their products, and their sum (eq. 53).

    Widgets: ``layer_dropdown``, ``j_dropdown``, ``k_dropdown`` (the weight w^l_jk; they follow
    ``state.selection`` when it is a weight, and select the weight in the state when changed),
    ``variables`` ("a" or "z"), ``path_select`` (one option per path; choosing one highlights
    it), ``summary`` (HTML: the sum against the trace and finite differences), ``detail``
    (HTML: the chosen path's factors), ``growth`` (HTML table). ``diagram`` is the network
    (the explorer's ``NetworkDiagram``: clicking a weight there lists its paths), with the
    weight and the chosen path marked (``diagram.marks``). ``plot`` draws the sum (axes
    ``sum``): ``stems`` (each path's product), ``running`` (the cumulative sum), ``target``
    (the trace's ∂C/∂w), ``marker`` (the chosen path), ``note``; read them with ``plot.values``.
    ``result`` is the current ``PathSum`` (None when refused), ``refused`` the reason,
    ``path_index`` the chosen path (0-based, None when there is none).
    """

    def __init__(self, state: ExplorerState, architectures=EXAMPLE_ARCHITECTURES, limit: int = PATH_LIMIT):
        self.limit = limit
        self.architectures = tuple(tuple(a) for a in architectures)
        self.result: PathSum | None = None
        self.refused = ""
        self._weight = (2, 0, 0)
        self._key = None
        self._sizes = None
        self.path_index: int | None = None

        self.layer_dropdown = widgets.Dropdown(description="w: l", layout=widgets.Layout(width="120px"))
        self.j_dropdown = widgets.Dropdown(description="j", layout=widgets.Layout(width="100px"))
        self.k_dropdown = widgets.Dropdown(description="k", layout=widgets.Layout(width="100px"))
        for dd in (self.layer_dropdown, self.j_dropdown, self.k_dropdown):
            dd.style.description_width = "30px"
        self.variables = widgets.ToggleButtons(options=VARIABLES, value="a", description="in between:",
                                               style={"button_width": "150px", "description_width": "80px"})
        self.path_select = widgets.Select(options=[], rows=9, layout=widgets.Layout(width="100%"))
        self.path_select.add_class("paths-list")
        self.summary = widgets.HTML()
        self.message = widgets.HTML()
        self.detail = widgets.HTML()
        self.growth = widgets.HTML()
        self.controls = widgets.HBox([self.layer_dropdown, self.j_dropdown, self.k_dropdown, self.variables],
                                     layout=widgets.Layout(align_items="center", flex_flow="row wrap"))
        self.diagram = NetworkDiagram(state)
        self.plot = Plot(spec=_SUM_SPEC)
        legend = "".join(
            f'<span style="margin-right:12px"><span style="color:{c};font-weight:bold">{mark}</span> {text}</span>'
            for c, mark, text in ((STEM_COLOR, "▮", "one path's product"), (RUNNING_COLOR, "—", "running sum"),
                                  (TARGET_COLOR, "- -", "∂C/∂w from backprop (the trace)"),
                                  (PATH_COLOR, "●", "the chosen path"))
        )
        self.figure_box = widgets.HBox([
            widgets.Box([self.diagram], layout=widgets.Layout(width="530px", flex="0 0 auto")),
            widgets.VBox([self.plot, widgets.HTML(f'<div style="font-size:12px;margin-left:40px">{legend}</div>',
                                                  layout=widgets.Layout(width="400px"))],
                         layout=widgets.Layout(width="410px", flex="0 0 auto")),
        ], layout=widgets.Layout(align_items="flex-start", flex_flow="row wrap"))
        self.list_box = widgets.VBox([
            widgets.HTML("<style>.paths-list select {font-family: monospace; font-size: 12.5px}</style>"
                         "<b>Every path</b> (click one to highlight it): its neurons, its factors, their product"),
            self.path_select,
        ])
        self.widget = widgets.VBox([
            self.controls,
            self.message,
            self.summary,
            self.figure_box,
            self.list_box,
            self.detail,
            self.growth,
        ], layout=widgets.Layout(max_width="980px"))
        self.widget.add_class("paths-panel")

        self.layer_dropdown.observe(self._on_layer, names="value")
        self.j_dropdown.observe(self._on_j, names="value")
        self.k_dropdown.observe(self._on_k, names="value")
        self.variables.observe(self._on_variables, names="value")
        self.path_select.observe(self._on_path, names="value")
        super().__init__(state)
        self.refresh()

    # ------------------------------------------------------------ controls → state
    # Each handler compares its control's value with the weight listed: equal means the panel
    # itself is showing the state's choice, and nothing is to be done.
    def _on_layer(self, change) -> None:
        l, j, k = self._weight
        new = change["new"]
        if new is None or new == l:
            return
        net = self.state.network
        self.state.select_weight(new, min(j, net.sizes[new - 1] - 1), min(k, net.sizes[new - 2] - 1))

    def _on_j(self, change) -> None:
        l, j, k = self._weight
        if change["new"] is not None and change["new"] != j:
            self.state.select_weight(l, change["new"], k)

    def _on_k(self, change) -> None:
        l, j, k = self._weight
        if change["new"] is not None and change["new"] != k:
            self.state.select_weight(l, j, change["new"])

    def _on_variables(self, change) -> None:
        self.refresh()

    def _on_path(self, change) -> None:
        if self.result is not None and change["new"] is not None and change["new"] != self.path_index:
            self._show_path(change["new"])

    @property
    def weight(self) -> tuple[int, int, int]:
        """(l, j, k) of the weight whose paths are listed (0-based j, k)."""
        return self._weight

    # ------------------------------------------------------------ state → panel
    def _sync_weight(self) -> None:
        net, sel = self.state.network, self.state.selection
        if sel.get("kind") == "weight":
            self._weight = (sel["layer"], sel["j"], sel["k"])
        l, j, k = self._weight
        if not (2 <= l <= net.L and j < net.sizes[l - 1] and k < net.sizes[l - 2]):
            self._weight = (2, 0, 0)
        l, j, k = self._weight
        self.layer_dropdown = follow(self.controls, self.layer_dropdown, [(f"{m}", m) for m in net.layers], l,
                                     self._on_layer)
        self.j_dropdown = follow(self.controls, self.j_dropdown, [(f"{i + 1}", i) for i in range(net.sizes[l - 1])],
                                 j, self._on_j)
        self.k_dropdown = follow(self.controls, self.k_dropdown, [(f"{i + 1}", i) for i in range(net.sizes[l - 2])],
                                 k, self._on_k)

    def refresh(self) -> None:
        state, net = self.state, self.state.network
        self._sync_weight()
        if tuple(net.sizes) != self._sizes:
            self._sizes = tuple(net.sizes)
            archs = self.architectures if self._sizes in self.architectures else (self._sizes, *self.architectures)
            self.growth.value = growth_table_html(growth_rows(archs), current=self._sizes)
        self.message.value = (f'<div class="diverged" style="color:#b00020">⚠ {html.escape(state.diverged)}: '
                              "showing the last numbers computed</div>" if state.diverged else "")
        if state.trace is None:
            return
        # A new trace (parameters or example changed) comes with a new trace_revision.
        key = (self._weight, self.variables.value, state.trace_revision)
        if key == self._key:
            return
        self._key = key
        self._compute()

    def _compute(self) -> None:
        state, net, trace = self.state, self.state.network, self.state.trace
        l, j, k = self._weight
        n = count_paths(net.sizes, l)
        backprop = float(trace.nabla_w[l][j, k])
        name = html_name(weight_name(l, j, k))
        if n > self.limit:
            self.result = None
            widths = " × ".join(str(s) for s in net.sizes[l:])
            self.refused = (f"{weight_name(l, j, k)} has {n:,} paths to C ({widths}), more than this panel "
                            f"lists ({self.limit:,})")
            self.summary.value = (
                f'<div class="refused" style="font-size:14px;color:#8a4b00">⚠ {name} has <b>{n:,}</b> paths to C '
                f"({widths}), more than this panel lists ({self.limit:,}): only the count is shown. Backprop "
                f"found ∂C/∂{name} = {num_span('trace', backprop, 6)} without listing any of them (BP4: "
                f"a<sup>{l - 1}</sup><sub>{k + 1}</sub> δ<sup>{l}</sup><sub>{j + 1}</sub>). "
                "Choose a weight of a later layer, or a smaller network.</div>"
            )
            self.path_index = None
            self.path_select.options = []
            self.list_box.layout.display = "none"
            self.detail.value = ""
            self.diagram.set_marks(self._weight_marks(), caption=f"red: {plain_name('w', l, j, k)} ({n:,} paths to C)")
            self._update_figure(None)
            return
        self.refused = ""
        maker = path_sum if self.variables.value == "a" else path_sum_weighted_inputs
        try:
            with np.errstate(all="ignore"):
                self.result = maker(net, state.x, state.y, l, j, k, limit=self.limit)
        except (ValueError, FloatingPointError) as error:
            self.result = None
            self._key = None
            self.summary.value = diverged_html(str(error))
            return
        self.finite_difference = partial_derivative(trace, "w", l, j, k)  # eq. 46, on the trace's copies
        self.running_sum = np.cumsum([p.product for p in self.result.paths])
        self._update_figure(self.result)
        self.list_box.layout.display = None
        self.path_index = None
        self.path_select.rows = min(max(self.result.n_paths, 2), 12)
        # New options reset the list to its first path; its handler then shows that path.
        self.path_select.options = [(self._option(i, p), i) for i, p in enumerate(self.result.paths)]
        if self.path_select.value != 0:
            self.path_select.value = 0
        total = self.result.total
        v = self.variables.value
        self.summary.value = (
            '<div class="path-summary" style="font-size:14px;line-height:1.5">'
            f"{name} reaches C along <b>{self.result.n_paths:,}</b> path{'s' if self.result.n_paths != 1 else ''}"
            f"{self._widths(l)}, through the {'activations a' if v == 'a' else 'weighted inputs z'}. "
            f"Sum of their products (eq. 53): {num_span('sum', total, 10)}; backprop's ∂C/∂{name} from the trace: "
            f"{num_span('trace', backprop, 10)}; central finite difference (eq. 46): {num_span('fd', self.finite_difference, 7)}. "
            f"Sum − backprop = {num_span('difference', total - backprop, 3)}.</div>"
        )
        if self.path_index != 0:
            self._show_path(0)

    def _widths(self, l: int) -> str:
        sizes = self.state.network.sizes[l:]
        return f" ({' × '.join(map(str, sizes))})" if len(sizes) > 1 else ""

    def _option(self, i: int, path) -> str:
        l, j, k = self._weight
        v = self.variables.value
        chain = " → ".join(plain_name(v, l + s, n) for s, n in enumerate(path.neurons))
        factors = "·".join(f"({fmt(f, 3)})" for f in path.factors)
        return f"{i + 1:>4}  {plain_name('w', l, j, k)} → {chain} → C :  {factors} = {fmt(path.product, 4)}"

    # ------------------------------------------------------------ the chosen path
    def _show_path(self, index: int) -> None:
        net, trace = self.state.network, self.state.trace
        l, j, k = self._weight
        path = self.result.paths[index]
        v = self.variables.value
        factors = path_factors(net, trace, l, j, k, path.neurons, v)
        rows = []
        for f in factors:
            parts = f" {f.operator} ".join(fmt(p, 4) if p >= 0 else f"({fmt(p, 4)})" for p in f.parts)
            rows.append(
                f'<tr><td style="padding:1px 10px 1px 0">{self._html(f.name)}</td><td style="padding:1px 10px">= '
                f'{self._html(f.formula)}</td><td style="padding:1px 10px">= {parts}</td>'
                f'<td style="text-align:right">= {num_span("factor", f.value, 5)}</td></tr>'
            )
        chain = " → ".join(html_name(neuron_name(v, l + s, n)) for s, n in enumerate(path.neurons))
        extra = ""
        if v == "z":
            tail = math.fsum(math.prod(p.factors[1:]) for p in self.result.paths)
            extra = (f"<div>Leave out the first factor and add up the paths from "
                     f"{html_name(neuron_name('z', l, j))} on: {num_span('tail', tail, 8)}, which is "
                     f"{html_name(neuron_name('δ', l, j))} = {num_span('delta', float(trace.delta[l][j, 0]), 8)}. "
                     f"So ∂C/∂{html_name(weight_name(l, j, k))} = {html_name(neuron_name('a', l - 1, k))} "
                     f"{html_name(neuron_name('δ', l, j))} (BP4): grouping the paths by where they pass is "
                     "what BP2 does, one layer at a time.</div>")
        self.detail.value = (
            f'<div class="path-detail" style="font-size:14px;line-height:1.45">'
            f"<b>Path {index + 1} of {self.result.n_paths}</b>: {html_name(weight_name(l, j, k))} → {chain} → C"
            f'<table style="margin:3px 0">{"".join(rows)}'
            f'<tr><td colspan="3" style="text-align:right;padding-right:10px"><b>product</b> (eq. 51)</td>'
            f'<td style="text-align:right">= {num_span("product", path.product, 5)}</td></tr></table>'
            f"<small>Eq. 53 writes the same product from C backwards.</small>{extra}</div>"
        )
        self.path_index = index
        self._highlight(index)

    @staticmethod
    def _html(text: str) -> str:
        """Book names in a string ('∂a^3_2/∂a^2_1', "σ'(z^3_2) w^3_21") as HTML."""
        text = html.escape(text.replace("'", "′"))
        text = re.sub(r"([a-zδ])\^(\d+)_([\d,]+)", lambda m: f"{m[1]}<sup>{m[2]}</sup><sub>{m[3]}</sub>", text)
        return re.sub(r"([a-zδ])_([\d,a-z]+)", lambda m: f"{m[1]}<sub>{m[2]}</sub>", text)

    # ------------------------------------------------------------ the figures
    def _weight_marks(self) -> list[dict]:
        l, j, k = self._weight
        return [{"kind": "weight", "layer": l, "j": j, "k": k}]

    def _update_figure(self, result: PathSum | None) -> None:
        """The sum's numbers: every product, the running sum, the trace's ∂C/∂w, one message."""
        net, trace = self.state.network, self.state.trace
        l, j, k = self._weight
        target = float(trace.nabla_w[l][j, k])
        self._figure = {"target": {"y": [target]}, "zero": {"y": [0.0]}}
        if result is None:
            self._figure.update({
                "stems": {"x": [], "y": []}, "running": {"x": [], "y": []}, "marker": {"x": [], "y": []},
                "note": {"items": [{"px": 160, "py": 100, "anchor": "middle", "color": "#8a4b00",
                                    "text": f"{count_paths(net.sizes, l):,} paths: too many to list"}]},
                "@sum": {"xlim": [0.0, 1.0]},
            })
            lo, hi = sorted((0.0, target))
        else:
            n = result.n_paths
            idx = np.arange(1, n + 1, dtype=float)
            products = np.array([p.product for p in result.paths])
            self._figure.update({
                "stems": {"x": idx, "y": products, "barWidth": 0.5 if n > 1 else 0.3},
                "running": {"x": idx, "y": self.running_sum},
                "note": {"items": []},
                "@sum": {"xlim": [0.3, n + 0.7]},
            })
            values = np.concatenate([products, self.running_sum, [0.0, target]])
            lo, hi = float(values.min()), float(values.max())
        pad = 0.08 * (hi - lo) or max(abs(hi), 1e-12) * 0.1
        self._figure["@sum"]["ylim"] = [lo - pad, hi + pad]
        if result is None:
            self.plot.show(**self._figure)

    def _highlight(self, index: int) -> None:
        """Mark the weight and the path's neurons and weights in the diagram; the path's point."""
        l, j, k = self._weight
        path = self.result.paths[index]
        v = self.variables.value
        marks = self._weight_marks()
        for s, q in enumerate(path.neurons):
            marks.append({"kind": "neuron", "layer": l + s, "j": q, "label": neuron_name(v, l + s, q)})
            if s:
                p = path.neurons[s - 1]
                marks.append({"kind": "weight", "layer": l + s, "j": q, "k": p})
        self.diagram.set_marks(marks, caption=f"red: {plain_name('w', l, j, k)} and path {index + 1} of "
                                              f"{self.result.n_paths} to C")
        self.plot.show(**self._figure, marker={"x": [index + 1], "y": [self.running_sum[index]]})

    def close(self) -> None:
        self.diagram.close()
        self.plot.close()
        super().close()


#: The running sum's figure: one axes, its marks; the numbers come with every event.
_SUM_SPEC = {
    "name": "sum-over-paths", "width": 400, "height": 300,
    "description": "each path's product, their running sum, and backprop's ∂C/∂w",
    "axes": [{
        "id": "sum", "left": 70, "top": 30, "width": 315, "height": 220, "grid": True,
        "title": "sum over paths (eq. 53)", "xlabel": "path number", "ylabel": "sum over paths", "ylabelOffset": 58,
        "marks": [
            {"id": "zero", "type": "rule", "color": "#cccccc", "width": 1},
            {"id": "stems", "type": "bars", "color": STEM_COLOR},
            {"id": "target", "type": "rule", "color": TARGET_COLOR, "width": 1.5, "dash": "6 4"},
            {"id": "running", "type": "line", "color": RUNNING_COLOR, "width": 2},
            {"id": "marker", "type": "points", "color": PATH_COLOR, "r": 6, "stroke": "#ffffff"},
            {"id": "note", "type": "text"},
        ],
    }],
}


__all__ = [
    "EXAMPLE_ARCHITECTURES",
    "Factor",
    "GrowthRow",
    "PATH_LIMIT",
    "PathsPanel",
    "growth_row",
    "growth_rows",
    "growth_table_html",
    "path_factors",
    "plain_name",
]
