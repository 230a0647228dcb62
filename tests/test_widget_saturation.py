"""The saturation heatmaps and the "learns slowly" verdicts, against numbers computed here."""

import re

import numpy as np
import pytest

from explorer.core import Network
from explorer.widgets.dashboard.saturation import SaturationPanel
from explorer.widgets.state import ExplorerState
from helpers import hand_forward, saturation_net as small_net, sigma, sigma_prime

X, Y = np.array([0.8, 0.4]), np.array([1.0, 0.0])


# ----------------------------------------------------------------------------- the panel


@pytest.fixture
def state():
    net = Network([4, 6, 6, 3], seed=1, weight_scale=2.0)
    st = ExplorerState(net, np.array([0.5, -0.2, 0.9, 0.0]), 1)
    return st


def batch_sigma_prime(st):
    """σ'(z^l) of the batch (current example first), by hand from the weights."""
    X_batch = np.concatenate([st.x, st.batch[0]], axis=1)
    z, _ = hand_forward(st.network, X_batch)
    return {l: sigma_prime(z[l]) for l in st.network.layers}


def heat(panel, l):
    """The σ' the browser was sent for layer l, current example first: (n_l, m)."""
    cur = panel.plot.values(f"cur{l}_h", "values").reshape(-1, 1)
    rest = panel.plot.values(f"batch{l}_h", "values").reshape(cur.shape[0], -1)
    return np.concatenate([cur, rest], axis=1)


def crosses(panel, l):
    cur = panel.plot.values(f"cur{l}_h", "cross").reshape(-1, 1)
    rest = panel.plot.values(f"batch{l}_h", "cross").reshape(cur.shape[0], -1)
    return np.concatenate([cur, rest], axis=1).astype(bool)


def test_heatmaps_show_the_batch_sigma_prime(state):
    panel = SaturationPanel(state)
    expected = batch_sigma_prime(state)
    for l in state.network.layers:
        shown = heat(panel, l)
        assert shown.shape == (state.network.sizes[l - 1], 100)  # the current example and 99 more
        assert panel.plot.values(f"batch{l}_h", "shape") == [state.network.sizes[l - 1], 99]
        np.testing.assert_allclose(shown, expected[l], rtol=1e-6, atol=1e-9)  # float32 on the wire
        assert panel.vmax[l] == 0.25  # σ' of the sigmoid peaks at 1/4
        spec = {m["id"]: m for ax in panel.plot.spec["axes"] for m in ax["marks"]}
        assert spec[f"batch{l}_h"]["domain"] == [0.0, 0.25]


def test_saturated_marks_and_fractions_follow_the_slider(state):
    panel = SaturationPanel(state)
    expected = batch_sigma_prime(state)
    for fraction in (0.1, 0.4):
        panel.sat_slider.value = fraction
        total = 0
        for l in state.network.layers:
            mask = expected[l] < fraction * 0.25
            total += mask.sum()
            assert np.array_equal(panel.saturated[l], mask)
            assert np.array_equal(crosses(panel, l), mask)
            np.testing.assert_allclose(panel.plot.values(f"frac{l}_b", "x"), mask.mean(axis=1), rtol=1e-6)
            texts = [item["text"] for item in panel.plot.values(f"frac{l}_t", "items")]
            assert texts == [f"{100 * f:.0f}%" for f in mask.mean(axis=1) if f > 0]
            line = panel.plot.values(f"bar{l}_r", "y")
            assert line[0] == pytest.approx(fraction * 0.25)
        assert total > 0  # weight scale 2: some neurons do saturate
    assert panel.sat_slider.value == 0.4


def test_verdict_table_follows_selection_and_thresholds(state):
    panel = SaturationPanel(state)
    state.select_neuron(3, 1)
    assert [v.name for v in panel.verdicts] == [f"w^3_2{k}" for k in range(1, 7)]
    html = panel.verdict_html.filled()
    assert "Weights into a<sup>3</sup><sub>2</sub>" in html and "w<sup>3</sup><sub>26</sub>" in html
    # Every hidden a is a sigmoid output in (0, 1): a threshold above all of them marks all slow.
    a2 = hand_forward(state.network, state.x)[1][2][:, 0]
    panel.a_slider.value = 0.5
    small = np.abs(a2) < 0.5
    assert [v.input_small for v in panel.verdicts] == list(small)
    assert html != panel.verdict_html.filled()
    assert panel.verdict_html.filled().count("(BP4)") == small.sum()
    state.select_weight(3, 1, 4)
    rows = re.findall(r"<tr style='([^']*)'>(.*?)</tr>", panel.verdict_html.filled())
    bold = [cells for style, cells in rows if "font-weight:bold" in style]
    assert len(bold) == 1 and ">w<sup>3</sup><sub>25</sub><" in bold[0]
    assert panel.plot.values("batch3_h", "markedRow") == 1  # neuron 2 of layer 3, outlined
    assert panel.plot.values("cur3_h", "markedRow") == 1
    assert panel.plot.values("batch2_h", "markedRow") == -1


def test_only_changes_that_show_are_sent(state):
    panel = SaturationPanel(state)
    sends = panel.sends
    state.dz = 0.3  # the demon: σ' of the batch does not change
    assert panel.sends == sends
    state.set_weight(2, 0, 0, 1.5)
    assert panel.sends == sends + 1
    np.testing.assert_allclose(heat(panel, 2), batch_sigma_prime(state)[2], rtol=1e-6, atol=1e-9)


