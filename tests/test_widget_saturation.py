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
    st.render_now = True
    return st


def batch_sigma_prime(st):
    """σ'(z^l) of the batch (current example first), by hand from the weights."""
    X_batch = np.concatenate([st.x, st.batch[0]], axis=1)
    z, _ = hand_forward(st.network, X_batch)
    return {l: sigma_prime(z[l]) for l in st.network.layers}


def test_heatmaps_show_the_batch_sigma_prime(state):
    panel = SaturationPanel(state)
    expected = batch_sigma_prime(state)
    for l in state.network.layers:
        shown = np.asarray(panel.heatmaps[l].get_array()).reshape(state.network.sizes[l - 1], -1)
        assert shown.shape[1] == 101  # the current example, the gap, 99 more
        np.testing.assert_allclose(shown[:, 0], expected[l][:, 0], rtol=1e-9, atol=1e-15)
        assert np.isnan(shown[:, 1]).all()
        np.testing.assert_allclose(shown[:, 2:], expected[l][:, 1:], rtol=1e-9, atol=1e-15)
        assert panel.heatmaps[l].norm.vmin == 0.0 and panel.heatmaps[l].norm.vmax == 0.25


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
            np.testing.assert_allclose(panel.fractions[l], mask.mean(axis=1))
            assert len(panel.marks[l].get_offsets()) == mask.sum()
            for text, f in zip(panel.fraction_texts[l], mask.mean(axis=1)):
                assert text.get_text() == (f"{100 * f:.0f}%" if f > 0 else "")
            line = panel.threshold_lines[l].get_ydata()
            assert line[0] == pytest.approx(fraction * 0.25)
        assert total > 0  # weight scale 2: some neurons do saturate
    assert panel.sat_slider.value == 0.4


def test_verdict_table_follows_selection_and_thresholds(state):
    panel = SaturationPanel(state)
    state.select_neuron(3, 1)
    assert [v.name for v in panel.verdicts] == [f"w^3_2{k}" for k in range(1, 7)]
    html = panel.verdict_html.value
    assert "Weights into a^3_2" in html and "w^3_26" in html
    # Every hidden a is a sigmoid output in (0, 1): a threshold above all of them marks all slow.
    a2 = hand_forward(state.network, state.x)[1][2][:, 0]
    panel.a_slider.value = 0.5
    small = np.abs(a2) < 0.5
    assert [v.input_small for v in panel.verdicts] == list(small)
    assert html != panel.verdict_html.value
    assert panel.verdict_html.value.count("(BP4)") == small.sum()
    state.select_weight(3, 1, 4)
    rows = re.findall(r"<tr style='([^']*)'>(.*?)</tr>", panel.verdict_html.value)
    bold = [cells for style, cells in rows if "font-weight:bold" in style]
    assert len(bold) == 1 and ">w^3_25<" in bold[0]
    box = panel.selection_boxes[3]
    assert box.get_visible() and box.get_y() == 0.5
    assert not panel.selection_boxes[2].get_visible()


def test_only_changes_that_show_redraw(state):
    panel = SaturationPanel(state)
    calls = []
    original = panel.blitter.update
    panel.blitter.update = lambda **kw: (calls.append(kw), original(**kw))
    state.dz = 0.3  # the demon: σ' of the batch does not change
    assert calls == []
    state.set_weight(2, 0, 0, 1.5)
    assert calls == [{"full": False, "now": True}]
    expected = batch_sigma_prime(state)
    shown = np.asarray(panel.heatmaps[2].get_array()).reshape(6, -1)
    np.testing.assert_allclose(shown[:, 0], expected[2][:, 0], rtol=1e-9, atol=1e-15)


def test_thresholds_are_relative_to_each_neurons_activation(state):
    panel = SaturationPanel(state)
    state.set_activation(3, "tanh")
    state.set_activation(2, "relu", neuron=0)
    assert panel.heatmaps[3].norm.vmax == 1.0 and panel.heatmaps[4].norm.vmax == 0.25
    assert panel.heatmaps[2].norm.vmax == 1.0  # the relu neuron's σ' reaches 1
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


def test_network_change_rebuilds(state):
    panel = SaturationPanel(state)
    calls = []
    original = panel.blitter.update
    panel.blitter.update = lambda **kw: (calls.append(kw["full"]), original(**kw))
    height = panel.fig.get_size_inches()[1]
    net = Network([3, 5, 2], seed=4)
    state.set_network(net, np.array([0.1, 0.2, 0.3]), np.array([1.0, 0.0]))
    assert set(panel.heatmaps) == {2, 3}
    assert np.asarray(panel.heatmaps[2].get_array()).reshape(5, -1).shape == (5, 101)
    z, _ = hand_forward(net, np.array([0.1, 0.2, 0.3]))
    np.testing.assert_allclose(
        np.asarray(panel.heatmaps[2].get_array()).reshape(5, -1)[:, 0], sigma_prime(z[2])[:, 0]
    )
    assert calls == [True]  # new shapes: a full draw saves the new background
    state.set_weight(2, 0, 0, 0.5)
    assert calls == [True, False]  # then blitting again
    assert panel.fig.get_size_inches()[1] < height  # two heatmaps instead of three


def test_diverged_state_is_said_in_the_table(state):
    panel = SaturationPanel(state)
    state.set_weight(2, 0, 0, 1e308)
    state.set_weight(2, 0, 2, 1e308)
    assert state.diverged
    assert "diverged" in panel.verdict_html.value


def test_a_network_that_diverges_at_once_shows_no_stale_numbers(state):
    panel = SaturationPanel(state)
    net = Network([3, 2, 2], seed=0)
    net.weights[2] = np.full((2, 3), 1e308)
    state.set_network(net, np.array([1.0, 1.0, 1.0]), np.array([0.0, 1.0]))
    assert state.diverged and state.trace.sizes == (4, 6, 6, 3)
    assert panel.verdicts == [] and "diverged" in panel.verdict_html.value
    assert "<table" not in panel.verdict_html.value


def test_figure_renders(state, tmp_path):
    panel = SaturationPanel(state)
    state.select_neuron(3, 0)
    panel.fig.savefig(tmp_path / "saturation.png")
    assert (tmp_path / "saturation.png").stat().st_size > 10_000
    titles = [panel.axes[l].get_title(loc="left") for l in (2, 3, 4)]
    assert titles == [rf"$\sigma'(z^{{{l}}})$ — layer {l}" for l in (2, 3, 4)]
