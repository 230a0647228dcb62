"""The Hadamard product panel (eq. 28), and the Hadamard products of BP1 and BP2 from a live state."""

import re

import numpy as np
import pytest

from explorer import Network
from explorer.widgets.dashboard.controls import ControlsPanel
from explorer.widgets.chapter.hadamard import HadamardPanel, backprop_factors, hadamard
from explorer.widgets.state import ExplorerState

from helpers import sigma

SLOT = re.compile(r"\\htmlData\{q=([a-z]+)(\d+)\}\{([^}]*)\}")


def vectors(panel):
    """{key: [exact values]} of the readout's slots, and what the filled-in TeX shows."""
    shown = {}
    for key, j, text in SLOT.findall(panel.readout.filled()):
        shown.setdefault(key, []).append(text)
    exact = {key: panel.vector(key) for key in shown}
    return exact, shown


def heights(panel, mark):
    """The bar heights the browser was sent (float32) for mark "s", "t" or "product"."""
    return panel.plot.values(mark, "y").tolist()


def centres(panel, mark):
    return panel.plot.values(mark, "x").tolist()


def test_the_books_example():
    panel = HadamardPanel()
    assert list(panel.product) == [3.0, 8.0]
    assert panel.dot == 11.0
    assert list(panel.diag_product) == [3.0, 8.0]
    v, shown = vectors(panel)
    assert v["product"] == [3.0, 8.0] and v["diag"] == [3.0, 8.0]
    assert shown["s"] == ["1", "2"] and shown["t"] == ["3", "4"] and shown["product"] == ["3", "8"]
    assert panel.readout.numbers["dot"][:2] == ["11", 11.0]
    assert r"\odot" in panel.readout.template and r"\sum_j s_j t_j" in panel.readout.template
    assert [heights(panel, m) for m in ("s", "t", "product")] == [[1.0, 2.0], [3.0, 4.0], [3.0, 8.0]]
    # grouped at j = 1, 2: s left of t left of s ⊙ t, none overlapping
    s_x, t_x, p_x = (centres(panel, m) for m in ("s", "t", "product"))
    width = panel.plot.spec["axes"][0]["marks"][1]["barWidth"]
    for j in (0, 1):
        assert s_x[j] + width <= t_x[j] + 1e-6 and t_x[j] + width <= p_x[j] + 1e-6
        assert s_x[j] < j + 1 < p_x[j]
    assert [t for _, t in panel.plot.spec["axes"][0]["xticks"]] == ["j = 1", "j = 2"]
    assert panel.summary() == "[1, 2] ⊙ [3, 4] = [3, 8]"


def test_sliders_multiply_entry_by_entry():
    panel = HadamardPanel(s=(0.5, -1.0, 2.0), t=(4.0, 3.0, -0.25))
    panel.s_sliders[1].value = -2.5
    panel.t_sliders[2].value = 1.5
    s, t = [0.5, -2.5, 2.0], [4.0, 3.0, 1.5]
    assert list(panel.product) == [s[0] * t[0], s[1] * t[1], s[2] * t[2]]
    assert panel.dot == pytest.approx(s[0] * t[0] + s[1] * t[1] + s[2] * t[2])
    v, shown = vectors(panel)
    assert v["product"] == [2.0, -7.5, 3.0]
    assert shown["s"][1] == "(−2.5)"  # a negative factor in parentheses
    assert heights(panel, "product") == [2.0, -7.5, 3.0]
    assert heights(panel, "s") == [0.5, -2.5, 2.0]
    lo, hi = panel.plot.values("@ax", "ylim")
    assert lo < -7.5 and hi > 4.0  # every bar fits
    template = panel.readout.template
    panel.t_sliders[0].value = 1.0
    assert panel.readout.template == template  # same shape: typeset once, only numbers move
    assert panel.vector("product")[0] == 0.5 and heights(panel, "product")[0] == 0.5


