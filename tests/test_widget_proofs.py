"""The proofs panel: each step of the proofs of BP1–BP4 measured, and able to catch a wrong σ'."""

import numpy as np
import pytest

from explorer import Network
from explorer.core.activations import Activation
from explorer.widgets.dashboard.controls import ControlsPanel
from explorer.widgets.chapter.proofs import ProofsPanel, layer_jacobian, output_jacobian, parameter_indices
from explorer.widgets.state import ExplorerState

from helpers import hand_forward, numeric_gradient, sigma

KEYS = ["delta_L", "delta_hidden", "bp1_off_diagonal", "bp1_diagonal", "bp1_chain", "bp2_jacobian",
        "bp2_chain", "bp3", "bp4", "sigma_prime_form"]


def make(sizes=(2, 3, 3, 2), seed=2, **kw):
    net = Network(list(sizes), seed=seed, **kw)
    x = np.array([0.8, -0.4, 0.3][: net.sizes[0]])
    return ExplorerState(net, x, np.array([1.0, 0.0]))


def sp(z):
    return sigma(z) * (1 - sigma(z))


def test_every_step_holds_for_a_sigmoid_network():
    state = make()
    panel = ProofsPanel(state)
    assert [c.key for c in panel.checks] == KEYS
    assert all(c.ok for c in panel.checks), panel.summary()
    assert panel.html.value.count("✓") == len(KEYS) and "✗" not in panel.html.value
    net = state.network
    # the counts are the network's: 2 output errors, 6 hidden ones, 8 biases, 6 + 9 + 6 weights
    counts = {c.key: c.count for c in panel.checks}
    assert counts["delta_L"] == 2 and counts["delta_hidden"] == 6
    assert counts["bp3"] == 8 and counts["bp4"] == 21 and counts["bp2_jacobian"] == 2 * 3  # ∂z^4/∂z^3
    assert panel.n_checked == panel.n_parameters == net.n_parameters == 29


def test_the_measured_jacobians_have_the_shapes_the_proofs_say():
    state = make()
    panel = ProofsPanel(state)
    net = state.network
    z, _ = hand_forward(net, state.x)
    # eq. 37–38: ∂a^L/∂z^L is diag(σ'(z^L))
    assert np.allclose(panel.J_output, np.diag(sp(z[4][:, 0])), rtol=1e-7, atol=1e-12)
    assert np.all(panel.J_output[~np.eye(2, dtype=bool)] == 0.0)
    # eq. 43–44 for the layer of the selected neuron (the output here, so l = L − 1 = 3)
    assert panel.jacobian_layer == 3
    assert np.allclose(panel.J_layer, np.array(net.weights[4]) * sp(z[3][:, 0])[None, :], rtol=1e-7, atol=1e-12)
    state.select_neuron(2, 0)
    assert panel.jacobian_layer == 2
    assert np.allclose(panel.J_layer, np.array(net.weights[3]) * sp(z[2][:, 0])[None, :], rtol=1e-7, atol=1e-12)


def test_the_checks_follow_the_controls():
    state = make()
    panel = ProofsPanel(state)
    controls = ControlsPanel(state)
    controls.layer_dropdowns[2].value = "tanh"
    controls.cost_dropdown.value = "cross_entropy"
    assert state.network.activation(2).name == "tanh"
    assert all(c.ok for c in panel.checks), panel.summary()
    # the gradient itself, against the test's own finite differences
    net = state.network
    fd = numeric_gradient(net, state.x, state.y, {l: net.weights[l] for l in net.layers})
    for l in net.layers:
        assert np.allclose(state.trace.nabla_w[l], fd[l], rtol=1e-6, atol=1e-9)


def test_a_wrong_derivative_is_caught():
    # σ' off by a factor 1.5: backprop's δ is then wrong, and the measurements say so.
    wrong = Activation("wrong", lambda z: 1 / (1 + np.exp(-z)), lambda z: 1.5 * sp(z))
    state = make(activation=["sigmoid", "sigmoid", wrong])
    panel = ProofsPanel(state)
    bad = {c.key for c in panel.checks if not c.ok}
    assert {"delta_L", "bp1_diagonal", "bp1_chain", "bp3", "bp4"} <= bad
    assert "delta_hidden" in bad  # the error travels back through BP2
    assert "bp1_off_diagonal" not in bad and "bp2_jacobian" not in bad  # those do not use the output σ'
    assert "✗" in panel.html.value
    assert panel.by_key["bp1_diagonal"].max_difference == pytest.approx(
        0.5 * np.max(sp(state.trace.z[4][:, 0])), rel=1e-6)


def test_jacobian_helpers_on_a_trace():
    state = make(sizes=(3, 4, 2), seed=5)
    net, t = state.network, state.trace
    z, _ = hand_forward(net, state.x)
    assert np.allclose(output_jacobian(t), np.diag(sp(z[3][:, 0])), rtol=1e-7, atol=1e-12)
    assert np.allclose(layer_jacobian(t, 2), np.array(net.weights[3]) * sp(z[2][:, 0]), rtol=1e-7, atol=1e-12)


def test_a_big_network_is_checked_on_a_fixed_sample():
    net = Network([784, 30, 10], seed=1)
    chosen = parameter_indices(net, limit=500)
    kinds = [k for k, _, _ in chosen]
    assert kinds.count("w") == 500 and kinds.count("b") == 40  # all 40 biases, 500 of 23,820 weights
    assert chosen == parameter_indices(net, limit=500)  # the same sample every time
    assert len(set(chosen)) == len(chosen)
    small = Network([2, 3, 2], seed=1)
    assert len(parameter_indices(small)) == small.n_parameters
    assert parameter_indices(small.trace([0.1, 0.2], [1.0, 0.0])) == parameter_indices(small)


def test_measuring_never_writes_into_the_shared_network_and_a_dz_does_not_remeasure():
    state = make(sizes=(3, 4, 4, 2), seed=2)
    panel = ProofsPanel(state)
    net = state.network
    before = [net.weights[l].tobytes() + net.biases[l].tobytes() for l in net.layers]
    for l in net.layers:  # any write during a refresh would now raise
        net.weights[l].flags.writeable = False
        net.biases[l].flags.writeable = False
    html = panel.html.value
    state.select_neuron(2, 1)  # another layer in view: measured again
    assert panel.jacobian_layer == 2 and all(c.ok for c in panel.checks)
    assert panel.html.value != html
    checks = panel.checks
    state.dz = 0.7  # the demon's Δz changes no number of the proofs
    state.select_neuron(2, 3)  # nor does another neuron of the same layer
    assert panel.checks is checks
    assert [net.weights[l].tobytes() + net.biases[l].tobytes() for l in net.layers] == before
