"""The saturation rules and the "learns slowly" verdicts of explorer.core.saturation (BP1, BP2,
BP4), against σ'(z) and δ computed here by hand, and ∂C/∂w by finite differences."""

import numpy as np
import pytest

from explorer.core import Activation, Network
from explorer.core.saturation import (
    DEFAULT_SAT_FRACTION,
    layer_saturation,
    max_sigma_prime,
    neuron_max_prime,
    neuron_saturation,
    saturation_by_layer,
    saturation_mask,
    sigma_prime_of_builtins,
    slow_learning_verdicts,
)
from helpers import hand_forward, read_number, saturation_net as small_net, sigma, sigma_prime


X, Y = np.array([0.8, 0.4]), np.array([1.0, 0.0])


# ----------------------------------------------------------------------------- the verdicts


def test_max_sigma_prime_builtins_and_a_user_activation():
    grid = np.linspace(-30, 30, 600001)
    assert max_sigma_prime(Network([1, 1]).activation(2)) == pytest.approx(sigma_prime(grid).max())
    assert max_sigma_prime(Network([1, 1], activation="tanh").activation(2)) == 1.0
    twice = Activation("twice_sigmoid", lambda z: 2 * sigma(z), lambda z: 2 * sigma_prime(z))
    assert max_sigma_prime(twice) == pytest.approx(0.5, rel=1e-6)


def test_saturated_output_neuron_is_slow_by_bp1_with_hand_numbers():
    net = small_net([[-3.0, -3.5, -2.5], [-0.6, 0.3, 0.5]], [-2.5, 0.1])
    z, a = hand_forward(net, X)
    sp = sigma_prime(z[3][0, 0])
    assert sp < 0.001  # the setup: deep in the flat tail
    delta = (a[3][0, 0] - 1.0) * sp  # BP1 with the quadratic cost (eq. 30)
    verdicts = slow_learning_verdicts(net.trace(X, Y), 3, 0)
    assert [v.name for v in verdicts] == ["w^3_11", "w^3_12", "w^3_13"]
    for k, v in enumerate(verdicts):
        assert v.slow and v.saturated and not v.input_small
        assert v.sigma_prime == pytest.approx(sp, rel=1e-9)
        assert v.a_in == pytest.approx(a[2][k, 0], rel=1e-12)
        assert v.gradient == pytest.approx(a[2][k, 0] * delta, rel=1e-9)  # BP4
        head, shown = v.reason.removesuffix(" (BP1)").split(" = ")
        assert head == "slow: neuron saturated, σ′(z³₁)" and "×10⁻⁴" in shown  # sp < 0.001: a power of ten
        assert read_number(shown) == pytest.approx(sp, rel=5e-3)  # 3 significant figures
    # The unsaturated output neuron 2 is fine.
    others = slow_learning_verdicts(net.trace(X, Y), 3, 1)
    assert all(not v.slow and v.reason == "ok" for v in others)


def test_gradient_in_the_table_is_the_finite_difference_one():
    net = small_net([[0.7, -0.5, 0.4], [-0.6, 0.3, 0.5]], [0.0, 0.1])
    verdicts = slow_learning_verdicts(net.trace(X, Y), 3, 1)
    h = 1e-6
    for v in verdicts:
        w = net.weights[3]
        old = w[1, v.k]
        w[1, v.k] = old + h
        up = net.cost_of(X, Y)
        w[1, v.k] = old - h
        down = net.cost_of(X, Y)
        w[1, v.k] = old
        assert v.gradient == pytest.approx((up - down) / (2 * h), rel=1e-6, abs=1e-10)


def test_zero_input_makes_its_weights_slow_by_bp4():
    net = small_net([[0.7, -0.5, 0.4], [-0.6, 0.3, 0.5]], [0.0, 0.1])
    x = np.array([0.0, 0.9])
    for j in range(3):
        v0, v1 = slow_learning_verdicts(net.trace(x, Y), 2, j)
        assert v0.slow and v0.input_small and not v0.saturated
        assert v0.gradient == 0.0
        assert v0.reason == "slow: input a¹₁ ≈ 0 (BP4)"
        assert not v1.slow and v1.reason == "ok"
    # A threshold of 0 switches the input rule off: |a| < 0 never holds.
    v0 = slow_learning_verdicts(net.trace(x, Y), 2, 0, a_threshold=0.0)[0]
    assert not v0.slow


