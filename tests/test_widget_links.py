"""The whole state in the address, without a browser: Classroom reads and writes links,
``Explorer.from_scenario`` opens them, "download scenario" gives the same state."""

from __future__ import annotations

import json
import tracemalloc

import numpy as np
import pytest

from explorer.links import LinkError, read_link
from explorer.scenarios import read_scenario, write_scenario
from explorer.widgets import Explorer
from explorer.widgets.apps.classroom import Classroom
from explorer.widgets.drawing.address import AddressBar

from test_links import HOSTILE


def teachers_changes(room: Classroom) -> dict:
    """What a teacher does in class; returns the values set, written by hand here."""
    s = room.state
    s.set_weight(2, 1, 0, 0.1234567890123456789)
    s.set_bias(3, 0, -1.0000000000000002)
    s.set_input(1, 0.3)
    s.set_target(0, 0.25)
    s.set_activation(2, "tanh")
    s.set_activation(3, "relu", neuron=1)
    s.set_cost("cross_entropy")
    s.select_neuron(2, 2)
    s.dz = -0.7000000000000001
    room.explorer.scenario_section.selected_index = 0
    return {"w": 0.1234567890123456789, "b": -1.0000000000000002, "x1": 0.3, "y0": 0.25, "dz": -0.7000000000000001}


def assert_same_screen(room: Classroom, set_values: dict) -> None:
    s = room.state
    assert s.network.weights[2][1, 0] == set_values["w"]
    assert s.network.biases[3][0, 0] == set_values["b"]
    assert s.x[1, 0] == set_values["x1"] and s.y[0, 0] == set_values["y0"]
    assert s.dz == set_values["dz"]
    assert s.network.base_activation(2).name == "tanh"
    assert s.network.neuron_activation(3, 1).name == "relu" and s.network.neuron_activation(3, 0).name == "sigmoid"
    assert s.network.cost.name == "cross_entropy"
    assert s.selection == {"kind": "neuron", "layer": 2, "j": 2}
    assert room.explorer.scenario_section.selected_index == 0


def test_every_change_a_teacher_makes_is_in_the_address_and_a_link_reopens_it():
    # the laptop layout: it has the "Save or load a scenario" section whose being open travels too
    room = Classroom(query="scenario=healthy&layout=laptop")
    before = room.address.query
    values = teachers_changes(room)
    query = room.address.query
    assert query != before and query.startswith("s=1.") and room.message.value == ""
    again = Classroom(query=f"scenario=dead_input&layout=laptop&{query}")  # the link wins over ?scenario=
    assert_same_screen(again, values)
    assert again.current == "healthy"  # the menu names the scenario the teacher started from
    assert again.message.value == ""
    # the two pages compute the same numbers (the trace of the same network on the same example)
    t1, t2 = room.state.trace, again.state.trace
    for l in t1.delta:
        assert t1.delta[l].tobytes() == t2.delta[l].tobytes()
    assert room.state.demon.actual == again.state.demon.actual
    # the reopened page writes the same address
    assert again.address.query == query


def test_a_weight_selection_and_its_nudge_travel_too():
    room = Classroom(query="scenario=demon_at_work")
    room.state.select_weight(3, 1, 2)
    room.state.dw = 0.375
    again = Classroom(query=room.address.query)
    assert again.state.selection == {"kind": "weight", "layer": 3, "j": 1, "k": 2}
    assert again.state.dw == 0.375 and again.state.nudge.dw == 0.375


