"""The whole dashboard driven as a student would: sliders, clicks, choices, extremes."""

import math
import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from explorer import Network
from explorer.widgets import Explorer, ExplorerState
from explorer.widgets.drawing.formula import Formula


def make(sizes=(2, 3, 2), seed=1):
    return Explorer(Network(list(sizes), seed=seed), np.linspace(-0.5, 0.5, sizes[0]), np.eye(sizes[-1])[0])


def test_one_line_shows_the_whole_dashboard():
    ex = make()
    for panel in ex.panels:
        assert panel.widget in _descendants(ex)
    bundle = ex._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_the_explorer_and_its_panels_are_widgets_a_user_can_arrange():
    import ipywidgets as widgets

    ex = make()
    other = widgets.HTML("my plot")
    row = widgets.HBox([ex, other])  # a TraitError here if the Explorer were not a widget
    assert row.children[0] is ex and "backprop-explorer" in ex.get_state()["_dom_classes"]
    tab = widgets.Tab(children=[ex.demon, ex.equations])
    assert all(isinstance(p, widgets.Widget) for p in tab.children)
    assert ex.diagram.widget in _descendants(ex.diagram)
    # closing the explorer closes every panel and the boxes they draw into
    closing = [w for p in ex.panels for w in (p, p.widget)]
    ex.close()
    assert ex.comm is None and all(w.comm is None for w in closing)
    ex.close()  # twice is harmless, as for any widget


def test_a_weight_slider_updates_state_and_every_panel():
    ex = make()
    ex.state.select_neuron(3, 1)
    slider = ex.controls.weight_sliders[(3, 1, 2)]
    slider.value = 1.75
    net = ex.state.network
    assert net.weights[3][1, 2] == 1.75
    # independent: a fresh network with the same parameters gives the same trace
    twin = Network([2, 3, 2], seed=1)
    twin.weights[3][1, 2] = 1.75
    expected = twin.trace(ex.state.x, ex.state.y)
    np.testing.assert_allclose(ex.state.trace.delta[3], expected.delta[3], rtol=1e-14)
    assert f"{expected.cost:.4f}" in _all_text(ex)


def test_panels_can_share_one_state():
    state = ExplorerState(Network([2, 3, 2], seed=2), [0.1, 0.2], [1, 0])
    a, b = Explorer(state=state), Explorer(state=state)
    a.controls.bias_slider.value = -2.5
    l, j = state.selected_neuron
    assert b.controls.bias_slider.value == -2.5 == state.network.biases[l][j, 0]


def test_reinitialise_and_cost_choice():
    ex = make()
    ex.controls.seed.value = 7
    ex.controls.reinit_button.click()
    np.testing.assert_array_equal(ex.state.network.weights[2], Network([2, 3, 2], seed=7).weights[2])
    ex.controls.cost_dropdown.value = "cross_entropy"
    assert ex.state.network.cost.name == "cross_entropy"
    t = Network([2, 3, 2], seed=7, cost="cross_entropy").trace(ex.state.x, ex.state.y)
    assert ex.state.trace.cost == pytest.approx(t.cost, rel=1e-14)


def test_per_layer_and_per_neuron_activation():
    ex = make()
    ex.controls.layer_dropdowns[2].value = "tanh"
    ex.state.select_neuron(2, 1)
    ex.controls.neuron_activation.value = "relu"
    t = ex.state.trace
    z = t.z[2][:, 0]
    np.testing.assert_allclose(t.a[2][:, 0], [np.tanh(z[0]), max(z[1], 0), np.tanh(z[2])], rtol=1e-14)


def _descendants(w):
    yield w
    for child in getattr(w, "children", ()):
        yield from _descendants(child)


def _all_text(ex):
    parts = []
    for w in _descendants(ex):
        v = getattr(w, "value", None)
        if isinstance(v, str):
            parts.append(v)
        if isinstance(w, Formula):  # a typeset readout: its template with the numbers filled in
            parts.append(w.filled())
    parts.append(str(ex.diagram.scene()))
    return "\n".join(parts)


NUMBER = re.compile(r"[-+−]?(?:\d+\.\d*|\d*\.\d+|\d+)(?:[eE][-+]?\d+)?|nan|inf", re.IGNORECASE)