def test_thresholds_are_relative_to_each_neurons_activation(state):
    panel = SaturationPanel(state)
    state.set_activation(3, "tanh")
    state.set_activation(2, "relu", neuron=0)
    assert panel.vmax[3] == 1.0 and panel.vmax[4] == 0.25
    assert panel.vmax[2] == 1.0  # the relu neuron's σ' reaches 1
    net = state.network
    X_batch = np.concatenate([state.x, state.batch[0]], axis=1)
    z2 = net.weights[2] @ X_batch + net.biases[2]
    a2 = sigma(z2)
    a2[0] = np.maximum(z2[0], 0.0)
    z3 = net.weights[3] @ a2 + net.biases[3]
    tanh_prime = 1.0 - np.tanh(z3) ** 2
    assert np.array_equal(panel.saturated[3], tanh_prime < 0.1 * 1.0)
    expected2 = sigma_prime(z2) < 0.1 * 0.25
    expected2[0] = z2[0] <= 0  # relu: σ' = 0 below zero, 1 above; max 1
    assert np.array_equal(panel.saturated[2], expected2)
    assert expected2[0].any() and expected2[1:].any()


def test_only_the_layers_a_change_reaches_are_sent_again(state):
    panel = SaturationPanel(state)
    sent = []  # the names of the marks in each custom message of the plot's comm (not its spec)
    send = panel.plot.comm.send
    panel.plot.comm.send = lambda data=None, buffers=None, **kw: (
        data.get("method") == "custom" and sent.append(set(data["content"]["marks"])),
        send(data=data, buffers=buffers, **kw))
    heatmaps = lambda names: {n for n in names if n.endswith("_h")}  # noqa: E731
    # a weight of the output layer (l = 4) changes z^4 only: BP's forward pass starts there
    state.set_weight(4, 0, 1, state.network.weights[4][0, 1] + 0.5)
    assert len(sent) == 1 and heatmaps(sent[0]) == {"cur4_h", "batch4_h"}
    # a weight of layer 2 reaches every layer after it
    state.set_weight(2, 1, 0, state.network.weights[2][1, 0] + 0.5)
    assert heatmaps(sent[1]) == {f"{kind}{l}_h" for kind in ("cur", "batch") for l in (2, 3, 4)}
    # the input is the current example's only: the rest of the batch stays as it was
    state.set_input(0, -0.7)
    assert heatmaps(sent[2]) == {"cur2_h", "cur3_h", "cur4_h"}
    # what was skipped is still what a fresh panel computes
    fresh, expected = SaturationPanel(state), batch_sigma_prime(state)
    for l in state.network.layers:
        np.testing.assert_array_equal(heat(panel, l), heat(fresh, l))
        np.testing.assert_allclose(heat(panel, l), expected[l], rtol=1e-6, atol=1e-9)
    n = len(sent)
    state.dz = 0.4  # the demon's Δz moves nothing here: no message at all
    assert len(sent) == n
    # a new network: a new figure, and all its marks in one message
    state.set_network(Network([3, 5, 2], seed=4), np.array([0.1, 0.2, 0.3]), np.array([1.0, 0.0]))
    assert len(sent) == n + 1
    assert {"cur2_h", "batch2_h", "cur3_h", "batch3_h", "bar2_h", "bar3_h", "legend"} <= sent[-1]
    assert "batch4_h" not in sent[-1]


def test_network_change_rebuilds(state):
    panel = SaturationPanel(state)
    height = panel.plot.spec["height"]
    net = Network([3, 5, 2], seed=4)
    state.set_network(net, np.array([0.1, 0.2, 0.3]), np.array([1.0, 0.0]))
    ids = {ax["id"] for ax in panel.plot.spec["axes"]}
    assert {"batch2", "batch3"} <= ids and "batch4" not in ids
    assert heat(panel, 2).shape == (5, 100)
    z, _ = hand_forward(net, np.array([0.1, 0.2, 0.3]))
    np.testing.assert_allclose(heat(panel, 2)[:, 0], sigma_prime(z[2])[:, 0], rtol=1e-6)
    assert panel.plot.spec["height"] < height  # two heatmaps instead of three
    assert "batch4_h" not in panel.plot.data  # nothing left over from the old network


def test_diverged_state_is_said_in_the_table(state):
    panel = SaturationPanel(state)
    state.set_weight(2, 0, 0, 1e308)
    state.set_weight(2, 0, 2, 1e308)
    assert state.diverged
    assert "diverged" in panel.verdict_html.filled()


def test_a_network_that_diverges_at_once_shows_no_stale_numbers(state):
    panel = SaturationPanel(state)
    net = Network([3, 2, 2], seed=0)
    net.weights[2] = np.full((2, 3), 1e308)
    state.set_network(net, np.array([1.0, 1.0, 1.0]), np.array([0.0, 1.0]))
    assert state.diverged and state.trace.sizes == (4, 6, 6, 3)
    assert panel.verdicts == [] and "diverged" in panel.verdict_html.filled()
    assert "<table" not in panel.verdict_html.filled()


def test_figure_is_labelled_in_the_books_notation(state):
    panel = SaturationPanel(state)
    titles = [ax.get("title") for ax in panel.plot.spec["axes"] if ax["id"].startswith("batch")]
    assert titles == [f"σ'(z^{l}) — layer {l}" for l in (2, 3, 4)]
    names = next(m for ax in panel.plot.spec["axes"] for m in ax["marks"] if m["id"] == "batch3_h")["rowNames"]
    assert names[1] == "σ'(z^3_2)"
