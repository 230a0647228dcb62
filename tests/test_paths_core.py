"""The sum over paths with weighted inputs z as the intermediate variables (the chapter's closing trick)."""

import math

import numpy as np
import pytest

from explorer import Network, path_sum
from explorer.core.paths import path_sum_weighted_inputs

from helpers import numeric_gradient, sigma

X = np.array([0.3, -0.7, 0.5])
Y = np.array([1.0, 0.0])


@pytest.fixture
def net():
    return Network([3, 4, 3, 2], seed=5)


@pytest.mark.parametrize("cost", ["quadratic", "cross_entropy"])
@pytest.mark.parametrize("layer,j,k", [(2, 0, 0), (2, 3, 2), (3, 1, 3), (4, 1, 2)])
def test_z_paths_sum_to_the_gradient_and_to_finite_differences(cost, layer, j, k):
    net = Network([3, 4, 3, 2], seed=5, cost=cost)
    ps = path_sum_weighted_inputs(net, X, Y, layer, j, k)
    assert ps.n_paths == math.prod(net.sizes[layer:])
    assert ps.total == pytest.approx(net.trace(X, Y).nabla_w[layer][j, k], rel=1e-12, abs=1e-16)
    fd = numeric_gradient(net, X, Y, {layer: net.weights[layer]})[layer][j, k]
    assert ps.total == pytest.approx(fd, rel=1e-6, abs=1e-10)
    assert {p.neurons for p in ps.paths} == {(j, *rest) for rest in np.ndindex(*net.sizes[layer:])}


def test_z_factors_by_hand(net):
    """Each factor written again from the definitions: z = w a + b, a = σ(z), C quadratic."""
    w = {l: np.array(net.weights[l]) for l in net.layers}
    b = {l: np.array(net.biases[l])[:, 0] for l in net.layers}
    a, z = {1: X}, {}
    for l in (2, 3, 4):
        z[l] = w[l] @ a[l - 1] + b[l]
        a[l] = sigma(z[l])
    sp = {l: sigma(z[l]) * (1 - sigma(z[l])) for l in z}
    dC_dzL = (a[4] - Y) * sp[4]
    ps = path_sum_weighted_inputs(net, X, Y, 2, 1, 2)
    for p in ps.paths:
        j, q, m = p.neurons
        expected = (X[2], w[3][q, j] * sp[2][j], w[4][m, q] * sp[3][q], dC_dzL[m])
        np.testing.assert_allclose(p.factors, expected, rtol=1e-12)
        assert p.product == pytest.approx(math.prod(expected), rel=1e-12)


def test_a_and_z_paths_have_the_same_products_grouped_differently(net):
    """σ'(z) moves from the end of one factor to the start of the next; each path's product is unchanged."""
    pa = path_sum(net, X, Y, 2, 2, 1)
    pz = path_sum_weighted_inputs(net, X, Y, 2, 2, 1)
    assert [p.neurons for p in pa.paths] == [p.neurons for p in pz.paths]
    for one, other in zip(pa.paths, pz.paths):
        assert one.product == pytest.approx(other.product, rel=1e-12, abs=1e-18)
        assert one.factors[0] != pytest.approx(other.factors[0])  # σ'(z^2_3) a^1_2 against a^1_2
    assert pa.total == pytest.approx(pz.total, rel=1e-12)


def test_the_z_paths_from_one_neuron_sum_to_its_delta(net):
    """Σ over the paths from z^l_j on equals δ^l_j: why the sum collapses into BP2 and BP4."""
    t = net.trace(X, Y)
    ps = path_sum_weighted_inputs(net, X, Y, 2, 3, 0)
    tail = math.fsum(math.prod(p.factors[1:]) for p in ps.paths)
    assert tail == pytest.approx(t.delta[2][3, 0], rel=1e-12)


def test_z_paths_refuse_too_many_and_batches():
    big = Network([2, 50, 50, 50, 10], seed=0)
    with pytest.raises(ValueError, match=r"has 25,000 paths to C \(50 × 50 × 10\), more than the limit of 1,000"):
        path_sum_weighted_inputs(big, [0.1, 0.2], np.zeros(10), 2, 0, 0, limit=1000)
    small = Network([2, 2, 2], seed=0)
    with pytest.raises(ValueError, match="one example"):
        path_sum_weighted_inputs(small, np.ones((2, 3)), np.zeros((2, 3)), 2, 0, 0)
    with pytest.raises(IndexError):
        path_sum_weighted_inputs(small, [0.1, 0.2], [0, 1], 2, 2, 0)
