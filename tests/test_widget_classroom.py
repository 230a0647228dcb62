"""The classroom app without a browser: scenario by address, the menu, and clear messages."""

import numpy as np
import pytest

from explorer.scenarios import prepared_scenarios, read_scenario, scenario_to_json
from explorer.widgets.apps.classroom import Classroom, scenario_from_query, scenario_names


def test_scenarios_are_listed_in_teaching_order():
    names = scenario_names()
    assert names[:5] == ["healthy", "saturated_output", "dead_input", "demon_at_work", "cross_entropy_vs_quadratic"]
    assert names == prepared_scenarios()


def test_query_chooses_the_scenario():
    names = scenario_names()
    assert scenario_from_query("scenario=dead_input", names) == ("dead_input", "")
    assert scenario_from_query("", names) == ("healthy", "")
    name, message = scenario_from_query("scenario=nope&x=1", names)
    assert name == "healthy" and "no scenario called “nope”" in message and "dead_input" in message


def test_classroom_opens_on_the_addressed_scenario_and_follows_the_menu():
    room = Classroom(query="scenario=saturated_output")
    expected = read_scenario("saturated_output")
    for l in expected.weights:
        np.testing.assert_array_equal(room.state.network.weights[l], expected.weights[l])
    assert room.state.selection == dict(expected.selection)
    assert expected.description in room.description.value
    room.menu.value = "demon_at_work"
    demon = read_scenario("demon_at_work")
    assert room.state.dz == demon.dz
    t = demon.network().trace(demon.x, demon.y)
    assert room.state.trace.cost == t.cost
    assert demon.description in room.description.value


def test_unknown_scenario_in_the_address_is_said_clearly():
    room = Classroom(query="scenario=missing")
    assert room.current == "healthy"
    assert "no scenario called “missing”" in room.message.value


def test_classroom_on_a_folder_of_the_teachers_own(tmp_path):
    # A folder of one's own: its files are the menu (prepared names first, then the rest).
    (tmp_path / "zebra.json").write_text(scenario_to_json(read_scenario("demon_at_work")))
    (tmp_path / "healthy.json").write_text(scenario_to_json(read_scenario("healthy")))
    assert scenario_names(tmp_path) == ["healthy", "zebra"]
    room = Classroom(query="scenario=zebra", directory=tmp_path)
    assert room.current == "zebra" and room.state.dz == read_scenario("demon_at_work").dz
    assert [value for _, value in room.menu.options] == ["healthy", "zebra"]
    with pytest.raises(FileNotFoundError, match="no scenario files"):
        Classroom(directory=tmp_path / "empty")
