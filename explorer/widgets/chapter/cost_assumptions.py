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

import ipywidgets as widgets
import numpy as np

from ...core.notation import neuron_name, number as _g, weight_name
from ..dashboard.demon import html_name, nice_ceil, y_limits
from ...core.finite_differences import agrees, partial_derivative
from ..figures import Blitter, live_figure
from ..panel import Panel, diverged_html
from ..state import ExplorerState

#: Examples in the batch when none is given: the state's own example and this many more − 1.
DEFAULT_EXAMPLES = 4
#: Points per side of the C_x(a^L) landscape.
GRID = 81

_BAR = "#4c72b0"
_CURRENT = "#d62728"
_MEAN = "#222222"




def _span(q: str, value: float, digits: int = 6) -> str:
    exact = repr(float(value)) if math.isfinite(value) else ""
    return f'<span class="num" data-q="{q}" data-value="{exact}">{_g(value, digits)}</span>'


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

    For other code and tests: ``fig``; ``cost_bars`` and ``grad_bars`` (one Rectangle per
    example), ``cost_mean_line`` and ``grad_mean_line``; ``costs`` (C_x per example),
    ``gradients`` (∂C_x/∂p per example), ``batch_gradient`` (the core's ∂C/∂p of the whole
    batch), ``fd_gradient`` (finite differences on C); ``landscape`` (the AxesImage of C_x
    over a^L, or None with one output neuron), ``landscape_values`` (its array, rows a^L_2,
    columns a^L_1), ``grid`` (the a^L values of its columns/rows), ``dot`` (a^L of example 1),
    ``target_dot`` (y); ``readout`` (HTML) and ``summary()``.
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
        self.landscape = None
        self.landscape_values = None
        self._landscape_key = None
        self._contours = None
        self._key = None
        self._build_figure()
        self.widget = widgets.VBox([self.fig.canvas, self.readout])
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
    def _build_figure(self) -> None:
        fig = self.fig = live_figure(11.0, 3.4)
        gs = fig.add_gridspec(1, 3, width_ratios=[1.0, 1.0, 1.05])
        ax_c, ax_g, ax_l = (fig.add_subplot(gs[0, i]) for i in range(3))
        self.ax_cost, self.ax_grad, self.ax_land = ax_c, ax_g, ax_l
        xs = np.arange(1, self.m + 1)
        colours = [_CURRENT] + [_BAR] * (self.m - 1)
        self.cost_bars = list(ax_c.bar(xs, np.zeros(self.m), color=colours, width=0.6))
        self.grad_bars = list(ax_g.bar(xs, np.zeros(self.m), color=colours, width=0.6))
        self.cost_mean_line = ax_c.axhline(0.0, color=_MEAN, ls="--", lw=2, label="mean = C")
        self.grad_mean_line = ax_g.axhline(0.0, color=_MEAN, ls="--", lw=2, label="mean = ∂C/∂p")
        ax_g.axhline(0.0, color="0.7", lw=0.8)
        for ax in (ax_c, ax_g):
            ax.set_xticks(xs, [f"x{i}" for i in xs])
            ax.set_xlabel("example (x1: the current one)", fontsize=11)
            ax.grid(axis="y", alpha=0.3)
            ax.legend(loc="best", fontsize=10, framealpha=0.85)
        ax_c.set_title("$C_x$ per example (eq. 26)", fontsize=12)
        self.grad_title = ax_g.set_title("", fontsize=12)
        self.land_title = ax_l.set_title("", fontsize=12)
        self.dot, = ax_l.plot([], [], "o", ms=10, color=_CURRENT, mec="white", mew=1.5, zorder=5, clip_on=False, label="$a^L$")
        self.target_dot, = ax_l.plot([], [], "*", ms=14, color="#ffd21f", mec="k", mew=0.8, zorder=5, clip_on=False, label="y")
        self.curve = None
        # Bars, means and dots move with every slider event: they are blitted over a saved
        # background. Limits, titles and the landscape change rarely and then redraw it all.
        self.blitter = Blitter(fig)
        self.blitter.add(*self.cost_bars, *self.grad_bars, self.cost_mean_line, self.grad_mean_line,
                         self.dot, self.target_dot)
        self._static_key = None

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
            self.fig.clear()
            self._landscape_key = None
            self.landscape = None
            self._build_figure()
            self.widget.children = (self.fig.canvas, self.readout)
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
            self._update_bars(kind, l, j, k)
            self._update_landscape(trace)
            self.readout.value = self._readout_html(trace, kind, l, j, k)
        static = (self.ax_cost.get_ylim(), self.ax_grad.get_ylim(), self.grad_title.get_text(),
                  self._landscape_key)
        full = static != self._static_key
        self._static_key = static
        self.blitter.update(full=full, now=state.render_now)

    def _update_bars(self, kind, l, j, k) -> None:
        for bars, values, line, ax in (
            (self.cost_bars, self.costs, self.cost_mean_line, self.ax_cost),
            (self.grad_bars, self.gradients, self.grad_mean_line, self.ax_grad),
        ):
            shown = np.where(np.isfinite(values), values, 0.0)
            for bar, v in zip(bars, shown):
                bar.set_height(v)
            mean = float(np.mean(shown))
            line.set_ydata([mean, mean])
            # "Nice" limits that stay put while the bars move a little (no full redraw then).
            if (shown >= 0).all():
                limits = (0.0, nice_ceil(max(float(shown.max()) * 1.1, 1e-6)))
            else:
                limits = y_limits(shown, 1e-6)
            if limits != tuple(ax.get_ylim()):
                ax.set_ylim(*limits)
        p = weight_name(l, j, k) if kind == "w" else neuron_name("b", l, j)
        self.grad_title.set_text(rf"$\partial C_x/\partial {_tex(p)}$ per example")

    def _update_landscape(self, trace) -> None:
        net = self.state.network
        aL = np.asarray(trace.a[net.L][:, 0], dtype=float)
        y = np.asarray(trace.y[:, 0], dtype=float)
        act = net.activation(net.L)
        ax = self.ax_land
        n_out = net.sizes[-1]
        lo, hi = landscape_range(act, np.concatenate([aL[:2], y[:2]]))
        if lo <= -math.inf or hi >= math.inf:
            lo, hi = -1.0, 2.0
        grid = np.linspace(lo, hi, GRID)
        if net.cost.name == "cross_entropy":
            grid = np.linspace(lo + 0.005 * (hi - lo), hi - 0.005 * (hi - lo), GRID)
        self.grid = grid
        if n_out == 1:
            # C_x over a^L depends on y and the cost only: a dragged weight moves the dot, not
            # the curve, so it keeps blitting (the few numbers it is drawn from are its key).
            key = ("curve", lo, hi, tuple(y.tolist()), trace.cost_function)
            if key != self._landscape_key:
                self._landscape_key = key
                values = net.cost.value(grid.reshape(1, -1), np.full((1, GRID), y[0]))
                self.landscape_values = np.asarray(values, dtype=float)
                if self.curve is None:
                    self.curve, = ax.plot(grid, self.landscape_values, color=_BAR, lw=2)
                else:
                    self.curve.set_data(grid, self.landscape_values)
                ax.set_xlim(lo, hi)
                top = float(np.nanmax(self.landscape_values))
                ax.set_ylim(0.0, top * 1.05 if top > 0 else 1.0)
                ax.set_xlabel("$a^L_1$", fontsize=12)
                ax.set_ylabel("$C_x$", fontsize=12)
                self.land_title.set_text("$C_x$ depends on the weights only through $a^L$ (eq. 27)")
            self.dot.set_data([aL[0]], [float(trace.costs[0])])
            self.target_dot.set_data([y[0]], [0.0])
            return
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
            extent = (lo, hi, lo, hi)
            if self.landscape is None:
                self.landscape = ax.imshow(self.landscape_values, origin="lower", extent=extent, cmap="Blues_r",
                                           vmin=0.0, vmax=vmax, aspect="auto", interpolation="bilinear")
                cbar = self.fig.colorbar(self.landscape, ax=ax, fraction=0.05, pad=0.02)
                cbar.set_label("$C_x$", fontsize=11)
                ax.set_xlabel("$a^L_1$", fontsize=12)
                ax.set_ylabel("$a^L_2$", fontsize=12)
                ax.legend(loc="upper right", fontsize=10, framealpha=0.8)
            else:
                self.landscape.set_data(self.landscape_values)
                self.landscape.set_extent(extent)
                self.landscape.set_clim(0.0, vmax)
            if self._contours is not None:
                self._contours.remove()
            self._contours = ax.contour(grid, grid, self.landscape_values, levels=6, colors="k",
                                        linewidths=0.7, alpha=0.3)
            ax.set_xlim(lo, hi)
            ax.set_ylim(lo, hi)
            held = ", other outputs held" if n_out > 2 else ""
            self.land_title.set_text(f"$C_x$ over $a^L$ for x1 (eq. 27){held}")
        self.dot.set_data([aL[0]], [aL[1]])
        self.target_dot.set_data([y[0]], [y[1]])

    # ------------------------------------------------------------ text
    def _readout_html(self, trace, kind, l, j, k) -> str:
        net = self.state.network
        m = self.m
        p = weight_name(l, j, k) if kind == "w" else neuron_name("b", l, j)
        cost_terms = " + ".join(_g(c) for c in self.costs)
        grad_terms = " + ".join(f"({_g(g)})" if g < 0 else _g(g) for g in self.gradients)
        rule = (f"a<sup>{l - 1}</sup><sub>{k + 1}</sub>·δ<sup>{l}</sup><sub>{j + 1}</sub> (BP4)" if kind == "w"
                else f"δ<sup>{l}</sup><sub>{j + 1}</sub> (BP3)")
        ok = ('<span class="mark ok" style="color:#1a7f37;font-weight:bold">✓ agrees</span>' if self.agrees
              else '<span class="mark bad" style="color:#b00020;font-weight:bold">✗ differs</span>')
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
            "</div>"
        )

    def summary(self) -> str:
        """The key numbers as text: C and its per-example parts, ∂C/∂p as a mean, and the check."""
        kind, l, j, k = parameter_of(self.state.selection)
        p = weight_name(l, j, k) if kind == "w" else neuron_name("b", l, j)
        return (
            f"C = mean of C_x = ({', '.join(f'{c:.6f}' for c in self.costs)}) / {self.m} = {self.cost:.6f}\n"
            f"dC/d{p} = mean of dC_x/d{p} = {float(np.mean(self.gradients)):.9f}; "
            f"backprop on the batch {self.batch_gradient:.9f}; finite differences {self.fd_gradient:.9f}"
        )


def _tex(name: str) -> str:
    """'w^3_21' → 'w^{3}_{21}' for mathtext."""
    head, _, rest = name.partition("^")
    sup, _, sub = rest.partition("_")
    return f"{head}^{{{sup}}}_{{{sub}}}"


__all__ = ["CostAssumptionsPanel", "landscape_range", "parameter_of", "per_example_gradient"]
