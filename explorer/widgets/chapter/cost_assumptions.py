"""The chapter's two assumptions about the cost, shown on a small batch (eq. 26 and eq. 27).

1. C is the mean of per-example costs, C = 1/n Σ_x C_x (eq. 26). So ∂C/∂p is the mean of the
   per-example ∂C_x/∂p: backpropagation works one example at a time and averages. The panel
   draws one bar per example, for C_x and for ∂C_x/∂p of the selected parameter, with their
   means as lines, and checks the mean gradient against finite differences on C itself.
2. Each C_x depends on the weights and biases only through the output activations a^L (eq. 27,
   y being fixed for the example). The panel draws C_x as a landscape over (a^L_1, a^L_2) for
   the state's example: moving a weight moves the dot across the landscape, but the landscape
   itself only changes when the target y does.
"""

from __future__ import annotations

import math

from .. import ui as widgets
import numpy as np

from ...core.finite_differences import agrees, partial_derivative
from ...core.notation import neuron_name, weight_name
from ..drawing.axes import nice_ceil, y_limits
from ..drawing.plot import Plot
from ..markup import agreement_mark, html_name, num_span, number as _g, plain_name
from ..panel import Panel, diverged_html
from ..state import ExplorerState

#: Examples in the batch when none is given: the state's own example and this many more − 1.
DEFAULT_EXAMPLES = 4
#: Points per side of the C_x(a^L) landscape; the browser is sent every SHOWN_EVERY-th of them.
GRID = 81
SHOWN_EVERY = 2
#: C_x = 0 dark blue, large C_x light (the landscape's colour scale).
_LANDSCAPE_STOPS = ("#08306b", "#2171b5", "#6baed6", "#c6dbef", "#f7fbff")

_BAR = "#4c72b0"
_CURRENT = "#d62728"
_MEAN = "#222222"




def _span(q: str, value: float, digits: int = 6) -> str:
    return num_span(q, value, digits)


def parameter_of(selection: dict) -> tuple[str, int, int, int | None]:
    """("w", l, j, k) for a selected weight, ("b", l, j, None) for a selected neuron's bias."""
    if selection["kind"] == "weight":
        return "w", selection["layer"], selection["j"], selection["k"]
    return "b", selection["layer"], selection["j"], None


def per_example_gradient(trace, kind: str, l: int, j: int, k: int | None) -> np.ndarray:
    """∂C_x/∂p for each example of a batch trace: δ^l_j (BP3) or a^(l−1)_k δ^l_j (BP4)."""
    delta = np.asarray(trace.delta[l][j], dtype=float)
    if kind == "b":
        return delta
    return np.asarray(trace.a[l - 1][k], dtype=float) * delta


def landscape_range(activation, points) -> tuple[float, float]:
    """The a^L axis range: the output activation's range if bounded, else around the points."""
    lo, hi = activation.output_range
    pts = np.asarray(points, dtype=float)
    pts = pts[np.isfinite(pts)]
    if math.isfinite(lo) and math.isfinite(hi):
        return float(lo), float(hi)
    p_lo = float(min(0.0, pts.min(initial=0.0)))
    p_hi = float(max(1.0, pts.max(initial=1.0)))
    pad = 0.25 * (p_hi - p_lo)
    lo = lo if math.isfinite(lo) else math.floor((p_lo - pad) * 4) / 4
    hi = hi if math.isfinite(hi) else math.ceil((p_hi + pad) * 4) / 4
    return float(lo), float(hi)


