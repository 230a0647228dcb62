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


def _open_in_a_pool_kernel(monkeypatch, query):
    """Classroom() as in a kernel of the class server's pool: built before its page is asked
    for (VOILA_PREHEAT), the query arriving through page_query(). Returns the room, how many
    widgets were made before the query came, and every widget made."""
    import ipywidgets

    from explorer.widgets.apps import classroom

    made, before_query = [], []
    monkeypatch.setenv("VOILA_PREHEAT", "True")
    monkeypatch.setattr(classroom, "page_query", lambda: before_query.append(len(made)) or query)
    ipywidgets.Widget.on_widget_constructed(made.append)
    try:
        room = Classroom()
    finally:
        ipywidgets.Widget.on_widget_constructed(None)
    return room, before_query[0], made


def _link_of_a_changed_state():
    room = Classroom(query="scenario=dead_input&layout=laptop")
    room.state.set_weight(3, 0, 1, -1.25)
    room.state.dz = 0.75
    return room.link()


@pytest.mark.parametrize("query", [
    "", "scenario=saturated_output", "scenario=cross_entropy_vs_quadratic", "scenario=nope",
    "layout=laptop&scenario=demon_at_work", "layout=sideways", "LINK", "s=1.damaged",
])
def test_a_pool_kernel_builds_the_default_page_ahead_and_opens_what_the_address_asks(monkeypatch, query):
    from explorer.widgets.panel import widget_tree

    if query == "LINK":
        query = _link_of_a_changed_state()
    room, made_ahead, made = _open_in_a_pool_kernel(monkeypatch, query)
    monkeypatch.delenv("VOILA_PREHEAT")
    fresh = Classroom(query=query)  # the same page built after its address was known
    assert made_ahead > 50  # the presenter's Explorer was built before the query came
    assert room.layout_name == fresh.layout_name
    assert room.current == fresh.current and room.menu.options == fresh.menu.options
    assert room.message.value == fresh.message.value and room.description.value == fresh.description.value
    assert room.link() == fresh.link()  # every weight, bias, the selection, Δz, Δw and the view
    assert room.state.trace.cost == fresh.state.trace.cost
    # nothing built ahead and not used stays open (the page would be sent it)
    shown = {id(w) for w in widget_tree(room)}
    left_open = [type(w).__name__ for w in made if w.comm is not None and id(w) not in shown]
    assert left_open == []
    if room.layout_name == "laptop":  # the presenter's widgets, built ahead, were closed
        unused = [w for w in made[:made_ahead] if id(w) not in shown]
        assert len(unused) > 50 and all(w.comm is None for w in unused)


def test_switching_scenarios_on_the_laptop_page_leaves_no_widget_open_that_the_page_does_not_show():
    # each switch rebuilds the selected neuron's sliders; a slider's close() alone left its
    # Layout and SliderStyle models open, 17 more per switch, in the kernel and the page
    import ipywidgets

    from explorer.widgets.panel import widget_tree

    made = []
    ipywidgets.Widget.on_widget_constructed(made.append)
    try:
        room = Classroom(query="layout=laptop")
        for name in ("dead_input", "demon_at_work", "healthy"):
            room.menu.value = name
    finally:
        ipywidgets.Widget.on_widget_constructed(None)
    shown = {id(w) for w in widget_tree(room)}
    assert len(made) > len(shown)  # sliders were replaced
    assert [type(w).__name__ for w in made if w.comm is not None and id(w) not in shown] == []


def test_the_class_servers_layout_is_the_default_and_a_pool_kernel_builds_it_ahead(monkeypatch):
    from explorer.widgets.apps.classroom import LAYOUT_VARIABLE
    from explorer.widgets.panel import widget_tree

    monkeypatch.setenv(LAYOUT_VARIABLE, "laptop")  # python -m explorer classroom --layout laptop
    assert Classroom(query="scenario=dead_input").layout_name == "laptop"
    assert Classroom(query="layout=presenter").layout_name == "presenter"  # the address still chooses
    room, made_ahead, made = _open_in_a_pool_kernel(monkeypatch, "scenario=dead_input")
    assert room.layout_name == "laptop" and made_ahead > 150  # the laptop page, built before the query
    assert any(w is room.explorer for w in made[:made_ahead])  # and it is the one shown
    room, made_ahead, made = _open_in_a_pool_kernel(monkeypatch, "layout=presenter")
    shown = {id(w) for w in widget_tree(room)}
    unused = [w for w in made[:made_ahead] if id(w) not in shown]  # the laptop page built ahead
    assert room.layout_name == "presenter" and len(unused) > 150 and all(w.comm is None for w in unused)
    monkeypatch.setenv(LAYOUT_VARIABLE, "sideways")  # not a layout: the presenter's
    assert Classroom(query="").layout_name == "presenter"
