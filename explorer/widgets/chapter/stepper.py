"""The algorithm in motion: backpropagation one layer at a time, for one example and a mini-batch.

The chapter writes backpropagation as five lines: input a^1; feedforward z^l, a^l for
l = 2 … L; the output error δ^L (BP1); δ^l backwards for l = L−1 … 2 (BP2); the gradient
(BP3, BP4). This panel walks through them one layer at a time. Beside the numbered list a
drawing of the network shows each quantity as it is computed, and everything the algorithm has
not reached yet as "?". The steps and their numbers are ``explorer.core.algorithm``'s, built
from the state's Trace; only those of the steps already taken are ever shown.

The second mode does the same for a mini-batch of m examples, twice, on one clock: on the left
the chapter's loop (one example at a time, adding each ∂C_x/∂w to a running Σ_x), on the right
the fully matrix-based version (one matrix product per layer for all m columns at once). Each
tick of the clock is one product on each side, so the matrix side is done after one pass while
the loop is still on its first example; at the end both sums agree.
"""

from __future__ import annotations

import html

from .. import ui as widgets
import numpy as np

from ...core import Network
from ...core.algorithm import LINES, MiniBatch, Step, algorithm_steps, example_steps, values_after
from ...core.checks import require_finite_number
from ..dashboard.diagram import NetworkDiagram
from ..keys import Shortcuts
from ..markup import num_span, number as fmt, vector_span
from ..panel import Panel, diverged_html
from ..state import ExplorerState

#: A matrix shown as numbers has at most this many rows and MAX_COLUMNS columns written out.
MAX_NODES = 8
#: ... and at most this many columns.
MAX_COLUMNS = 8
#: The mini-batch sizes offered; the default m.
BATCH_SIZES = (1, 2, 3, 4, 5, 6, 8)
DEFAULT_M = 4
#: What is written under a neuron of layer l ≥ 2 (an input neuron shows its a^1 = x).
NODE_QUANTITIES = ("z", "a", "delta", "nabla_b")
#: Milliseconds between two steps while playing.
INTERVAL = 900
#: The learning rate of the gradient-descent step shown after a mini-batch (the book's η for MNIST).
DEFAULT_ETA = 3.0

NEW_COLOR = "#b34700"  # what the current step computed (the diagram's notes use the same)
UNKNOWN_COLOR = "#767676"  # "?": the lightest grey that keeps 4.5:1 against white


_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _superscript(number: int) -> str:
    return str(number).translate(_SUPERSCRIPTS)


# ============================================================================ html pieces
def _sym(symbol: str, l, x: bool = False) -> str:
    """z<sup>3</sup>, or z<sup>x,3</sup> for one example of a batch."""
    return f"{symbol}<sup>{'x,' if x else ''}{l}</sup>"


def _shape(*dims) -> str:
    return "(" + "×".join(str(d) for d in dims) + ")"


def unknown_html(q: str) -> str:
    return f'<span class="unknown" data-q="{q}" style="color:{UNKNOWN_COLOR}">?</span>'


def matrix_html(q: str, values, digits: int = 3) -> str:
    """A small matrix as an HTML table; data-values holds the shown entries exactly (row-major).

    At most MAX_NODES rows and MAX_COLUMNS columns are written out (an MNIST ∂C/∂w^2 has 23,520
    entries); data-shape is the shape of that shown block, data-full the matrix's own.
    """
    values = np.atleast_2d(np.asarray(values, dtype=float))
    block = values[:MAX_NODES, :MAX_COLUMNS]
    exact = ",".join(repr(float(v)) for v in block.ravel())
    more_columns = values.shape[1] > MAX_COLUMNS
    rows = "".join(
        "<tr>" + "".join(f'<td style="padding:0 5px;text-align:right">{fmt(v, digits)}</td>' for v in row)
        + ("<td>…</td>" if more_columns else "") + "</tr>"
        for row in block
    )
    if values.shape[0] > MAX_NODES:
        rows += f'<tr><td colspan="{block.shape[1]}">⋮ ({values.shape[0]} rows)</td></tr>'
    return (
        f'<table class="mat" data-q="{q}" data-shape="{block.shape[0]},{block.shape[1]}" data-values="{exact}" '
        f'data-full="{values.shape[0]},{values.shape[1]}" '
        'style="display:inline-table;vertical-align:middle;line-height:1.25;border-left:1px solid #555;'
        'border-right:1px solid #555;font-family:monospace;font-size:12px;margin:1px 4px">'
        f"{rows}</table>"
    )


def value_html(q: str, value) -> str:
    """A vector as a span (see ``vector_span``), a matrix as a table, None as '?'."""
    if value is None:
        return unknown_html(q)
    value = np.asarray(value)
    if value.ndim == 2 and min(value.shape) > 1:
        return matrix_html(q, value)
    return vector_span(q, value.reshape(-1))


