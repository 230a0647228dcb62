"""The calls readers and scripts rely on keep working unchanged (issue "Core 2", item 3).

Each is checked against an independent computation: a forward pass and gradient written again
in tests/helpers.py, or the book's own update rule written out.
"""

import numpy as np
import pytest

import explorer
from explorer import Network, load_mnist

from helpers import hand_forward, sigma


def test_network_construction_as_documented():
    net = Network([3, 4, 2], activation="tanh", cost="cross_entropy", seed=7)
    assert net.L == 3 and net.sizes == (3, 4, 2)
    assert net.activation(2).name == "tanh" and net.cost.name == "cross_entropy"
    mixed = Network([3, 4, 2], activation=["tanh", "sigmoid"], seed=7)
    assert [mixed.activation(l).name for l in mixed.layers] == ["tanh", "sigmoid"]
    # Same seed, same parameters: reproducible as documented.
    again = Network([3, 4, 2], activation="tanh", cost="cross_entropy", seed=7)
    for l in net.layers:
        np.testing.assert_array_equal(net.weights[l], again.weights[l])


def test_weights_and_biases_are_writable_in_the_books_numbering():
    net = Network([2, 3, 1], seed=0)
    net.weights[3][0, 2] = 0.25          # w^3_13
    net.biases[2] = np.zeros((3, 1))
    x = np.array([0.3, -0.6])
    z2 = net.weights[2] @ x.reshape(2, 1)
    a2 = sigma(z2)
    expected = sigma(net.weights[3] @ a2 + net.biases[3])
    np.testing.assert_allclose(net.feedforward(x), expected, rtol=1e-14)
    assert net.trace(x, [1.0]).weights[3][0, 2] == 0.25


def test_trace_fields_against_a_hand_forward_pass():
    net = Network([2, 3, 2], seed=1)
    x, y = np.array([0.8, -0.4]), np.array([1.0, 0.0])
    t = net.trace(x, y)
    z, a = hand_forward(net, x)
    for l in net.layers:
        np.testing.assert_allclose(t.z[l], z[l], rtol=1e-13)
        np.testing.assert_allclose(t.a[l], a[l], rtol=1e-13)
    # BP1 for the quadratic cost with σ written out; BP2, BP3, BP4 by hand.
    dL = (a[3] - y.reshape(2, 1)) * a[3] * (1 - a[3])
    d2 = (net.weights[3].T @ dL) * a[2] * (1 - a[2])
    np.testing.assert_allclose(t.delta[3], dL, rtol=1e-12)
    np.testing.assert_allclose(t.delta[2], d2, rtol=1e-12)
    np.testing.assert_allclose(t.nabla_b[2], d2, rtol=1e-12)
    np.testing.assert_allclose(t.nabla_w[3], dL @ a[2].T, rtol=1e-12)
    assert t.cost == pytest.approx(0.5 * float(((a[3] - y.reshape(2, 1)) ** 2).sum()), rel=1e-13)


def test_demon_and_nudge_weight_as_documented():
    net = Network([2, 3, 2], seed=2)
    x, y = np.array([0.8, -0.4]), np.array([1.0, 0.0])
    effect = net.demon(x, y, layer=2, neuron=1, dz=1e-4)
    t = net.trace(x, y)
    assert effect.predicted == pytest.approx(t.delta[2][1, 0] * 1e-4, rel=1e-12)
    assert effect.actual == pytest.approx(effect.predicted, rel=1e-3)
    nudge = net.nudge_weight(x, y, layer=3, j=1, k=2, dw=1e-4)
    before = net.cost_of(x, y)
    net.weights[3][1, 2] += 1e-4
    assert nudge.actual == pytest.approx(net.cost_of(x, y) - before, rel=1e-9)


def test_update_mini_batch_is_the_books_rule():
    net = Network([3, 4, 2], seed=3)
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(3, 6)), rng.uniform(size=(2, 6))
    t = net.trace(X, Y)
    expected = {l: net.weights[l] - 0.5 * t.nabla_w[l] for l in net.layers}
    expected_b = {l: net.biases[l] - 0.5 * t.nabla_b[l] for l in net.layers}
    net.update_mini_batch(X, Y, 0.5)
    for l in net.layers:
        np.testing.assert_allclose(net.weights[l], expected[l], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(net.biases[l], expected_b[l], rtol=1e-12, atol=1e-15)


def test_sgd_and_evaluate_called_as_in_the_book():
    training_data, test_data = load_mnist(n_train=2000, n_test=200)
    assert len(training_data) == 2000 and training_data[0][0].shape == (784, 1)
    net = Network([784, 30, 10], seed=0)
    before = net.evaluate(test_data)
    history = net.SGD(training_data, 3, 10, 3.0, test_data=test_data)
    assert len(history) == 3
    after = net.evaluate(test_data)
    assert history[-1].correct == after
    # Independent count of correct answers: argmax of a hand forward pass.
    X = np.hstack([x for x, _ in test_data])
    _, a = hand_forward(net, X)
    assert after == int(np.sum(a[3].argmax(axis=0) == np.array([lbl for _, lbl in test_data])))
    # Chance is 10%; three epochs on 2,000 digits reach about 70% (seeds 0-2: 73-75%).
    assert before < 40 and after > 120


def test_names_documented_in_readme_are_exported():
    for name in ("Network", "load_mnist", "finite_difference_gradient", "delta_via_sigma_prime",
                 "path_sum", "Trace", "Activation", "toy_dataset"):
        assert name in explorer.__all__ and hasattr(explorer, name)
