"""The keyboard's commands, without a browser: each key changes the state as the book's indices say."""

import re
from pathlib import Path

import numpy as np
import pytest

from explorer.core import Network
from explorer.scenarios import read_scenario
from explorer.widgets.apps.classroom import Classroom
from explorer.widgets.apps.explorer import Explorer
from explorer.widgets.keys import COMMANDS, KEYS, Shortcuts
from explorer.widgets.state import ExplorerState

ROOT = Path(__file__).resolve().parent.parent


def make(sizes=(2, 3, 2)):
    net = Network(list(sizes), seed=4)
    x = np.array([0.3, -0.6, 0.1, 0.9][: sizes[0]])
    y = np.array([1.0, 0.0, 0.5][: sizes[-1]])
    return ExplorerState(net, x, y)


def test_next_neuron_walks_down_each_layer_then_into_the_next():
    state = make((2, 3, 2))
    keys = Shortcuts(state)
    state.select_neuron(2, 0)
    seen = [state.selected_neuron]
    for _ in range(5):
        keys.run("next_neuron")
        seen.append(state.selected_neuron)
    # written out by hand: layer 2 has j = 0, 1, 2; layer 3 has j = 0, 1; then back to layer 2
    assert seen == [(2, 0), (2, 1), (2, 2), (3, 0), (3, 1), (2, 0)]
    assert state.selection == {"kind": "neuron", "layer": 2, "j": 0}


def test_previous_neuron_goes_back_across_layers_and_wraps():
    state = make((3, 2, 4, 1))
    keys = Shortcuts(state)
    state.select_neuron(3, 0)
    keys.run("previous_neuron")
    assert state.selected_neuron == (2, 1)  # the last neuron of layer 2
    keys.run("previous_neuron")
    keys.run("previous_neuron")
    assert state.selected_neuron == (4, 0)  # before layer 2's first comes the output layer's last
    assert keys.status == "neuron 1 of layer 4 selected"  # the book's 1-based name


def test_layers_keep_j_or_take_the_last_neuron_of_a_smaller_layer():
    state = make((2, 4, 2, 3))
    keys = Shortcuts(state)
    state.select_neuron(2, 3)
    keys.run("next_layer")
    assert state.selected_neuron == (3, 1)  # layer 3 has 2 neurons: j = 4 becomes its last
    keys.run("next_layer")
    assert state.selected_neuron == (4, 1)
    keys.run("next_layer")
    assert state.selected_neuron == (2, 1)  # after L comes layer 2 (layer 1 has no z)
    keys.run("previous_layer")
    assert state.selected_neuron == (4, 1)


def test_a_selected_weight_walks_from_the_neuron_it_feeds():
    state = make((2, 3, 2))
    keys = Shortcuts(state)
    state.select_weight(3, 1, 2)
    keys.run("previous_neuron")
    assert state.selection == {"kind": "neuron", "layer": 3, "j": 0}


def test_dz_coarse_and_fine_steps_add_up_and_stop_at_the_sliders_ends():
    state = make()
    keys = Shortcuts(state)
    for command in ("dz_up", "dz_up", "dz_up", "dz_up_fine", "dz_down_fine", "dz_down_fine"):
        keys.run(command)
    assert state.dz == pytest.approx(3 * 0.5 + 0.05 - 2 * 0.05, abs=1e-12)
    assert state.dz == 1.45  # no drift of repeated float additions
    for _ in range(20):
        keys.run("dz_up")
    assert state.dz == 5.0
    for _ in range(30):
        keys.run("dz_down")
    assert state.dz == -5.0
    keys.run("dz_zero")
    assert state.dz == 0.0


def test_the_demon_follows_the_keys():
    # the demon's ΔC for the selected neuron after the keys, against the core computed apart
    state = make((2, 3, 2))
    keys = Shortcuts(state)
    state.select_neuron(3, 1)
    for command in ("next_neuron", "dz_up", "dz_up_fine"):
        keys.run(command)
    net = Network([2, 3, 2], seed=4)
    x, y = np.array([[0.3], [-0.6]]), np.array([[1.0], [0.0]])
    t = net.trace(x, y)
    # Δz = 0.55 at neuron 1 of layer 2 (0-based (2, 0)): predicted δ·Δz, actual by the forward pass
    assert state.demon.layer == 2 and state.demon.neuron == 0
    assert state.demon.predicted == pytest.approx(t.delta[2][0, 0] * 0.55, rel=1e-12)
    z2 = net.weights[2] @ x + net.biases[2]
    z2[0, 0] += 0.55
    a2 = 1 / (1 + np.exp(-z2))
    a3 = 1 / (1 + np.exp(-(net.weights[3] @ a2 + net.biases[3])))
    cost_after = 0.5 * float(np.sum((a3 - y) ** 2))
    assert state.demon.actual == pytest.approx(cost_after - t.cost, rel=1e-9)


