"""The two assumptions about the cost (eq. 26, eq. 27), checked against hand formulas and finite differences."""

import re

import numpy as np
import pytest

from explorer import Network
from explorer.widgets.dashboard.controls import ControlsPanel
from explorer.widgets.chapter.cost_assumptions import (
    GRID,
    CostAssumptionsPanel,
    landscape_range,
    parameter_of,
)
from explorer.widgets.state import ExplorerState
from explorer.core.activations import get_activation

from helpers import read_number, sigma

X0, Y0 = np.array([0.8, -0.4]), np.array([1.0, 0.0])
XB = np.array([[-0.5, 0.3, 1.0], [0.9, 0.2, -0.7]])
YB = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0]])


def make(cost="quadratic", sizes=(2, 3, 2), batch=(XB, YB), x=X0, y=Y0, **kw):
    # copies: the state writes slider values into the arrays it was given
    state = ExplorerState(Network(list(sizes), seed=1, cost=cost), np.array(x), np.array(y))
    return state, CostAssumptionsPanel(state, batch=batch, **kw)


def hand_costs(net, X, Y, cost="quadratic"):
    """C_x for each column by eq. (25) and eq. (27) (or the cross-entropy), the test's own code."""
    a = np.asarray(X, float)
    for l in net.layers:
        a = sigma(np.array(net.weights[l]) @ a + np.array(net.biases[l]))
    if cost == "quadratic":
        return 0.5 * ((a - Y) ** 2).sum(axis=0), a
    return -(Y * np.log(a) + (1 - Y) * np.log(1 - a)).sum(axis=0), a


def fd_per_example(net, X, Y, array, index, h=1e-6):
    """∂C_x/∂p for each example by central differences on the test's own cost."""
    old = array[index]
    array[index] = old + h
    up, _ = hand_costs(net, X, Y)
    array[index] = old - h
    down, _ = hand_costs(net, X, Y)
    array[index] = old
    return (up - down) / (2 * h)


def full_batch():
    return np.column_stack([X0, XB]), np.column_stack([Y0, YB])


def test_bars_are_the_per_example_costs_and_the_line_their_mean():
    state, panel = make()
    X, Y = full_batch()
    costs, _ = hand_costs(state.network, X, Y)
    assert panel.plot.values("cost_bars", "y") == pytest.approx(costs, rel=1e-6)
    assert panel.plot.values("cost_mean", "y")[0] == pytest.approx(costs.mean(), rel=1e-6)
    shown = float(re.search(r'data-q="C" data-value="([^"]+)"', panel.readout.value).group(1))
    assert shown == pytest.approx(costs.mean(), rel=1e-12)


def test_the_gradient_of_the_mean_is_the_mean_of_the_per_example_gradients():
    state, panel = make()
    state.select_weight(3, 0, 1)
    net = state.network
    X, Y = full_batch()
    per_example = fd_per_example(net, X, Y, net.weights[3], (0, 1))
    assert panel.plot.values("grad_bars", "y") == pytest.approx(per_example, rel=1e-5, abs=1e-9)
    assert panel.plot.values("grad_mean", "y")[0] == pytest.approx(per_example.mean(), rel=1e-5, abs=1e-9)
    assert panel.batch_gradient == pytest.approx(per_example.mean(), rel=1e-6, abs=1e-10)
    assert panel.fd_gradient == pytest.approx(per_example.mean(), rel=1e-6, abs=1e-10)
    assert "✓ agrees" in panel.readout.value
    assert "w<sup>3</sup><sub>12</sub>" in panel.readout.value


def test_a_selected_neuron_shows_its_bias_by_bp3():
    state, panel = make()
    state.select_neuron(2, 2)
    assert parameter_of(state.selection) == ("b", 2, 2, None)
    net = state.network
    X, Y = full_batch()
    per_example = fd_per_example(net, X, Y, net.biases[2], (2, 0))
    assert panel.plot.values("grad_bars", "y") == pytest.approx(per_example, rel=1e-5, abs=1e-9)
    assert "(BP3)" in panel.readout.value and panel.plot.spec["axes"][1]["title"] == "∂C_{x}/∂b^2_3 per example"


def test_sliders_move_the_bars():
    state, panel = make()
    state.select_weight(3, 1, 2)
    controls = ControlsPanel(state)
    controls.weight_sliders[(3, 1, 2)].value = 2.75
    net = state.network
    assert net.weights[3][1, 2] == 2.75
    X, Y = full_batch()
    costs, _ = hand_costs(net, X, Y)
    assert panel.plot.values("cost_bars", "y") == pytest.approx(costs, rel=1e-6)
    per_example = fd_per_example(net, X, Y, net.weights[3], (1, 2))
    assert panel.plot.values("grad_bars", "y") == pytest.approx(per_example, rel=1e-5, abs=1e-9)


