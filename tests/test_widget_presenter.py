"""Explorer(layout="presenter") without a browser: which panels, the live equation's numbers
against a hand computation, the theme switch, and clear messages for a wrong layout."""

from importlib.resources import files

import numpy as np
import pytest

from explorer import Network
from explorer.widgets import Explorer
from explorer.widgets.apps.classroom import Classroom, layout_from_query
from explorer.widgets.dashboard.controls import ControlsPanel
from explorer.widgets.dashboard.saturation import SaturationPanel
from explorer.widgets.dashboard.scenario import ScenarioPanel
from explorer.widgets.drawing.presenter import PresenterSwitches


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def make(layout="presenter"):
    net = Network([2, 3, 2], seed=4)
    return Explorer(net, np.array([0.3, -0.7]), np.array([1.0, 0.0]), layout=layout)


def descendants(w):
    yield w
    for child in getattr(w, "children", ()):
        yield from descendants(child)


def by_hand(ex):
    """z, a and δ of every layer from the network's own weights: sigmoid layers, quadratic cost."""
    net = ex.state.network
    a = {1: ex.state.x[:, 0]}
    z = {}
    for l in (2, 3):
        z[l] = net.weights[l] @ a[l - 1] + net.biases[l][:, 0]
        a[l] = sigmoid(z[l])
    sp = {l: a[l] * (1 - a[l]) for l in (2, 3)}
    delta = {3: (a[3] - ex.state.y[:, 0]) * sp[3]}
    delta[2] = (net.weights[3].T @ delta[3]) * sp[2]
    return a, delta


def live_equations(ex):
    markup = ex.equations.markup
    return [eq for eq in ("BP1", "BP2", "BP3", "BP4") if f'data-eq="{eq}"' in markup]


def last_number(ex):
    """The equation's result: the value of its last typeset slot."""
    numbers = ex.equations.formula.numbers
    keys = sorted((k for k in numbers if k.startswith("t")), key=lambda k: int(k[1:]))
    return numbers[keys[-1]][1]


def test_presenter_holds_the_diagram_the_demon_and_one_equation():
    ex = make()
    inside = list(descendants(ex))
    for panel in (ex.diagram, ex.demon, ex.equations):
        assert panel in inside and panel in ex.panels
    assert ex.controls is None and ex.saturation is None and ex.scenario is None
    assert not any(isinstance(w, (ControlsPanel, SaturationPanel, ScenarioPanel)) for w in inside)
    assert ex.switches in inside and isinstance(ex.switches, PresenterSwitches)
    classes = ex.get_state()["_dom_classes"]
    assert "bpx-presenter" in classes and "backprop-explorer" in classes
    # the diagram draws taller, with larger text; the demon and the equation know their layout
    assert ex.diagram.view.view_height > 580 and ex.diagram.view.text_scale > 1.5
    assert ex.demon.presenter and ex.equations.live_only
    # the laptop layout (the default) is unchanged: every panel, no switches
    laptop = Explorer(Network([2, 3, 2], seed=4), np.array([0.3, -0.7]), np.array([1.0, 0.0]))
    assert laptop.layout_name == "laptop" and laptop.switches is None
    assert all(p is not None for p in (laptop.controls, laptop.saturation, laptop.scenario))
    assert laptop.diagram.view.view_height == 580 and laptop.diagram.view.text_scale == 1.0
    assert not laptop.demon.presenter and not laptop.equations.live_only


@pytest.mark.parametrize("bad", ["projector", "Presenter", "", None, 3])
def test_a_wrong_layout_name_is_refused_clearly(bad):
    with pytest.raises(ValueError, match=r"layout must be one of 'laptop', 'presenter'"):
        Explorer(Network([2, 3, 2], seed=4), np.array([0.3, -0.7]), np.array([1.0, 0.0]), layout=bad)


def test_the_live_equation_is_the_selected_neurons_own_with_numbers_by_hand():
    ex = make()
    a, delta = by_hand(ex)
    ex.state.select_neuron(3, 1)  # an output neuron: BP1, δ³₂ = (a − y) σ'(z)
    assert live_equations(ex) == ["BP1"]
    assert last_number(ex) == pytest.approx(delta[3][1], rel=1e-12)
    assert "neuron 2 of layer 3" in ex.equations.markup
    ex.state.select_neuron(2, 2)  # a hidden neuron: BP2, δ²₃ = (Σ_q w³_q3 δ³_q) σ'(z²₃)
    assert live_equations(ex) == ["BP2"]
    assert last_number(ex) == pytest.approx(delta[2][2], rel=1e-12)
    assert "neuron 3 of layer 2" in ex.equations.markup
    check = ex.equations.checks["BP2"]
    assert check[2] and check[1] == pytest.approx(delta[2][2], rel=1e-5)  # and finite differences agree
    ex.state.select_weight(3, 0, 2)  # a weight: BP4, ∂C/∂w³₁₃ = a²₃ δ³₁
    assert live_equations(ex) == ["BP4"]
    assert last_number(ex) == pytest.approx(a[2][2] * delta[3][0], rel=1e-12)
    # nothing of the laptop's full page: no vector form, no colour key
    assert "vector form" not in ex.equations.markup and "color-key" not in ex.equations.markup


def test_the_contrast_switch_sets_the_theme_class():
    ex = make()
    assert ex.contrast is False
    ex.switches.contrast = True  # what the button does, from the browser
    assert "bpx-contrast" in ex.get_state()["_dom_classes"] and ex.contrast is True
    ex.contrast = False
    assert "bpx-contrast" not in ex.get_state()["_dom_classes"] and ex.switches.contrast is False
    with pytest.raises(ValueError, match="presenter"):
        make("laptop").contrast = True


def test_the_stylesheet_is_a_package_file():
    css = files("explorer.widgets.drawing").joinpath("presenter.css").read_text(encoding="utf-8")
    assert PresenterSwitches().get_state()["_css"] == css  # what the page receives with the switches
    for rule in (".bpx-presenter", ".bpx-presenter.bpx-contrast", ".bpx-presenter-right", "--bpx-text"):
        assert rule in css


def test_closing_the_presenter_closes_its_switches():
    ex = make()
    parts = [ex.switches, *ex.panels]
    ex.close()
    assert all(w.comm is None for w in parts)


def test_the_classroom_is_the_presenter_layout_unless_the_address_asks():
    room = Classroom(query="scenario=demon_at_work")
    assert room.layout_name == "presenter" and room.explorer.layout_name == "presenter"
    assert room.menu in room.explorer.bar.children  # the menu sits in the layout's bar
    assert live_equations(room.explorer) == ["BP2"]  # the scenario selects hidden neuron 1
    room.menu.value = "saturated_output"
    assert live_equations(room.explorer) == ["BP1"]
    laptop = Classroom(query="scenario=healthy&layout=laptop")
    assert laptop.layout_name == "laptop" and laptop.explorer.controls is not None
    odd = Classroom(query="layout=wall")
    assert odd.layout_name == "presenter" and "no layout called “wall”" in odd.message.value
    assert layout_from_query("layout=laptop") == ("laptop", "")
    with pytest.raises(ValueError, match="layout must be one of"):
        Classroom(layout="wall")
