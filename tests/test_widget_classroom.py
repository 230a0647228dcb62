"""The classroom app without a browser: scenario by address, the menu, and clear messages."""

import numpy as np

from explorer.widgets.classroom import SCENARIO_DIR, Classroom, scenario_from_query, scenario_names
from explorer.widgets.scenario import read_scenario


def test_scenarios_are_listed_in_teaching_order():
    names = scenario_names()
    assert names[:5] == ["healthy", "saturated_output", "dead_input", "demon_at_work", "cross_entropy_vs_quadratic"]


def test_query_chooses_the_scenario():
    names = scenario_names()
    assert scenario_from_query("scenario=dead_input", names) == ("dead_input", "")
    assert scenario_from_query("", names) == ("healthy", "")
    name, message = scenario_from_query("scenario=nope&x=1", names)
    assert name == "healthy" and "no scenario called “nope”" in message and "dead_input" in message


def test_classroom_opens_on_the_addressed_scenario_and_follows_the_menu():
    room = Classroom(query="scenario=saturated_output")
    expected = read_scenario(SCENARIO_DIR / "saturated_output.json")
    for l in expected.weights:
        np.testing.assert_array_equal(room.state.network.weights[l], expected.weights[l])
    assert room.state.selection == dict(expected.selection)
    assert expected.description in room.description.value
    room.menu.value = "demon_at_work"
    demon = read_scenario(SCENARIO_DIR / "demon_at_work.json")
    assert room.state.dz == demon.dz
    t = demon.network().trace(demon.x, demon.y)
    assert room.state.trace.cost == t.cost
    assert demon.description in room.description.value


def test_unknown_scenario_in_the_address_is_said_clearly():
    room = Classroom(query="scenario=missing")
    assert room.current == "healthy"
    assert "no scenario called “missing”" in room.message.value