def test_saturated_hidden_neuron_cites_bp2_and_both_reasons_combine():
    net = small_net([[0.7, -0.5, 0.4], [-0.6, 0.3, 0.5]], [0.0, 0.1])
    net.weights[2][1] = [0.0, 8.0]  # z^2_2 = 8 · 0.9 − 0.2 = 7.0
    x = np.array([0.0, 0.9])
    sp = sigma_prime(7.0)
    v0, v1 = slow_learning_verdicts(net.trace(x, Y), 2, 1)
    assert sp == pytest.approx(9.1e-4, rel=5e-3)  # σ(7)(1 − σ(7)) = 0.99909 · 0.00091
    assert v0.reason == "slow: input a¹₁ ≈ 0 (BP4); neuron saturated, σ′(z²₂) = 9.1×10⁻⁴ (BP2)"
    assert v1.reason == "slow: neuron saturated, σ′(z²₂) = 9.1×10⁻⁴ (BP2)"


def test_saturation_threshold_is_relative_to_max_sigma_prime():
    # z^3_1 = 2.5 exactly: σ'(2.5) ≈ 0.0701, between 0.1 × 0.25 and 0.3 × 0.25.
    net = small_net([[0.0, 0.0, 0.0], [-0.6, 0.3, 0.5]], [2.5, 0.1])
    trace = net.trace(X, Y)
    sp = sigma_prime(2.5)
    assert 0.025 < sp < 0.075
    assert not slow_learning_verdicts(trace, 3, 0, sat_fraction=0.1)[0].slow
    assert slow_learning_verdicts(trace, 3, 0, sat_fraction=0.3)[0].slow


def test_cross_entropy_cancels_output_saturation():
    net = small_net([[-3.0, -3.5, -2.5], [-0.6, 0.3, 0.5]], [-2.5, 0.1], cost="cross_entropy")
    z, a = hand_forward(net, X)
    for k, v in enumerate(slow_learning_verdicts(net.trace(X, Y), 3, 0)):
        assert v.saturated and v.cancelled and not v.slow
        assert v.reason.startswith("ok:") and "cross-entropy" in v.reason
        # δ^L = a^L − y: the gradient is large although σ' is tiny.
        assert v.gradient == pytest.approx(a[2][k, 0] * (a[3][0, 0] - 1.0), rel=1e-9)


def test_a_relu_neuron_override_is_judged_against_relu():
    net = small_net([[0.7, -0.5, 0.4], [-0.6, 0.3, 0.5]], [0.0, 0.1])
    net.set_activation(2, 0, "relu")
    net.biases[2][0, 0] = -2.0  # z^2_1 = 0.48 − 0.16 − 2 < 0: a dead ReLU, σ' = 0
    v = slow_learning_verdicts(net.trace(X, Y), 2, 0)[0]
    assert v.sigma_prime == 0.0 and v.sigma_prime_max == 1.0 and v.slow
    # The relu neuron's output is 0, so weights out of it into layer 3 are slow by BP4.
    assert slow_learning_verdicts(net.trace(X, Y), 3, 0)[0].input_small


# ----------------------------------------------------------------------------- a batch


def batch_net():
    net = Network([3, 5, 4, 2], seed=3, weight_scale=2.5)
    rng = np.random.default_rng(7)
    Xb = rng.uniform(-1.5, 1.5, (3, 40))
    Yb = rng.uniform(0.0, 1.0, (2, 40))
    return net, Xb, Yb


def test_batch_masks_and_fractions_are_sigma_prime_below_a_share_of_its_peak():
    net, Xb, Yb = batch_net()
    trace = net.trace(Xb, Yb)
    z, _ = hand_forward(net, Xb)
    for fraction in (0.05, 0.1, 0.4):
        total = 0
        every = saturation_by_layer(trace, fraction)
        assert set(every) == {2, 3, 4}
        for l in (2, 3, 4):
            expected = sigma_prime(z[l]) < fraction * 0.25
            total += expected.sum()
            layer = layer_saturation(trace, l, fraction)
            assert np.array_equal(layer.saturated, expected)
            assert np.array_equal(saturation_mask(trace, l, fraction), expected)
            assert np.array_equal(every[l].saturated, expected)
            np.testing.assert_allclose(layer.fraction, expected.sum(axis=1) / 40, rtol=0, atol=1e-15)
            np.testing.assert_allclose(layer.sigma_prime, sigma_prime(z[l]), rtol=1e-9, atol=1e-15)
            assert layer.max_prime.tolist() == [0.25] * net.sizes[l - 1]
            np.testing.assert_allclose(layer.threshold, fraction * 0.25)
        assert total > 0  # weight scale 2.5: some neurons do saturate
    assert not layer.saturated.flags.writeable and not layer.fraction.flags.writeable


