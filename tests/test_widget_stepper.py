"""The step-through panel driven as a student would: every number it shows at every step is
checked against a trace the test computes itself, and nothing ahead of the step is shown."""

import copy
import re

import numpy as np
import pytest

from explorer import Network, toy_dataset
from explorer.widgets.state import ExplorerState
from explorer.widgets.chapter.stepper import StepThroughPanel

from helpers import hand_forward, read_number, sigma

X0 = np.array([0.3, -0.7, 0.5])
Y0 = np.array([1.0, 0.0])


def make(sizes=(3, 4, 3, 2), seed=2, **kw):
    state = ExplorerState(Network(list(sizes), seed=seed), X0, Y0)
    return state, StepThroughPanel(state, **kw)


# What each step computes, written out again from the chapter's algorithm for L = 4.
EXPECTED_STEPS_L4 = [
    (1, {("a", 1)}),
    (2, {("z", 2), ("a", 2)}),
    (2, {("z", 3), ("a", 3)}),
    (2, {("z", 4), ("a", 4)}),
    (3, {("delta", 4)}),
    (4, {("delta", 3)}),
    (4, {("delta", 2)}),
    (5, {("nabla_w", 4), ("nabla_b", 4)}),
    (5, {("nabla_w", 3), ("nabla_b", 3)}),
    (5, {("nabla_w", 2), ("nabla_b", 2)}),
]

VEC = re.compile(r'<span class="vec" data-q="(\w+)" data-values="([^"]*)">')
MAT = re.compile(r'<table class="mat" data-q="(\w+)" data-shape="(\d+),(\d+)" data-values="([^"]*)"')
NUM = re.compile(r'<span class="num" data-q="(\w+)" data-value="([^"]*)">')


def shown_arrays(markup):
    """{name: array} for every vector span and matrix table in the panel's HTML."""
    out = {q: np.array([float(v) for v in vals.split(",")]) for q, vals in VEC.findall(markup)}
    for q, r, c, vals in MAT.findall(markup):
        out[q] = np.array([float(v) for v in vals.split(",")]).reshape(int(r), int(c))
    for q, val in NUM.findall(markup):
        out[q] = float(val)
    return out


def number_in(text):
    """The number after '= ' in a drawing's label such as 'z = −0.512'."""
    return read_number(text.split("= ")[1])


def by_hand(net, x, y):
    """z, a, δ, ∂C/∂w, ∂C/∂b for one example: sigmoid neurons, quadratic cost, written again."""
    w = {l: np.array(net.weights[l]) for l in net.layers}
    b = {l: np.array(net.biases[l])[:, 0] for l in net.layers}
    L = net.L
    a, z, d = {1: np.asarray(x, float)}, {}, {}
    for l in range(2, L + 1):
        z[l] = w[l] @ a[l - 1] + b[l]
        a[l] = sigma(z[l])
    sp = {l: sigma(z[l]) * (1 - sigma(z[l])) for l in z}
    d[L] = (a[L] - y) * sp[L]
    for l in range(L - 1, 1, -1):
        d[l] = (w[l + 1].T @ d[l + 1]) * sp[l]
    gw = {l: np.outer(d[l], a[l - 1]) for l in z}
    return {"z": z, "a": a, "delta": d, "nabla_w": gw, "nabla_b": d, "sp": sp}


def value(hand, key):
    q, l = key
    return hand[q][l]


