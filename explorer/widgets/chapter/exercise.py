"""The exercise panel: a student's own BP1–BP4 or backprop, checked live against the core.

``ExerciseCheck("BP2")`` shows the task (the equation typeset, what to return, the signature),
a Check button and the verdict of ``explorer.exercises.check``. When a check fails on values,
it draws the network of the first failing case with the neurons, biases or weights whose values
differ marked in red; hovering one shows the student's value beside the expected one. When the
first failing case only raised (a named mistake such as a missing transpose fails on shapes),
it draws a later case where the student's code runs and its values can be compared.

Which function it checks: the one given as ``fn``, else the one the notebook defines under the
exercise's ``function_name`` (looked up in IPython's namespace each time). In IPython it checks
again by itself after every cell that gave that name a new function (``post_run_cell``), so
re-running the cell with the student's code is enough. ``Progress()`` counts the solved ones.
"""

from __future__ import annotations

import html
import itertools
import re
import weakref

from .. import guard
from .. import ui as widgets
import numpy as np
import traitlets

from ...core import Network
from ...exercises import EXERCISES, check
from ..dashboard.diagram import NetworkDiagram
from ..drawing import Formula
from ..drawing.formula import display
from ..markup import number, plain_name
from ..state import ExplorerState

#: Colours of the verdict: solved, not yet, and the quiet grey of "nothing to check".
OK_COLOR = "#1a7f37"
WRONG_COLOR = "#b00020"
IDLE_COLOR = "#555555"
#: At most this many differing values are listed under the verdict (all are marked).
LISTED = 4
#: How many further cases are tried for one that computes, when the first failing one raised.
SEARCHED = 12

# Every check gets a stamp from this counter, so Progress knows which verdict is the newest.
_stamps = itertools.count(1)
# ... and every panel a number as it is made, so Progress lists them in the notebook's order.
_made = itertools.count(1)
# The widgets alive in this kernel, and the Progress lines that follow them.
_live: "weakref.WeakSet[ExerciseCheck]" = weakref.WeakSet()
_progress_lines: "weakref.WeakSet[Progress]" = weakref.WeakSet()
# exercise name -> the widget that follows the notebook's cells for it (the newest one).
_followers: "weakref.WeakValueDictionary[str, ExerciseCheck]" = weakref.WeakValueDictionary()


def _ipython():
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python without IPython: the button and fn= still work
        return None
    return get_ipython()


def _esc(text) -> str:
    return html.escape(str(text))


def _rich(text) -> str:
    """Escaped text with `code` in backticks shown as code."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", _esc(text))


def _g(v) -> str:
    v = float(v)
    if np.isnan(v):
        return "NaN"
    if np.isinf(v):
        return "∞" if v > 0 else "−∞"
    return number(v)


def network_of(trace) -> Network:
    """A Network with the trace's sizes, parameters, activations and cost (to draw a case)."""
    sizes = tuple(trace.sizes)
    per_layer = {l: tuple(trace.activations[l]) for l in range(2, len(sizes) + 1)}
    # The layer's activation is the one most of its neurons use; the others are overrides
    # (the modified-neuron exercise makes one neuron differ).
    base = []
    for l, acts in per_layer.items():
        names = [a.name for a in acts]
        common = max(set(names), key=names.count)
        base.append(next(a for a in acts if a.name == common))
    net = Network(list(sizes), activation=base, cost=trace.cost_function, dtype=trace.weights[2].dtype)
    for l, acts in per_layer.items():
        net.weights[l] = np.array(trace.weights[l])
        net.biases[l] = np.array(trace.biases[l])
        for j, act in enumerate(acts):
            if act.name != base[l - 2].name:
                net.set_activation(l, j, act)
    return net


def marks_of(verdict) -> list[dict]:
    """The diagram's marks for a verdict's differing values (``NetworkDiagram.set_marks``)."""
    marks = []
    for d in verdict.wrong:
        name = plain_name(d.label)  # 'δ^3_1' as the diagram's tooltips write it: δ³₁
        label = name if d.example is None else f"{name} (example {d.example + 1})"
        mark = {"kind": d.kind, "layer": int(d.layer), "j": int(d.j), "label": label,
                "expected": float(d.expected), "got": float(d.got)}
        if d.kind == "weight":
            mark["k"] = int(d.k)
        marks.append(mark)
    return marks


