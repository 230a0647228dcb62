"""What the chapter builds around the four equations: the demon, eq. 47, the Σ'(z) matrix
form (eq. 33–35) and the sum over paths (eq. 53)."""

import math

import numpy as np
import pytest

from explorer import Network, count_paths, delta_via_sigma_prime, path_sum, sigma_prime_matrix
from helpers import cost_from_layer


@pytest.fixture
def net():
    return Network([3, 4, 3, 2], seed=7)


X = np.array([[0.4, -0.6], [1.2, 0.1], [-0.3, 0.8]])
Y = np.array([[1.0, 0.0], [0.0, 1.0]])


@pytest.mark.parametrize("layer,neuron", [(2, 0), (3, 2), (4, 1)])
def test_demon_first_order_story_holds_as_dz_shrinks(net, layer, neuron):
    errors = []
    for dz in (0.1, 0.05, 0.025, 0.0125):
        e = net.demon(X, Y, layer, neuron, dz)
        # the actual change, recomputed by hand from the modified z
        t = net.trace(X, Y)
        z = np.array(t.z[layer])
        z[neuron] += dz
        assert e.actual == pytest.approx(cost_from_layer(net, layer, z, Y) - t.cost, rel=1e-9, abs=1e-15)
        assert e.predicted == pytest.approx(t.delta[layer][neuron].mean() * dz, rel=1e-12)
        errors.append(abs(e.actual - e.predicted))
    assert net.demon(X, Y, layer, neuron, 1e-5).actual / net.demon(X, Y, layer, neuron, 1e-5).predicted == pytest.approx(1, abs=1e-3)
    # |actual − predicted| = O(Δz²): halving Δz divides it by about 4
    ratios = [a / b for a, b in zip(errors, errors[1:])]
    assert all(3.0 < r < 5.0 for r in ratios), ratios


def test_demon_reports_how_the_change_travels(net):
    e = net.demon(X, Y, 2, 1, 0.3)
    assert sorted(e.delta_a) == [2, 3, 4]
    changed = np.flatnonzero(np.any(e.delta_a[2] != 0, axis=1))
    assert list(changed) == [1]  # only the demon's neuron moves in its own layer
    assert np.all(np.abs(e.delta_a[4]) > 0)
    assert e.error == e.actual - e.predicted


def test_nudging_a_weight_eq47(net):
    t = net.trace(X, Y)
    small = net.nudge_weight(X, Y, 3, 2, 1, 1e-5)
    assert small.predicted == pytest.approx(t.nabla_w[3][2, 1] * 1e-5)
    assert small.actual == pytest.approx(small.predicted, rel=1e-3)
    before = net.weights[3][2, 1]
    net.weights[3][2, 1] = before + 0.2
    moved = net.cost_of(X, Y)
    net.weights[3][2, 1] = before
    assert net.nudge_weight(X, Y, 3, 2, 1, 0.2).actual == pytest.approx(moved - t.cost, rel=1e-10)


@pytest.mark.parametrize("cost", ["quadratic", "cross_entropy"])
@pytest.mark.parametrize("l", [2, 3, 4])
def test_sigma_prime_matrix_form_equals_bp1_bp2(cost, l):
    net = Network([3, 4, 3, 2], seed=7, cost=cost)
    t = net.trace(X, Y)
    for example in (0, 1):
        np.testing.assert_allclose(
            delta_via_sigma_prime(net, t, l, example=example)[:, 0], t.delta[l][:, example], rtol=1e-12, atol=1e-15
        )


def test_sigma_prime_matrix_is_diagonal(net):
    t = net.trace(X[:, :1], Y[:, :1])
    S = sigma_prime_matrix(net, t, 3)
    assert np.count_nonzero(S - np.diag(np.diag(S))) == 0
    s = 1 / (1 + np.exp(-t.z[3][:, 0]))
    np.testing.assert_allclose(np.diag(S), s * (1 - s), rtol=1e-12)
    with pytest.raises(ValueError, match="the trace has 2 examples"):
        delta_via_sigma_prime(net, net.trace(X, Y), 3)


@pytest.mark.parametrize("layer,j,k", [(2, 0, 0), (2, 3, 2), (3, 1, 3), (4, 1, 2)])
def test_path_sum_equals_the_gradient(net, layer, j, k):
    x, y = X[:, :1], Y[:, :1]
    ps = path_sum(net, x, y, layer, j, k)
    assert ps.n_paths == math.prod(net.sizes[layer:]) == count_paths(net.sizes, layer)
    assert ps.total == pytest.approx(net.trace(x, y).nabla_w[layer][j, k], rel=1e-12, abs=1e-16)
    # every path starts at j and visits one neuron per later layer, each path once
    assert {p.neurons for p in ps.paths} == {(j, *rest) for rest in np.ndindex(*net.sizes[layer:])}
    for p in ps.paths:
        assert p.product == pytest.approx(math.prod(p.factors))


def test_one_path_by_hand():
    net = Network([1, 1, 1], seed=3)
    x, y = [0.8], [0.2]
    t = net.trace(x, y)
    (only,) = path_sum(net, x, y, 2, 0, 0).paths
    s2, s3 = t.sigma_prime[2][0, 0], t.sigma_prime[3][0, 0]
    # ∂a²/∂w² = σ'(z²)·x, ∂a³/∂a² = σ'(z³)·w³, ∂C/∂a³ = a³ − y  (eq. 51)
    expected = (s2 * 0.8, s3 * net.weights[3][0, 0], t.a[3][0, 0] - 0.2)
    np.testing.assert_allclose(only.factors, expected, rtol=1e-14)


def test_path_sum_refuses_too_many_paths():
    big = Network([2, 50, 50, 50, 50, 10], seed=0)
    with pytest.raises(ValueError, match=r"has 1,250,000 paths to C \(50 × 50 × 50 × 10\), more than the limit of 100,000"):
        path_sum(big, [0.1, 0.2], np.zeros(10), 2, 0, 0)


def test_demon_curve_equals_one_demon_at_a_time(net):
    t = net.trace(X, Y)
    dzs = np.linspace(-2, 2, 9)
    curve = net.demon_curve(t, 3, 1, dzs)
    expected = [net.demon(X, Y, 3, 1, dz).actual for dz in dzs]
    np.testing.assert_allclose(curve, expected, rtol=1e-12, atol=1e-15)
    assert curve[4] == 0.0  # Δz = 0 changes nothing