def test_reset_brings_back_the_start():
    state = make((2, 3, 2))
    before = state.snapshot()
    keys = Shortcuts(state)
    start_selection = dict(state.selection)
    state.set_weight(2, 1, 0, 2.5)
    state.set_input(0, -0.9)
    keys.run("next_neuron")
    keys.run("dz_up")
    keys.run("reset")
    for l in before.weights:
        np.testing.assert_array_equal(state.network.weights[l], before.weights[l])
        np.testing.assert_array_equal(state.network.biases[l], before.biases[l])
    np.testing.assert_array_equal(state.x, [[0.3], [-0.6]])
    assert state.selection == start_selection and state.dz == 0.0
    assert state.trace.cost == pytest.approx(before.trace(np.array([0.3, -0.6]), np.array([1.0, 0.0])).cost, rel=1e-12)


def test_hooked_keys_act_only_once_given_an_action_and_failures_are_said_plainly():
    state = make()
    keys = Shortcuts(state)
    listed = {b["command"] for b in keys.bindings}
    assert "step_forward" not in listed and "next_scenario" not in listed and "help" in listed
    assert keys.run("step_forward") == "this key does nothing here"
    steps = []
    keys.set_action("step_forward", lambda: steps.append(+1))
    keys.set_action("step_back", lambda: steps.append(-1))
    assert {"step_forward", "step_back"} <= {b["command"] for b in keys.bindings}
    keys.run("step_forward"), keys.run("step_forward"), keys.run("step_back")
    assert steps == [1, 1, -1]

    def broken():
        raise RuntimeError("no step before the first")

    keys.set_action("step_back", broken)
    assert keys.run("step_back") == "could not do that: no step before the first"
    keys.set_action("step_back", None)
    assert "step_back" not in {b["command"] for b in keys.bindings}
    with pytest.raises(ValueError, match="unknown command"):
        keys.run("explode")
    with pytest.raises(ValueError, match="not one of"):
        keys.set_action("next_neuron", lambda: None)
    with pytest.raises(ValueError, match="scope"):
        Shortcuts(state, scope="everywhere")


def test_every_key_is_one_command_and_each_command_has_a_key():
    pressed = [k for key in KEYS for k in key.keys]
    assert len(pressed) == len(set(pressed))
    assert set(COMMANDS) == {key.command for key in KEYS}


def test_classroom_keys_switch_and_reset_the_scenario():
    room = Classroom(query="scenario=healthy")
    keys = room.explorer.shortcuts
    assert keys.scope == "page"
    names = [value for _, value in room.menu.options]
    keys.run("next_scenario")
    assert room.current == names[1]
    keys.run("previous_scenario")
    keys.run("previous_scenario")
    assert room.current == names[-1]  # before the first comes the last
    keys.run("next_scenario")
    assert room.current == "healthy"
    scenario = read_scenario("healthy")
    room.state.set_weight(2, 0, 0, 3.0)
    keys.run("dz_up")
    keys.run("reset")
    for l in scenario.weights:
        np.testing.assert_array_equal(room.state.network.weights[l], scenario.weights[l])
    assert room.state.dz == scenario.dz and room.state.selection == dict(scenario.selection)


def test_explorer_has_the_keys_in_its_box_and_the_dz_slider_moves_005():
    state = make()
    ex = Explorer(state=state)
    assert ex.shortcuts in ex.children and ex.shortcuts.scope == "box"
    assert ex.demon.dz_slider.step == 0.05
    ex.close()


def test_readme_lists_every_key():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Keyboard", 1)[1].split("\n## ", 1)[0]
    for key in KEYS:
        assert key.text in section, key.command
        for k in key.keys:
            if len(k) == 1:
                written = f"Shift+{k}" if k.isupper() else k
                assert re.search(rf"`{re.escape(written)}`", section), (key.command, k)
