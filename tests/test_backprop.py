"""The four equations, each against an independent computation, and the gradient as a whole
against finite differences (eq. 46) on random networks."""

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from explorer import Network, finite_difference_gradient
from helpers import close, numeric_dC_dz, numeric_gradient

SMOOTH = ["sigmoid", "tanh", "softplus", "linear"]


def small_net(cost="quadratic", activation="sigmoid", seed=4):
    return Network([3, 4, 3, 2], activation=activation, cost=cost, seed=seed)


def batch(net, m=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(net.sizes[0], m)), rng.uniform(0, 1, size=(net.sizes[-1], m))


def test_hand_calculation_on_a_chain_of_three_neurons():
    net = Network([1, 1, 1], seed=0)
    net.weights[2] = [[0.7]]
    net.biases[2] = [[-0.2]]
    net.weights[3] = [[-1.3]]
    net.biases[3] = [[0.4]]
    x, y = 0.5, 1.0
    s = lambda v: 1 / (1 + math.exp(-v))
    z2 = 0.7 * x - 0.2
    a2 = s(z2)
    z3 = -1.3 * a2 + 0.4
    a3 = s(z3)
    d3 = (a3 - y) * a3 * (1 - a3)  # eq. 30
    d2 = -1.3 * d3 * a2 * (1 - a2)  # BP2
    t = net.trace([x], [y])
    assert t.z[2][0, 0] == pytest.approx(z2) and t.a[3][0, 0] == pytest.approx(a3)
    assert t.cost == pytest.approx(0.5 * (a3 - y) ** 2, rel=1e-14)
    assert t.delta[3][0, 0] == pytest.approx(d3, rel=1e-13)
    assert t.delta[2][0, 0] == pytest.approx(d2, rel=1e-13)
    assert t.nabla_b[2][0, 0] == pytest.approx(d2, rel=1e-13)  # BP3
    assert t.nabla_w[2][0, 0] == pytest.approx(x * d2, rel=1e-13)  # BP4
    assert t.nabla_w[3][0, 0] == pytest.approx(a2 * d3, rel=1e-13)


@pytest.mark.parametrize("cost", ["quadratic", "cross_entropy"])
def test_bp1_output_error_is_dC_dz_of_the_output_layer(cost):
    net = small_net(cost)
    x, y = batch(net)
    t = net.trace(x, y)
    assert close(t.delta[net.L], numeric_dC_dz(net, t, net.L))
    # and BP1 as written: ∇_a C ⊙ σ'(z^L)
    assert close(t.delta[net.L], t.cost_gradient * t.sigma_prime[net.L], rel=1e-12)


@pytest.mark.parametrize("activation", SMOOTH)
def test_bp2_hidden_errors_are_dC_dz(activation):
    net = small_net(activation=activation)
    x, y = batch(net)
    t = net.trace(x, y)
    for l in (2, 3):
        assert close(t.delta[l], numeric_dC_dz(net, t, l)), l


def test_bp3_bias_gradient_is_the_error():
    net = small_net()
    x, y = batch(net, m=4)
    t = net.trace(x, y)
    numeric = numeric_gradient(net, x, y, dict(net.biases))
    for l in net.layers:
        assert close(t.nabla_b[l], numeric[l])
        np.testing.assert_allclose(t.nabla_b[l][:, 0], t.delta[l].mean(axis=1), rtol=1e-14)


def test_bp4_weight_gradient_is_a_in_times_delta_out():
    net = small_net()
    x, y = batch(net, m=4)
    t = net.trace(x, y)
    numeric = numeric_gradient(net, x, y, dict(net.weights))
    for l in net.layers:
        assert close(t.nabla_w[l], numeric[l])
        by_hand = np.zeros_like(net.weights[l])
        for j, k in np.ndindex(by_hand.shape):  # eq. 32, averaged over the batch
            by_hand[j, k] = np.mean(t.a[l - 1][k] * t.delta[l][j])
        np.testing.assert_allclose(t.nabla_w[l], by_hand, rtol=1e-12)


@st.composite
def networks(draw):
    depth = draw(st.integers(2, 4))
    sizes = [draw(st.integers(1, 5)) for _ in range(depth)]
    cost = draw(st.sampled_from(["quadratic", "cross_entropy"]))
    acts = [draw(st.sampled_from(SMOOTH + ["relu", "leaky_relu"])) for _ in range(depth - 1)]
    if cost == "cross_entropy":
        acts[-1] = "sigmoid"  # cross-entropy needs outputs in [0, 1]
    net = Network(sizes, activation=acts, cost=cost, seed=draw(st.integers(0, 2**16)))
    m = draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.uniform(-1.5, 1.5, (sizes[0], m))
    y = rng.uniform(0, 1, (sizes[-1], m))
    return net, x, y