# ---------------------------------------------------------------------- one example
def test_every_step_shows_the_traces_numbers_and_only_what_is_computed():
    state, panel = make()
    net = copy.deepcopy(state.network)
    t = net.trace(X0, Y0)  # the test's own trace
    hand = by_hand(net, X0, Y0)
    assert panel.play.max == len(EXPECTED_STEPS_L4) == 10
    all_keys = [("a", 1)] + [(q, l) for l in (2, 3, 4) for q in ("z", "a", "delta", "nabla_w", "nabla_b")]
    for done in range(0, 11):
        panel.play.value = done
        known = set().union(*(c for _, c in EXPECTED_STEPS_L4[:done])) if done else set()
        for key in all_keys:
            q, l = key
            shown = panel.shown[key]
            if key not in known:
                assert shown is None, (done, key)
            else:
                trace_value = {"z": t.z, "a": t.a, "delta": t.delta, "nabla_w": t.nabla_w, "nabla_b": t.nabla_b}[q][l]
                expected = trace_value if q == "nabla_w" else trace_value[:, 0]
                np.testing.assert_array_equal(shown, expected)  # the trace's numbers, exactly
                np.testing.assert_allclose(shown, value(hand, key), rtol=1e-12, atol=1e-15)
            # and the drawing says the same: a rounded number, or "?"
            if q == "nabla_w":
                text = panel.matrix_texts[l]
                if key in known:
                    rows = text.split("\n")[1:]
                    drawn = np.array([[read_number(v) for v in r.split()] for r in rows])
                    np.testing.assert_allclose(drawn, value(hand, key), rtol=6e-2, atol=1e-12)
                else:
                    assert text.endswith("= ?")
                continue
            for j in range(net.sizes[l - 1]):
                label = panel.node_texts[(q, l, j)]
                if key in known:
                    assert number_in(label) == pytest.approx(value(hand, key)[j], rel=6e-3)
                else:
                    assert label.endswith("= ?"), (done, key, label)


def test_the_current_line_is_highlighted_and_the_detail_has_the_steps_numbers():
    state, panel = make()
    hand = by_hand(copy.deepcopy(state.network), X0, Y0)
    net = state.network
    for done, (line, computes) in enumerate(EXPECTED_STEPS_L4, start=1):
        panel.forward_button.click()
        assert panel.step == done
        current = re.findall(r'class="step-line current" data-line="(\d)"', panel.steps_html.value)
        assert current == [str(line)]
        shown = shown_arrays(panel.detail_html.value)
        for q, l in computes:
            name = f"{q}{l}"
            np.testing.assert_allclose(shown[name], value(hand, (q, l)), rtol=1e-12, atol=1e-15)
        if line == 4:  # BP2 shows (w^(l+1))^T δ^(l+1) and σ'(z^l) on the way
            (l,) = {l for _, l in computes}
            np.testing.assert_allclose(shown[f"wTdelta{l}"], net.weights[l + 1].T @ hand["delta"][l + 1], rtol=1e-12)
            np.testing.assert_allclose(shown[f"sp{l}"], hand["sp"][l], rtol=1e-12)
        # nothing of a later step leaks into the text
        later = {f"{q}{l}" for _, c in EXPECTED_STEPS_L4[done:] for q, l in c}
        assert not later & set(shown), later & set(shown)
    panel.forward_button.click()  # at the end: stays there
    assert panel.step == 10


def test_stepping_back_and_reset_restore_what_was_shown():
    state, panel = make()

    def snapshot():
        return (dict(panel.node_texts),
                dict(panel.matrix_texts),
                panel.steps_html.value, panel.detail_html.value)

    before = []
    for _ in range(10):
        before.append(snapshot())
        panel.forward_button.click()
    for done in range(9, -1, -1):
        panel.back_button.click()
        assert panel.step == done
        assert snapshot() == before[done]
    panel.play.value = 7
    panel.reset_button.click()
    assert panel.step == 0 and not panel.play.playing
    assert snapshot() == before[0]
    assert all(t.endswith("= ?") for k, t in snapshot()[0].items() if k[1] > 1)
    panel.back_button.click()
    assert panel.step == 0


def test_the_play_widgets_value_drives_the_step():
    state, panel = make()
    assert panel.play.min == 0 and panel.play.step == 1
    panel.play.value = 4  # what the browser sends while playing
    assert panel.shown[("a", 4)] is not None and panel.shown[("delta", 4)] is None
    # ten steps of the run beside five lines of pseudocode: the position names both
    assert "step 4 of 10 · line 2 of 5: feedforward, l = 4" in panel.position.value
    panel.play.value = 5
    assert panel.shown[("delta", 4)] is not None and panel.shown[("delta", 3)] is None
    assert "step 5 of 10 · line 3 of 5" in panel.position.value
    panel.play.value = 0
    assert "step 0 of 10: nothing computed yet" in panel.position.value