def test_landscape_is_a_function_of_a_L_alone_and_moves_only_with_y():
    state, panel = make()
    controls = ControlsPanel(state)
    g = panel.grid
    assert g[0] == 0.0 and g[-1] == 1.0 and len(g) == GRID
    A1, A2 = np.meshgrid(g, g)
    hand = 0.5 * ((A1 - 1.0) ** 2 + (A2 - 0.0) ** 2)
    assert np.allclose(panel.landscape_values, hand, rtol=1e-13, atol=0)
    # the browser's heatmap: every second grid point, row 0 at the top (the largest a^L_2)
    rows, cols = panel.plot.values("landscape", "shape")
    sent = panel.plot.values("landscape", "values").reshape(rows, cols)
    B1, B2 = np.meshgrid(g[::2], g[::2])
    assert np.allclose(sent, (0.5 * ((B1 - 1.0) ** 2 + B2 ** 2))[::-1], rtol=1e-6)
    # cells are centred on the grid points: the axes reach half a cell beyond 0 and 1
    assert panel.plot.values("@land", "xlim") == pytest.approx([-1 / (GRID - 1), 1 + 1 / (GRID - 1)])
    _, aL = hand_costs(state.network, X0.reshape(-1, 1), Y0.reshape(-1, 1))
    assert panel.plot.values("dot", "x")[0] == pytest.approx(aL[0, 0], rel=1e-6)
    assert panel.plot.values("dot", "y")[0] == pytest.approx(aL[1, 0], rel=1e-6)
    before = panel.landscape_values.copy()

    # a weight moves the dot, not the landscape: C_x sees the weights only through a^L
    state.select_neuron(3, 0)
    controls.weight_sliders[(3, 0, 0)].value = -3.0
    _, aL2 = hand_costs(state.network, X0.reshape(-1, 1), Y0.reshape(-1, 1))
    assert np.array_equal(panel.landscape_values, before)
    assert panel.plot.values("dot", "x")[0] == pytest.approx(aL2[0, 0], rel=1e-6) and aL2[0, 0] != pytest.approx(aL[0, 0])
    # and the cost at the dot is C_x
    c_dot = 0.5 * ((aL2[0, 0] - 1.0) ** 2 + aL2[1, 0] ** 2)
    assert panel.costs[0] == pytest.approx(c_dot, rel=1e-12)

    # the target moves the landscape: its lowest point is now at y
    controls.target_sliders[0].value = 0.3
    controls.target_sliders[1].value = 0.6
    lowest = np.unravel_index(np.argmin(panel.landscape_values), panel.landscape_values.shape)
    assert (g[lowest[1]], g[lowest[0]]) == pytest.approx((0.3, 0.6), abs=0.5 / (GRID - 1) + 1e-12)
    assert list(panel.plot.values("target", "x")) + list(panel.plot.values("target", "y")) == pytest.approx([0.3, 0.6], rel=1e-6)


def test_cross_entropy_landscape_and_bars():
    state, panel = make(cost="cross_entropy")
    X, Y = full_batch()
    costs, _ = hand_costs(state.network, X, Y, "cross_entropy")
    assert panel.plot.values("cost_bars", "y") == pytest.approx(costs, rel=1e-6)
    g = panel.grid
    assert 0 < g[0] < 0.01 and 0.99 < g[-1] < 1
    A1, A2 = np.meshgrid(g, g)
    hand = -(np.log(A1) + np.log(1 - A2))  # y = (1, 0)
    assert np.allclose(panel.landscape_values, hand, rtol=1e-12)


def test_one_output_neuron_draws_a_curve():
    state, panel = make(sizes=(2, 3, 1), batch=(XB, YB[:1]), y=np.array([0.25]))
    assert panel.one_output and "landscape" not in panel.plot.data
    g = panel.grid
    assert np.allclose(panel.plot.values("curve", "y"), 0.5 * (g - 0.25) ** 2, rtol=1e-6)
    _, aL = hand_costs(state.network, X0.reshape(-1, 1), np.array([[0.25]]))
    assert panel.plot.values("dot", "x")[0] == pytest.approx(aL[0, 0], rel=1e-6)


def test_default_batch_comes_from_the_state():
    state = ExplorerState(Network([2, 3, 2], seed=1), X0, Y0)
    panel = CostAssumptionsPanel(state, n_examples=3)
    X, Y = panel.batch_arrays()
    bx, by = state.batch
    assert X.shape == (2, 3) and np.array_equal(X[:, 1:], bx[:, :2]) and np.array_equal(Y[:, 1:], by[:, :2])
    assert len(panel.plot.values("cost_bars", "y")) == 3


def test_landscape_range():
    assert landscape_range(get_activation("sigmoid"), [0.2, 3.0]) == (0.0, 1.0)
    assert landscape_range(get_activation("tanh"), [0.2]) == (-1.0, 1.0)
    lo, hi = landscape_range(get_activation("linear"), [2.6, -0.4])
    assert lo <= -0.4 and hi >= 2.6
    lo, hi = landscape_range(get_activation("relu"), [1.7])
    assert lo == 0.0 and hi >= 1.7


def test_summary_is_the_readout_in_text():
    state, panel = make()
    state.select_weight(2, 1, 0)
    X, Y = full_batch()
    costs, _ = hand_costs(state.network, X, Y)
    text = panel.summary()
    assert read_number(text.splitlines()[0].rsplit("= ", 1)[1]) == pytest.approx(costs.mean(), rel=5e-6)
    line = text.splitlines()[1]
    assert line.startswith("∂C/∂w²₂₁ = mean of ∂Cₓ/∂w²₂₁ = ")
    numbers = [read_number(part.split(";")[0]) for part in
               (line.split(" = ")[-1], line.split("on the batch ")[1], line.split("finite differences ")[1])]
    grads = fd_per_example(state.network, X, Y, state.network.weights[2], (1, 0))
    assert numbers == pytest.approx([grads.mean()] * 3, rel=1e-5, abs=1e-9)