class CostAssumptionsPanel(Panel):
    """C as the mean of C_x over a small batch, and C_x as a function of a^L alone.

    ``batch`` (X, Y) gives the examples after the state's own, which is always example 1;
    without it the first ``n_examples − 1`` examples of the state's batch are used. The
    parameter p is the selected weight w^l_jk, or the bias b^l_j of a selected neuron.

    For other code and tests: ``plot``, the browser-drawn figure (axes ``cost``, ``grad`` and
    ``land``; marks ``cost_bars``, ``grad_bars`` (one bar per example), ``cost_mean``,
    ``grad_mean`` (rules at the means), ``landscape`` (a heatmap of C_x over a^L, every
    ``SHOWN_EVERY``-th grid point, or ``curve`` with one output neuron), ``dot`` (a^L of example
    1) and ``target`` (y); read them with ``plot.values``); ``costs`` (C_x per example),
    ``gradients`` (∂C_x/∂p per example), ``batch_gradient`` (the core's ∂C/∂p of the whole
    batch), ``fd_gradient`` (finite differences on C); ``landscape_values`` (C_x over a^L, rows
    a^L_2, columns a^L_1; with one output neuron the curve's values), ``grid`` (the a^L values
    of its columns/rows), ``one_output`` (True when the landscape is a curve); ``readout``
    (HTML) and ``summary()``.
    """

    def __init__(self, state: ExplorerState, batch=None, n_examples: int = DEFAULT_EXAMPLES):
        net = state.network
        if batch is None:
            X, Y = state.batch
            n_extra = max(0, int(n_examples) - 1)
            self._extra = (X[:, :n_extra], Y[:, :n_extra])
        else:
            X, Y = net.prepare_examples(*batch)
            self._extra = (X, Y)
        self.m = 1 + self._extra[0].shape[1]
        self.readout = widgets.HTML()
        self.costs = np.zeros(self.m)
        self.gradients = np.zeros(self.m)
        self.batch_gradient = math.nan
        self.fd_gradient = math.nan
        self.landscape_values = None
        self.landscape_top = math.nan  # C_x at the landscape's lightest colour
        self.one_output = net.sizes[-1] == 1
        self._landscape_key = None
        self._spec_key = None
        self._key = None
        self.plot = Plot()
        self.widget = widgets.VBox([self.plot, self.readout])
        self.widget.add_class("cost-assumptions-panel")
        super().__init__(state)
        self.refresh()

    # ------------------------------------------------------------ the batch
    def batch_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(X, Y) of the whole batch: the state's example first, then the others."""
        X = np.concatenate([self.state.x, self._extra[0]], axis=1)
        Y = np.concatenate([self.state.y, self._extra[1]], axis=1)
        return X, Y

    # ------------------------------------------------------------ figure
    def _spec(self, grad_title: str, land_title: str) -> dict:
        m = self.m
        ticks = [[i, f"x_{i}"] for i in range(1, m + 1)]
        colours = [_CURRENT] + [_BAR] * (m - 1)

        def bars(id_, left, title, ylabel):
            return {"id": id_, "left": left, "top": 34, "width": 250, "height": 210, "title": title,
                    "xlabel": "example (x_1: the current one)", "ylabel": ylabel, "grid": True,
                    "xlim": [0.4, m + 0.6], "xticks": ticks,
                    "marks": [{"id": f"{id_}_zero", "type": "rule", "color": "#b3b3b3", "width": 1},
                              {"id": f"{id_}_bars", "type": "bars", "colors": colours, "barWidth": 0.6},
                              {"id": f"{id_}_mean", "type": "rule", "color": _MEAN, "width": 2, "dash": "6 4"},
                              {"id": f"{id_}_label", "type": "text", "color": _MEAN}]}

        if self.one_output:
            land = [{"id": "curve", "type": "line", "color": _BAR}]
            xlabel, ylabel = "a^L_1", "C_x"
        else:
            land = [{"id": "landscape", "type": "heatmap", "stops": list(_LANDSCAPE_STOPS),
                     "rowNames": [], "columnName": "a^L_1 column"}]
            xlabel, ylabel = "a^L_1", "a^L_2"
        land += [{"id": "target", "type": "points", "color": "#ffd21f", "r": 7, "stroke": "#000000"},
                 {"id": "dot", "type": "points", "color": _CURRENT, "r": 6, "stroke": "#ffffff"}]
        return {
            "name": "two-assumptions-about-the-cost", "width": 1090, "height": 300,
            "description": "C_x and ∂C_x/∂p per example with their means, and C_x over the output activations",
            "axes": [
                bars("cost", 60, "C_x per example (eq. 26)", "C_x"),
                bars("grad", 420, grad_title, "∂C_{x}/∂p"),
                {"id": "land", "left": 790, "top": 34, "width": 230, "height": 210, "title": land_title,
                 "xlabel": xlabel, "ylabel": ylabel, "ylabelOffset": 40, "marks": land},
            ],
        }

    # ------------------------------------------------------------ updates
    def refresh(self) -> None:
        state = self.state
        if state.diverged or state.trace is None:
            self.readout.value = diverged_html(state.diverged or "no trace yet")
            self._key = None
            return
        net = state.network
        if net.sizes[0] != self._extra[0].shape[0] or net.sizes[-1] != self._extra[1].shape[0]:
            # A scenario with other layer sizes: keep only the state's own example.
            self._extra = (np.zeros((net.sizes[0], 0)), np.zeros((net.sizes[-1], 0)))
            self.m = 1
            self._landscape_key = None
        self.one_output = net.sizes[-1] == 1
        # The state's trace_revision goes up with every change of the parameters, the example,
        # an activation or the cost (a Δz or a click leaves it); the other examples are fixed.
        key = (tuple(sorted(state.selection.items())), state.trace_revision, self.m)
        if key == self._key:
            return
        self._key = key
        X, Y = self.batch_arrays()
        with np.errstate(all="ignore"):
            try:
                trace = net.trace(X, Y)
            except ValueError as error:
                self.readout.value = diverged_html(str(error))
                return
            kind, l, j, k = parameter_of(state.selection)
            self.costs = np.asarray(trace.costs, dtype=float)
            self.gradients = per_example_gradient(trace, kind, l, j, k)
            self.cost = float(trace.cost)
            if kind == "w":
                self.batch_gradient = float(trace.nabla_w[l][j, k])
                self.fd_gradient = partial_derivative(trace, "w", l, j, k)  # eq. 46 on the batch
            else:
                self.batch_gradient = float(trace.nabla_b[l][j, 0])
                self.fd_gradient = partial_derivative(trace, "b", l, j)
            self.agrees = agrees(self.batch_gradient, self.fd_gradient, self.cost, net.dtype)
            marks = self._bars(kind, l, j, k)
            marks.update(self._landscape(trace))
            self.readout.value = self._readout_html(trace, kind, l, j, k)
        p = weight_name(l, j, k) if kind == "w" else neuron_name("b", l, j)
        n_out = net.sizes[-1]
        land_title = ("C_x depends on the weights only through a^L (eq. 27)" if n_out == 1 else
                      "C_x over a^L for x_1 (eq. 27)" + (", other outputs held" if n_out > 2 else ""))
        spec_key = (self.m, self.one_output, p, land_title)
        if spec_key != self._spec_key:  # the structure: rare (another parameter, another network)
            self._spec_key = spec_key
            self.plot.spec = self._spec(f"∂C_{{x}}/∂{p} per example", land_title)
        self.plot.show(**marks)

    def _bars(self, kind, l, j, k) -> dict:
        xs = np.arange(1, self.m + 1, dtype=float)
        marks = {}
        for id_, values, label in (("cost", self.costs, "mean = C"), ("grad", self.gradients, "mean = ∂C/∂p")):
            shown = np.where(np.isfinite(values), values, 0.0)
            mean = float(np.mean(shown))
            # "Nice" limits that stay put while the bars move a little.
            if (shown >= 0).all():
                limits = (0.0, nice_ceil(max(float(shown.max()) * 1.1, 1e-6)))
            else:
                limits = y_limits(shown, 1e-6)
            marks[f"{id_}_bars"] = {"x": xs, "y": shown}
            marks[f"{id_}_mean"] = {"y": [mean]}
            marks[f"{id_}_zero"] = {"y": [0.0]}
            marks[f"{id_}_label"] = {"items": [{"x": self.m + 0.55, "y": mean, "text": label, "anchor": "end"}]}
            marks[f"@{id_}"] = {"ylim": list(limits)}
        return marks

    def _landscape(self, trace) -> dict:
        net = self.state.network
        aL = np.asarray(trace.a[net.L][:, 0], dtype=float)
        y = np.asarray(trace.y[:, 0], dtype=float)
        act = net.activation(net.L)
        lo, hi = landscape_range(act, np.concatenate([aL[:2], y[:2]]))
        if lo <= -math.inf or hi >= math.inf:
            lo, hi = -1.0, 2.0
        grid = np.linspace(lo, hi, GRID)
        if net.cost.name == "cross_entropy":
            grid = np.linspace(lo + 0.005 * (hi - lo), hi - 0.005 * (hi - lo), GRID)
        self.grid = grid
        marks = {}
        if self.one_output:
            # C_x over a^L depends on y and the cost only: a dragged weight moves the dot, not
            # the curve (the few numbers it is drawn from are its key).
            key = ("curve", lo, hi, tuple(y.tolist()), trace.cost_function)
            if key != self._landscape_key:
                self._landscape_key = key
                values = net.cost.value(grid.reshape(1, -1), np.full((1, GRID), y[0]))
                self.landscape_values = np.asarray(values, dtype=float).reshape(-1)
                top = float(np.nanmax(self.landscape_values))
                marks["curve"] = {"x": grid, "y": self.landscape_values}
                marks["@land"] = {"xlim": [lo, hi], "ylim": [0.0, top * 1.05 if top > 0 else 1.0]}
            marks["dot"] = {"x": [aL[0]], "y": [float(trace.costs[0])]}
            marks["target"] = {"x": [y[0]], "y": [0.0]}
            return marks
        others = aL[2:]
        key = ("image", lo, hi, tuple(y.tolist()), tuple(others.tolist()), trace.cost_function)
        if key != self._landscape_key:
            self._landscape_key = key
            A1, A2 = np.meshgrid(grid, grid)  # rows: a^L_2, columns: a^L_1
            columns = np.vstack([A1.ravel(), A2.ravel(), np.repeat(others.reshape(-1, 1), A1.size, axis=1)])
            values = net.cost.value(columns, np.repeat(y.reshape(-1, 1), A1.size, axis=1)).reshape(GRID, GRID)
            self.landscape_values = np.asarray(values, dtype=float)
            finite = self.landscape_values[np.isfinite(self.landscape_values)]
            vmax = float(np.percentile(finite, 95)) if finite.size else 1.0
            # Every SHOWN_EVERY-th point; the heatmap's cells are centred on those points, so the
            # axes reach half a cell beyond the first and last.
            shown = self.landscape_values[::SHOWN_EVERY, ::SHOWN_EVERY]
            g = grid[::SHOWN_EVERY]
            half = (g[1] - g[0]) / 2
            rows = [f"a^L_2 = {_g(v, 3)}" for v in g[::-1]]
            marks["landscape"] = {"shape": list(shown.shape), "values": shown[::-1].ravel(),  # row 0 at the top
                                  "domain": [0.0, vmax], "rowNames": rows}
            marks["@land"] = {"xlim": [g[0] - half, g[-1] + half], "ylim": [g[0] - half, g[-1] + half]}
            self.landscape_top = vmax
        marks["dot"] = {"x": [aL[0]], "y": [aL[1]]}
        marks["target"] = {"x": [y[0]], "y": [y[1]]}
        return marks

    # ------------------------------------------------------------ text
    def _readout_html(self, trace, kind, l, j, k) -> str:
        net = self.state.network
        m = self.m
        p = weight_name(l, j, k) if kind == "w" else neuron_name("b", l, j)
        cost_terms = " + ".join(_g(c) for c in self.costs)
        grad_terms = " + ".join(f"({_g(g)})" if g < 0 else _g(g) for g in self.gradients)
        rule = (f"a<sup>{l - 1}</sup><sub>{k + 1}</sub>·δ<sup>{l}</sup><sub>{j + 1}</sub> (BP4)" if kind == "w"
                else f"δ<sup>{l}</sup><sub>{j + 1}</sub> (BP3)")
        ok = agreement_mark(self.agrees)
        L = net.L
        aL, y = trace.a[L][:, 0], trace.y[:, 0]
        if net.cost.name == "quadratic":
            parts = " + ".join(f"({_g(y[i])} − {_g(aL[i])})²" for i in range(min(len(y), 4)))
            if len(y) > 4:
                parts += " + …"
            formula = f"½ ‖y − a<sup>L</sup>‖² = ½ [{parts}]"
        else:
            formula = "−Σ<sub>j</sub> [y<sub>j</sub> ln a<sup>L</sup><sub>j</sub> + (1 − y<sub>j</sub>) ln(1 − a<sup>L</sup><sub>j</sub>)]"
        from_output = float(net.cost.value(trace.a[L][:, :1], trace.y[:, :1])[0])
        return (
            '<div class="cost-readout" style="font-size:15px;line-height:1.5">'
            f"<div><b>Assumption 1</b> (eq. 26): C = 1/n Σ<sub>x</sub> C<sub>x</sub> = ({cost_terms}) / {m} = "
            f"{_span('C', self.cost)}</div>"
            f"<div>so ∂C/∂{html_name(p)} = 1/n Σ<sub>x</sub> ∂C<sub>x</sub>/∂{html_name(p)}, each one {rule}: "
            f"({grad_terms}) / {m} = {_span('mean_gradient', float(np.mean(self.gradients)))}</div>"
            f"<div>backprop on the whole batch: {_span('batch_gradient', self.batch_gradient)}; "
            f"finite differences on C (eq. 46): {_span('fd_gradient', self.fd_gradient)} {ok}</div>"
            f"<div style='margin-top:4px'><b>Assumption 2</b> (eq. 27): for x1, C<sub>x</sub> = {formula} = "
            f"{_span('C_from_output', from_output)}, computed from a<sup>L</sup> and y alone; the network's "
            f"C<sub>x1</sub> = {_span('C_x1', float(self.costs[0]))}</div>"
            + ("" if self.one_output else
               "<div style='font-size:13px;color:#555'>The landscape: dark blue is C<sub>x</sub> = 0, white "
               f"C<sub>x</sub> ≥ {_span('landscape_top', self.landscape_top, 3)} (hover it to read C<sub>x</sub>).</div>")
            + "</div>"
        )

    def summary(self) -> str:
        """The key numbers as text: C and its per-example parts, ∂C/∂p as a mean, and the check."""
        kind, l, j, k = parameter_of(self.state.selection)
        p = plain_name(weight_name(l, j, k) if kind == "w" else neuron_name("b", l, j))
        return (
            f"C = mean of Cₓ = ({', '.join(_g(c, 6) for c in self.costs)}) / {self.m} = {_g(self.cost, 6)}\n"
            f"∂C/∂{p} = mean of ∂Cₓ/∂{p} = {_g(float(np.mean(self.gradients)), 9)}; "
            f"backprop on the batch {_g(self.batch_gradient, 9)}; finite differences {_g(self.fd_gradient, 9)}"
        )


__all__ = ["CostAssumptionsPanel", "landscape_range", "parameter_of", "per_example_gradient"]
