"""The exercise panel and the diagram's marks.

The panel is driven as a student would (its button, the notebook's namespace, a re-run cell
through IPython's own event manager); what it shows is compared with ``check(...)`` called
here independently, and the marked values with δ, ∂C/∂b and ∂C/∂w computed by this file's
own numpy from the failing case's inputs and by finite differences.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pytest
from IPython.core.events import EventManager, available_events

from explorer import Network
from explorer.widgets.dashboard.diagram import NetworkDiagram
from explorer.widgets.state import ExplorerState

from helpers import book_plain, sigma, sigma_prime


# ------------------------------------------------------------------ the diagram's marks
@pytest.fixture
def diagram():
    net = Network([3, 4, 2], seed=3)
    state = ExplorerState(net, np.array([0.5, -0.2, 0.9]), np.array([1.0, 0.0]))
    return NetworkDiagram(state)


def test_marks_carry_book_labels_and_both_values(diagram):
    builds = diagram.builds
    diagram.set_marks([
        {"kind": "weight", "layer": 3, "j": 1, "k": 3, "expected": 0.25, "got": -0.5},
        {"kind": "neuron", "layer": 2, "j": 0, "label": "δ²₁", "expected": -0.03125, "got": 0.125},
        {"kind": "bias", "layer": 3, "j": 0, "expected": 1.5, "got": float("nan")},
    ])
    weight, neuron, bias = diagram.view.marks
    assert (weight["kind"], weight["l"], weight["j"], weight["k"]) == ("weight", 3, 1, 3)
    assert weight["label"] == "w³₂₄"  # 1-based, as the book writes it, in plain text
    assert weight["tip"] == "w³₂₄ — yours: −0.5   expected: 0.25"
    assert neuron["tip"] == "δ²₁ — yours: 0.125   expected: −0.03125"
    assert bias["label"] == "b³₁" and "yours: NaN" in bias["tip"] and bias["got"] is None
    # marks are their own trait: the picture's JSON is not rebuilt for them
    assert diagram.builds == builds
    assert diagram.marks == [dict(m) for m in diagram.view.marks]
    diagram.state.set_weight(3, 0, 0, 0.7)  # a new trace redraws the picture and keeps the marks
    assert diagram.builds == builds + 1 and len(diagram.view.marks) == 3
    diagram.clear_marks()
    assert diagram.view.marks == []


@pytest.mark.parametrize(
    "marks, error, words",
    [
        ([{"kind": "edge", "layer": 2, "j": 0}], ValueError, "kind"),
        ([{"kind": "neuron", "j": 0}], KeyError, "'layer'"),
        ([{"kind": "weight", "layer": 2, "j": 0}], KeyError, "'k'"),
        ([{"kind": "weight", "layer": 4, "j": 0, "k": 0}], IndexError, "layer"),
        ([{"kind": "bias", "layer": 1, "j": 0}], IndexError, "layer must be 2..3"),
        ([{"kind": "neuron", "layer": 2, "j": 4}], IndexError, "j must be 0..3"),
        ([{"kind": "weight", "layer": 2, "j": 0, "k": 3}], IndexError, "k must be 0..2"),
        ([{"kind": "neuron", "layer": 2.0, "j": 0}], ValueError, "int"),
        ([{"kind": "neuron", "layer": 2, "j": 0, "expected": float("inf")}], ValueError, "finite"),
        ([{"kind": "neuron", "layer": 2, "j": 0, "got": "many"}], ValueError, "got"),
        ({"kind": "neuron", "layer": 2, "j": 0}, ValueError, "list"),
        ([3], ValueError, "marks[0]"),
    ],
)
def test_bad_marks_are_refused_by_name(diagram, marks, error, words):
    with pytest.raises(error, match=re.escape(words)):
        diagram.set_marks(marks)
    assert diagram.view.marks == []


# ------------------------------------------------------------------ the exercise panel
from explorer.exercises import EXERCISES, check, make_case  # noqa: E402
from explorer.widgets import ExerciseCheck  # noqa: E402
from explorer.widgets.chapter.exercise import Progress  # noqa: E402

from helpers import numeric_dC_dz, numeric_gradient  # noqa: E402



# Students' functions, written here (never the checker's own).
def bp2_right(w_next, delta_next, z, sigma_prime):
    return (w_next.T @ delta_next) * sigma_prime(z)


def bp2_no_transpose(w_next, delta_next, z, sigma_prime):
    return w_next @ delta_next * sigma_prime(z)


def bp2_stub(w_next, delta_next, z, sigma_prime):
    # your code here
    raise NotImplementedError


def bp2_empty(w_next, delta_next, z, sigma_prime):
    pass


def bp4_summed(a_prev, delta):
    return delta @ a_prev.T  # the sum over the batch, not its mean


def backprop_wrong_sign(weights, biases, x, y):
    a, zs = [x], []
    for w, b in zip(weights, biases):
        zs.append(w @ a[-1] + b)
        a.append(sigma(zs[-1]))
    delta = (y - a[-1]) * sigma_prime(zs[-1])  # y − a: the reverse of eq. 30
    nabla_b, nabla_w = [delta], [delta @ a[-2].T]
    for i in range(2, len(weights) + 1):
        delta = (weights[-i + 1].T @ delta) * sigma_prime(zs[-i])
        nabla_b.insert(0, delta)
        nabla_w.insert(0, delta @ a[-i - 1].T)
    return nabla_b, nabla_w


def modified_ignored(w_next, delta_next, z, sigma_prime, f_prime, j):
    return (w_next.T @ delta_next) * sigma_prime(z)  # σ' for the modified neuron as well


def rebuilt(case):
    """The case's network rebuilt by hand from the trace's parameters (sigmoid, quadratic)."""
    net = Network(list(case.sizes), seed=0)
    for l in range(2, len(case.sizes) + 1):
        net.weights[l] = np.array(case.trace.weights[l])
        net.biases[l] = np.array(case.trace.biases[l])
    return net


def marked(panel):
    return {(m["kind"], m["l"], m["j"], m.get("k")): m for m in panel.diagram.marks}


def test_a_right_bp2_is_solved_and_the_panel_says_what_check_says():
    panel = ExerciseCheck("BP2", bp2_right, auto=False)
    verdict = check("BP2", bp2_right)  # independently
    assert verdict.ok and panel.solved
    assert panel.message == "✓ " + verdict.message
    assert "✓" in panel.verdict_html.value and panel.diagram is None
    assert panel.diagram_box.children == ()


def test_the_task_is_shown_typeset():
    panel = ExerciseCheck("BP2", auto=False, namespace={})
    ex = EXERCISES["BP2"]
    assert panel.equation.template == f'<div class="tex display">{ex.task_latex}</div>'  # KaTeX typesets it
    assert "(w^{l+1})^T" in panel.equation.template
    assert ex.title in panel.children[0].value
    assert "def" not in panel.signature.value and "bp2(w_next, delta_next, z, sigma_prime)" in panel.signature.value
    assert panel.button.description == "Check"


def test_a_missing_transpose_gets_its_hint_and_marks_on_a_case_where_it_runs():
    panel = ExerciseCheck("BP2", bp2_no_transpose, auto=False)
    verdict = check("BP2", bp2_no_transpose)
    assert not panel.solved and not verdict.ok
    assert verdict.hint and verdict.hint in panel.message
    assert panel.message.splitlines()[0] == verdict.message
    assert "Hint: " in panel.verdict_html.value
    # The first failing case only raised (shapes); the diagram shows one where the code computes.
    drawn = panel.drawn.case
    assert drawn.seed != panel.verdict.case.seed
    assert "That case" in panel.diagram_box.children[0].value and "first failing" not in panel.diagram_box.children[0].value
    case = make_case("BP2", drawn.seed)
    w_next, delta_next, z, sp = case.arguments()
    expected = (np.asarray(w_next).T @ delta_next) * sigma_prime(z)  # BP2 by this file's own hand
    got = np.asarray(w_next) @ delta_next * sigma_prime(z)
    net = rebuilt(case)
    l = case.layer
    measured = numeric_dC_dz(net, net.trace(case.trace.a[1], case.trace.y), l)  # δ = ∂C/∂z (eq. 29)
    assert np.allclose(measured, expected, rtol=1e-5, atol=1e-9)
    differs = {j for j in range(expected.shape[0]) if not np.allclose(got[j], expected[j], rtol=1e-6, atol=1e-12)}
    marks = marked(panel)
    assert {key[2] for key in marks} == differs and all(key[:2] == ("neuron", l) for key in marks)
    for (_, _, j, _), m in marks.items():
        column = 0 if "(example" not in m["label"] else int(re.search(r"example (\d+)", m["label"]).group(1)) - 1
        assert m["expected"] == pytest.approx(expected[j, column], rel=1e-3)
        assert m["got"] == pytest.approx(got[j, column], rel=1e-3)
        assert m["label"].startswith(book_plain("δ", l, j + 1))
        assert "yours: " in m["tip"] and "expected: " in m["tip"]
    # the drawn network is the case's: same parameters, so the same δ (colour by δ)
    assert panel.diagram.view.color_by == "delta"
    assert panel.diagram.state.network.sizes == tuple(case.sizes)
    assert np.allclose(panel.diagram.state.trace.delta[l][:, 0], measured[:, 0], rtol=1e-5, atol=1e-9)


def test_a_summed_bp4_marks_the_weights_m_times_too_large():
    panel = ExerciseCheck("BP4", bp4_summed, auto=False)
    verdict = check("BP4", bp4_summed)
    assert verdict.hint in panel.message and not panel.solved
    case = make_case("BP4", panel.drawn.case.seed)
    a_prev, delta = case.arguments()
    m = delta.shape[1]
    assert m > 1
    mean = sum(np.outer(delta[:, i], a_prev[:, i]) for i in range(m)) / m  # BP4 example by example
    marks = marked(panel)
    assert len(marks) == mean.size  # every weight is off by the factor m
    for (kind, l, j, k), mk in marks.items():
        assert kind == "weight" and l == case.layer
        assert mk["expected"] == pytest.approx(mean[j, k], rel=1e-3, abs=1e-12)
        assert mk["got"] == pytest.approx(m * mean[j, k], rel=1e-3, abs=1e-12)
        assert mk["label"] == "∂C/∂" + book_plain("w", l, j + 1, k + 1)
    assert panel.diagram.view.edge_by == "nabla_w"


def test_backprop_with_the_sign_reversed_marks_weights_and_biases_against_finite_differences():
    panel = ExerciseCheck("backprop", backprop_wrong_sign, auto=False)
    assert not panel.solved and check("backprop", backprop_wrong_sign).hint in panel.message
    case = make_case("backprop", panel.drawn.case.seed)
    net = rebuilt(case)
    x, y = case.trace.a[1], case.trace.y
    weights = {l: np.array(net.weights[l]) for l in net.layers}
    biases = {l: np.array(net.biases[l]) for l in net.layers}
    gw = numeric_gradient(net, x, y, {l: net.weights[l] for l in net.layers})  # eq. 46, centred
    gb = numeric_gradient(net, x, y, {l: net.biases[l] for l in net.layers})
    marks = marked(panel)
    kinds = {key[0] for key in marks}
    assert kinds == {"weight", "bias"}
    for (kind, l, j, k), mk in marks.items():
        true = gw[l][j, k] if kind == "weight" else gb[l][j, 0]
        assert mk["expected"] == pytest.approx(true, rel=1e-3, abs=1e-9)
        assert mk["got"] == pytest.approx(-true, rel=1e-3, abs=1e-9)  # the sign reversed
    # every parameter whose gradient is not ~0 is marked
    big = {("weight", l, j, k) for l in weights for j, k in np.ndindex(weights[l].shape) if abs(gw[l][j, k]) > 1e-6}
    big |= {("bias", l, j, None) for l in biases for j in range(biases[l].shape[0]) if abs(gb[l][j, 0]) > 1e-6}
    assert big <= set(marks)


def test_the_modified_neurons_network_is_drawn_with_its_own_activation():
    panel = ExerciseCheck("modified_neuron", modified_ignored, auto=False)
    assert not panel.solved
    case = panel.drawn.case
    l, j = case.modified
    net = panel.diagram.state.network
    assert net.neuron_activation(l, j).name != "sigmoid"
    assert all(net.neuron_activation(l, i).name == "sigmoid" for i in range(case.sizes[l - 1]) if i != j)
    # only the modified neuron's δ differs: elsewhere σ' is the right slope
    assert {key[2] for key in marked(panel)} == {j}
    # the drawn network is the case's: its δ^l is ∂C/∂z^l by finite differences
    trace = panel.diagram.state.trace
    measured = numeric_dC_dz(net, trace, l)
    assert np.allclose(trace.delta[l], measured, rtol=1e-5, atol=1e-9)
    assert np.allclose(trace.delta[l][:, 0], case.trace.delta[l][:, 0])


def test_the_empty_stub_and_a_missing_function_get_plain_messages():
    ns = {}
    panel = ExerciseCheck("BP2", namespace=ns, auto=False)
    assert panel.message.startswith("Write bp2 in a cell above") and panel.stamp == 0
    panel.button.click()
    assert "bp2 is not defined yet" in panel.message and panel.verdict is None
    ns["bp2"] = bp2_stub
    panel.button.click()
    assert "still the empty stub" in panel.message and "NotImplementedError" in panel.message
    ns["bp2"] = bp2_empty
    panel.button.click()
    assert "bp2 returns None" in panel.message
    ns["bp2"] = 42
    panel.button.click()
    assert "not a function" in panel.message
    for p in (panel,):
        assert not p.solved and p.diagram is None


def test_a_function_that_hangs_or_returns_a_list_gets_the_checkers_sentence():
    def hangs(w_next, delta_next, z, sigma_prime):
        while True:
            pass

    def a_list(w_next, delta_next, z, sigma_prime):
        return [[0.0]]

    slow = ExerciseCheck("BP2", hangs, auto=False, time_limit=0.2, trials=2)
    assert "took longer than 0.2 s" in slow.message and slow.diagram is None
    listed = ExerciseCheck("BP2", a_list, auto=False)
    assert listed.message.splitlines()[0] == check("BP2", a_list).message
    assert "list" in listed.message and listed.diagram is None


def fake_shell(ns):
    """What the panel uses of IPython: its namespace and its real event manager."""
    shell = SimpleNamespace(user_ns=ns)
    shell.events = EventManager(shell, available_events)
    return shell


def test_rerunning_the_cell_checks_again_and_close_stops_it():
    ns = {"bp2": bp2_stub}
    shell = fake_shell(ns)
    panel = ExerciseCheck("BP2", shell=shell)
    assert panel.following and "empty stub" in panel.message
    stamp = panel.stamp
    shell.events.trigger("post_run_cell", None)  # a cell that did not touch bp2
    assert panel.stamp == stamp
    ns["bp2"] = bp2_no_transpose
    shell.events.trigger("post_run_cell", None)
    assert panel.stamp > stamp and check("BP2", bp2_no_transpose).hint in panel.message
    ns["bp2"] = bp2_right
    shell.events.trigger("post_run_cell", None)
    assert panel.solved and panel.message.startswith("✓")
    # a newer panel of the same exercise takes over following the cells
    newer = ExerciseCheck("BP2", shell=shell)
    assert newer.following and not panel.following
    newer.close()
    assert not newer.following
    ns["bp2"] = bp2_stub
    stamps = (panel.stamp, newer.stamp)
    shell.events.trigger("post_run_cell", None)
    assert (panel.stamp, newer.stamp) == stamps  # neither checks any more
    assert shell.events.callbacks["post_run_cell"] == []


def test_outside_ipython_there_is_no_auto_check():
    panel = ExerciseCheck("BP3", lambda delta: delta.mean(axis=1, keepdims=True))
    assert not panel.following and panel.solved


def test_progress_counts_the_newest_verdict_of_each_exercise():
    right = ExerciseCheck("BP2", bp2_right, auto=False)
    wrong = ExerciseCheck("BP4", bp4_summed, auto=False)
    line = Progress([right, wrong])
    assert line.text == "1 of 2 solved" and "1 of 2 solved" in line.value
    ns = {"bp4": bp4_summed}
    later = ExerciseCheck("BP4", namespace=ns, auto=False)
    line.follow(later)
    ns["bp4"] = lambda a_prev, delta: delta @ a_prev.T / delta.shape[1]
    later.button.click()
    assert line.solved == ["BP2", "BP4"] and line.text == "2 of 2 solved"
    wrong.button.click()  # the older panel checks again, still wrong: now it is the newest
    assert line.text == "1 of 2 solved"
    everything = Progress()
    assert everything.text.endswith(" of 8 solved")
    assert sorted(everything.names) == sorted(EXERCISES)
    # the panels' exercises first, in the order they were made (as a notebook shows them)
    shown = list(dict.fromkeys(p.exercise.name for p in sorted((right, wrong, later), key=lambda p: p.made)))
    assert [n for n in everything.names if n in shown] == shown
    before = len(everything.solved)
    fresh = ExerciseCheck("BP3", lambda delta: delta.mean(axis=1, keepdims=True), auto=False)
    assert "BP3" in everything.solved and len(everything.solved) >= before
    fresh.close()
    for p in (right, wrong, later):
        p.close()
    assert line.text == "0 of 2 solved"


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"name": "BP5"}, KeyError, "name: unknown exercise 'BP5'"),
        ({"name": "BP2", "fn": 3}, ValueError, "fn: expected a function"),
        ({"name": "BP2", "namespace": 3}, ValueError, "namespace"),
        ({"name": "BP2", "trials": 0}, ValueError, "trials: expected an integer ≥ 1"),
        ({"name": "BP2", "seed": -1}, ValueError, "seed"),
        ({"name": "BP2", "time_limit": float("nan")}, ValueError, "time_limit"),
    ],
)
def test_bad_arguments_are_refused_by_name(kwargs, error, words):
    with pytest.raises(error, match=re.escape(words)):
        ExerciseCheck(**kwargs)
    with pytest.raises(ValueError, match="panels"):
        Progress([3])