def test_a_changed_parameter_shows_the_new_numbers_at_the_same_step():
    state, panel = make()
    panel.play.value = 6
    state.set_weight(3, 1, 2, 2.5)
    assert panel.step == 6
    hand = by_hand(copy.deepcopy(state.network), X0, Y0)
    np.testing.assert_allclose(panel.shown[("delta", 3)], hand["delta"][3], rtol=1e-12)
    assert panel.node_texts[("delta", 3, 1)] != "δ = ?"
    assert number_in(panel.node_texts[("delta", 3, 1)]) == pytest.approx(hand["delta"][3][1], rel=6e-3)
    assert panel.shown[("delta", 2)] is None


def test_a_new_network_gets_its_own_steps_and_drawing():
    state, panel = make()
    panel.play.value = 9
    state.set_network(Network([2, 3, 2], seed=4), x=[0.5, 0.1], y=[0.0, 1.0])
    assert panel.play.max == 7 and panel.step == 7
    assert set(panel.matrix_texts) == {2, 3}
    hand = by_hand(copy.deepcopy(state.network), np.array([0.5, 0.1]), np.array([0.0, 1.0]))
    np.testing.assert_allclose(panel.shown[("nabla_w", 2)], hand["nabla_w"][2], rtol=1e-12)


def test_a_wide_input_layer_is_drawn_as_one_box():
    net = Network([784, 5, 3], seed=0)
    x = np.linspace(0, 1, 784)
    state = ExplorerState(net, x, 1)
    panel = StepThroughPanel(state)
    panel.play.value = 1
    assert [k for k in panel.node_texts if k[1] == 1] == [("a", 1, 0)]
    assert panel.node_texts[("a", 1, 0)] == "a = [0, …]"  # x_1 = 0, then the rest
    assert panel.node_texts[("z", 2, 0)] == "z = ?"


# ---------------------------------------------------------------------- mini-batch
def batch_of(state, m):
    bx, by = state.batch
    return np.hstack([state.x, bx[:, : m - 1]]), np.hstack([state.y, by[:, : m - 1]])


def test_mini_batch_loop_sums_equal_the_matrix_sums_and_m_times_the_traces_mean():
    state, panel = make()
    panel.mode.value = "batch"
    assert panel.m_dropdown.value == 4
    S = 10
    assert panel.play.max == 4 * S and panel.step == 0
    net = copy.deepcopy(state.network)
    X, Y = batch_of(state, 4)
    per_example = [by_hand(net, X[:, i], Y[:, i]) for i in range(4)]

    for t in range(0, 4 * S + 1):
        panel.play.value = t
        shown = shown_arrays(panel.batch_html.value)
        finished = t // S
        for l in net.layers:  # the loop's running sums hold the finished examples only
            expect_w = sum((h["nabla_w"][l] for h in per_example[:finished]), np.zeros(net.weights[l].shape))
            expect_b = sum((h["nabla_b"][l] for h in per_example[:finished]), np.zeros(net.sizes[l - 1]))
            np.testing.assert_allclose(shown[f"loop_w{l}"], expect_w, rtol=1e-12, atol=1e-16)
            np.testing.assert_allclose(shown[f"loop_b{l}"], expect_b, rtol=1e-12, atol=1e-16)
        matrix_done = min(t, S)
        pending = len(re.findall(r'class="mstep pending"', panel.batch_html.value))
        assert pending == S - matrix_done
        assert ("matrix_w2" in shown) == (t >= S)
        assert ("diff2" in shown) == (t == 4 * S)

    mean = net.trace(X, Y)  # the trace keeps means over the batch
    for l in net.layers:
        loop = shown[f"loop_w{l}"]
        matrix = shown[f"matrix_w{l}"]
        np.testing.assert_allclose(loop, matrix, rtol=1e-12, atol=1e-16)
        np.testing.assert_allclose(matrix, 4 * mean.nabla_w[l], rtol=1e-12, atol=1e-16)
        np.testing.assert_allclose(shown[f"matrix_b{l}"], 4 * mean.nabla_b[l][:, 0], rtol=1e-12, atol=1e-16)
        np.testing.assert_allclose(shown[f"mean_w{l}"], mean.nabla_w[l], rtol=1e-12, atol=1e-16)
        assert 0 <= shown[f"diff{l}"] < 1e-14