actions = st.one_of(
    st.tuples(st.just("weight"), st.floats(-1e6, 1e6)),
    st.tuples(st.just("bias"), st.floats(-1e6, 1e6)),
    st.tuples(st.just("input"), st.floats(-1e3, 1e3)),
    st.tuples(st.just("target"), st.floats(0, 1)),
    st.tuples(st.just("dz"), st.floats(-5, 5)),
    st.tuples(st.just("select"), st.integers(0, 10_000)),
    st.tuples(st.just("activation"), st.sampled_from(["sigmoid", "tanh", "relu", "leaky_relu", "softplus", "linear"])),
    st.tuples(st.just("cost"), st.sampled_from(["quadratic", "cross_entropy"])),
)


@settings(max_examples=25, deadline=None)
@given(st.lists(actions, min_size=1, max_size=12))
def test_random_sequences_of_controls_never_break_the_dashboard(seq):
    ex = make((2, 3, 2))
    state, net = ex.state, ex.state.network
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for kind, value in seq:
            if kind == "weight":
                s = next(iter(ex.controls.weight_sliders.values()))
                s.max, s.min = max(s.max, value), min(s.min, value)
                s.value = value
            elif kind == "bias":
                s = ex.controls.bias_slider
                s.max, s.min = max(s.max, value), min(s.min, value)
                s.value = value
            elif kind == "input":
                s = ex.controls.input_sliders[0]
                s.max, s.min = max(s.max, value), min(s.min, value)
                s.value = value
            elif kind == "target":
                ex.controls.target_sliders[0].value = value
            elif kind == "dz":
                ex.demon.dz_slider.value = value
            elif kind == "select":
                l = 2 + value % (net.L - 1)
                j = value % net.sizes[l - 1]
                if value % 2:
                    state.select_weight(l, j, value % net.sizes[l - 2])
                else:
                    state.select_neuron(l, j)
            elif kind == "activation":
                ex.controls.layer_dropdowns[net.L].value = value
            elif kind == "cost":
                ex.controls.cost_dropdown.value = value
    if state.diverged:
        assert "diverged" in _all_text(ex)
    else:
        t = state.trace
        for mapping in (t.z, t.a, t.delta, t.nabla_w):
            for arr in mapping.values():
                assert np.isfinite(arr).all()
        assert math.isfinite(state.demon.actual)
        shown = NUMBER.findall(_all_text(ex))
        assert not any(s.lower() in ("nan", "inf") for s in shown)


def test_a_page_rounding_slider_values_does_not_change_the_network():
    net = Network([2, 3, 2], seed=1)
    ex = Explorer(net, [0.8, -0.4], [1, 0])
    l, j = ex.state.selected_neuron
    slider = ex.controls.weight_sliders[(l, j, 0)]
    exact = float(net.weights[l][j, 0])
    assert round(exact, 2) != exact  # the seed gives a weight that is not on the 0.01 grid
    revision = ex.state.revision
    slider.value = round(exact, 2)  # what a browser sends back after snapping to the step
    assert net.weights[l][j, 0] == exact and ex.state.revision == revision
    slider.value = round(exact, 2) + 0.01  # one step: a person's move
    assert net.weights[l][j, 0] == round(exact, 2) + 0.01


def test_the_state_does_not_write_into_the_callers_arrays():
    x, y = np.array([0.1, 0.2]), np.array([1.0, 0.0])
    state = ExplorerState(Network([2, 3, 2], seed=0), x, y)
    state.set_input(0, 0.9)
    state.set_target(1, 0.5)
    np.testing.assert_array_equal(x, [0.1, 0.2])
    np.testing.assert_array_equal(y, [1.0, 0.0])


def test_replaced_sliders_are_closed_so_clicks_do_not_pile_up_widgets():
    ex = make((2, 3, 2))
    old = list(ex.controls.weight_sliders.values()) + [ex.controls.bias_slider]
    assert all(s.comm is not None for s in old)
    ex.state.select_neuron(2, 2)
    assert all(s.comm is None for s in old)  # closed: gone from the kernel and the page
    assert all(s.comm is not None for s in ex.controls.weight_sliders.values())


def test_seed_box_shows_how_the_network_was_drawn():
    ex = make((2, 3, 2), seed=5)
    assert ex.controls.seed.value == 5 and ex.controls.weight_scale.value == 1.0