def _line_texts(L: int) -> dict[int, str]:
    """The five lines of the algorithm, with this network's layer numbers filled in."""
    ff = ", ".join(str(l) for l in range(2, L + 1))
    bp = ", ".join(str(l) for l in range(L - 1, 1, -1)) or "none (no hidden layer)"
    return {
        1: "<b>Input</b> x: set the activation a<sup>1</sup> of the input layer.",
        2: f"<b>Feedforward</b>: for l = {ff}: z<sup>l</sup> = w<sup>l</sup>a<sup>l−1</sup> + b<sup>l</sup>, "
        "a<sup>l</sup> = σ(z<sup>l</sup>).",
        3: f"<b>Output error</b> δ<sup>{L}</sup> = ∇<sub>a</sub>C ⊙ σ′(z<sup>{L}</sup>) (BP1).",
        4: f"<b>Backpropagate</b> the error: for l = {bp}: δ<sup>l</sup> = "
        "((w<sup>l+1</sup>)<sup>T</sup>δ<sup>l+1</sup>) ⊙ σ′(z<sup>l</sup>) (BP2).",
        5: "<b>Output</b> the gradient: ∂C/∂w<sup>l</sup><sub>jk</sub> = a<sup>l−1</sup><sub>k</sub>"
        "δ<sup>l</sup><sub>j</sub> (BP4) and ∂C/∂b<sup>l</sup><sub>j</sub> = δ<sup>l</sup><sub>j</sub> (BP3).",
    }


def steps_list_html(steps, done: int, L: int) -> str:
    """The numbered algorithm; the line of the latest step taken is highlighted.

    A line is marked done (✓) once all its steps are taken; the current line says which of its
    layers the last step handled.
    """
    current = steps[done - 1] if done > 0 else None
    texts = _line_texts(L)
    out = []
    for line in range(1, 6):
        own = [i for i, s in enumerate(steps) if s.line == line]
        finished = bool(own) and own[-1] < done
        is_current = current is not None and current.line == line
        style = "padding:3px 6px;margin:2px 0;border-radius:4px;"
        mark = "✓ " if finished and not is_current else ""
        note = ""
        if is_current:
            style += "background:#ffe9a8;border-left:4px solid #d95f02;"
            taken = sum(1 for i in own if i < done)
            if len(own) > 1:
                note = f' <span class="now" style="color:{NEW_COLOR}">◀ l = {current.layer} ({taken} of {len(own)})</span>'
            else:
                note = f' <span class="now" style="color:{NEW_COLOR}">◀ now</span>'
        elif finished:
            style += "color:#666;"
        if not own:
            style += "color:#aaa;"
        cls = "step-line current" if is_current else "step-line"
        out.append(f'<div class="{cls}" data-line="{line}" style="{style}">{mark}{line}. {texts[line]}{note}</div>')
    return '<div class="algorithm" style="font-size:14px;line-height:1.35">' + "".join(out) + "</div>"


# ============================================================================ the mini-batch model
class MiniBatchRun:
    """The loop and the matrix version of one mini-batch, on one clock of ``ticks`` ticks.

    Each tick is one product on each side: the matrix side takes step t of the algorithm for all
    m columns at once (done after S = 3L − 2 ticks); the loop takes one step for one example,
    example after example (done after m·S ticks), adding each example's ∂C_x/∂w and ∂C_x/∂b to
    its running sums when that example is finished, as the book's ``update_mini_batch`` does.
    The steps and their values are the core's ``MiniBatch`` (``batch``); this class is the clock.
    """

    def __init__(self, net: Network, X, Y):
        self.batch = MiniBatch.compute(net, X, Y)
        self.matrix = self.batch.matrix  # Z^l, A^l, Δ^l: every column at once
        self.examples = self.batch.examples
        self.m = self.batch.m
        self.steps = self.batch.matrix_steps()
        self.S = len(self.steps)
        self.ticks = self.m * self.S
        self._matrix_values = values_after(self.steps, self.S)

    # ---- the matrix side
    def matrix_done(self, t: int) -> int:
        return min(t, self.S)

    def matrix_value(self, key) -> np.ndarray:
        """The matrix a step computes: Z^l, A^l, Δ^l, Σ_x ∂C_x/∂w^l = Δ^l (A^(l−1))^T, Σ_x ∂C_x/∂b^l."""
        return self._matrix_values[tuple(key)]

    def matrix_sums(self, t: int):
        """({l: Σ_x ∂C_x/∂w^l}, {l: Σ_x ∂C_x/∂b^l}) once the matrix side is done, else None."""
        if self.matrix_done(t) < self.S:
            return None
        return self.batch.matrix_sums()

    # ---- the loop side
    def loop_position(self, t: int) -> tuple[int, int]:
        """(examples finished, steps taken in the current example)."""
        if t >= self.ticks:
            return self.m, 0
        return t // self.S, t % self.S

    def loop_step(self, x: int, number: int) -> Step:
        """Step ``number`` (1-based) of the loop for example x, with that example's values."""
        return self.batch.loop_steps(x)[number - 1]

    def loop_sums(self, t: int):
        """The loop's running Σ_x ∂C_x/∂w^l and Σ_x ∂C_x/∂b^l over the finished examples (0 at first)."""
        return self.batch.loop_sums(self.loop_position(t)[0])


