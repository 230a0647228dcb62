"""The slope panel: where a neuron sits on σ and σ', swapping one neuron's activation, σ' elsewhere."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from explorer import Network
from explorer.widgets.dashboard.scenario import load_scenario
from explorer.widgets.chapter.slope import SlopePanel, neuron_activation, slopes_at
from explorer.widgets.state import ExplorerState

from helpers import sigma

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def saturated():
    state = ExplorerState(Network([2, 3, 2], seed=0), np.array([0.1, 0.2]), np.array([0.0, 1.0]))
    panel = SlopePanel(state)
    load_scenario(state, SCENARIOS / "saturated_output.json")
    return state, panel


def scenario_numbers(name="saturated_output.json"):
    """z^2, z^3 of the scenario, from its JSON by the test's own arithmetic."""
    data = json.loads((SCENARIOS / name).read_text())
    W = {int(l): np.array(w) for l, w in data["network"]["weights"].items()}
    b = {int(l): np.array(v).reshape(-1, 1) for l, v in data["network"]["biases"].items()}
    x = np.array(data["example"]["x"]).reshape(-1, 1)
    y = np.array(data["example"]["y"]).reshape(-1, 1)
    z2 = W[2] @ x + b[2]
    z3 = W[3] @ sigma(z2) + b[3]
    return z2, z3, y, W, b


def number(markup, q):
    return float(re.search(rf"""data-q=["']{q}["'] data-value=["']([^"']+)["']""", markup).group(1))


def test_a_saturated_output_neuron_is_shown_on_the_flat_of_the_sigmoid():
    state, panel = saturated()
    z2, z3, y, _, _ = scenario_numbers()
    z = z3[0, 0]
    s = sigma(z)
    assert state.selected_neuron == (3, 0)
    assert panel.z == pytest.approx(z, rel=1e-13)
    assert panel.sigma_prime == pytest.approx(s * (1 - s), rel=1e-10)
    # what the browser was sent (float32): the dot at (z, σ'(z)) and (z, σ(z)), by hand
    assert panel.plot.values("p_dot", "x")[0] == pytest.approx(z, rel=1e-6)
    assert panel.plot.values("p_dot", "y")[0] == pytest.approx(s * (1 - s), rel=1e-6)
    assert panel.plot.values("f_dot", "y")[0] == pytest.approx(s, rel=1e-6)
    zs, fs = panel.plot.values("f_curve", "x"), panel.plot.values("f_curve", "y")
    assert fs == pytest.approx(sigma(zs.astype(float)), rel=1e-5, abs=1e-7)
    ps = panel.plot.values("p_curve", "y")
    assert ps == pytest.approx(sigma(zs.astype(float)) * (1 - sigma(zs.astype(float))), rel=1e-5, abs=1e-7)
    assert "saturated:" in panel.readout.value
    # BP1 written out: δ = (a − y) σ'(z)
    assert number(panel.readout.value, "delta") == pytest.approx((s - y[0, 0]) * s * (1 - s), rel=1e-10)
    assert panel.activation_buttons.value == "sigmoid"


def test_what_sigma_prime_would_be_with_each_activation():
    z = -7.56
    s = slopes_at(z)
    assert s["sigmoid"] == pytest.approx(sigma(z) * (1 - sigma(z)))
    assert s["tanh"] == pytest.approx(1 - np.tanh(z) ** 2)
    assert s["relu"] == 0.0
    assert s["leaky_relu"] == pytest.approx(0.01)
    assert s["softplus"] == pytest.approx(sigma(z))  # softplus' derivative is the sigmoid
    assert s["linear"] == 1.0
    up = slopes_at(7.56)
    assert up["softplus"] == pytest.approx(sigma(7.56)) and up["softplus"] > 0.99  # no saturation on this side
    assert up["sigmoid"] < 0.001


def test_a_button_swaps_this_neuron_alone():
    state, panel = saturated()
    panel.activation_buttons.value = "linear"
    net = state.network
    assert neuron_activation(net, 3, 0).name == "linear"
    assert neuron_activation(net, 3, 1).name == "sigmoid"
    _, z3, y, _, _ = scenario_numbers()
    # σ(z) = z for this neuron: a = z, σ' = 1, so δ^3_1 = a − y by BP1
    assert state.trace.a[3][0, 0] == pytest.approx(z3[0, 0], rel=1e-13)
    assert state.trace.sigma_prime[3][0, 0] == 1.0
    assert state.trace.delta[3][0, 0] == pytest.approx(z3[0, 0] - y[0, 0], rel=1e-13)
    assert state.trace.sigma_prime[3][1, 0] == pytest.approx(sigma(z3[1, 0]) * (1 - sigma(z3[1, 0])), rel=1e-12)
    assert panel.sigma_prime == 1.0 and "not saturated" in panel.readout.value
    assert "(this neuron only)" in panel.titles[0]
    assert panel.plot.spec["axes"][0]["title"] == panel.titles[0]


def test_buttons_follow_the_selection_and_other_controls():
    state, panel = saturated()
    state.set_activation(2, "tanh", neuron=1)
    state.select_neuron(2, 1)
    assert panel.activation_buttons.value == "tanh"
    state.select_neuron(2, 0)
    assert panel.activation_buttons.value == "sigmoid"
    z2, _, _, _, _ = scenario_numbers()
    assert panel.z == pytest.approx(z2[0, 0], rel=1e-13)


def test_the_batch_shows_as_ticks():
    state, panel = saturated()
    zs = state.batch_trace.z[3][0, 1:]
    assert np.array_equal(panel.plot.values("rug", "x"), zs.astype(np.float32))


def test_the_axis_widens_for_a_far_out_z():
    state, panel = saturated()
    state.set_bias(3, 0, -20.0)
    lo, hi = panel.plot.values("@p", "xlim")
    assert lo < panel.z < hi and panel.z < -19


def test_a_hidden_neuron_shows_bp2_with_its_other_factor_by_hand():
    state, panel = saturated()
    state.select_neuron(2, 1)
    z2, z3, y, W, _ = scenario_numbers()
    a3 = sigma(z3)
    d3 = (a3 - y) * a3 * (1 - a3)  # BP1, quadratic cost
    upstream = (W[3].T @ d3)[1, 0]  # ((w^3)^T δ^3)_2
    sp = sigma(z2[1, 0]) * (1 - sigma(z2[1, 0]))
    assert panel.neuron.rule == "BP2" and "BP2:" in panel.readout.value
    assert panel.neuron.upstream == pytest.approx(upstream, rel=1e-12)
    assert number(panel.readout.value, "delta") == pytest.approx(upstream * sp, rel=1e-10)
    assert panel.neuron.share == pytest.approx(sp / 0.25, rel=1e-10)
    assert panel.neuron.saturated == (sp < 0.1 * 0.25)