def test_a_link_of_a_scenario_made_elsewhere_is_named_as_such_in_the_menu():
    scenario = read_scenario("demon_at_work")
    explorer = Explorer.from_scenario(scenario)
    query = explorer.link(title="My own demo", description="made at home")
    room = Classroom(query=query)
    assert room.current == Classroom.FROM_LINK
    assert room.menu.options[0][0] == "From the link: My own demo"
    assert "made at home" in room.description.value
    room.menu.value = "healthy"  # the menu still opens the prepared ones
    assert room.state.network.weights[2].tobytes() == read_scenario("healthy").weights[2].tobytes()


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_address_opens_the_default_with_a_plain_message(name):
    make, _ = HOSTILE[name]
    query = "s=" + make()
    tracemalloc.start()
    try:
        room = Classroom(query=query)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    healthy = read_scenario("healthy")
    assert room.current == "healthy"
    assert room.state.network.weights[2].tobytes() == healthy.weights[2].tobytes()
    text = room.message.value
    assert "This link could not be opened" in text and "default scenario" in text
    assert "Traceback" not in text and len(text) < 700
    # the page's own widgets cost a few MB; nothing grows with the hostile size (1 MB, 20 MB, 10^12)
    assert peak < 30_000_000, f"{peak:,}"


def test_a_huge_query_is_not_parsed_nor_echoed():
    room = Classroom(query="scenario=" + "x" * 1_000_000)
    assert room.current == "healthy"
    assert "too long" in room.message.value and len(room.message.value) < 700


def peak_bytes(query: str) -> int:
    tracemalloc.start()
    try:
        Classroom(query=query).close()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_huge_query_costs_no_memory_in_proportion():
    Classroom(query="scenario=healthy").close()  # modules and caches loaded before measuring
    huge = "layout=laptop&scenario=" + "x" * 4_000_000  # made before measuring: the page's own
    extra = peak_bytes(huge) - peak_bytes("scenario=healthy")
    assert extra < 1_000_000, f"{extra:,}"  # parsing it (scenario, layout) would take several MB


def test_from_scenario_opens_a_link_a_path_a_name_and_a_scenario(tmp_path):
    room = Classroom(query="scenario=saturated_output", layout="laptop")
    values = teachers_changes(room)
    address = f"http://127.0.0.1:8866/voila/render/classroom.ipynb?{room.address.query}"
    for source in (address, "?" + room.address.query, room.address.query, room.address.query[2:]):
        ex = Explorer.from_scenario(source)
        s = ex.state
        assert s.network.weights[2][1, 0] == values["w"] and s.dz == values["dz"]
        assert s.selection == {"kind": "neuron", "layer": 2, "j": 2}
        assert ex.view == {"open": ["scenario"]}
        ex.close()
    path = write_scenario(read_link(address).scenario, tmp_path / "lesson.json")
    for source in (path, str(path), read_scenario(path), "dead_input"):
        ex = Explorer.from_scenario(source)
        expected = read_scenario(source)
        assert ex.state.network.weights[3].tobytes() == expected.weights[3].tobytes()
        assert ex.state.selection == dict(expected.selection) and ex.view == {"open": []}
        ex.close()
    with pytest.raises(LinkError, match="version '7'"):
        Explorer.from_scenario("?s=7.abc")


def test_download_gives_the_state_as_a_scenario_file(tmp_path):
    room = Classroom(query="scenario=healthy", layout="laptop")
    values = teachers_changes(room)
    message = room.address.download_message()
    assert message["kind"] == "download" and message["filename"].endswith(".json")
    (tmp_path / "down.json").write_text(message["text"], encoding="utf-8")
    scenario = read_scenario(tmp_path / "down.json")
    assert scenario.weights[2][1, 0] == values["w"] and scenario.biases[3][0, 0] == values["b"]
    assert scenario.dz == values["dz"] and dict(scenario.selection) == {"kind": "neuron", "layer": 2, "j": 2}
    assert scenario.title == read_scenario("healthy").title
    assert json.loads(message["text"])["format"] == "backprop-explorer-scenario"


