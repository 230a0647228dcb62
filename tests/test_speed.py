"""The race's and the benchmark's timing (core.speed): what is timed computes what it should,
the multiply-adds are the matrices' sizes, the loop runs the calls it reports, bad input refused."""

import numpy as np
import pytest

from explorer import Network
from explorer.core import PassTimes, finite_difference_gradient, time_passes
from explorer.core.speed import backprop_pass, forward_pass, median_seconds, multiply_adds

from helpers import hand_forward


def example(net, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 1, (net.sizes[0], 1)), rng.uniform(0, 1, (net.sizes[-1], 1))


def test_multiply_adds_are_the_chapters_about_two_forward_passes():
    forward, backprop = multiply_adds([784, 30, 10])
    # W^2 a^1 and W^3 a^2; then (W^3)ᵀ δ^3 (BP2) and the two outer products δ aᵀ (BP4).
    assert forward == 784 * 30 + 30 * 10 == 23820
    assert backprop == 23820 + 30 * 10 + 23820
    assert backprop / forward == pytest.approx(2.0126, abs=1e-4)


def test_the_timed_forward_pass_computes_the_cost():
    net = Network([5, 4, 3], seed=1)
    x, y = example(net)
    _, a = hand_forward(net, x)
    assert forward_pass(net, x, y)() == pytest.approx(0.5 * np.sum((a[3] - y) ** 2), rel=1e-12)


def test_the_timed_backprop_computes_the_gradient():
    net = Network([5, 4, 3], seed=2)
    x, y = example(net)
    nabla_b, nabla_w = backprop_pass(net, x, y)()
    fd = finite_difference_gradient(net, x, y)
    for l in net.layers:
        np.testing.assert_allclose(nabla_w[l], fd.nabla_w[l], atol=1e-6)
        np.testing.assert_allclose(nabla_b[l], fd.nabla_b[l], atol=1e-6)


def test_median_seconds_runs_the_calls_it_reports():
    calls = {"n": 0}

    def count():
        calls["n"] += 1

    seconds, number = median_seconds(count, samples=4, sample_seconds=0.001)
    assert seconds > 0 and number >= 1
    assert calls["n"] >= 4 * number  # the samples, after the warm-up and the calibration


def test_time_passes_reports_both_and_their_ratio():
    net = Network([784, 30, 10], seed=0)
    x, y = example(net)
    t = time_passes(net, x, y, rounds=1, samples=1, sample_seconds=0.001)
    assert isinstance(t, PassTimes) and t.sizes == (784, 30, 10) and t.samples == 1
    assert t.forward_seconds > 0 and t.backprop_seconds > 0 and min(t.calls_per_sample) >= 1
    assert t.backprop_in_forward_passes == t.backprop_seconds / t.forward_seconds
    assert t.backprop_in_forward_mults == pytest.approx(47940 / 23820)


def test_bad_input_is_refused_by_name():
    net = Network([3, 2], seed=0)
    with pytest.raises(ValueError, match="one example"):
        backprop_pass(net, np.ones((3, 2)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="samples"):
        median_seconds(lambda: None, samples=0)
    with pytest.raises(ValueError, match="rounds"):
        time_passes(net, np.ones(3), np.ones(2), rounds=0)
    with pytest.raises(ValueError, match="x"):
        forward_pass(net, np.array([1.0, np.nan, 0.0]), np.ones(2))