def test_vectors_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match="same length"):
        hadamard([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="same length"):
        HadamardPanel(s=(1, 2), t=(3,))


def hand_trace(net, x, y):
    """z, a, and δ of every layer by eq. (25), (30) and BP2 with the test's own sigmoid."""
    a = {1: np.asarray(x, float).reshape(-1, 1)}
    z = {}
    for l in net.layers:
        z[l] = np.array(net.weights[l]) @ a[l - 1] + np.array(net.biases[l])
        a[l] = sigma(z[l])
    sp = {l: sigma(z[l]) * (1 - sigma(z[l])) for l in net.layers}
    L = net.L
    delta = {L: (a[L] - np.asarray(y, float).reshape(-1, 1)) * sp[L]}
    for l in range(L - 1, 1, -1):
        delta[l] = (np.array(net.weights[l + 1]).T @ delta[l + 1]) * sp[l]
    return a, sp, delta


def make_state():
    state = ExplorerState(Network([2, 3, 3, 2], seed=4), np.array([0.8, -0.4]), np.array([1.0, 0.0]))
    return state


def test_bp1_is_a_hadamard_product_and_follows_the_state():
    state = make_state()
    panel = HadamardPanel(state=state, equation="BP1")
    assert panel.s_sliders == [] and panel.t_sliders == []
    a, sp, delta = hand_trace(state.network, state.x, state.y)
    L = state.network.L
    assert panel.s == pytest.approx(a[L][:, 0] - np.array([1.0, 0.0]), rel=1e-13)
    assert panel.t == pytest.approx(sp[L][:, 0], rel=1e-13)
    assert panel.product == pytest.approx(delta[L][:, 0], rel=1e-13)
    # a slider elsewhere changes the network; the panel follows
    controls = ControlsPanel(state)
    state.select_neuron(4, 1)
    controls.bias_slider.value = -2.0
    a, sp, delta = hand_trace(state.network, state.x, state.y)
    assert panel.product == pytest.approx(delta[L][:, 0], rel=1e-13)
    v, _ = vectors(panel)
    assert v["delta"] == pytest.approx(delta[L][:, 0], rel=1e-13)
    assert panel.readout.numbers["difference"][1] == pytest.approx(0.0, abs=1e-15)
    assert r"\delta^{4} = \nabla_a C \odot \sigma'(z^{4})" in panel.readout.template
    # the bars follow too: heights are the hand-computed δ^4 (float32 on the wire)
    assert heights(panel, "product") == pytest.approx(delta[L][:, 0], rel=1e-6)
    assert heights(panel, "t") == pytest.approx(sp[L][:, 0], rel=1e-6)


def test_bp2_is_a_hadamard_product_for_a_chosen_layer():
    state = make_state()
    panel = HadamardPanel(state=state, equation="BP2", layer=2)
    net = state.network
    a, sp, delta = hand_trace(net, state.x, state.y)
    assert panel.s == pytest.approx((np.array(net.weights[3]).T @ delta[3])[:, 0], rel=1e-12)
    assert panel.t == pytest.approx(sp[2][:, 0], rel=1e-13)
    assert panel.product == pytest.approx(delta[2][:, 0], rel=1e-12)
    state.set_weight(3, 0, 1, 3.5)
    a, sp, delta = hand_trace(net, state.x, state.y)
    assert panel.product == pytest.approx(delta[2][:, 0], rel=1e-12)
    assert heights(panel, "product") == pytest.approx(delta[2][:, 0], rel=1e-6, abs=1e-9)
    default = HadamardPanel(state=state, equation="BP2")
    assert default.product == pytest.approx(delta[3][:, 0], rel=1e-12)  # l = L − 1 by default


def test_backprop_factors_refuse_what_is_not_there():
    state = make_state()
    with pytest.raises(ValueError, match="layer"):
        backprop_factors(state, "BP2", layer=4)
    with pytest.raises(ValueError, match="equation"):
        backprop_factors(state, "BP3")


def test_another_network_gets_new_axes():
    state = make_state()
    panel = HadamardPanel(state=state, equation="BP1")
    assert len(panel.plot.spec["axes"][0]["xticks"]) == 2
    state.set_network(Network([2, 3, 4], seed=2), x=[0.8, -0.4], y=[1.0, 0.0, 0.0, 1.0])
    a, sp, delta = hand_trace(state.network, state.x, state.y)
    assert panel.product == pytest.approx(delta[3][:, 0], rel=1e-13)
    assert len(panel.plot.spec["axes"][0]["xticks"]) == 4
    assert centres(panel, "t") == [1.0, 2.0, 3.0, 4.0]
    assert heights(panel, "product") == pytest.approx(delta[3][:, 0], rel=1e-6)


def test_closing_twice_is_harmless_and_stops_following():
    from explorer import Network
    from explorer.widgets.state import ExplorerState

    state = ExplorerState(Network([2, 3, 2], seed=1), np.array([0.8, -0.4]), np.array([1.0, 0.0]))
    panel = HadamardPanel(state=state)
    before = panel.summary()
    panel.close()
    panel.close()  # as garbage collection does after an explicit close: no error
    state.set_weight(3, 0, 0, 5.0)  # a closed panel no longer follows the state
    assert panel.summary() == before