@given(networks())
def test_backprop_equals_finite_differences_on_random_networks(case):
    net, x, y = case
    t = net.trace(x, y)
    for l in net.layers:  # keep finite differences away from relu's kink
        if net.activation(l).name in ("relu", "leaky_relu"):
            assume(np.min(np.abs(t.z[l])) > 1e-3)
    fd = finite_difference_gradient(net, x, y, eps=1e-6, central=True)
    assert fd.forward_passes == 2 * net.n_parameters
    for l in net.layers:
        assert close(t.nabla_w[l], fd.nabla_w[l], rel=1e-6, floor=1e-9), (l, net)
        assert close(t.nabla_b[l], fd.nabla_b[l], rel=1e-6, floor=1e-9), (l, net)


def test_forward_difference_counts_passes_and_leaves_the_network_unchanged():
    net = small_net()
    x, y = batch(net)
    before = {l: net.weights[l].copy() for l in net.layers}
    fd = finite_difference_gradient(net, x, y, eps=1e-7)
    assert fd.forward_passes == net.n_parameters + 1 == 3 * 4 + 4 + 4 * 3 + 3 + 3 * 2 + 2 + 1
    for l in net.layers:
        np.testing.assert_array_equal(net.weights[l], before[l])
        assert close(fd.nabla_w[l], net.trace(x, y).nabla_w[l], rel=1e-4, floor=1e-7)


def test_finite_differences_can_be_stopped():
    net = small_net()
    x, y = batch(net)
    seen = []
    def stop_after_ten(done, total):
        seen.append((done, total))
        return done < 10
    with pytest.raises(InterruptedError, match="stopped after 10 of"):
        finite_difference_gradient(net, x, y, on_progress=stop_after_ten)
    assert seen[-1] == (10, net.n_parameters + 1)


def test_trace_is_immutable_and_keyed_by_the_books_layer_numbers():
    net = Network([2, 3, 2], seed=0)
    t = net.trace([0.1, 0.2], [1, 0])
    assert sorted(t.a) == [1, 2, 3] and sorted(t.z) == sorted(t.delta) == [2, 3]
    assert t.a[2].shape == (3, 1) and t.nabla_w[3].shape == (2, 3) and t.nabla_b[2].shape == (3, 1)
    with pytest.raises(ValueError):
        t.a[2][0, 0] = 5.0
    with pytest.raises(TypeError):
        t.delta[2] = np.zeros((3, 1))
    with pytest.raises(AttributeError):
        t.cost = 0.0
    # changing the network afterwards leaves the old trace as it was
    old = t.a[3].copy()
    net.weights[3][0, 0] += 1.0
    np.testing.assert_array_equal(t.a[3], old)
    assert not np.array_equal(net.trace([0.1, 0.2], [1, 0]).a[3], old)


def test_one_modified_neuron():
    # The chapter's exercise: neuron 1 of layer 2 uses f(z) = z² / 2 (f' = z); BP2 then uses
    # f'(z) for that neuron alone. Checked against finite differences.
    from explorer import Activation

    half_square = Activation("half_square", lambda z: z * z / 2, lambda z: z)
    net = small_net()
    net.set_activation(2, 1, half_square)
    x, y = batch(net)
    t = net.trace(x, y)
    np.testing.assert_allclose(t.a[2][1], t.z[2][1] ** 2 / 2)
    np.testing.assert_allclose(t.sigma_prime[2][1], t.z[2][1])
    np.testing.assert_allclose(t.a[2][0], 1 / (1 + np.exp(-t.z[2][0])))
    numeric = numeric_gradient(net, x, y, dict(net.weights))
    for l in net.layers:
        assert close(t.nabla_w[l], numeric[l])
    net.set_activation(2, 1, "sigmoid")
    assert net.activation(2).name == "sigmoid"


def test_linear_network_backprop_is_plain_linear_algebra():
    # The chapter's exercise σ(z) = z: then δ^l = (w^(l+1))^T … (w^L)^T (a^L − y).
    net = Network([3, 4, 2], activation="linear", seed=2)
    x, y = np.array([[0.3], [-1.0], [2.0]]), np.array([[1.0], [0.0]])
    aL = net.weights[3] @ (net.weights[2] @ x + net.biases[2]) + net.biases[3]
    t = net.trace(x, y)
    np.testing.assert_allclose(t.delta[3], aL - y)
    np.testing.assert_allclose(t.delta[2], net.weights[3].T @ (aL - y))


def test_float32_network():
    net = Network([3, 4, 2], seed=1, dtype=np.float32)
    t = net.trace([0.1, 0.2, 0.3], [0.0, 1.0])
    assert t.nabla_w[2].dtype == np.float32 and t.delta[3].dtype == np.float32
    ref = Network([3, 4, 2], seed=1)
    np.testing.assert_allclose(t.nabla_w[2], ref.trace([0.1, 0.2, 0.3], [0.0, 1.0]).nabla_w[2], rtol=1e-4, atol=1e-6)


def test_neuron_activation_reports_overrides():
    net = small_net()
    net.set_activation(2, 1, "tanh")
    assert net.neuron_activation(2, 1).name == "tanh"
    assert net.neuron_activation(2, 0).name == net.neuron_activation(3, 0).name == "sigmoid"
    with pytest.raises(IndexError, match="neuron: 4 is out of range"):
        net.neuron_activation(2, 4)