def test_the_matrix_side_shows_each_step_for_every_column_with_its_shape():
    state, panel = make()
    panel.mode.value = "batch"
    net = copy.deepcopy(state.network)
    X, Y = batch_of(state, 4)
    hands = [by_hand(net, X[:, i], Y[:, i]) for i in range(4)]
    columns = lambda q, l: np.column_stack([h[q][l] for h in hands])  # noqa: E731
    panel.play.value = 2  # Z^2, A^2: one product for all four columns
    shown = shown_arrays(panel.batch_html.value)
    np.testing.assert_allclose(shown["M_z2"], columns("z", 2), rtol=1e-12)
    np.testing.assert_allclose(shown["M_a2"], columns("a", 2), rtol=1e-12)
    assert "(4×3)·(3×4) → (4×4)" in panel.batch_html.value
    panel.play.value = 7  # the 7th step, Δ^2 = (W^3)^T Δ^3 ⊙ σ'(Z^2)
    shown = shown_arrays(panel.batch_html.value)
    assert "M_delta3" not in shown  # only the latest step's matrix is written out
    np.testing.assert_allclose(shown["M_delta2"], columns("delta", 2), rtol=1e-12)
    assert "Δ<sup>2</sup> = (W<sup>3</sup>)<sup>T</sup>Δ<sup>3</sup> ⊙ σ′(Z<sup>2</sup>) <small>(4×3)·(3×4) → (4×4)" in panel.batch_html.value
    # meanwhile the loop is on its first example, step 7: δ^(x,2) of that example only
    np.testing.assert_allclose(shown["x_delta2"], hands[0]["delta"][2], rtol=1e-12)
    assert ("tick 7 of 40 · the matrix version has taken 7 of 10 steps, line 4 of 5 · the loop 0 of 4 examples "
            "(+ 7 steps of example 1, line 4 of 5)") in panel.position.value
    panel.play.value = 10 + 3  # the loop's second example, z^(x,3)
    shown = shown_arrays(panel.batch_html.value)
    np.testing.assert_allclose(shown["x_z3"], hands[1]["z"][3], rtol=1e-12)
    assert "x<sub>1</sub> ✓" in panel.batch_html.value
    assert "taken 10 of 10 steps · the loop 1 of 4 examples (+ 3 steps of example 2, line 2 of 5)" in panel.position.value


def test_mini_batch_from_a_toy_dataset_and_another_m():
    X, Y = toy_dataset("xor", 12, seed=1)
    state = ExplorerState(Network([2, 3, 2], seed=0), X[:, 0], Y[:, 0])
    panel = StepThroughPanel(state, m=6, batch=(X, Y))
    panel.mode.value = "batch"
    assert panel.m_dropdown.value == 6 and panel.play.max == 6 * 7
    panel.m_dropdown.value = 3
    assert panel.play.max == 3 * 7 and panel.step == 0
    panel.play.value = panel.play.max
    shown = shown_arrays(panel.batch_html.value)
    mean = Network([2, 3, 2], seed=0).trace(X[:, :3], Y[:, :3])
    for l in (2, 3):
        np.testing.assert_allclose(shown[f"loop_w{l}"], 3 * mean.nabla_w[l], rtol=1e-12, atol=1e-16)
    # back to one example: the drawing and the step count return
    panel.mode.value = "single"
    assert panel.play.max == 7 and panel.step == 0
    assert panel.single_box.layout.display is None and panel.batch_box.layout.display == "none"


