"""The Trace carries everything a panel needs, and stays true after the network changes."""

import numpy as np
import pytest

from explorer import Network


@pytest.fixture
def batch():
    rng = np.random.default_rng(4)
    return rng.normal(size=(3, 5)), rng.uniform(size=(2, 5))


def test_trace_keeps_the_parameters_it_was_computed_from(batch):
    net = Network([3, 4, 2], seed=1)
    t = net.trace(*batch)
    w_before = net.weights[2].copy()
    net.weights[2][0, 0] += 1.0
    net.biases[3][1, 0] -= 2.0
    np.testing.assert_array_equal(t.weights[2], w_before)
    assert t.biases[3][1, 0] == pytest.approx(net.biases[3][1, 0] + 2.0)
    # The recorded parameters reproduce the recorded z: z^l = w^l a^(l-1) + b^l (eq. 25).
    for l in t.layers:
        np.testing.assert_allclose(t.z[l], t.weights[l] @ t.a[l - 1] + t.biases[l], rtol=1e-14)
    with pytest.raises(ValueError):
        t.weights[2][0, 0] = 5.0
    with pytest.raises(TypeError):
        t.weights[2] = np.zeros((4, 3))


def test_trace_records_each_neurons_activation_and_the_cost(batch):
    net = Network([3, 4, 2], activation="sigmoid", cost="cross_entropy", seed=2)
    net.set_activation(2, 1, "tanh")
    t = net.trace(*batch)
    assert [act.name for act in t.activations[2]] == ["sigmoid", "tanh", "sigmoid", "sigmoid"]
    assert t.activation(3, 0).name == "sigmoid"
    assert t.cost_function.name == "cross_entropy"
    # Neuron 2 of layer 2 (0-based 1) computes tanh: a = tanh(z) there, σ(z) elsewhere.
    np.testing.assert_allclose(t.a[2][1], np.tanh(t.z[2][1]), rtol=1e-14)
    np.testing.assert_allclose(t.a[2][0], 1 / (1 + np.exp(-t.z[2][0])), rtol=1e-14)
    net.set_activation(2, 1, "sigmoid")  # the trace does not follow later changes
    assert t.activation(2, 1).name == "tanh"
    np.testing.assert_array_equal(t.x, batch[0])
    np.testing.assert_array_equal(t.y, batch[1])


@pytest.mark.parametrize("i", [0, 3, -1])
def test_example_view_equals_the_example_traced_alone(batch, i):
    net = Network([3, 4, 4, 2], seed=3)
    X, Y = batch
    whole = net.trace(X, Y).example(i)
    alone = net.trace(X[:, [i]], Y[:, [i]])
    assert whole.n_examples == 1
    assert whole.cost == pytest.approx(alone.cost, rel=1e-13)
    for name in ("z", "a", "sigma_prime", "delta", "nabla_w", "nabla_b"):
        for l in getattr(alone, name):
            np.testing.assert_allclose(getattr(whole, name)[l], getattr(alone, name)[l],
                                       rtol=1e-12, atol=1e-15, err_msg=f"{name}[{l}]")
    np.testing.assert_allclose(whole.y, alone.y)
    np.testing.assert_allclose(whole.cost_gradient, alone.cost_gradient)


def test_batch_gradient_is_the_mean_of_the_examples_gradients(batch):
    # C = 1/n Σ_x C_x, so ∂C/∂w is the mean of the per-example ∂C_x/∂w (the chapter's assumption 1).
    net = Network([3, 4, 2], seed=5)
    t = net.trace(*batch)
    for l in t.layers:
        mean_w = np.mean([t.example(i).nabla_w[l] for i in range(t.n_examples)], axis=0)
        np.testing.assert_allclose(t.nabla_w[l], mean_w, rtol=1e-12)


def test_example_index_out_of_range_is_refused(batch):
    t = Network([3, 4, 2], seed=1).trace(*batch)
    with pytest.raises(IndexError, match="examples 0..4"):
        t.example(5)
    with pytest.raises(ValueError, match="example index"):
        t.example(1.5)


def test_prepare_examples_is_the_public_input_check():
    net = Network([2, 3, 4], seed=0)
    X, Y = net.prepare_examples([0.5, -0.5], 2)
    assert X.shape == (2, 1) and Y.ravel().tolist() == [0, 0, 1, 0]
    with pytest.raises(ValueError, match="x contains NaN"):
        net.prepare_examples([np.nan, 0.0])


def test_base_activation_and_overrides_say_which_neuron_differs():
    net = Network([2, 3, 1], activation="sigmoid", seed=0)
    assert net.base_activation(2).name == "sigmoid" and net.activation_overrides(2) == {}
    net.set_activation(2, 2, "relu")
    assert net.base_activation(2).name == "sigmoid"
    assert {j: a.name for j, a in net.activation_overrides(2).items()} == {2: "relu"}
    # The overridden neuron really computes ReLU; the others still the sigmoid.
    x = np.array([[0.4], [-0.7]])
    z2 = net.weights[2] @ x + net.biases[2]
    a2 = net.trace(x, [0.0]).a[2]
    assert a2[2, 0] == max(z2[2, 0], 0.0)
    np.testing.assert_allclose(a2[:2], 1 / (1 + np.exp(-z2[:2])), rtol=1e-14)
    net.set_activation(2, None, "tanh")  # a whole layer drops its overrides
    assert net.base_activation(2).name == "tanh" and net.activation_overrides(2) == {}
