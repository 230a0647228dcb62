"""The fully matrix-based mini-batch against the per-example loop, timed live on MNIST digits.

The chapter's closing exercise: instead of running backpropagation once per example of a
mini-batch and adding up the gradients, put the examples side by side as the columns of one
matrix X = [x_1 … x_m] and run the forward and backward passes on the whole matrix at once.
The arithmetic is the same, so the weights come out the same (up to the order in which
floating-point sums are taken); the speed is not. A button runs both methods from the same
starting network over the same mini-batches, interleaved and repeated, and shows the times,
the speed ratio and the largest difference between the two sets of weights.
"""

from __future__ import annotations

import copy
import html
import os
import statistics
import time
from dataclasses import dataclass

from .. import ui as widgets
import numpy as np

from ..panel import PanelBox
from ...core import Network, load_mnist
from ..drawing import Plot
from ..markup import exact, num_span, number

SIZES = (784, 30, 10)
DIGIT_CHOICES = (500, 1000, 2000, 4000, 8000)
BATCH_CHOICES = (1, 5, 10, 20, 50, 100)
REPEAT_CHOICES = (1, 3, 5)
#: Progress is shown this many times per run (each update is a message to the browser).
PROGRESS_STEPS = 40

_LOOP, _MATRIX = "#dd8452", "#4c72b0"

#: Weights further apart than this after a run get an explanation (chaotic small-batch SGD).
DIVERGED = 1e-9
DIVERGED_NOTE = (
    "<div class='diverged-note' style='color:#8a5a00'>The two ended far apart although one update "
    "leaves them within rounding of each other. With very small mini-batches and a large η, "
    "stochastic gradient descent amplifies tiny differences step after step (it is chaotic), "
    "so rounding in the last digit grows over hundreds of updates. Neither method is wrong; "
    "compare a run with larger mini-batches.</div>"
)


@dataclass(frozen=True)
class Comparison:
    """What one run measured: median seconds per pass over the digits, and how far apart the weights are."""

    n_examples: int
    mini_batch_size: int
    n_updates: int
    repeats: int
    loop_seconds: float
    matrix_seconds: float
    max_weight_difference: float
    max_bias_difference: float
    first_step_difference: float

    @property
    def speedup(self) -> float:
        return self.loop_seconds / self.matrix_seconds


