"""The algorithm's steps as data (explorer.core.algorithm), against the chapter's algorithm
written again here: a hand-written forward pass, BP1/BP2 by hand, finite differences, and the
network's own update_mini_batch for the gradient-descent step."""

import copy

import numpy as np
import pytest

from explorer import Network
from explorer.core.algorithm import (
    KIND_LINES,
    LINES,
    MINI_BATCH_LINES,
    MiniBatch,
    algorithm_steps,
    array_name,
    example_steps,
    known_after,
    matrix_steps,
    values_after,
)
from helpers import hand_forward, numeric_gradient, sigma

# What each step computes, written out again from the chapter's algorithm for L = 4.
EXPECTED_STEPS_L4 = [
    (1, "input", 1, {("a", 1)}),
    (2, "feedforward", 2, {("z", 2), ("a", 2)}),
    (2, "feedforward", 3, {("z", 3), ("a", 3)}),
    (2, "feedforward", 4, {("z", 4), ("a", 4)}),
    (3, "output_error", 4, {("delta", 4)}),
    (4, "backpropagate", 3, {("delta", 3)}),
    (4, "backpropagate", 2, {("delta", 2)}),
    (5, "gradient", 4, {("nabla_w", 4), ("nabla_b", 4)}),
    (5, "gradient", 3, {("nabla_w", 3), ("nabla_b", 3)}),
    (5, "gradient", 2, {("nabla_w", 2), ("nabla_b", 2)}),
]


def net_and_batch(m=5, seed=2):
    net = Network([3, 4, 3, 2], seed=seed)
    rng = np.random.default_rng(seed)
    return net, rng.uniform(-1, 1, (3, m)), rng.uniform(0, 1, (2, m))


def by_hand(net, X, Y):
    """z, a, δ (columns), σ'(z), and per-example ∂C_x/∂w, ∂C_x/∂b: sigmoid, quadratic cost."""
    z, a = hand_forward(net, X)
    L = net.L
    sp = {l: sigma(z[l]) * (1 - sigma(z[l])) for l in z}
    d = {L: (a[L] - Y) * sp[L]}  # BP1 with ∇_a C = a − y (eq. 30)
    for l in range(L - 1, 1, -1):
        d[l] = (np.array(net.weights[l + 1]).T @ d[l + 1]) * sp[l]  # BP2
    m = X.shape[1]
    gw = {l: [np.outer(d[l][:, i], a[l - 1][:, i]) for i in range(m)] for l in z}
    return {"z": z, "a": a, "delta": d, "sp": sp, "nabla_w": gw}


# ------------------------------------------------------------------- the layout


def test_the_steps_are_the_chapters_algorithm_one_layer_at_a_time():
    steps = algorithm_steps(4)
    assert [(s.line, s.kind, s.layer, set(s.computes)) for s in steps] == EXPECTED_STEPS_L4
    assert [s.number for s in steps] == list(range(1, 11))
    assert all(s.arrays == () and s.text == LINES[s.line] for s in steps)
    assert all(KIND_LINES[s.kind] == s.line for s in steps)
    assert sorted(LINES) == [1, 2, 3, 4, 5] and "BP1" in LINES[3] and "BP2" in LINES[4]
    for L in (2, 3, 5):
        assert len(algorithm_steps(L)) == 1 + (L - 1) + 1 + (L - 2) + (L - 1)
    assert [s.kind for s in algorithm_steps(2)] == ["input", "feedforward", "output_error", "gradient"]
    assert steps[4].title == "output error δ⁴ (BP1)" and steps[5].title == "backpropagate, l = 3 (BP2)"


def test_known_after_grows_step_by_step():
    steps = algorithm_steps(4)
    for done in range(11):
        expected = set().union(*(c for *_, c in EXPECTED_STEPS_L4[:done])) if done else set()
        assert known_after(steps, done) == expected


def test_names_are_the_books():
    assert array_name("delta", 3) == "δ^3" and array_name("delta", 3, matrix=True) == "Δ^3"
    assert array_name("nabla_w", 2) == "∂C/∂w^2"
    assert array_name("nabla_w", 2, matrix=True) == "Σ_x ∂C_x/∂w^2"
    assert array_name("wT_delta", 2) == "(w^3)^T δ^3"
    assert array_name("z", 4, matrix=True) == "Z^4"