def test_a_state_that_cannot_be_a_link_keeps_the_last_address_and_says_why():
    room = Classroom(query="scenario=healthy")
    room.state.set_activation(2, "linear")
    room.state.set_activation(3, "linear")
    room.state.set_weight(2, 0, 0, 0.5)
    good = room.address.query
    room.state.set_weight(2, 0, 0, 1e308)  # the cost overflows: no scenario can hold this state
    assert room.state.diverged
    assert room.address.query == good
    assert "The address is not updated" in room.message.value
    assert room.address.download_message()["error"].startswith("Not downloaded:")
    room.state.set_weight(2, 0, 0, 0.25)
    assert room.message.value == "" and room.address.query != good


def test_in_a_running_kernel_a_burst_of_changes_makes_one_link_at_its_end():
    import asyncio

    room = Classroom(query="scenario=healthy")
    made = []
    make = room.address.make_query
    room.address.make_query = lambda: made.append(1) or make()
    start = room.address.query

    async def drag():
        for i in range(20):  # a drag: twenty changes in one burst
            room.state.set_weight(2, 0, 0, 0.01 * i)
        assert room.address.query == start and made == []  # nothing computed during the burst
        await asyncio.sleep(AddressBar.DELAY * 3)

    asyncio.run(drag())
    assert len(made) == 1  # one link for the burst, of its last state
    assert read_link(room.address.query).scenario.weights[2][0, 0] == 0.01 * 19
    # "Copy link" asks for the link of now, even inside a burst
    async def copy_during_a_burst():
        room.state.set_weight(2, 0, 0, 0.5)
        room.address.update()
        assert read_link(room.address.query).scenario.weights[2][0, 0] == 0.5
        await asyncio.sleep(AddressBar.DELAY * 3)

    asyncio.run(copy_during_a_burst())


def test_a_drag_that_goes_on_gets_no_link_until_it_pauses_except_one_every_max_wait():
    import asyncio

    room = Classroom(query="scenario=healthy")
    bar = room.address
    bar.DELAY, bar.MAX_WAIT = 0.25, 60.0  # on this instance only
    made = []
    make = bar.make_query
    bar.make_query = lambda: made.append(room.state.network.weights[2][0, 0]) or make()

    async def drag(seconds: float, every: float, first: float):
        loop = asyncio.get_running_loop()
        start, i = loop.time(), 0
        while loop.time() - start < seconds:
            room.state.set_weight(2, 0, 0, first + 0.01 * i)
            i += 1
            await asyncio.sleep(every)
        return first + 0.01 * (i - 1)

    async def a_long_drag_then_a_pause():
        last = await drag(0.8, 0.02, 0.0)  # longer than DELAY, never still for DELAY
        assert made == []  # a link per change would have been 40 schema checks
        await asyncio.sleep(bar.DELAY * 3)
        assert made == [last]  # one, of the state where the hand stopped

    asyncio.run(a_long_drag_then_a_pause())
    made.clear()
    bar.MAX_WAIT = 0.4

    async def a_drag_longer_than_max_wait():
        last = await drag(1.3, 0.02, 1.0)
        assert 1 <= len(made) <= 4  # every MAX_WAIT while the hand moves (3 at exact timing)
        await asyncio.sleep(bar.DELAY * 3)
        assert made[-1] == last

    asyncio.run(a_drag_longer_than_max_wait())


def test_an_address_the_class_server_refused_for_its_length_opens_the_default_and_says_so():
    room = Classroom(query="refused=1048576")  # where the server sends a 1 MB address
    assert room.current == "healthy"
    assert "too long to open (1,048,576 characters" in room.message.value
    assert Classroom(query="refused=<b>").message.value == ""  # only a number is ever shown


def test_the_presenters_high_contrast_theme_travels_in_the_link():
    room = Classroom(query="scenario=healthy")  # the presenter layout
    assert room.explorer.view == {"open": []}
    room.explorer.contrast = True  # what the Contrast switch does
    query = room.address.query
    assert read_link(query).view == {"open": ["contrast"]}
    again = Classroom(query=query)
    assert again.explorer.contrast is True and again.explorer.switches.contrast is True
    assert Classroom(query="scenario=healthy").explorer.contrast is False