def mini_batches(X: np.ndarray, Y: np.ndarray, size: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Consecutive mini-batches of ``size`` columns (the last may be shorter), each a contiguous copy."""
    n = X.shape[1]
    return [(np.ascontiguousarray(X[:, k:k + size]), np.ascontiguousarray(Y[:, k:k + size]))
            for k in range(0, n, size)]


def blas_threads() -> str:
    """What the environment says about BLAS threads (the bench sets OPENBLAS_NUM_THREADS=1)."""
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(name):
            return f"{name}={os.environ[name]}"
    return "BLAS threads: library default"


class MatrixVsLoopPanel(PanelBox):
    """Time ``Network.update_mini_batch`` against ``Network.update_mini_batch_loop`` on digits.

    ``run()`` (or the Run button) starts both methods from the same random [784, 30, 10]
    network (``seed``) and feeds them the same consecutive mini-batches of the first
    ``n_digits`` training digits, one pass each, ``repeats`` times, alternating which goes
    first. Each mini-batch update is timed on its own, so that the progress messages in
    between are not counted.

    For other code and tests: ``digits_dropdown``, ``batch_dropdown``, ``repeats_dropdown``,
    ``button``, ``progress`` (an IntProgress), ``status`` (HTML), ``readout`` (HTML),
    ``plot`` (a ``Plot``: mark ``"bars"`` at x = 0 (loop) and 1 (matrix), heights in ms, and
    ``"labels"``); after a run ``result`` (a
    ``Comparison``), ``start_net``, ``loop_net`` and ``matrix_net`` (the networks after the
    last repetition), ``times`` {"loop": [...], "matrix": [...]}, and ``summary()``.
    """

    def __init__(self, n_digits: int = 2000, mini_batch_size: int = 10, repeats: int = 3, eta: float = 3.0,
                 seed: int = 0, sizes=SIZES):
        super().__init__()
        self.eta, self.seed, self.sizes = float(eta), seed, tuple(sizes)
        self.result: Comparison | None = None
        self.start_net = self.loop_net = self.matrix_net = None
        self.times: dict[str, list[float]] = {"loop": [], "matrix": []}
        style = {"description_width": "initial"}
        self.digits_dropdown = widgets.Dropdown(options=_with(DIGIT_CHOICES, n_digits), value=n_digits,
                                                description="digits", style=style, layout=widgets.Layout(width="150px"))
        self.batch_dropdown = widgets.Dropdown(options=_with(BATCH_CHOICES, mini_batch_size), value=mini_batch_size,
                                               description="mini-batch size", style=style,
                                               layout=widgets.Layout(width="180px"))
        self.repeats_dropdown = widgets.Dropdown(options=_with(REPEAT_CHOICES, repeats), value=repeats,
                                                 description="repeats", style=style, layout=widgets.Layout(width="140px"))
        self.button = widgets.Button(description="Run", icon="play", button_style="primary")
        self.button.on_click(self._on_click)
        self.progress = widgets.IntProgress(value=0, min=0, max=1, layout=widgets.Layout(width="320px"))
        self.status = widgets.HTML("not run yet: press Run")
        self.readout = widgets.HTML()
        self._build_figure()
        self.widget = widgets.VBox([
            widgets.HBox([self.digits_dropdown, self.batch_dropdown, self.repeats_dropdown, self.button]),
            widgets.HBox([self.progress, self.status]),
            self.plot,
            self.readout,
        ])
        self.widget.add_class("matrix-vs-loop-panel")

    # ------------------------------------------------------------ figure
    def _build_figure(self) -> None:
        self.plot = Plot(spec={
            "name": "matrix-vs-loop", "width": 460, "height": 250,
            "description": "milliseconds for one pass over the digits: per-example loop and matrix-based",
            "axes": [{
                "id": "ax", "left": 70, "top": 34, "width": 370, "height": 170, "grid": True,
                "xlim": [-0.6, 1.6], "ylim": [0.0, 1.0],
                "xticks": [[0, "per-example loop"], [1, "matrix, whole batch"]],
                "ylabel": "ms per pass (median)", "ylabelOffset": 52,
                "marks": [
                    {"id": "bars", "type": "bars", "barWidth": 0.6, "colors": [_LOOP, _MATRIX]},
                    {"id": "labels", "type": "text"},
                    {"id": "title", "type": "text"},
                ],
            }],
        })

    def _draw(self) -> None:
        """One message: the two bar heights (ms), their labels and the axis limit."""
        r = self.result
        values = [r.loop_seconds * 1e3, r.matrix_seconds * 1e3]
        top = max(values) * 1.3  # room for the labels and the title inside the axes
        self.plot.show(
            bars={"x": [0.0, 1.0], "y": values},
            labels={"items": [{"x": i, "y": v + 0.03 * top, "text": f"{number(v, 3)} ms", "anchor": "middle"}
                              for i, v in enumerate(values)]},
            title={"items": [{"px": 185, "py": 18, "anchor": "middle",
                              "text": f"matrix-based: {number(r.speedup, 2)}× faster"}]},
            **{"@ax": {"ylim": [0.0, top]}},
        )

    # ------------------------------------------------------------ running
    def _on_click(self, _button=None) -> None:
        self.run()

    def run(self) -> Comparison:
        """Run the comparison with the dropdowns' settings; returns (and keeps) the ``Comparison``."""
        n, size, repeats = self.digits_dropdown.value, self.batch_dropdown.value, self.repeats_dropdown.value
        self.button.disabled = True
        try:
            (X, Y), _ = load_mnist(n_train=n, n_test=0, format="arrays")
            batches = mini_batches(X, Y, size)
            start = Network(list(self.sizes), seed=self.seed)
            self.start_net = copy.deepcopy(start)
            # One update each, untimed: how far apart the two are after a single step.
            one_loop, one_matrix = copy.deepcopy(start), copy.deepcopy(start)
            one_loop.update_mini_batch_loop(*batches[0], self.eta)
            one_matrix.update_mini_batch(*batches[0], self.eta)
            first = _max_difference(one_loop.weights, one_matrix.weights, start.layers)
            total = 2 * repeats * len(batches)
            self.progress.max, self.progress.value = total, 0
            every = max(1, total // PROGRESS_STEPS)
            done = 0
            times = {"loop": [], "matrix": []}
            nets = {}
            for r in range(repeats):
                order = ("loop", "matrix") if r % 2 == 0 else ("matrix", "loop")
                for method in order:
                    net = copy.deepcopy(start)
                    update = net.update_mini_batch_loop if method == "loop" else net.update_mini_batch
                    seconds = 0.0
                    for i, (bx, by) in enumerate(batches):
                        t0 = time.perf_counter()
                        update(bx, by, self.eta)
                        seconds += time.perf_counter() - t0
                        done += 1
                        if done % every == 0:
                            self.progress.value = done
                            self.status.value = (f"repeat {r + 1} of {repeats}: {method}, "
                                                 f"mini-batch {i + 1} of {len(batches)}")
                    times[method].append(seconds)
                    nets[method] = net
            self.progress.value = total
            self.times = times
            self.loop_net, self.matrix_net = nets["loop"], nets["matrix"]
            dw = _max_difference(self.loop_net.weights, self.matrix_net.weights, start.layers)
            db = _max_difference(self.loop_net.biases, self.matrix_net.biases, start.layers)
            self.result = Comparison(n, size, len(batches), repeats, statistics.median(times["loop"]),
                                     statistics.median(times["matrix"]), dw, db, first)
            self.status.value = "done"
            self.readout.value = self._readout_html()
            self._draw()
            return self.result
        finally:
            self.button.disabled = False

    # ------------------------------------------------------------ text
    def _readout_html(self) -> str:
        r = self.result
        return (
            '<div class="matrix-vs-loop-readout" style="font-size:15px;line-height:1.5">'
            f"<div>One pass over {r.n_examples:,} digits in mini-batches of {r.mini_batch_size} "
            f"({r.n_updates} updates of {list(self.sizes)}, η = {self.eta:g}), median of {r.repeats} interleaved runs:</div>"
            f"<div>per-example loop {_ms('loop', r.loop_seconds)}, "
            f"matrix-based {_ms('matrix', r.matrix_seconds)}: "
            f"<b>{num_span('speedup', r.speedup, 3)}×</b> faster "
            "(the chapter reports about 2× for its version)</div>"
            f"<div>largest difference between the two networks' weights afterwards: "
            f"{num_span('dw', r.max_weight_difference, 2)}, "
            f"biases {num_span('db', r.max_bias_difference, 2)}: "
            "the same arithmetic, summed in another order "
            f"(after the first update alone: {num_span('first', r.first_step_difference, 2)})</div>"
            + (DIVERGED_NOTE if r.max_weight_difference > DIVERGED else "")
            + f"<div style='color:#555'>{html.escape(blas_threads())}; times vary from run to run.</div></div>"
        )

    def summary(self) -> str:
        """The result as text (empty before a run)."""
        r = self.result
        if r is None:
            return ""
        return (
            f"{r.n_examples} digits, mini-batches of {r.mini_batch_size}, {r.repeats} runs each: "
            f"loop {number(r.loop_seconds * 1e3, 3)} ms, matrix {number(r.matrix_seconds * 1e3, 3)} ms, "
            f"speed-up {number(r.speedup, 2)}×; the weights of the two differ by at most "
            f"{number(r.max_weight_difference, 2)}, the biases by {number(r.max_bias_difference, 2)}"
            f" (after the first update: {number(r.first_step_difference, 2)})"
        )

    def close(self) -> None:
        super().close()



def _ms(q: str, seconds: float) -> str:
    """Seconds shown as milliseconds; ``data-value`` keeps the exact seconds."""
    return f'<span class="num" data-q="{q}" data-value="{exact(seconds)}">{number(seconds * 1e3, 3)} ms</span>'


def _max_difference(a, b, layers) -> float:
    return max(float(np.abs(a[l] - b[l]).max()) for l in layers)


def _with(choices, value) -> list:
    return sorted(set(choices) | {value})


__all__ = ["Comparison", "MatrixVsLoopPanel", "blas_threads", "mini_batches"]