# ------------------------------------------------------------------- one example


def test_one_examples_steps_carry_the_hand_computed_numbers():
    net, X, Y = net_and_batch(m=1)
    hand = by_hand(net, X, Y)
    steps = example_steps(net.trace(X, Y))
    assert [(s.line, s.kind, s.layer, set(s.computes)) for s in steps] == EXPECTED_STEPS_L4
    for step in steps:
        assert {(a.key, a.layer) for a in step.arrays} == set(step.computes)
        for arr in step.arrays:
            assert arr.name == array_name(arr.key, arr.layer)
            assert not arr.value.flags.writeable
            q, l = arr.key, arr.layer
            if q == "nabla_w":
                expected = hand["nabla_w"][l][0]
            elif q == "nabla_b":
                expected = hand["delta"][l][:, 0]
            else:
                expected = hand[q][l][:, 0]
            np.testing.assert_allclose(arr.value, expected, rtol=1e-12, atol=1e-15)
    bp1, bp2 = steps[4], steps[5]
    np.testing.assert_allclose(bp1.value("cost_gradient"), (hand["a"][4] - Y)[:, 0], rtol=1e-12)
    np.testing.assert_allclose(bp1.value("sigma_prime"), hand["sp"][4][:, 0], rtol=1e-12)
    np.testing.assert_allclose(bp2.value("wT_delta"), (net.weights[4].T @ hand["delta"][4])[:, 0], rtol=1e-12)
    np.testing.assert_allclose(bp2.value("sigma_prime"), hand["sp"][3][:, 0], rtol=1e-12)
    # values_after: exactly what the first steps computed
    after = values_after(steps, 5)
    assert set(after) == known_after(steps, 5)
    np.testing.assert_allclose(after[("delta", 4)], hand["delta"][4][:, 0], rtol=1e-12)


