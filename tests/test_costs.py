"""Costs: hand-calculated values, gradients against finite differences, robustness at 0 and 1."""

import math

import numpy as np
import pytest

from explorer import get_cost
from explorer.core.activations import sigmoid, tanh


def test_quadratic_by_hand():
    a = np.array([[0.2, 1.0], [0.9, 0.0]])
    y = np.array([[0.0, 1.0], [1.0, 1.0]])
    # example 1: ½(0.2² + 0.1²) = 0.025; example 2: ½(0 + 1) = 0.5 (eq. 27)
    np.testing.assert_allclose(get_cost("quadratic").value(a, y), [0.025, 0.5])
    np.testing.assert_allclose(get_cost("quadratic").gradient(a, y), a - y)


def test_cross_entropy_by_hand():
    a = np.array([[0.2], [0.9]])
    y = np.array([[0.0], [1.0]])
    expected = -(math.log(0.8) + math.log(0.9))
    assert get_cost("cross_entropy").value(a, y)[0] == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize("name", ["quadratic", "cross_entropy"])
def test_gradient_matches_finite_differences(name):
    cost = get_cost(name)
    rng = np.random.default_rng(3)
    a = rng.uniform(0.05, 0.95, (4, 3))
    y = rng.uniform(0, 1, (4, 3))
    h = 1e-6
    numeric = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        up, down = a.copy(), a.copy()
        up[idx] += h
        down[idx] -= h
        numeric[idx] = (cost.value(up, y)[idx[1]] - cost.value(down, y)[idx[1]]) / (2 * h)
    np.testing.assert_allclose(cost.gradient(a, y), numeric, rtol=1e-7)


def test_cross_entropy_is_finite_at_zero_and_one():
    ce = get_cost("cross_entropy")
    a = np.array([[0.0, 1.0, 0.0, 1.0]])
    y = np.array([[0.0, 1.0, 1.0, 0.0]])
    values = ce.value(a, y)
    assert values[0] == 0.0 and values[1] == 0.0  # right answers cost nothing
    assert np.isfinite(values).all() and (values[2:] > 600).all()  # wrong ones cost a lot
    assert np.isfinite(ce.gradient(a, y)).all()


def test_cross_entropy_with_sigmoid_output_is_exact_in_saturation():
    # With a = σ(z): C = y·softplus(−z) + (1−y)·softplus(z). For z = 40, y = 0 that is ≈ 40,
    # although σ(40) rounds to exactly 1.0.
    ce = get_cost("cross_entropy")
    z = np.array([[40.0], [-50.0]])
    a = sigmoid(z)
    y = np.array([[0.0], [0.0]])
    expected = 40 + math.log1p(math.exp(-40)) + math.log1p(math.exp(-50))
    assert ce.value_at_output(z, a, y, sigmoid)[0] == pytest.approx(expected, rel=1e-14)
    # ... and σ'(z^L) cancels from BP1: δ^L = a − y exactly.
    np.testing.assert_array_equal(ce.output_error(z, a, y, sigmoid), a - y)


def test_cross_entropy_with_other_output_uses_bp1():
    ce = get_cost("cross_entropy")
    z = np.array([[0.3]])
    a = (tanh(z) + 1) / 2
    y = np.array([[1.0]])
    sp = np.array([[0.25]])
    assert ce.output_error(z, a, y, tanh, sp)[0, 0] == pytest.approx(((a - y) / (a * (1 - a)) * 0.25)[0, 0])


def test_cost_names():
    assert get_cost("cross-entropy") is get_cost("cross_entropy")
    with pytest.raises(KeyError, match="unknown name 'hinge'.*quadratic"):
        get_cost("hinge")
