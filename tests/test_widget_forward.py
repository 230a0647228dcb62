"""The forward panel: eq. (23) term by term and eq. (25) as matrices, against a hand forward pass."""

import html
import re

import numpy as np
import pytest

from explorer import Network
from explorer.widgets.dashboard.controls import ControlsPanel
from explorer.widgets.chapter.forward import MAX_TERMS, ForwardPanel, hidden_run, shown_indices
from explorer.widgets.state import ExplorerState

from helpers import hand_forward, read_number

X = np.array([0.8, -0.4, 0.3])
Y = np.array([1.0, 0.0])


def make(sizes=(3, 4, 2), seed=1, x=X, y=Y):
    copy = lambda v: v.copy() if isinstance(v, np.ndarray) else v  # sliders write into the arrays given
    state = ExplorerState(Network(list(sizes), seed=seed), copy(x), copy(y))
    return state, ForwardPanel(state)


CELL = re.compile(r'<td class="(\w+)" title="([^"]*)" data-value="([^"]*)"')


def cells(markup, kind):
    """[(title, value)] of the table cells of one kind ("term", "z", "W", "zvec", ...), in order."""
    return [(html.unescape(t), float(v)) for k, t, v in CELL.findall(markup) if k == kind]


def eq23(markup):
    return markup[: markup.index('<div class="eq25"')]


def eq25(markup):
    return markup[markup.index('<div class="eq25"'):]


def test_the_sum_for_a_chosen_neuron_matches_a_hand_forward_pass():
    state, panel = make()
    panel.layer_dropdown.value = 3
    panel.neuron_dropdown.value = 1
    assert state.selected_neuron == (3, 1)
    net = state.network
    z, a = hand_forward(net, X)
    markup = eq23(panel.html.value)
    terms = [v for _, v in cells(markup, "term")]
    expected = [net.weights[3][1, k] * a[2][k, 0] for k in range(4)]
    assert terms == pytest.approx(expected, rel=1e-15)
    (bias_title, bias), _ = cells(markup, "bias")
    assert bias == net.biases[3][1, 0] and bias_title.startswith("b^3_2 = ")
    (_, shown_z), = cells(markup, "z")
    assert shown_z == pytest.approx(z[3][1, 0], rel=1e-13)
    assert sum(terms) + bias == pytest.approx(z[3][1, 0], rel=1e-13)
    shown_a = float(re.search(r'data-q="a" data-value="([^"]+)"', markup).group(1))
    assert shown_a == pytest.approx(a[3][1, 0], rel=1e-13)
    assert panel.z_sum == pytest.approx(z[3][1, 0], rel=1e-13)


def test_every_term_is_named_as_in_the_book_on_hover():
    state, panel = make()
    state.select_weight(3, 1, 3)  # the book's example: w^3_24, from neuron 4 of layer 2 to neuron 2 of layer 3
    markup = panel.html.value
    names = re.findall(r'<td class="name" title="([^"]*)"', markup)
    assert len(names) == 4
    for k, title in enumerate(map(html.unescape, names)):
        assert title.startswith(f"w^3_2{k + 1} = ")
        assert f"from neuron {k + 1} of layer 2 to neuron 2 of layer 3" in title
    chosen = re.search(r'<td class="name" title="w\^3_24[^"]*" style="([^"]*)"', markup).group(1)
    assert "background" in chosen  # the selected weight's term is highlighted
    others = re.findall(r'<td class="name" title="w\^3_2[123][^"]*" style="([^"]*)"', markup)
    assert all("background" not in s for s in others)
    # in the matrix, w^3_24 is row 2, column 4
    titles = [t for t, _ in cells(eq25(markup), "W")]
    assert titles[1 * 4 + 3].startswith("w^3_24 = ") and "row 2" in titles[7] and "column 4" in titles[7]


def test_matrix_form_is_the_same_numbers_as_the_sum():
    state, panel = make()
    state.select_neuron(2, 2)
    net = state.network
    z, a = hand_forward(net, X)
    markup = eq25(panel.html.value)
    W = np.array([v for _, v in cells(markup, "W")]).reshape(4, 3)
    assert np.array_equal(W, net.weights[2])
    assert [v for _, v in cells(markup, "aprev")] == pytest.approx(X, rel=0, abs=0)
    assert [v for _, v in cells(markup, "b")] == list(net.biases[2][:, 0])
    assert [v for _, v in cells(markup, "zvec")] == pytest.approx(z[2][:, 0], rel=1e-13)
    assert [v for _, v in cells(markup, "avec")] == pytest.approx(a[2][:, 0], rel=1e-13)
    # the shaded row is the selected neuron's, the one whose sum is written above
    row_styles = re.findall(r'<td class="W" title="w\^2_(\d)\d[^"]*" data-value="[^"]*" style="([^"]*)"', markup)
    shaded = {int(j) for j, style in row_styles if "background" in style}
    assert shaded == {3}