def test_the_gradient_steps_agree_with_finite_differences_for_any_activation_and_cost():
    net = Network([2, 3, 2], activation=["tanh", "sigmoid"], cost="cross_entropy", seed=5)
    net.set_activation(2, 1, "softplus")
    x, y = np.array([0.4, -0.9]), np.array([1.0, 0.0])
    steps = example_steps(net.trace(x, y))
    numeric_w = numeric_gradient(net, x, y, {l: net.weights[l] for l in net.layers})
    numeric_b = numeric_gradient(net, x, y, {l: net.biases[l] for l in net.layers})
    gradient = [s for s in steps if s.kind == "gradient"]
    assert [s.layer for s in gradient] == [3, 2]
    for s in gradient:
        np.testing.assert_allclose(s.value("nabla_w"), numeric_w[s.layer], rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(s.value("nabla_b"), numeric_b[s.layer][:, 0], rtol=1e-6, atol=1e-9)


def test_one_example_of_a_batch_trace_is_that_example_alone():
    net, X, Y = net_and_batch(m=6)
    hand = by_hand(net, X, Y)
    trace = net.trace(X, Y)
    for i in (0, 3, 5):
        for step in example_steps(trace, i):
            for arr in step.arrays:
                q, l = arr.key, arr.layer
                if q == "nabla_w":
                    expected = hand["nabla_w"][l][i]  # this example's own, not the batch mean
                elif q == "nabla_b":
                    expected = hand["delta"][l][:, i]
                else:
                    expected = hand[q][l][:, i]
                np.testing.assert_allclose(arr.value, expected, rtol=1e-12, atol=1e-15)


# ------------------------------------------------------------------- mini-batch


def test_the_matrix_steps_hold_every_column_and_the_sums():
    net, X, Y = net_and_batch(m=5)
    hand = by_hand(net, X, Y)
    steps = matrix_steps(net.trace(X, Y))
    assert [(s.line, s.layer) for s in steps] == [(e[0], e[2]) for e in EXPECTED_STEPS_L4]
    for step in steps:
        for arr in step.arrays:
            q, l = arr.key, arr.layer
            assert arr.name == array_name(q, l, matrix=True)
            if q == "nabla_w":
                expected = sum(hand["nabla_w"][l])
            elif q == "nabla_b":
                expected = hand["delta"][l].sum(axis=1)
            else:
                expected = hand[q][l]
            np.testing.assert_allclose(arr.value, expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(steps[5].value("wT_delta"), net.weights[4].T @ hand["delta"][4], rtol=1e-12)


def test_mini_batch_loop_and_matrix_sums_and_the_gradient_descent_step():
    net, X, Y = net_and_batch(m=5)
    hand = by_hand(net, X, Y)
    batch = MiniBatch.compute(net, X, Y)
    assert batch.m == 5 and len(batch.examples) == 5
    for n in range(6):
        sw, sb = batch.loop_sums(n)
        for l in net.layers:
            expect_w = sum(hand["nabla_w"][l][:n], np.zeros(net.weights[l].shape))
            np.testing.assert_allclose(sw[l], expect_w, rtol=1e-12, atol=1e-16)
            np.testing.assert_allclose(sb[l], hand["delta"][l][:, :n].sum(axis=1), rtol=1e-12, atol=1e-16)
    loop_w, loop_b = batch.loop_sums()
    matrix_w, matrix_b = batch.matrix_sums()
    for l in net.layers:
        np.testing.assert_allclose(loop_w[l], matrix_w[l], rtol=1e-12, atol=1e-16)
        np.testing.assert_allclose(loop_b[l], matrix_b[l], rtol=1e-12, atol=1e-16)
    for i in range(5):
        np.testing.assert_allclose(batch.loop_steps(i)[1].value("z"), hand["z"][2][:, i], rtol=1e-12)
    # the update: the network's own update_mini_batch, and the chapter's formula by hand
    eta = 0.7
    updated = copy.deepcopy(net)
    updated.update_mini_batch(X, Y, eta)
    steps = batch.gradient_descent(eta)
    assert [(s.line, s.kind, s.layer) for s in steps] == [(3, "gradient_descent", 4), (3, "gradient_descent", 3),
                                                         (3, "gradient_descent", 2)]
    assert steps[0].text == MINI_BATCH_LINES[3]
    for s in steps:
        l = s.layer
        np.testing.assert_allclose(s.value("w"), updated.weights[l], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(s.value("b"), updated.biases[l], rtol=1e-12, atol=1e-15)
        by_formula = net.weights[l] - eta / 5 * sum(hand["nabla_w"][l])
        np.testing.assert_allclose(s.value("w"), by_formula, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(net.weights[2], batch.matrix.weights[2])  # nothing was changed


# ------------------------------------------------------------------- bad input


def test_bad_input_is_refused_by_name():
    net, X, Y = net_and_batch(m=3)
    trace = net.trace(X, Y)
    with pytest.raises(IndexError, match="example"):
        example_steps(trace, 3)
    with pytest.raises(ValueError, match="example"):
        example_steps(trace, 1.5)
    with pytest.raises(ValueError, match="L"):
        algorithm_steps(1)
    with pytest.raises(KeyError, match="key"):
        array_name("sigma", 2)
    with pytest.raises(KeyError, match="nabla_w"):
        example_steps(trace)[0].value("nabla_w")  # the input step computes a^1 only
    with pytest.raises(KeyError, match="no array"):
        algorithm_steps(3)[0].value("a")
    batch = MiniBatch.compute(net, X, Y)
    for eta in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="eta"):
            batch.gradient_descent(eta)
    with pytest.raises(IndexError, match="finished"):
        batch.loop_sums(4)
    with pytest.raises(IndexError, match="i"):
        batch.loop_steps(3)
    with pytest.raises(ValueError, match="examples"):
        MiniBatch(trace, batch.examples[:2])
    with pytest.raises(ValueError, match=r"examples\[0\]"):
        MiniBatch(trace, [trace, trace, trace])
    with pytest.raises(ValueError, match="y"):
        MiniBatch.compute(net, X, None)
    with pytest.raises(ValueError, match="x"):
        MiniBatch.compute(net, np.full((3, 2), np.nan), Y[:, :2])
