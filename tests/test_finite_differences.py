"""core/finite_differences.py (eq. 46): each function against an independent computation
(backprop's value in the trace, a forward pass written again by hand), and nothing mutated."""

import copy
import math

import numpy as np
import pytest

from explorer import (
    FiniteDifferenceRun,
    Network,
    delta_by_nudging,
    finite_difference_gradient,
    partial_derivative,
)
from explorer.core.finite_differences import ForwardPass, agrees, central_step, jacobian

from helpers import hand_forward, sigma

SIZES = [3, 4, 2]


def setup(sizes=SIZES, seed=0, m=1, cost="quadratic"):
    net = Network(sizes, seed=seed, cost=cost)
    rng = np.random.default_rng(seed + 10)
    x = rng.uniform(-1, 1, (sizes[0], m))
    y = rng.uniform(0, 1, (sizes[-1], m))
    return net, x, y


def hand_cost(net, x, y, cost="quadratic"):
    """C (batch mean) from the hand-written forward pass of tests/helpers.py."""
    _, a = hand_forward(net, x)
    aL = a[net.L]
    if cost == "quadratic":
        return float((0.5 * ((aL - y) ** 2).sum(axis=0)).mean())
    return float((-(y * np.log(aL) + (1 - y) * np.log(1 - aL)).sum(axis=0)).mean())


def hand_partial(net, x, y, array, index, h, cost="quadratic"):
    """Central difference on a copy of the network, with the hand-written forward pass."""
    results = []
    for sign in (1, -1):
        other = copy.deepcopy(net)
        target = other.weights if array == "w" else other.biases
        l, idx = index
        target[l][idx] += sign * h
        results.append(hand_cost(other, x, y, cost))
    return (results[0] - results[1]) / (2 * h)


def assert_unchanged(net, before):
    for l in net.layers:
        assert net.weights[l].tobytes() == before.weights[l].tobytes()
        assert net.biases[l].tobytes() == before.biases[l].tobytes()


@pytest.mark.parametrize("cost", ["quadratic", "cross_entropy"])
@pytest.mark.parametrize("m", [1, 5])
def test_partial_derivative_is_backprops_gradient_and_the_hand_difference(cost, m):
    net, x, y = setup(m=m, cost=cost)
    t = net.trace(x, y)
    for l in net.layers:
        for j, k in np.ndindex(net.weights[l].shape):
            got = partial_derivative(t, "w", l, j, k)
            assert got == pytest.approx(t.nabla_w[l][j, k], rel=1e-6, abs=1e-9)
            assert got == pytest.approx(hand_partial(net, x, y, "w", (l, (j, k)), 1e-5, cost), rel=1e-5, abs=1e-9)
        for j in range(net.sizes[l - 1]):
            got = partial_derivative(t, "b", l, j)
            assert got == pytest.approx(t.nabla_b[l][j, 0], rel=1e-6, abs=1e-9)
            assert got == pytest.approx(hand_partial(net, x, y, "b", (l, (j, 0)), 1e-5, cost), rel=1e-5, abs=1e-9)


def test_partial_derivative_follows_a_single_modified_neuron():
    net, x, y = setup([2, 3, 3, 2])
    net.set_activation(3, 1, "tanh")  # the chapter's exercise: one neuron computes f(z) = tanh z
    t = net.trace(x, y)
    # By hand: the same forward pass with tanh in that one place.
    def cost_with(w3):
        a2 = sigma(net.weights[2] @ x + net.biases[2])
        z3 = w3 @ a2 + net.biases[3]
        a3 = sigma(z3)
        a3[1] = np.tanh(z3[1])
        a4 = sigma(net.weights[4] @ a3 + net.biases[4])
        return float(0.5 * ((a4 - y) ** 2).sum())
    h = 1e-6
    up, down = net.weights[3].copy(), net.weights[3].copy()
    up[1, 2] += h
    down[1, 2] -= h
    by_hand = (cost_with(up) - cost_with(down)) / (2 * h)
    assert partial_derivative(t, "w", 3, 1, 2) == pytest.approx(by_hand, rel=1e-6)
    assert partial_derivative(t, "w", 3, 1, 2) == pytest.approx(t.nabla_w[3][1, 2], rel=1e-6)


def test_delta_by_nudging_is_the_traces_delta():
    net, x, y = setup([2, 3, 3, 2])
    t = net.trace(x, y)
    for l in net.layers:
        for j in range(net.sizes[l - 1]):
            assert delta_by_nudging(t, l, j) == pytest.approx(t.delta[l][j, 0], rel=1e-6, abs=1e-10)


def test_delta_by_nudging_of_a_batch_is_the_batch_mean_by_hand():
    net, x, y = setup(m=4)
    t = net.trace(x, y)
    l, j, h = 2, 1, 1e-6
    z2 = net.weights[2] @ x + net.biases[2]

    def cost_with(z):  # every example's z^2_2 moved, the rest of the pass by hand
        a3 = sigma(net.weights[3] @ sigma(z) + net.biases[3])
        return float((0.5 * ((a3 - y) ** 2).sum(axis=0)).mean())

    up, down = z2.copy(), z2.copy()
    up[j] += h
    down[j] -= h
    by_hand = (cost_with(up) - cost_with(down)) / (2 * h)
    assert delta_by_nudging(t, l, j) == pytest.approx(by_hand, rel=1e-6)
    assert delta_by_nudging(t, l, j) == pytest.approx(t.delta[l][j].mean(), rel=1e-6)