# ============================================================================ the panel
class StepThroughPanel(Panel):
    """The chapter's algorithm, one layer per step, for one example or for a mini-batch.

    Controls: ``play`` (an ipywidgets Play: its ``value`` is the number of steps taken, and
    playing advances it), ``forward_button``, ``back_button``, ``reset_button`` (and the keys
    f, b and r of ``shortcuts`` while the focus is inside the panel), ``mode``
    ("single" or "batch") and ``m_dropdown`` (the mini-batch size); ``eta`` is the learning rate
    of the gradient-descent step shown once a mini-batch is done. Shown: ``steps_html`` (the
    numbered algorithm, current line highlighted), ``detail_html`` (the current step's formula
    with its numbers and shapes), the drawing ``diagram`` (single mode: the explorer's own
    ``NetworkDiagram``, revealing what the algorithm has computed; see ``_update_figure``) and ``batch_html``
    (mini-batch mode: loop and matrix side by side, then the update).

    What is displayed is also kept as data for tests: ``shown`` maps every (quantity, l) key to
    the array on the drawing or None for "?"; ``node_texts`` ((q, l, j) → the label under a
    neuron), ``target_texts`` (j → "y = …") and ``matrix_texts`` (l → ∂C/∂w^l as lines of text)
    are what the drawing writes under the neurons and the weights; ``example_steps`` are the core's steps (``explorer.core.algorithm``)
    of the state's example, with their values; ``run`` is the ``MiniBatchRun`` of the mini-batch
    mode.
    """

    def __init__(self, state: ExplorerState, m: int = DEFAULT_M, batch=None, eta: float = DEFAULT_ETA):
        eta = require_finite_number(eta, "eta")
        if eta <= 0:
            raise ValueError(f"eta: the learning rate must be > 0, got {eta}")
        self.eta = eta
        self._batch_source = batch
        self._sizes = None
        self._run_key = None
        self.run: MiniBatchRun | None = None
        self.shown: dict[tuple[str, int], np.ndarray | None] = {}
        self.example_steps: tuple[Step, ...] = ()
        self._steps_of = None
        self.node_texts: dict[tuple[str, int, int], str] = {}
        self.matrix_texts: dict[int, str] = {}
        self.target_texts: dict[int, str] = {}
        # the explorer's diagram, refreshed by this panel (it reveals the numbers step by step)
        self.diagram = NetworkDiagram(state, color_by="a", edge_by="nabla_w", note_lines=5, gap_lines=6,
                                      follow=False)
        self._quiet = False

        self.play = widgets.Play(value=0, min=0, max=1, step=1, interval=INTERVAL,
                                 description="play", show_repeat=False)
        self.forward_button = widgets.Button(description="step", icon="step-forward",
                                             tooltip="take the next step", layout=widgets.Layout(width="90px"))
        self.back_button = widgets.Button(description="back", icon="step-backward",
                                          tooltip="undo the last step", layout=widgets.Layout(width="90px"))
        self.reset_button = widgets.Button(description="reset", icon="undo",
                                           tooltip="back to the start: nothing computed", layout=widgets.Layout(width="90px"))
        self.position = widgets.HTML()
        self.mode = widgets.ToggleButtons(
            options=[("one example", "single"), ("mini-batch: loop vs matrices", "batch")],
            value="single", style={"button_width": "210px"},
        )
        self.m_dropdown = widgets.Dropdown(description="m", layout=widgets.Layout(width="110px"))
        self.m_dropdown.style.description_width = "20px"
        self.steps_html = widgets.HTML()
        self.detail_html = widgets.HTML()
        self.batch_html = widgets.HTML()
        self.message = widgets.HTML()

        # the algorithm and this step's numbers side by side, the drawing under them, wide enough
        # for its notes to be read (beside them it would be scaled down to half its size)
        self.diagram.layout.width = self.diagram.view.layout.width = "100%"
        self.figure_box = widgets.Box([self.diagram], layout=widgets.Layout(width="100%", max_width="1100px"))
        half = widgets.Layout(flex="1 1 420px", min_width="360px")
        self.steps_html.layout, self.detail_html.layout = half, widgets.Layout(flex="1 1 420px", min_width="360px")
        top = widgets.HBox([self.steps_html, self.detail_html],
                           layout=widgets.Layout(align_items="flex-start", flex_flow="row wrap", width="100%"))
        self.single_box = widgets.VBox([top, self.figure_box], layout=widgets.Layout(width="100%"))
        self.batch_steps_html = widgets.HTML()
        self.batch_box = widgets.VBox([self.batch_steps_html, self.batch_html])
        controls = widgets.HBox([self.play, self.back_button, self.forward_button, self.reset_button, self.position],
                                layout=widgets.Layout(align_items="center"))
        # the keyboard, while the focus is inside the panel: f / b step, and "?" lists the keys
        self.shortcuts = Shortcuts(state, root=".stepper-panel")
        self.shortcuts.set_action("step_forward", self.step_forward)
        self.shortcuts.set_action("step_back", self.step_back)
        self.shortcuts.set_action("reset", self.reset)
        self.widget = widgets.VBox([
            widgets.HBox([self.mode, self.m_dropdown], layout=widgets.Layout(align_items="center")),
            controls, self.message, self.single_box, self.batch_box, self.shortcuts,
        ])
        self.widget.add_class("stepper-panel")

        super().__init__(state)
        self._init_m(m)
        self.play.observe(self._on_step, names="value")
        self.forward_button.on_click(lambda _: self.step_forward())
        self.back_button.on_click(lambda _: self.step_back())
        self.reset_button.on_click(lambda _: self.reset())
        self.mode.observe(self._on_mode, names="value")
        self.m_dropdown.observe(self._on_m, names="value")
        self.refresh()

    # ------------------------------------------------------------ controls
    @property
    def step(self) -> int:
        """How many steps (single mode) or ticks (mini-batch mode) have been taken."""
        return self.play.value

    def step_forward(self) -> None:
        self.play.value = min(self.play.value + 1, self.play.max)

    def step_back(self) -> None:
        self.play.value = max(self.play.value - 1, 0)

    def reset(self) -> None:
        self.play.playing = False
        self.play.value = 0

    def _on_step(self, change) -> None:
        if not self._quiet:
            self._show()

    def _rewind(self) -> None:
        """Back to tick 0 without drawing the old mode's view (refresh draws the new one)."""
        self._quiet = True
        try:
            self.play.playing = False
            self.play.value = 0
        finally:
            self._quiet = False

    def _on_mode(self, change) -> None:
        self._rewind()
        self.refresh()

    def _on_m(self, change) -> None:
        self._run_key = None
        if self.mode.value == "batch":
            self._rewind()
        self.refresh()

    def _available(self) -> int:
        if self._batch_source is not None:
            return np.atleast_2d(np.asarray(self._batch_source[0])).shape[1]
        return 1 + self.state.batch[0].shape[1]

    def _init_m(self, m: int) -> None:
        options = [n for n in BATCH_SIZES if n <= self._available()]
        self.m_dropdown.options = options
        self.m_dropdown.value = max((n for n in options if n <= m), default=options[0])

    def batch_examples(self) -> tuple[np.ndarray, np.ndarray]:
        """The mini-batch's (X, Y): the first m columns of ``batch=``, or the state's example
        followed by the first m − 1 examples of its batch."""
        m = self.m_dropdown.value
        net = self.state.network
        if self._batch_source is not None:
            X, Y = net.prepare_examples(*self._batch_source)
            return X[:, :m], Y[:, :m]
        bx, by = self.state.batch
        X = np.concatenate([self.state.x, bx[:, : m - 1]], axis=1)
        Y = np.concatenate([self.state.y, by[:, : m - 1]], axis=1)
        return X, Y

    # ------------------------------------------------------------ state → panel
    def refresh(self) -> None:
        net = self.state.network
        single = self.mode.value == "single"
        self.single_box.layout.display = None if single else "none"
        self.batch_box.layout.display = "none" if single else None
        self.m_dropdown.layout.visibility = "hidden" if single else "visible"
        if tuple(net.sizes) != self._sizes:
            self._sizes = tuple(net.sizes)
            self.steps = algorithm_steps(net.L)
            self._build_figure()
            self._run_key = None
        if single:
            top = len(self.steps)
        else:
            # The state keeps the same Trace object while parameters and example are unchanged
            # (a Δz, a click); a diverged state keeps its last trace, so recompute to say why.
            key = (self.state.trace, self.m_dropdown.value)
            same = (self._run_key is not None and self._run_key[0] is key[0]
                    and self._run_key[1] == key[1] and not self.state.diverged)
            if not same or self.run is None:
                try:
                    with np.errstate(all="ignore"):
                        self.run = MiniBatchRun(net, *self.batch_examples())
                    self._run_key = key
                except (ValueError, FloatingPointError) as error:
                    self.run = None
                    self.message.value = diverged_html(str(error))
                    return
            top = self.run.ticks
        if self.play.max != top:
            self._quiet = True
            try:
                self.play.playing = False
                if self.play.value > top:
                    self.play.value = top
                self.play.max = top
            finally:
                self._quiet = False
        self._show()

    def _show(self) -> None:
        if self.mode.value == "batch" and self.run is None:
            return  # the mini-batch could not be computed; refresh put the reason in the message
        if self.state.trace is None or self.state.trace.sizes != tuple(self.state.network.sizes):
            self.message.value = diverged_html(self.state.diverged or "no trace of this network yet")
            return
        if self.state.diverged:
            self.message.value = (f'<div class="diverged" style="color:#b00020">⚠ {html.escape(self.state.diverged or "no trace")}'
                                  " — the steps show the last numbers computed</div>")
        else:
            self.message.value = ""
        if self.mode.value == "single":
            self._show_single()
        else:
            self._show_batch()

    # ------------------------------------------------------------ single mode
    def _show_single(self) -> None:
        trace, L = self.state.trace, self.state.network.L
        done = self.play.value
        if self._steps_of is not trace:  # a new Trace object is the only sign that numbers changed
            self.example_steps = example_steps(trace)  # the core's steps, with this example's values
            self._steps_of = trace
        known = values_after(self.example_steps, done)
        self.shown = {}
        for l in range(1, L + 1):
            for q in ("z", "a", "delta", "nabla_b", "nabla_w"):
                if (q != "a" and l == 1):
                    continue
                self.shown[(q, l)] = known.get((q, l))
        current = self.example_steps[done - 1] if done else None
        where = (f" · line {current.line} of {len(LINES)}: {current.title}" if current
                 else ": nothing computed yet")
        self.position.value = f'<span class="position">step {done} of {len(self.steps)}{where}</span>'
        self.steps_html.value = steps_list_html(self.steps, done, L)
        self.detail_html.value = self._detail_html(current)
        self._update_figure(current)

    def _detail_html(self, step: Step | None) -> str:
        net = self.state.network
        n = net.sizes
        if step is None:
            return ('<div class="detail" style="font-size:14px;color:#555">Nothing is known yet but the '
                    "network's weights and biases, the input x and the target y. Press ▶ or “step”.</div>")
        l, L = step.layer, net.L
        col = lambda key: step.value(key[0])  # noqa: E731
        rows: list[str] = []
        if step.kind == "input":
            rows.append(f"a<sup>1</sup> = x = {value_html('a1', col(('a', 1)))} {_shape(n[0], 1)}")
        elif step.kind == "feedforward":
            rows.append(f"z<sup>{l}</sup> = w<sup>{l}</sup>a<sup>{l - 1}</sup> + b<sup>{l}</sup> = "
                        f"{value_html(f'z{l}', col(('z', l)))}"
                        f" &nbsp;<small>{_shape(n[l - 1], n[l - 2])}·{_shape(n[l - 2], 1)} + {_shape(n[l - 1], 1)}</small>")
            rows.append(f"a<sup>{l}</sup> = σ(z<sup>{l}</sup>) = {value_html(f'a{l}', col(('a', l)))}")
        elif step.kind == "output_error":
            rows.append(f"∇<sub>a</sub>C = ∂C/∂a<sup>{L}</sup> = {value_html('grad_a', step.value('cost_gradient'))}")
            rows.append(f"σ′(z<sup>{L}</sup>) = {value_html(f'sp{L}', step.value('sigma_prime'))}")
            rows.append(f"δ<sup>{L}</sup> = ∇<sub>a</sub>C ⊙ σ′(z<sup>{L}</sup>) = {value_html(f'delta{L}', col(('delta', L)))}")
        elif step.kind == "backpropagate":
            back = step.value("wT_delta")
            rows.append(f"(w<sup>{l + 1}</sup>)<sup>T</sup>δ<sup>{l + 1}</sup> = {value_html(f'wTdelta{l}', back)}"
                        f" &nbsp;<small>{_shape(n[l - 1], n[l])}·{_shape(n[l], 1)}</small>")
            rows.append(f"σ′(z<sup>{l}</sup>) = {value_html(f'sp{l}', step.value('sigma_prime'))}")
            rows.append(f"δ<sup>{l}</sup> = (w<sup>{l + 1}</sup>)<sup>T</sup>δ<sup>{l + 1}</sup> ⊙ σ′(z<sup>{l}</sup>) = "
                        f"{value_html(f'delta{l}', col(('delta', l)))}")
        else:
            rows.append(f"∂C/∂w<sup>{l}</sup> = δ<sup>{l}</sup>(a<sup>{l - 1}</sup>)<sup>T</sup> = "
                        f"{matrix_html(f'nabla_w{l}', col(('nabla_w', l)))}"
                        f" <small>{_shape(n[l - 1], 1)}·{_shape(1, n[l - 2])}</small>")
            rows.append(f"∂C/∂b<sup>{l}</sup> = δ<sup>{l}</sup> = {value_html(f'nabla_b{l}', col(('nabla_b', l)))}")
        body = "".join(f'<div style="margin:3px 0">{r}</div>' for r in rows)
        return (f'<div class="detail" style="font-size:14px;border-top:1px solid #ddd;padding-top:4px">'
                f"<b>This step</b> ({step.title}):{body}</div>")

    # ------------------------------------------------------------ the drawing
    def _build_figure(self) -> None:
        """Which texts the drawing writes, keyed as the tests read them (new network only)."""
        net = self.state.network
        self.node_texts, self.matrix_texts, self.target_texts = {}, {}, {}
        one_input = self.diagram.input_kind() != "neurons"  # an image or a bar: one note for all
        for l in range(1, net.L + 1):
            for j in range(1 if (l == 1 and one_input) else net.sizes[l - 1]):
                for q in (("a",) if l == 1 else NODE_QUANTITIES):
                    self.node_texts[(q, l, j)] = ""

    def _label(self, q: str, l: int, j: int, value) -> str:
        name = {"z": "z", "a": "a", "delta": "δ", "nabla_b": "∂C/∂b"}[q]
        if value is None:
            return f"{name} = ?"
        value = np.asarray(value).reshape(-1)
        if (q, l, 1) not in self.node_texts and value.size > 1:  # one note for a whole input layer
            return f"{name} = [{fmt(value[0], 2)}, …]"
        return f"{name} = {fmt(value[j], 3)}"

    def _update_figure(self, current: Step | None) -> None:
        """The shared network diagram, showing what the algorithm has computed up to this step.

        Neurons show "?" until their numbers are computed and are coloured by what the step
        computed (a going forward, δ going back); weights stay thin and grey until their
        ∂C/∂w^l is known; the layer of the step is highlighted; under every neuron its z, a, δ
        and ∂C/∂b (and the target y under the outputs); under each layer of weights ∂C/∂w^l.
        """
        L = len(self._sizes)
        new = set(current.computes) if current else set()
        known = {key for key, value in self.shown.items() if value is not None}
        kind = lambda key: "new" if key in new else ("unknown" if self.shown.get(key) is None else "known")  # noqa: E731
        notes, input_notes = {}, []
        for (q, l, j) in self.node_texts:
            text = self._label(q, l, j, self.shown.get((q, l)))
            self.node_texts[(q, l, j)] = text
            line = [text, kind((q, l))]
            if l == 1 and (q, 1, 1) not in self.node_texts and self._sizes[0] > 1:
                input_notes.append(line)
            else:
                notes.setdefault((l, j), []).append(line)
        y = self.state.trace.y[:, 0]
        for j in range(self._sizes[L - 1]):
            self.target_texts[j] = f"y = {fmt(y[j], 3)}"
            notes[(L, j)].append([self.target_texts[j], "known"])
        gaps = {}
        for l in range(2, L + 1):
            g = self.shown.get(("nabla_w", l))
            if g is None:
                self.matrix_texts[l] = f"∂C/∂w{_superscript(l)} = ?"
            else:
                self.matrix_texts[l] = f"∂C/∂w{_superscript(l)} =\n" + self._matrix_text(g)
            gaps[l] = [[line, kind(("nabla_w", l))] for line in self.matrix_texts[l].split("\n")]
        active = [current.layer] if current is not None and current.kind != "gradient" else []
        colour = "a" if current is None or current.kind in ("input", "feedforward") else "delta"
        self.diagram.reveal(known, new=new, active=active, notes=notes, input_notes=input_notes,
                            gap_notes=gaps, color_by=colour)

    @staticmethod
    def _matrix_text(g) -> str:
        """∂C/∂w^l as lines of text: at most 4 rows and 4 columns (2 for wider matrices)."""
        g = np.atleast_2d(np.asarray(g))
        columns = g.shape[1] if g.shape[1] <= 4 else 2  # a wide matrix must not run into its neighbour
        rows = g[:4, :columns]
        lines = [" ".join(f"{fmt(v, 2):>8}" for v in row) + (" …" if g.shape[1] > columns else "") for row in rows]
        if g.shape[0] > 4:
            lines.append(f"   … ({g.shape[0]} rows)")
        return "\n".join(lines)

    # ------------------------------------------------------------ mini-batch mode
    def _show_batch(self) -> None:
        run, t = self.run, self.play.value
        net = self.state.network
        m, S = run.m, run.S
        finished, within = run.loop_position(t)
        mdone = run.matrix_done(t)
        lines = len(LINES)
        matrix_at = f", line {run.steps[mdone - 1].line} of {lines}" if 0 < t <= S else ""
        loop_at = (f" (+ {within} steps of example {finished + 1}, line {run.steps[within - 1].line} of {lines})"
                   if within else "")
        self.position.value = (f'<span class="position">tick {t} of {run.ticks} · the matrix version has taken '
                               f"{mdone} of {S} steps{matrix_at} · the loop {finished} of {m} examples"
                               f"{loop_at}</span>")
        self.batch_steps_html.value = self._batch_algorithm_html(run)

        # ---- left: the loop
        loop_rows = []
        chips = []
        for i in range(m):
            if i < finished:
                chips.append(f'<span class="ex done" style="color:#2a7">x<sub>{i + 1}</sub> ✓</span>')
            elif i == finished and t < run.ticks:
                chips.append(f'<span class="ex now" style="color:{NEW_COLOR}">x<sub>{i + 1}</sub> '
                             f"{within}/{S}</span>")
            else:
                chips.append(f'<span class="ex waiting" style="color:{UNKNOWN_COLOR}">x<sub>{i + 1}</sub> ·</span>')
        loop_rows.append("examples: " + " &nbsp; ".join(chips))
        if t < run.ticks and within > 0:
            step = run.steps[within - 1]
            loop_rows.append(f"last product, example x = {finished + 1}: " + self._loop_step_html(run, step, finished))
        elif t == 0:
            loop_rows.append("nothing computed yet; the sums start at 0 (as the book's code does)")
        else:
            loop_rows.append(f"example {finished} finished and added to the sums")
        sw, sb = run.loop_sums(t)
        sums = "".join(
            f'<div>Σ<sub>x</sub> ∂C<sub>x</sub>/∂w<sup>{l}</sup> = {matrix_html(f"loop_w{l}", sw[l])} '
            f'Σ<sub>x</sub> ∂C<sub>x</sub>/∂b<sup>{l}</sup> = {vector_span(f"loop_b{l}", sb[l])}</div>'
            for l in net.layers
        )
        loop_rows.append(f"running sums over the {finished} finished example{'s' if finished != 1 else ''}:{sums}")
        loop_rows.append(f"steps taken: {finished * S + within}, each on one column")

        # ---- right: the matrix version
        mat_rows = []
        for i, step in enumerate(run.steps):
            state = "done" if i < mdone else "pending"
            current = i == mdone - 1 and t <= S  # the step this very tick took
            style = "padding:2px 4px;border-radius:3px;" + ("background:#ffe9a8;" if current else "")
            style += "" if i < mdone else f"color:{UNKNOWN_COLOR};"
            mat_rows.append(f'<div class="mstep {state}" data-i="{i}" style="{style}">'
                            f"{'✓' if i < mdone else '·'} {self._matrix_step_html(run, step, known=i < mdone, show=current)}</div>")
        sums = run.matrix_sums(t)
        if sums is not None:
            mat_rows.append("the sums, from the last " + str(len(net.layers)) + " steps:" + "".join(
                f'<div>Σ<sub>x</sub> ∂C<sub>x</sub>/∂w<sup>{l}</sup> = {matrix_html(f"matrix_w{l}", sums[0][l])} '
                f'Σ<sub>x</sub> ∂C<sub>x</sub>/∂b<sup>{l}</sup> = {vector_span(f"matrix_b{l}", sums[1][l])}</div>'
                for l in net.layers
            ))
        mat_rows.append(f"steps taken: {mdone}, each on all {m} columns at once")

        # ---- the comparison
        compare = self._compare_html(run, t)
        self.batch_html.value = (
            '<div class="batch" style="display:flex;gap:18px;font-size:13px;align-items:flex-start">'
            f'<div class="loop" style="flex:1 1 0;min-width:0"><h4 style="margin:2px 0">One example at a time '
            f"(the chapter's loop, m = {m})</h4>" + "".join(f'<div style="margin:3px 0">{r}</div>' for r in loop_rows)
            + "</div>"
            f'<div class="matrix" style="flex:1 1 0;min-width:0"><h4 style="margin:2px 0">All m = {m} examples at once '
            "(fully matrix-based)</h4>" + "".join(mat_rows) + "</div></div>" + compare
        )

    def _batch_algorithm_html(self, run: MiniBatchRun) -> str:
        L = self.state.network.L
        return (
            '<div class="algorithm" style="font-size:13.5px;line-height:1.35">'
            f"For each example x of the mini-batch: the five steps of the algorithm (input, feedforward "
            f"l = 2 … {L}, BP1, BP2, gradient), then w<sup>l</sup> → w<sup>l</sup> − η/m Σ<sub>x</sub> "
            "δ<sup>x,l</sup>(a<sup>x,l−1</sup>)<sup>T</sup> and b<sup>l</sup> → b<sup>l</sup> − η/m "
            "Σ<sub>x</sub> δ<sup>x,l</sup>. One tick = one product on each side. The trace stores the "
            "<i>mean</i> ∂C/∂w = (1/m) Σ<sub>x</sub> ∂C<sub>x</sub>/∂w, because C = (1/m) Σ<sub>x</sub> C<sub>x</sub>; "
            "the sums below are Σ<sub>x</sub>, as in the update rule.</div>"
        )

    def _loop_step_html(self, run: MiniBatchRun, step: Step, x: int) -> str:
        n, l = self.state.network.sizes, step.layer
        own = run.loop_step(x, step.number)  # this example's own step, with its values
        parts = []
        for key in step.computes:
            q = key[0]
            if q == "a":
                formula = _sym("a", l, True) + (" = x" if l == 1 else f" = σ({_sym('z', l, True)})")
            elif q == "z":
                formula = (f"{_sym('z', l, True)} = w<sup>{l}</sup>{_sym('a', l - 1, True)} + b<sup>{l}</sup> "
                           f"<small>{_shape(n[l - 1], n[l - 2])}·{_shape(n[l - 2], 1)}</small>")
            elif q == "delta" and step.kind == "output_error":
                formula = (f"{_sym('δ', l, True)} = ∇<sub>a</sub>C<sub>x</sub> ⊙ σ′({_sym('z', l, True)}) "
                           f"<small>{_shape(n[l - 1], 1)}</small>")
            elif q == "delta":
                formula = (f"{_sym('δ', l, True)} = (w<sup>{l + 1}</sup>)<sup>T</sup>{_sym('δ', l + 1, True)} ⊙ "
                           f"σ′({_sym('z', l, True)}) <small>{_shape(n[l - 1], n[l])}·{_shape(n[l], 1)}</small>")
            elif q == "nabla_w":
                formula = (f"∂C<sub>x</sub>/∂w<sup>{l}</sup> = {_sym('δ', l, True)}({_sym('a', l - 1, True)})<sup>T</sup> "
                           f"<small>{_shape(n[l - 1], 1)}·{_shape(1, n[l - 2])}</small>")
            else:
                formula = f"∂C<sub>x</sub>/∂b<sup>{l}</sup> = {_sym('δ', l, True)}"
            value = value_html(f"x_{q}{l}", own.value(q))
            parts.append(f"<div style='margin-left:12px'>{formula} = {value}</div>")
        return "".join(parts)

    def _matrix_step_html(self, run: MiniBatchRun, step: Step, known: bool, show: bool) -> str:
        n, l, m = self.state.network.sizes, step.layer, run.m
        if step.kind == "input":
            text = f"A<sup>1</sup> = X = [x<sub>1</sub> … x<sub>{m}</sub>] <small>{_shape(n[0], m)}</small>"
        elif step.kind == "feedforward":
            text = (f"Z<sup>{l}</sup> = W<sup>{l}</sup>A<sup>{l - 1}</sup> + b<sup>{l}</sup> (b added to every column) "
                    f"<small>{_shape(n[l - 1], n[l - 2])}·{_shape(n[l - 2], m)} → {_shape(n[l - 1], m)}</small>; "
                    f"A<sup>{l}</sup> = σ(Z<sup>{l}</sup>)")
        elif step.kind == "output_error":
            text = f"Δ<sup>{l}</sup> = ∇<sub>A</sub>C ⊙ σ′(Z<sup>{l}</sup>) <small>{_shape(n[l - 1], m)}</small>"
        elif step.kind == "backpropagate":
            text = (f"Δ<sup>{l}</sup> = (W<sup>{l + 1}</sup>)<sup>T</sup>Δ<sup>{l + 1}</sup> ⊙ σ′(Z<sup>{l}</sup>) "
                    f"<small>{_shape(n[l - 1], n[l])}·{_shape(n[l], m)} → {_shape(n[l - 1], m)}</small>")
        else:
            text = (f"Σ<sub>x</sub> ∂C<sub>x</sub>/∂w<sup>{l}</sup> = Δ<sup>{l}</sup>(A<sup>{l - 1}</sup>)<sup>T</sup> "
                    f"<small>{_shape(n[l - 1], m)}·{_shape(m, n[l - 2])} → {_shape(n[l - 1], n[l - 2])}</small> "
                    "(the sum over x happens inside the product); "
                    f"Σ<sub>x</sub> ∂C<sub>x</sub>/∂b<sup>{l}</sup> = row sums of Δ<sup>{l}</sup>")
        if not show:
            return text + ("" if known else f" = {unknown_html('M_pending')}")
        symbols = {"a": "A", "z": "Z", "delta": "Δ", "nabla_w": "Σ∂C/∂w", "nabla_b": "Σ∂C/∂b"}
        values = []
        for q, layer in step.computes:
            value = np.asarray(run.matrix_value((q, layer)))
            if value.ndim == 1:
                value = value[:, None]  # Σ_x ∂C_x/∂b^l: a column
            values.append(f"{symbols[q]}<sup>{layer}</sup> = {matrix_html(f'M_{q}{layer}', value)}")
        return f"{text}<div style='margin-left:12px'>{' '.join(values)}</div>"

    def _compare_html(self, run: MiniBatchRun, t: int) -> str:
        sums = run.matrix_sums(t)
        finished, _ = run.loop_position(t)
        if sums is None or finished < run.m:
            waiting = "the matrix version" if sums is None else f"the loop (example {finished + 1} of {run.m})"
            return (f'<div class="compare" style="margin-top:6px;font-size:13px">Do the two sums agree? '
                    f"{unknown_html('agree')} — waiting for {waiting}.</div>")
        sw, sb = run.loop_sums(t)
        mw, mb = sums
        rows = []
        for l in self.state.network.layers:
            diff = max(float(np.abs(sw[l] - mw[l]).max()), float(np.abs(sb[l] - mb[l]).max()))
            mean = mw[l] / run.m
            rows.append(
                f"<tr><td>l = {l}</td><td>{num_span(f'diff{l}', diff, 3)}</td>"
                f"<td>{matrix_html(f'mean_w{l}', mean)}</td></tr>"
            )
        return (
            '<div class="compare" style="margin-top:6px;font-size:13px"><b>Both done.</b> The loop took '
            f"{run.ticks} steps, the matrix version {run.S}. Largest |loop sum − matrix sum| per layer, "
            "and the mean (1/m) Σ<sub>x</sub> ∂C<sub>x</sub>/∂w<sup>l</sup>, which is the trace's ∂C/∂w<sup>l</sup>:"
            '<table style="font-size:13px"><tr><th></th><th>|difference|</th><th>(1/m) Σ<sub>x</sub></th></tr>'
            + "".join(rows) + "</table>" + self._update_html(run) + "</div>"
        )

    def _update_html(self, run: MiniBatchRun) -> str:
        """The mini-batch version's last line, gradient descent, with the core's new w^l and b^l."""
        m, eta = run.m, self.eta
        rows = "".join(
            f"<div>w<sup>{s.layer}</sup> − η/m Σ<sub>x</sub> ∂C<sub>x</sub>/∂w<sup>{s.layer}</sup> = "
            f"{matrix_html(f'gd_w{s.layer}', s.value('w'))} &nbsp; b<sup>{s.layer}</sup> − η/m "
            f"Σ<sub>x</sub> ∂C<sub>x</sub>/∂b<sup>{s.layer}</sup> = {vector_span(f'gd_b{s.layer}', s.value('b'))}</div>"
            for s in run.batch.gradient_descent(eta)
        )
        return (f'<div class="update" style="margin-top:6px"><b>Then gradient descent</b> (the last line of the '
                f"mini-batch version), η = {eta:g}, m = {m}; the network itself is not changed:{rows}</div>")


__all__ = ["MiniBatchRun", "StepThroughPanel"]