def test_a_slider_in_the_controls_rewrites_the_sum():
    state, panel = make()
    controls = ControlsPanel(state)
    state.select_neuron(3, 0)
    controls.weight_sliders[(3, 0, 2)].value = -2.5
    controls.bias_slider.value = 1.25
    net = state.network
    assert net.weights[3][0, 2] == -2.5
    z, a = hand_forward(net, X)
    markup = eq23(panel.html.value)
    terms = [v for _, v in cells(markup, "term")]
    assert terms[2] == pytest.approx(-2.5 * a[2][2, 0], rel=1e-15)
    (_, shown_z), = cells(markup, "z")
    assert shown_z == pytest.approx(z[3][0, 0], rel=1e-13)
    assert "−2.5·" in panel.summary() and panel.summary().startswith("z³₁ = ")
    shown = read_number(panel.summary().split(";")[0].rsplit("= ", 1)[1])
    assert shown == pytest.approx(z[3][0, 0], rel=5e-6)  # 6 significant figures


def test_an_input_slider_changes_the_first_layer_sum():
    state, panel = make()
    controls = ControlsPanel(state)
    state.select_neuron(2, 0)
    controls.input_sliders[1].value = 1.7
    x = X.copy()
    x[1] = 1.7
    z, _ = hand_forward(state.network, x)
    (_, shown_z), = cells(eq23(panel.html.value), "z")
    assert shown_z == pytest.approx(z[2][0, 0], rel=1e-13)


def test_a_wide_layer_is_cut_short_but_the_sum_stays_exact():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, 784)
    state, panel = make((784, 30, 10), seed=2, x=x, y=3)
    state.select_weight(2, 12, 700)
    z, _ = hand_forward(state.network, x)
    markup = eq23(panel.html.value)
    terms = [v for _, v in cells(markup, "term")]
    rests = cells(markup, "rest")  # before and after the chosen term
    (_, bias), _ = cells(markup, "bias")
    assert len(terms) == MAX_TERMS and len(rests) == 2
    assert "k = 6..700" in rests[0][0] and "k = 702..784" in rests[1][0]
    rest = sum(v for _, v in rests)
    assert sum(terms) + rest + bias == pytest.approx(z[2][12, 0], rel=1e-10, abs=1e-12)
    assert any(t.startswith("w^2_13,701 = ") for t in re.findall(r'<td class="name" title="([^"]*)"', markup))


def test_shown_indices():
    assert shown_indices(4) == [0, 1, 2, 3]
    assert shown_indices(10, limit=4) == [0, 1, 2, None, 9]
    assert shown_indices(10, chosen=6, limit=4) == [0, 1, 2, None, 6, None]
    assert shown_indices(10, chosen=9, limit=4) == [0, 1, 2, None, 9]
    assert shown_indices(10, chosen=1, limit=4) == [0, 1, 2, None, 9]
    shown = shown_indices(10, chosen=6, limit=4)
    assert hidden_run(shown, 3, 10) == [3, 4, 5] and hidden_run(shown, 5, 10) == [7, 8, 9]


def test_dropdowns_follow_a_selection_made_elsewhere():
    state, panel = make()
    state.select_weight(2, 3, 1)
    assert (panel.layer_dropdown.value, panel.neuron_dropdown.value) == (2, 3)
    assert [v for _, v in panel.neuron_dropdown.options] == [0, 1, 2, 3]
    panel.layer_dropdown.value = 3
    assert state.selection == {"kind": "neuron", "layer": 3, "j": 1}  # j clipped to layer 3's two neurons


def test_a_diverged_state_shows_why():
    state, panel = make()
    state.set_weight(2, 0, 0, 1e308)
    state.set_input(0, 1e308)
    assert state.diverged
    assert "⚠" in panel.html.value


def test_the_dropdowns_follow_the_state_without_moving_it():
    state, panel = make()
    revisions = []
    state.observe(lambda c: revisions.append(c["new"]), names="revision")
    state.select_neuron(3, 1)  # another layer: the neuron dropdown gets other options
    assert (panel.layer_dropdown.value, panel.neuron_dropdown.value) == (3, 1)
    assert [o for _, o in panel.neuron_dropdown.options] == [0, 1]
    assert state.selected_neuron == (3, 1) and len(revisions) == 1  # no stray first option pushed
    assert panel.controls.children == (panel.layer_dropdown, panel.neuron_dropdown)
    panel.neuron_dropdown.value = 0
    assert state.selected_neuron == (3, 0)
    panel.layer_dropdown.value = 2
    assert state.selected_neuron == (2, 0) and [o for _, o in panel.neuron_dropdown.options] == [0, 1, 2, 3]
    panel.neuron_dropdown.value = 3
    assert state.selected_neuron == (2, 3) and len(revisions) == 4