def test_a_diverged_state_is_announced_and_the_last_numbers_stay():
    state, panel = make()
    panel.play.value = 10
    before = {k: (None if v is None else np.array(v)) for k, v in panel.shown.items()}
    state.set_input(0, 1e308)  # z^2 overflows
    assert state.diverged
    assert "diverged" in panel.message.value
    for key, value in before.items():
        np.testing.assert_array_equal(panel.shown[key], value)
    panel.mode.value = "batch"  # the mini-batch holds the same overflowing example
    assert "overflow" in panel.message.value
    panel.forward_button.click()  # nothing to step through, and no error
    state.set_input(0, 0.3)
    assert not state.diverged and panel.message.value == ""
    assert panel.play.max == 4 * 10


def test_the_mini_batch_follows_the_state_and_only_its_changes():
    state, panel = make()
    panel.mode.value = "batch"
    run = panel.run
    state.dz = 0.4  # the demon: the trace is the same object, so the run stays
    assert panel.run is run
    state.set_weight(2, 1, 0, -1.25)
    assert panel.run is not run
    panel.play.value = 2  # Z^2, A^2 of the changed network
    X, _ = batch_of(state, 4)
    z, a = hand_forward(state.network, X)
    shown = shown_arrays(panel.batch_html.value)
    np.testing.assert_allclose(shown["M_z2"], z[2], rtol=1e-12)
    np.testing.assert_allclose(shown["M_a2"], a[2], rtol=1e-12)


def test_a_finished_mini_batch_shows_the_gradient_descent_step():
    state, panel = make(eta=0.5)
    panel.mode.value = "batch"
    panel.play.value = panel.play.max - 1
    assert "gd_w2" not in shown_arrays(panel.batch_html.value)  # the loop is not done yet
    panel.play.value = panel.play.max
    shown = shown_arrays(panel.batch_html.value)
    X, Y = batch_of(state, 4)
    updated = copy.deepcopy(state.network)
    updated.update_mini_batch(X, Y, 0.5)  # the network's own update, a second implementation
    for l in state.network.layers:
        np.testing.assert_allclose(shown[f"gd_w{l}"], updated.weights[l], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(shown[f"gd_b{l}"], updated.biases[l][:, 0], rtol=1e-12, atol=1e-15)
    assert not np.array_equal(state.network.weights[2], updated.weights[2])  # the state's network is left as it was
    assert "η = 0.5, m = 4" in panel.batch_html.value
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="eta"):
            StepThroughPanel(state, eta=bad)