def test_each_neuron_is_judged_against_its_own_activation():
    net, Xb, Yb = batch_net()
    net.set_activation(2, 1, "relu")
    net.set_activation(3, None, "tanh")
    trace = net.trace(Xb, Yb)
    assert neuron_max_prime(trace, 2).tolist() == [0.25, 1.0, 0.25, 0.25, 0.25]
    assert neuron_max_prime(trace, 3).tolist() == [1.0] * 4
    z2 = net.weights[2] @ Xb + net.biases[2]
    a2 = sigma(z2)
    a2[1] = np.maximum(z2[1], 0.0)
    z3 = net.weights[3] @ a2 + net.biases[3]
    expected2 = sigma_prime(z2) < 0.1 * 0.25
    expected2[1] = z2[1] <= 0  # relu: σ' = 0 below zero, 1 above; max 1
    assert np.array_equal(saturation_mask(trace, 2), expected2)
    assert np.array_equal(saturation_mask(trace, 3), (1.0 - np.tanh(z3) ** 2) < 0.1)
    assert expected2[1].any() and expected2[[0, 2, 3, 4]].any()


def test_neuron_saturation_splits_delta_into_its_factor_and_sigma_prime():
    net, Xb, Yb = batch_net()
    trace = net.trace(Xb, Yb)
    z, a = hand_forward(net, Xb)
    # BP1 and BP2 written again (quadratic cost, sigmoid), for example 5
    d4 = (a[4] - Yb) * sigma_prime(z[4])
    up3 = net.weights[4].T @ d4
    for layer, j, upstream in ((4, 1, (a[4] - Yb)[1, 5]), (3, 2, up3[2, 5])):
        s = neuron_saturation(trace, layer, j, example=5)
        sp = sigma_prime(z[layer][j, 5])
        assert s.rule == ("BP1" if layer == 4 else "BP2")
        assert s.upstream == pytest.approx(upstream, rel=1e-12)
        assert s.sigma_prime == pytest.approx(sp, rel=1e-9)
        assert s.delta == pytest.approx(upstream * sp, rel=1e-9)
        assert s.share == pytest.approx(sp / 0.25, rel=1e-9)
        assert s.saturated == (sp < DEFAULT_SAT_FRACTION * 0.25)
        assert s.z == pytest.approx(z[layer][j, 5], rel=1e-12) and not s.cancelled


def test_a_batch_examples_verdicts_are_those_of_the_example_alone():
    net, Xb, Yb = batch_net()
    trace = net.trace(Xb, Yb)
    for i in (0, 17, 39):
        alone = net.trace(Xb[:, i], Yb[:, i])
        for l, j in ((2, 4), (3, 0), (4, 1)):
            batch = slow_learning_verdicts(trace, l, j, 0.3, 0.2, example=i)
            single = slow_learning_verdicts(alone, l, j, 0.3, 0.2)
            for b, s in zip(batch, single):
                assert (b.slow, b.reason, b.input_small, b.saturated) == (s.slow, s.reason, s.input_small, s.saturated)
                assert b.gradient == pytest.approx(s.gradient, rel=1e-12, abs=1e-300)
                assert s.gradient == pytest.approx(float(alone.nabla_w[l][j, s.k]), rel=1e-12, abs=1e-300)


def test_builtin_slopes_at_one_z_by_hand():
    for z in (-7.5, -0.3, 0.0, 2.0):
        s = sigma_prime_of_builtins(z)
        assert s["sigmoid"] == pytest.approx(sigma_prime(z), rel=1e-12)
        assert s["tanh"] == pytest.approx(1 - np.tanh(z) ** 2, rel=1e-12)
        assert s["relu"] == (1.0 if z > 0 else 0.0)
        assert s["softplus"] == pytest.approx(sigma(z), rel=1e-12)
        assert s["linear"] == 1.0


# ----------------------------------------------------------------------------- bad input


def test_bad_thresholds_and_indices_are_refused_by_name():
    net = small_net([[0.7, -0.5, 0.4], [-0.6, 0.3, 0.5]], [0.0, 0.1])
    trace = net.trace(X, Y)
    for bad in (float("nan"), float("inf"), -0.1, "0.1"):
        with pytest.raises(ValueError, match="sat_fraction"):
            layer_saturation(trace, 2, bad)
        with pytest.raises(ValueError, match="a_threshold"):
            slow_learning_verdicts(trace, 2, 0, a_threshold=bad)
    with pytest.raises(IndexError, match="layer"):
        saturation_mask(trace, 1)
    with pytest.raises(IndexError, match="layer"):
        neuron_saturation(trace, 4, 0)
    with pytest.raises(IndexError, match="j"):
        slow_learning_verdicts(trace, 3, 2)
    with pytest.raises(IndexError, match="example"):
        neuron_saturation(trace, 3, 0, example=1)
    with pytest.raises(ValueError, match="activation"):
        max_sigma_prime("sigmoid")
    with pytest.raises(ValueError, match="z"):
        sigma_prime_of_builtins(float("nan"))