def test_nothing_is_mutated_and_the_trace_stays_true_after_the_network_changes():
    net, x, y = setup()
    t = net.trace(x, y)
    before = copy.deepcopy(net)
    expected = t.nabla_w[2][1, 0]
    got = partial_derivative(t, "w", 2, 1, 0)
    delta_by_nudging(t, 3, 1)
    finite_difference_gradient(t)
    assert_unchanged(net, before)
    assert not t.weights[2].flags.writeable
    net.weights[2][1, 0] += 3.0  # the trace keeps its own copy
    assert partial_derivative(t, "w", 2, 1, 0) == got
    assert got == pytest.approx(expected, rel=1e-6)


def test_the_gradient_of_a_trace_equals_the_gradient_of_the_network():
    net, x, y = setup([2, 3, 2], m=3)
    from_net = finite_difference_gradient(net, x, y, central=True)
    from_trace = finite_difference_gradient(net.trace(x, y), central=True)
    for l in net.layers:
        np.testing.assert_array_equal(from_net.nabla_w[l], from_trace.nabla_w[l])
        np.testing.assert_array_equal(from_net.nabla_b[l], from_trace.nabla_b[l])
    assert from_net.forward_passes == from_trace.forward_passes == 2 * net.n_parameters


def test_a_run_uses_the_parameters_it_started_with():
    net, x, y = setup([2, 3, 2])
    expected = net.trace(x, y)
    run = FiniteDifferenceRun(net, x, y, central=True)
    run.advance(max_parameters=3)
    net.weights[3][:] = 0.0  # changing the network meanwhile does not disturb the run
    run.advance()
    got = run.result()
    for l in net.layers:
        np.testing.assert_allclose(got.nabla_w[l], expected.nabla_w[l], rtol=1e-6, atol=1e-10)
        np.testing.assert_allclose(got.nabla_b[l], expected.nabla_b[l], rtol=1e-6, atol=1e-10)


def test_undefined_cost_next_to_the_point_gives_nan_and_agrees_says_no():
    net = Network([1, 1], activation="linear", cost="cross_entropy", seed=0)
    net.weights[2][:] = 0.0
    net.biases[2][:] = 1.0  # a = 1 exactly: in the cross-entropy's domain, a + ε is not
    t = net.trace([0.5], [1.0])
    assert math.isnan(partial_derivative(t, "b", 2, 0))
    assert math.isnan(delta_by_nudging(t, 2, 0))
    assert not agrees(t.nabla_b[2][0, 0], math.nan, t.cost)


def test_agrees_within_tolerance_only():
    assert agrees(0.123456789, 0.123456789 + 1e-11, cost=0.4)
    assert not agrees(0.123456789, 0.123456789 + 1e-3, cost=0.4)
    assert not agrees(0.1, float("inf"), cost=0.4)
    assert agrees(0.5, 0.5 + 1e-3, cost=0.4, dtype=np.float32)  # float32 allows more
    assert not agrees(0.5, 0.5 + 1e-3, cost=0.4)


def test_float32_checks_agree_with_float32_steps():
    net = Network([3, 4, 2], seed=2, dtype=np.float32)
    x, y = np.array([0.2, -0.4, 0.9]), np.array([1.0, 0.0])
    t = net.trace(x, y)
    assert central_step(np.float32) == 1e-2 and central_step(np.float64) == 1e-5
    for l in net.layers:
        value = float(t.nabla_w[l][0, 1])
        assert agrees(value, partial_derivative(t, "w", l, 0, 1), t.cost, np.float32)


def test_jacobian_of_a_known_function():
    f = lambda v: np.array([v[0] * v[1], np.sin(v[0]), v[1] ** 3])
    v = np.array([0.7, -1.3])
    expected = np.array([[v[1], v[0]], [np.cos(v[0]), 0.0], [0.0, 3 * v[1] ** 2]])
    np.testing.assert_allclose(jacobian(f, v, 1e-6), expected, rtol=1e-7, atol=1e-9)


def test_forward_pass_cost_is_the_hand_cost():
    net, x, y = setup(m=3)
    t = net.trace(x, y)
    assert ForwardPass(t).cost() == pytest.approx(hand_cost(net, x, y), rel=1e-12)


def test_bad_arguments_are_refused():
    net, x, y = setup()
    t = net.trace(x, y)
    with pytest.raises(ValueError, match="parameter"):
        partial_derivative(t, "z", 2, 0, 0)
    with pytest.raises(ValueError, match="k"):
        partial_derivative(t, "w", 2, 0)
    with pytest.raises(ValueError, match="k"):
        partial_derivative(t, "b", 2, 0, 1)
    with pytest.raises(IndexError, match="layer"):
        partial_derivative(t, "b", 1, 0)
    with pytest.raises(IndexError, match="j"):
        delta_by_nudging(t, 3, 2)
    with pytest.raises(ValueError, match="eps"):
        delta_by_nudging(t, 3, 0, eps=0.0)
    with pytest.raises(ValueError, match="eps"):
        partial_derivative(t, "b", 3, 0, eps=float("nan"))
    with pytest.raises(ValueError, match="trace"):
        delta_by_nudging(net, 3, 0)
    with pytest.raises(ValueError, match="x, y"):
        FiniteDifferenceRun(t, x, y)
    with pytest.raises(ValueError, match="x, y"):
        FiniteDifferenceRun(net)
    with pytest.raises(ValueError, match="eps"):
        jacobian(np.sin, [1.0], -1.0)
