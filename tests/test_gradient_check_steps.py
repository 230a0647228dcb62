"""Finite differences in steps (``FiniteDifferenceRun``): the same gradient as the one-call
version, the passes eq. (46) needs, and a network left untouched whenever a run is stopped."""

import copy

import numpy as np
import pytest

from explorer import FiniteDifferenceRun, Network, finite_difference_gradient

from helpers import numeric_gradient


def n_parameters(sizes):
    """P counted here from the sizes: a weight per pair of neurons in adjacent layers, a bias per neuron past the input."""
    return sum(sizes[i] * sizes[i + 1] + sizes[i + 1] for i in range(len(sizes) - 1))


def example(sizes, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, sizes[0]), np.eye(sizes[-1])[1]


@pytest.mark.parametrize("central", [False, True])
@pytest.mark.parametrize("sizes", [[2, 3, 2], [3, 4, 4, 2]])
def test_finished_run_equals_the_one_call_version_exactly(sizes, central):
    net = Network(sizes, seed=1)
    x, y = example(sizes)
    run = FiniteDifferenceRun(net, x, y, central=central)
    yields = list(run)
    once = finite_difference_gradient(net, x, y, central=central)
    P = n_parameters(sizes)
    assert run.done and run.parameters_done == P == len(yields)
    assert run.total == (2 * P if central else P + 1)
    result = run.result()
    assert result.forward_passes == run.passes == run.total
    for l in net.layers:
        np.testing.assert_array_equal(result.nabla_w[l], once.nabla_w[l])
        np.testing.assert_array_equal(result.nabla_b[l], once.nabla_b[l])


def test_yields_the_pass_count_after_each_parameter():
    sizes = [2, 3, 2]
    net = Network(sizes, seed=2)
    x, y = example(sizes)
    P = n_parameters(sizes)
    forward = list(FiniteDifferenceRun(net, x, y))
    central = list(FiniteDifferenceRun(net, x, y, central=True))
    assert forward == [1 + i for i in range(1, P + 1)]  # C(w) first, then one pass per parameter
    assert central == [2 * i for i in range(1, P + 1)]


def test_gradient_matches_an_independent_central_difference():
    sizes = [3, 4, 2]
    net = Network(sizes, seed=3, cost="cross_entropy")
    x, y = example(sizes, seed=4)
    run = FiniteDifferenceRun(net, x, y, eps=1e-6, central=True)
    run.advance()
    ours = run.result()
    ref_w = numeric_gradient(net, x, y, {l: net.weights[l] for l in net.layers})
    ref_b = numeric_gradient(net, x, y, {l: net.biases[l] for l in net.layers})
    for l in net.layers:
        np.testing.assert_allclose(ours.nabla_w[l], ref_w[l], rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(ours.nabla_b[l], ref_b[l], rtol=1e-6, atol=1e-9)


def test_advance_is_bounded_and_a_stopped_run_leaves_the_network_as_it_was():
    sizes = [784, 30, 10]
    net = Network(sizes, seed=0)
    before = copy.deepcopy(net)
    x, y = example(sizes)
    run = FiniteDifferenceRun(net, x, y)
    assert run.advance(max_parameters=100) == 100
    assert run.parameters_done == 100 and run.passes == 101
    done = run.advance(max_seconds=0.02)
    assert 1 <= done < n_parameters(sizes)
    assert run.parameters_done == 100 + done and not run.done
    with pytest.raises(RuntimeError, match="not finished"):
        run.result()
    for l in net.layers:
        np.testing.assert_array_equal(net.weights[l], before.weights[l])
        np.testing.assert_array_equal(net.biases[l], before.biases[l])
    # The derivatives found so far are the right ones (checked against backprop).
    trace = net.trace(x, y)
    so_far = run.gradient_so_far()
    first = so_far.nabla_w[2].reshape(-1)[:100]
    assert np.isnan(so_far.nabla_w[2].reshape(-1)[100 + done:]).all()  # not done yet: unknown
    np.testing.assert_allclose(first, trace.nabla_w[2].reshape(-1)[:100], rtol=1e-3, atol=1e-7)


def test_bad_arguments_are_refused():
    net = Network([2, 2], seed=0)
    with pytest.raises(ValueError, match="eps"):
        FiniteDifferenceRun(net, [0.1, 0.2], [1.0, 0.0], eps=0)
    with pytest.raises(ValueError, match="x"):
        FiniteDifferenceRun(net, [0.1, 0.2, 0.3], [1.0, 0.0])
    run = FiniteDifferenceRun(net, [0.1, 0.2], [1.0, 0.0])
    with pytest.raises(ValueError, match="max_parameters"):
        run.advance(max_parameters=-1)
    assert run.advance() == n_parameters([2, 2]) and run.done
    assert not run.step() and run.advance() == 0