def test_the_drawing_is_the_explorers_diagram_revealing_the_hand_gradient_as_colour_and_width():
    from explorer.widgets.dashboard.diagram import (BLUE_END, EDGE_ZERO, MAX_EDGE_WIDTH, MIN_EDGE_WIDTH,
                                                    NetworkDiagram, ORANGE_END)

    state, panel = make()
    assert isinstance(panel.diagram, NetworkDiagram)  # one drawing of the network for every view
    hand = by_hand(copy.deepcopy(state.network), X0, Y0)
    panel.play.value = 8  # every δ known, ∂C/∂w^4 (step 8) computed, ∂C/∂w^3 and ∂C/∂w^2 not yet
    assert panel.shown[("nabla_w", 4)] is not None and panel.shown[("nabla_w", 3)] is None
    scene = panel.diagram.scene()
    g4 = hand["nabla_w"][4]
    top = np.abs(g4).max()  # the scale of the gradients known so far: layer 4's alone
    for edge in scene["edges"]:
        l, j, k = edge["l"], edge["j"], edge["k"]
        if l == 4:  # the edge from neuron k of layer 3 to neuron j of layer 4 carries ∂C/∂w^4_jk
            assert edge["g"] == pytest.approx(g4[j, k], rel=1e-12)
            assert edge["width"] == pytest.approx(MIN_EDGE_WIDTH + (MAX_EDGE_WIDTH - MIN_EDGE_WIDTH) * abs(g4[j, k]) / top,
                                                  abs=0.006)
            r, b = int(edge["color"][1:3], 16), int(edge["color"][5:7], 16)
            assert (r > b) == (g4[j, k] > 0)  # orange for a positive gradient, blue for a negative one
            assert edge["dashed"] == (g4[j, k] < 0)  # and a negative one dashed too
            if abs(g4[j, k]) == top:
                assert edge["color"] == (ORANGE_END if g4[j, k] > 0 else BLUE_END)
        else:  # not computed yet: thin, grey, and no ∂C/∂w in the tooltip
            assert edge["g"] is None and edge["color"] == EDGE_ZERO and edge["width"] == MIN_EDGE_WIDTH
            assert "∂C" not in edge["label"]
    # under neuron 2 of layer 3 its δ, by hand; the circles show δ now that the errors are known
    (node,) = [n for n in scene["nodes"] if (n["l"], n["j"]) == (3, 1)]
    (delta,) = [text for text, kind in node["notes"] if text.startswith("δ")]
    assert number_in(delta) == pytest.approx(hand["delta"][3][1], rel=6e-3)
    assert scene["color_by"] == "delta" and node["delta"] == pytest.approx(hand["delta"][3][1], rel=1e-12)
    # ∂C/∂w^4 is written out entry by entry under its layer of weights, marked as just computed
    lines = scene["reveal"]["gaps"][4]
    assert lines[0] == ["∂C/∂w⁴ =", "new"]
    entries = np.array([[float(v.replace("−", "-")) for v in text.split()] for text, _ in lines[1:]])
    np.testing.assert_allclose(entries, g4, rtol=6e-2, atol=1e-12)
    assert scene["reveal"]["gaps"][3] == [["∂C/∂w³ = ?", "unknown"]]


def test_the_diagram_shows_question_marks_until_the_algorithm_gets_there():
    state, panel = make()
    scene = panel.diagram.scene()  # step 0: nothing known, not even the input
    assert all(n["text"] == "?" for n in scene["nodes"])
    assert scene["cost_text"] == "C = ?"
    panel.play.value = 2  # input, then z^2 and a^2: layer 2 is highlighted, its a shown
    scene = panel.diagram.scene()
    hand = by_hand(copy.deepcopy(state.network), X0, Y0)
    assert scene["reveal"]["active"] == [2]
    for n in scene["nodes"]:
        if n["l"] == 2:
            assert n["a"] == pytest.approx(hand["a"][2][n["j"]], rel=1e-12)
            assert n["delta"] is None and f"δ²{'₁₂₃₄'[n['j']]} = ?" in n["label"]  # δ²ⱼ written by hand
            assert ["a = " + n["notes"][1][0].split("= ")[1], "new"] == n["notes"][1]
        elif n["l"] >= 3:
            assert n["text"] == "?" and n["a"] is None and n["z"] is None
    panel.play.value = 5  # δ^4 known (BP1), δ^3 and δ^2 not: coloured by δ, they show "?", not a
    for n in panel.diagram.scene()["nodes"]:
        if n["l"] in (2, 3):
            assert n["text"] == "?" and n["a"] is not None
    assert scene["cost_text"] == "C = ?"  # the output is not computed yet
    assert panel.diagram.scene()["cost_text"] != "C = ?"
    panel.reset()
    assert all(n["text"] == "?" for n in panel.diagram.scene()["nodes"])


def test_the_keys_f_b_and_r_step_forward_back_and_reset():
    state, panel = make()
    assert {b["command"] for b in panel.shortcuts.bindings} >= {"step_forward", "step_back", "reset"}
    for _ in range(3):
        panel.shortcuts.run("step_forward")  # what the page sends for the key f
    assert panel.step == 3 and panel.shown[("a", 3)] is not None and panel.shown[("a", 4)] is None
    panel.shortcuts.run("step_back")
    assert panel.step == 2 and panel.shown[("a", 3)] is None
    panel.shortcuts.run("reset")
    assert panel.step == 0 and all(v is None for v in panel.shown.values())