class ExerciseCheck(guard.MessageArea, widgets.VBox):
    """One exercise: its task, a Check button, the verdict and the failing case's network.

    ``ExerciseCheck(name, fn=None)``: ``name`` is a key of ``explorer.exercises.EXERCISES``;
    ``fn`` the function to check (else the notebook's function named ``function_name``, read
    from ``namespace`` or, by default, IPython's user namespace). ``trials``, ``seed`` and
    ``time_limit`` are passed to ``check``. ``shell`` is the IPython shell whose
    ``post_run_cell`` event triggers the auto-check (default: the running one; ``auto=False``
    turns it off).

    After a check: ``verdict`` is the checker's Verdict, ``solved`` whether it passed,
    ``message`` the verdict as plain text, ``diagram`` the NetworkDiagram of the failing case
    (None when there is nothing to mark). ``close()`` stops the auto-check.
    """

    solved = traitlets.Bool(False, help="the latest check passed")
    stamp = traitlets.Int(0, help="goes up with every check (a counter shared by all panels)")

    def __init__(self, name, fn=None, *, namespace=None, shell=None, trials: int = 30, seed: int = 0,
                 time_limit: float = 2.0, auto: bool = True):
        if not isinstance(name, str) or name not in EXERCISES:
            raise KeyError(f"name: unknown exercise {name!r}; the exercises are {', '.join(EXERCISES)}")
        if fn is not None and not callable(fn):
            raise ValueError(f"fn: expected a function, got {type(fn).__name__}")
        if namespace is not None and not hasattr(namespace, "get"):
            raise ValueError(f"namespace: expected a mapping of names, got {type(namespace).__name__}")
        for value, what, least in ((trials, "trials", 1), (seed, "seed", 0)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
                raise ValueError(f"{what}: expected an integer ≥ {least}, got {value!r}")
        if isinstance(time_limit, bool) or not isinstance(time_limit, (int, float, np.floating)) \
                or not np.isfinite(time_limit) or time_limit <= 0:
            raise ValueError(f"time_limit: expected a positive number of seconds, got {time_limit!r}")
        self.exercise = EXERCISES[name]
        self.made = next(_made)
        self.fn = fn
        self.namespace = namespace
        self.trials, self.seed, self.time_limit = trials, seed, time_limit
        self.verdict = None
        self.drawn = None  # the verdict whose case the diagram draws (may be another case's)
        self.message = ""
        self.diagram = None
        self._checked_fn = None  # the function object the shown verdict is about
        self._shell = None
        self._given_shell = shell

        ex = self.exercise
        head = widgets.HTML(
            f"<h3 style='margin:4px 0'>{_esc(ex.title)} "
            f"<span style='font-weight:normal;color:#555'>· practises {_esc(ex.equation)}</span></h3>")
        self.equation = Formula()  # typeset by the bundled KaTeX, like every equation of ours
        self.equation.show(display(ex.task_latex), {})
        self.task = widgets.HTML(f"<p style='margin:2px 0;max-width:760px'>{_esc(ex.task_text)}</p>")
        self.signature = widgets.HTML(
            "<p style='margin:2px 0'>Write: <code style='font-size:105%'>"
            f"{_esc(ex.signature)}</code></p>")
        self.button = widgets.Button(description="Check", icon="check", button_style="primary",
                                     tooltip=f"check {ex.function_name} against the explorer's backprop")
        self.button.on_click(lambda _button: self.check())
        self.message = f"Write {ex.function_name} in a cell above, run it, and it is checked here."
        self.verdict_html = widgets.HTML(self._paragraph(_esc(self.message), IDLE_COLOR))
        self.diagram_box = widgets.VBox()
        super().__init__([head, self.equation, self.task, self.signature, self.button,
                          self.verdict_html, self.diagram_box])
        self.add_class("bpx-exercise")
        guard.watch(self)
        _live.add(self)
        for line in list(_progress_lines):
            line.follow(self)
        if auto and fn is None:
            self._start_following()
        if fn is not None or self._lookup() is not None:
            self.check()

    # ------------------------------------------------------------ which function
    def _shell_to_follow(self):
        return self._given_shell if self._given_shell is not None else _ipython()

    def _names(self):
        if self.namespace is not None:
            return self.namespace
        return getattr(self._shell_to_follow(), "user_ns", None)

    def _lookup(self):
        if self.fn is not None:
            return self.fn
        names = self._names()
        return None if names is None else names.get(self.exercise.function_name)

    def _start_following(self):
        shell = self._shell_to_follow()
        if shell is None or not hasattr(shell, "events"):
            return
        previous = _followers.get(self.exercise.name)
        if previous is not None and previous is not self:
            previous.stop_following()  # the newest panel of an exercise follows the cells
        shell.events.register("post_run_cell", self._after_cell)
        self._shell = shell
        _followers[self.exercise.name] = self

    def stop_following(self) -> None:
        """Stop checking after every cell (the button still works)."""
        if getattr(self, "_shell", None) is not None:
            try:
                self._shell.events.unregister("post_run_cell", self._after_cell)
            except ValueError:
                pass  # already gone
            self._shell = None

    @property
    def following(self) -> bool:
        """Whether the panel checks again by itself after a cell redefines the function."""
        return getattr(self, "_shell", None) is not None

    def _after_cell(self, result=None) -> None:
        fn = self._lookup()
        if fn is not None and fn is not self._checked_fn:
            self.check()

    # ------------------------------------------------------------ checking
    def check(self):
        """Check the function now and show the verdict; returns the Verdict (None if no function)."""
        ex = self.exercise
        fn = self._lookup()
        self._checked_fn = fn
        self.drawn = None
        self._show_diagram(None)
        if fn is None:
            self.verdict = None
            where = "in a cell above and run that cell" if self.fn is None else ""
            self._show(False, f"{ex.function_name} is not defined yet: write it {where}, then press Check.".replace(" ,", ","),
                       None, IDLE_COLOR)
            return None
        if not callable(fn):
            self.verdict = None
            self._show(False, f"{ex.function_name} is a {type(fn).__name__}, not a function: "
                       f"define it with def {ex.function_name}(...).", None, WRONG_COLOR)
            return None
        verdict = check(ex.name, fn, trials=self.trials, seed=self.seed, time_limit=self.time_limit)
        self.verdict = verdict
        if verdict.ok:
            self._show(True, verdict.message, None, OK_COLOR)
            return verdict
        stub = _stub_reason(verdict, ex.function_name)
        if stub is not None:
            self._show(False, stub, None, IDLE_COLOR)
            return verdict
        drawn = verdict if verdict.wrong else self._case_with_values(fn, verdict)
        self.drawn = drawn
        self._show(False, verdict.message, verdict.hint, WRONG_COLOR, verdict, drawn)
        if drawn is not None:
            self._show_diagram(drawn, "The first failing case's network" if drawn is verdict else "That case's network")
        return verdict

    def _case_with_values(self, fn, verdict):
        """A failing case whose values can be compared, when the first one only raised.

        A named mistake that fails on shapes (w^(l+1) for its transpose) still computes on
        layers of equal sizes; the values there are what the diagram can show.
        """
        if verdict.mistake is None or verdict.case is None:
            return None  # an endless loop or an unknown error: nothing more to learn by rerunning
        for seed in range(verdict.case.seed + 1, verdict.case.seed + 1 + SEARCHED):
            other = check(self.exercise.name, fn, trials=1, seed=seed, time_limit=self.time_limit)
            if other.wrong and other.case is not None:
                return other
        return None

    # ------------------------------------------------------------ showing
    @staticmethod
    def _paragraph(inner_html: str, color: str) -> str:
        return f"<div style='color:{color};font-size:110%;margin:6px 0;max-width:820px'>{inner_html}</div>"

    def _show(self, ok: bool, message: str, hint, color: str, verdict=None, drawn=None) -> None:
        lines = [("✓ " if ok else "") + message]
        if ok:
            parts = [f"<b>✓ {_rich(message)}</b>"]
        elif color == WRONG_COLOR:  # a kind word first; the details in ordinary weight
            parts = [f"<b>Not yet.</b> {_rich(message)}"]
        else:
            parts = [f"<b>{_rich(message)}</b>"]
        if hint:
            lines.append("Hint: " + hint)
            parts.append(f"<span style='color:#333'>Hint: {_rich(hint)}</span>")
        if verdict is not None and verdict.case is not None:
            note = "First failing case: " + self._case_words(verdict.case)
            lines.append(note)
            parts.append(f"<span style='color:#666;font-size:90%'>{_esc(note)}</span>")
        if drawn is not None:
            if drawn is not verdict:
                note = ("Where your code does run, on " + self._case_words(drawn.case)
                        + ", these values differ:")
                lines.append(note)
                parts.append(f"<span style='color:#333'>{_esc(note)}</span>")
            shown = [f"{d.label}: yours {_g(d.got)}, expected {_g(d.expected)}" for d in drawn.wrong[:LISTED]]
            more = len(drawn.wrong) - LISTED
            if more > 0:
                shown.append(f"and {more} more (marked in red below)")
            lines.extend(shown)
            parts.append("<span style='color:#333;font-family:monospace'>" + "<br>".join(_esc(s) for s in shown) + "</span>")
        self.message = "\n".join(lines)
        self.verdict_html.value = self._paragraph("<br>".join(parts), color)
        self.solved = ok
        self.stamp = next(_stamps)

    def _case_words(self, case) -> str:
        where = f", layer l = {case.layer}" if case.layer is not None else ""
        return (f"a network of sizes {list(case.sizes)}{where} ({case.kind}; "
                f"make_case({self.exercise.name!r}, {case.seed}) rebuilds it)")

    def _show_diagram(self, verdict, title: str = "") -> None:
        if self.diagram is not None:
            self.diagram.close()
            self.diagram = None
        if verdict is None:
            self.diagram_box.children = ()
            return
        trace = verdict.case.trace
        kinds = {d.kind for d in verdict.wrong}
        net = network_of(trace)
        # The state's own selection (an output neuron) stays: its halo would hide a mark.
        state = ExplorerState(net, np.array(trace.a[1][:, :1]), np.array(trace.y[:, :1]))
        diagram = NetworkDiagram(state, color_by="delta" if "neuron" in kinds else "a",
                                 edge_by="nabla_w" if kinds & {"weight"} else "w")
        diagram.set_marks(marks_of(verdict))
        self.diagram = diagram
        caption = widgets.HTML(
            f"<div style='color:#333;margin:4px 0'>{_esc(title)}"
            + (" (its first example)" if trace.a[1].shape[1] > 1 else "")
            + ": the values that differ from backprop's are marked in red; hover over one to "
            "compare yours with the expected value.</div>")
        self.diagram_box.children = (caption, diagram)

    def close(self) -> None:
        """Stop the auto-check, close the diagram and the widget."""
        # Also reached from the widget's __del__, for a panel whose arguments were refused.
        self.stop_following()
        if getattr(self, "diagram", None) is not None:
            self.diagram.close()
            self.diagram = None
        _live.discard(self)
        super().close()
        for line in list(_progress_lines):
            line.refresh()


def _stub_reason(verdict, function_name: str):
    """A friendly sentence when the function gave no answer yet (``verdict.empty``), else None."""
    if verdict.empty == "stub":
        return (f"{function_name} is still the empty stub: replace `raise NotImplementedError` "
                "with your code and run its cell.")
    if verdict.empty == "none":
        return (f"{function_name} returns None: it is still empty, or its return statement "
                "is missing.")
    return None


class Progress(widgets.HTML):
    """"k of n solved": follows the ExerciseCheck panels, by default every one in this kernel.

    An exercise counts as solved when the newest check among its panels passed. With
    ``panels`` it follows those alone (n is then how many exercises they are about).
    """

    def __init__(self, panels=None):
        super().__init__()
        self._all = panels is None
        self._panels: "weakref.WeakSet[ExerciseCheck]" = weakref.WeakSet()
        if panels is not None:
            panels = list(panels)
            for p in panels:
                if not isinstance(p, ExerciseCheck):
                    raise ValueError(f"panels: expected ExerciseCheck panels, got {type(p).__name__}")
            self._names = list(dict.fromkeys(p.exercise.name for p in panels))
        else:
            panels = sorted(_live, key=lambda p: p.made)
            self._names = []  # filled in the order the panels appear, then the rest
            _progress_lines.add(self)
        for p in panels:
            self.follow(p)
        self.refresh()

    def follow(self, panel: "ExerciseCheck") -> None:
        """Count this panel too (new panels are followed by themselves when following all)."""
        if panel in self._panels:
            return
        self._panels.add(panel)
        panel.observe(self._on_check, names="stamp")
        if panel.exercise.name not in self._names:
            self._names.append(panel.exercise.name)
        self.refresh()

    @property
    def names(self) -> list[str]:
        """The exercises counted, in the order their panels appeared (then any not shown)."""
        if not self._all:
            return list(self._names)
        return self._names + [n for n in EXERCISES if n not in self._names]

    def _on_check(self, change) -> None:
        self.refresh()

    @property
    def solved(self) -> list[str]:
        """The names of the solved exercises, in the order of ``names``."""
        newest: dict[str, ExerciseCheck] = {}
        for p in list(self._panels):
            if p not in _live or p.stamp == 0:
                continue
            name = p.exercise.name
            if name not in newest or p.stamp > newest[name].stamp:
                newest[name] = p
        return [n for n in self.names if n in newest and newest[n].solved]

    @property
    def text(self) -> str:
        """'4 of 8 solved'."""
        return f"{len(self.solved)} of {len(self.names)} solved"

    def refresh(self) -> None:
        """Recount and redraw the line."""
        done = set(self.solved)
        badges = " ".join(
            f"<span style='padding:1px 6px;border-radius:4px;margin-right:2px;"
            f"background:{'#dff5e3' if n in done else '#f0f0f0'};color:{OK_COLOR if n in done else '#666'}'>"
            f"{'✓ ' if n in done else ''}{_esc(n)}</span>" for n in self.names)
        self.value = (f"<div style='font-size:120%;margin:6px 0'><b>{_esc(self.text)}</b></div>"
                      f"<div style='font-size:95%'>{badges}</div>")

    def close(self) -> None:
        """Stop following the panels and close the line."""
        _progress_lines.discard(self)
        for p in list(getattr(self, "_panels", ())):
            p.unobserve(self._on_check, names="stamp")
        super().close()
