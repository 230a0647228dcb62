"""Nothing a visitor sends breaks the kernel: hostile messages to every control, in-process.

Messages go in exactly as the kernel hands them to a widget: through the widget's comm
(``comm.handle_msg``), as an ``update`` with a state (and binary buffers for an upload) or a
``custom`` message. Each hostile one must leave the ExplorerState (weights, biases, x, y,
selection, Δz, Δw) as it was, show a plain sentence in the page, raise nothing (ipykernel would
write a raised exception's traceback to the page) and write nothing to stderr; an honest move
afterwards must give the numbers an independent forward pass gives.
"""

from __future__ import annotations

import json
import math

import ipywidgets
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from explorer import Network
from explorer.widgets import guard
from explorer.widgets.apps.classroom import Classroom
from explorer.widgets.apps.explorer import Explorer
from explorer.widgets.chapter.forward import ForwardPanel
from explorer.widgets.chapter.slope import SlopePanel
from explorer.widgets.chapter.stepper import StepThroughPanel
from explorer.scenarios import read_scenario

from helpers import hand_forward

X, Y = [0.5, -0.2], [1.0, 0.0]


def page(widget, state, buffers=(), buffer_paths=None):
    """An ``update`` from the page, delivered as the kernel delivers it."""
    data = {"method": "update", "state": state}
    if buffer_paths is not None:
        data["buffer_paths"] = buffer_paths
    widget.comm.handle_msg({"content": {"comm_id": widget.model_id, "data": data}, "buffers": list(buffers)})


def custom(widget, content):
    widget.comm.handle_msg({"content": {"comm_id": widget.model_id, "data": {"method": "custom", "content": content}},
                            "buffers": []})


def snapshot(state):
    net = state.network
    return (
        {l: net.weights[l].copy() for l in net.layers}, {l: net.biases[l].copy() for l in net.layers},
        state.x, state.y, dict(state.selection), state.dz, state.dw, net.cost.name,
        [net.base_activation(l).name for l in net.layers],
    )


def same(a, b) -> bool:
    wa, ba, xa, ya, *rest_a = a
    wb, bb, xb, yb, *rest_b = b
    return (all(np.array_equal(wa[l], wb[l]) for l in wa) and all(np.array_equal(ba[l], bb[l]) for l in ba)
            and np.array_equal(xa, xb) and np.array_equal(ya, yb) and rest_a == rest_b)


def shown(*areas) -> str:
    return " | ".join(a.notice_text for a in areas if a.notice_text)


def hand_cost(net, x, y) -> float:
    """The quadratic cost of one example by a forward pass written again (eq. 25, eq. 6)."""
    _, a = hand_forward(net, np.array(x, float))
    return 0.5 * float(((a[net.L] - np.array(y, float).reshape(-1, 1)) ** 2).sum())


@pytest.fixture
def explorer():
    ex = Explorer(Network([2, 3, 2], seed=1), X, Y)
    yield ex
    ex.close()


def all_areas(ex):
    return [ex, *ex.panels]


HOSTILE_NUMBERS = [float("nan"), float("inf"), float("-inf"), "0.5", "abc", [0.5], {"v": 1}, None, True, 1e300, -99.0]


def test_every_slider_refuses_hostile_values_and_snaps_back(explorer, capsys):
    ex = explorer
    sent = []
    sliders = [*ex.controls.weight_sliders.values(), ex.controls.bias_slider, *ex.controls.input_sliders,
               *ex.controls.target_sliders]
    assert len(sliders) == 3 + 1 + 2 + 2
    for s in sliders:
        s.comm.send = lambda data=None, buffers=None, _s=s, **kw: sent.append((_s, data))
        before_value = s.value
        for value in HOSTILE_NUMBERS:
            before = snapshot(ex.state)
            sent.clear()
            page(s, {"value": value})
            assert same(before, snapshot(ex.state)), value
            assert s.value == before_value and math.isfinite(s.value)
            text = ex.controls.notice_text
            assert text and s.description in text and "Traceback" not in text, (value, text)
            # the page is sent the slider's unchanged value: it snaps back
            assert any(d["method"] == "update" and d["state"].get("value") == before_value for _, d in sent)
    assert capsys.readouterr().err == ""


def test_an_honest_move_after_hostile_ones_gives_the_right_cost(explorer):
    ex = explorer
    s = ex.controls.weight_sliders[(3, 0, 1)]
    for value in HOSTILE_NUMBERS:
        page(s, {"value": value})
    assert ex.controls.notice_text
    page(s, {"value": 0.25})
    assert ex.controls.notice_text == ""  # an accepted move takes the notice away
    net = ex.state.snapshot()
    assert net.weights[3][0, 1] == 0.25
    assert ex.state.trace.cost == pytest.approx(hand_cost(net, X, Y), rel=1e-12)
    assert ex.controls.weight_sliders[(3, 0, 1)].value == 0.25


def test_menus_and_number_fields_refuse_what_they_do_not_offer(explorer, capsys):
    ex, c = explorer, explorer.controls
    cases = [
        (c.cost_dropdown, {"index": 2}), (c.cost_dropdown, {"index": -1}), (c.cost_dropdown, {"index": "1"}),
        (c.cost_dropdown, {"index": None}), (c.cost_dropdown, {"index": 0.5}), (c.cost_dropdown, {"value": "x"}),
        (c.neuron_activation, {"index": 99}), (c.neuron_activation, {"label": "relu"}),
        (c.layer_dropdowns[2], {"index": float("nan")}), (c.layer_dropdowns[3], {"options": ["evil"]}),
        (c.seed, {"value": -1}), (c.seed, {"value": 2**40}), (c.seed, {"value": "7"}), (c.seed, {"value": 1.5}),
        (c.weight_scale, {"value": float("inf")}), (c.weight_scale, {"value": 51}), (c.weight_scale, {"max": 1e9}),
        (c.weight_sliders[(3, 0, 0)], {"max": 1e308}), (c.weight_sliders[(3, 0, 0)], {"disabled": True}),
        (c.weight_sliders[(3, 0, 0)], {"value": 1.0, "description": "pwned"}),
        (c.weight_sliders[(3, 0, 0)].layout, {"width": 5}), (c.weight_sliders[(3, 0, 0)].style, {"handle_color": 1}),
        (c.parameter_box, {"children": ["IPY_MODEL_nonexistent"]}), (ex.title, {"value": "<script>x</script>"}),
        (ex.children[-2], {"selected_index": 5}), (ex.children[-2], {"selected_index": "0"}),
        (ex.diagram.view, {"selection": {"kind": "neuron", "layer": 1, "j": 0}}),
        (ex.diagram.view, {"selection": {"kind": "neuron", "layer": 2, "j": 99}}),
        (ex.diagram.view, {"selection": {"kind": "weight", "layer": "3", "j": 0, "k": 0}}),
        (ex.diagram.view, {"selection": [1, 2]}), (ex.diagram.view, {"color_by": "nope"}),
        (ex.diagram.view, {"frame": {}}), (ex.equations.widget, {"foo": 1}),
    ]
    for widget, state in cases:
        before = snapshot(ex.state)
        options_before = getattr(widget, "options", None)
        for area in all_areas(ex):
            area.clear_notice()
        page(widget, state)
        assert same(before, snapshot(ex.state)), state
        assert getattr(widget, "options", None) == options_before
        text = shown(*all_areas(ex))
        assert text and "Traceback" not in text, state
    assert c.weight_sliders[(3, 0, 0)].description != "pwned" and c.weight_sliders[(3, 0, 0)].max < 100
    assert ex.diagram.view.selection == ex.state.selection
    assert capsys.readouterr().err == ""


def test_the_diagram_takes_a_persons_clicks_and_menus(explorer, capsys):
    # what the page sends when a person clicks a neuron, a weight, or picks a colour (both layouts)
    for layout in ("laptop", "presenter"):
        ex = explorer if layout == "laptop" else Explorer(Network([2, 3, 2], seed=1), X, Y, layout=layout)
        view = ex.diagram.view
        page(view, {"selection": {"kind": "neuron", "layer": 2, "j": 1}})
        assert dict(ex.state.selection) == {"kind": "neuron", "layer": 2, "j": 1}
        page(view, {"selection": {"kind": "weight", "layer": 3, "j": 1, "k": 2}})
        assert dict(ex.state.selection) == {"kind": "weight", "layer": 3, "j": 1, "k": 2}
        page(view, {"color_by": "z", "edge_by": "nabla_w"})
        assert (view.color_by, view.edge_by) == ("z", "nabla_w")
        assert shown(*all_areas(ex)) == "", layout
        if ex is not explorer:
            ex.close()
    assert capsys.readouterr().err == ""


def test_buttons_take_clicks_only_while_enabled(explorer):
    ex, c = explorer, explorer.controls
    before = snapshot(ex.state)
    for content in [{"event": "dblclick"}, "click", None, {"event": "click", "extra": 1}, [1] * 1000]:
        custom(c.reinit_button, content)
        assert same(before, snapshot(ex.state))
        assert "Re-initialise" in c.notice_text
    c.reinit_button.disabled = True
    custom(c.reinit_button, {"event": "click"})
    assert same(before, snapshot(ex.state))
    c.reinit_button.disabled = False
    c.seed.value, c.weight_scale.value = 5, 1.0
    custom(c.reinit_button, {"event": "click"})  # an honest click re-initialises with seed 5
    expected = Network([2, 3, 2], seed=5)
    net = ex.state.network
    assert all(np.array_equal(net.weights[l], expected.weights[l]) for l in net.layers)
    # other message kinds are refused too, and a state request is answered
    ex.controls.clear_notice()
    c.reinit_button.comm.handle_msg({"content": {"data": {"method": "explode"}}, "buffers": []})
    c.reinit_button.comm.handle_msg({"content": "nonsense", "buffers": []})
    assert c.notice_text
    c.reinit_button.comm.handle_msg({"content": {"data": {"method": "request_state"}}, "buffers": []})


def test_text_fields_refuse_huge_strings_and_other_types(explorer, capsys):
    sp = explorer.scenario
    for widget in (sp.title, sp.description, sp.filename):
        before = widget.value
        for value in ["x" * (guard.MAX_TEXT + 1), 12, None, ["a"], {"a": 1}]:
            sp.clear_notice()
            page(widget, {"value": value})
            assert widget.value == before
            assert sp.notice_text and "Traceback" not in sp.notice_text
        page(widget, {"value": "a" * guard.MAX_TEXT})  # the limit itself is fine
        assert widget.value == "a" * guard.MAX_TEXT and sp.notice_text == ""
    assert capsys.readouterr().err == ""


def upload(panel, content: bytes, name="s.json", **fields):
    item = {"name": name, "type": "application/json", "size": len(content), "last_modified": 1.7e12, **fields}
    page(panel.upload, {"value": [item]}, buffers=[content], buffer_paths=[["value", 0, "content"]])


def scenario_text(sizes=(2, 3, 2), **changes) -> dict:
    net = Network(list(sizes), seed=3)
    data = {
        "format": "backprop-explorer-scenario", "version": 1,
        "network": {"sizes": list(sizes), "activations": {str(l): "sigmoid" for l in net.layers}, "cost": "quadratic",
                    "weights": {str(l): net.weights[l].tolist() for l in net.layers},
                    "biases": {str(l): net.biases[l][:, 0].tolist() for l in net.layers}},
        "example": {"x": [0.1] * sizes[0], "y": [0.5] * sizes[-1]},
    }
    data.update(changes)
    return data


def test_uploaded_scenarios_hostile_ones_change_nothing(explorer, capsys):
    ex, sp = explorer, explorer.scenario
    deep = "[" * 10_000 + "]" * 10_000
    million = scenario_text()
    million["network"]["sizes"] = [1_000_000, 3, 2]
    nan_weights = json.dumps(scenario_text()).replace("[[", "[[NaN, ", 1)
    unknown = scenario_text(teacher="me")
    wrong = scenario_text()
    wrong["network"]["sizes"] = ["2", 3, 2]
    cases = [
        b"x" * 10_000_000, deep.encode(), json.dumps(million).encode(), nan_weights.encode(),
        json.dumps(unknown).encode(), json.dumps(wrong).encode(), b"\xff\xfe", b"[1, 2]", b"9" * 5000,
    ]
    for content in cases:
        before = snapshot(ex.state)
        sp.status.value = ""
        sp.clear_notice()
        upload(sp, content)
        assert same(before, snapshot(ex.state))
        told = sp.notice_text + sp.status.value
        assert ("not loaded" in told or "MB" in told) and "Traceback" not in told, told[:200]
        assert sp.upload.value == () or sp.upload.value == []
    # hostile uploads the page itself could not make: wrong fields, misplaced buffers
    for item_fields, paths in [({"last_modified": "yesterday"}, None), ({"name": ["x"]}, None),
                               ({}, [["value", 5, "content"]]), ({}, [["nope"]])]:
        sp.clear_notice()
        content = json.dumps(scenario_text()).encode()
        item = {"name": "s.json", "type": "", "size": len(content), "last_modified": 1.7e12, **item_fields}
        page(sp.upload, {"value": [item]}, buffers=[content], buffer_paths=paths or [["value", 0, "content"]])
        assert sp.notice_text
    assert capsys.readouterr().err == ""
    # an honest upload afterwards is applied, numbers and all
    good = scenario_text()
    upload(sp, json.dumps(good).encode())
    net = ex.state.network
    assert np.array_equal(net.weights[2], np.array(good["network"]["weights"]["2"]))
    assert ex.state.trace.cost == pytest.approx(hand_cost(net, good["example"]["x"], good["example"]["y"]), rel=1e-12)


def test_a_handler_failing_on_an_accepted_value_puts_the_control_back_and_says_why(capsys):
    from explorer.widgets import ui
    from explorer.widgets.panel import PanelBox

    box = PanelBox()
    slider = ui.FloatSlider(value=1.0, min=0.0, max=2.0, description="k")
    box.widget = slider
    seen = []

    def handler(change):
        seen.append(change["new"])
        if change["new"] == 1.5:
            raise RuntimeError("the core said no")

    slider.observe(handler, names="value")
    page(slider, {"value": 1.5})
    assert slider.value == 1.0 and seen == [1.5, 1.0]  # applied, failed, put back
    assert "“k”: that change could not be applied (the core said no)" in box.notice_text
    page(slider, {"value": 0.5})
    assert slider.value == 0.5 and box.notice_text == ""
    # a click whose handler fails: the other handlers still ran before it, and the page is told
    button = ui.Button(description="Go")
    box.widget = button
    clicks = []
    button.on_click(lambda b: clicks.append(b))
    button.on_click(lambda b: 1 / 0)
    custom(button, {"event": "click"})
    assert clicks == [button] and "“Go”: that change could not be applied (division by zero)" in box.notice_text
    box.close()
    assert capsys.readouterr().err == ""


# ------------------------------------------------------------------ random hostile messages


def guarded_widgets(root):
    """Every widget of the tree under ``root`` that has a comm (boxes, labels and layouts too)."""
    seen, stack, out = set(), [root], []
    while stack:
        w = stack.pop()
        if id(w) in seen:
            continue
        seen.add(id(w))
        if w.comm is not None:
            out.append(w)
        for name in w.keys:
            value = getattr(w, name, None)
            if isinstance(value, ipywidgets.Widget):
                stack.append(value)
            elif isinstance(value, (tuple, list)):
                stack.extend(v for v in value if isinstance(v, ipywidgets.Widget))
    return sorted(out, key=lambda w: w.model_id)


hostile_values = st.one_of(
    st.sampled_from([float("nan"), float("inf"), float("-inf"), None, True, False]),
    st.floats(min_value=1e10, max_value=1e308) | st.floats(min_value=-1e308, max_value=-1e10),
    st.integers(min_value=10**10, max_value=10**30) | st.integers(max_value=-(10**10)),
    st.text(min_size=1, max_size=5).map(lambda s: s * (guard.MAX_TEXT // len(s) + 1)),
    st.lists(st.integers(), max_size=5), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)
keys = st.sampled_from(["value", "index", "selected_index", "selection", "color_by", "children", "layout",
                        "description", "min", "max", "options", "disabled", "_view_name", "no such trait"])


@pytest.fixture(scope="module")
def shared_explorer():
    ex = Explorer(Network([2, 3, 2], seed=1), X, Y)
    yield ex, guarded_widgets(ex)  # the targets fixed once: a notice adds a widget of its own
    ex.close()


@settings(max_examples=60)
@given(data=st.data())
def test_random_hostile_messages_to_random_controls(shared_explorer, data):
    ex, targets = shared_explorer
    if True:
        assert len(targets) > 50
        for _ in range(10):
            widget = data.draw(st.sampled_from(targets))
            before = snapshot(ex.state)
            if data.draw(st.booleans()):
                page(widget, {data.draw(keys): data.draw(hostile_values)})
            else:
                custom(widget, data.draw(hostile_values))
            assert same(before, snapshot(ex.state))
            assert all(math.isfinite(s.value) for s in ex.controls.weight_sliders.values())
        s = ex.controls.bias_slider
        page(s, {"value": -0.75})
        net = ex.state.network
        assert net.biases[3][0, 0] == -0.75
        assert ex.state.trace.cost == pytest.approx(hand_cost(net, X, Y), rel=1e-12)
        page(s, {"value": 0.25})


# ------------------------------------------------------------------ the classroom app and the chapter views


def test_classroom_menu_refuses_and_then_follows_an_honest_choice(capsys):
    app = Classroom(query="")
    try:
        before = snapshot(app.state)
        for state in [{"index": 99}, {"index": "saturated_output"}, {"value": "saturated_output"}, {"index": None}]:
            app.clear_notice()
            page(app.menu, state)
            assert same(before, snapshot(app.state)) and app.notice_text
        names = [v for _, v in app.menu.options]
        page(app.menu, {"index": names.index("saturated_output")})
        expected = read_scenario("saturated_output")
        net = app.state.network
        assert all(np.array_equal(net.weights[l], expected.weights[l]) for l in net.layers)
        assert app.notice_text == ""
    finally:
        app.close()
    assert capsys.readouterr().err == ""


def _state():
    from explorer.widgets.state import ExplorerState

    return ExplorerState(Network([2, 3, 2], seed=1), X, Y)


def _exercise():
    from explorer.widgets.chapter.exercise import ExerciseCheck

    return ExerciseCheck("BP2", lambda *a, **k: None, auto=False), None


def _views():
    from explorer.widgets.chapter.cost_assumptions import CostAssumptionsPanel
    from explorer.widgets.chapter.hadamard import HadamardPanel
    from explorer.widgets.chapter.paths import PathsPanel
    from explorer.widgets.chapter.proofs import ProofsPanel
    from explorer.widgets.chapter.race import RacePanel
    from explorer.widgets.chapter.training import TrainingPanel

    with_state = [ForwardPanel, SlopePanel, StepThroughPanel, PathsPanel, ProofsPanel, CostAssumptionsPanel]
    views = {cls.__name__: (lambda cls=cls: (lambda st: (cls(st), st))(_state())) for cls in with_state}
    views["HadamardPanel"] = lambda: (HadamardPanel(), None)
    views["TrainingPanel"] = lambda: (TrainingPanel(), None)
    views["RacePanel"] = lambda: (RacePanel(networks=((2, 3, 2), (4, 5, 3))), None)
    views["ExerciseCheck"] = _exercise
    return views


VIEWS = _views()


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_chapter_views_refuse_hostile_values_on_every_control(name, capsys):
    panel, state = VIEWS[name]()
    try:
        targets = [w for w in guarded_widgets(panel) if isinstance(w, guard.Guarded)]
        settable = [w for w in targets if w.settable_from_page()]
        areas = [w for w in guarded_widgets(panel) if isinstance(w, guard.MessageArea)]

        def values():  # every control's settable traits, and the state behind the view
            shown = {(w.model_id, k): repr(getattr(w, k)) for w in settable for k in w.settable_from_page()}
            return shown, (snapshot(state) if state is not None else None)

        before_values, before_state = values()
        for w in targets:
            for key in w.settable_from_page() or ("value",):
                for value in [float("nan"), "x" * (guard.MAX_TEXT + 1), [1, 2], 10**40, -(10**40), {"a": 1}]:
                    for area in areas:
                        area.clear_notice()
                    page(w, {key: value})
                    assert shown(*areas), (type(w).__name__, key, value)
            for content in [{"event": "click", "x": 1}, "click"]:
                custom(w, content)
        after_values, after_state = values()
        assert after_values == before_values
        if state is not None:
            assert same(before_state, after_state)
    finally:
        panel.close()
    assert capsys.readouterr().err == ""


# ------------------------------------------------------------------ in a real kernel


def test_in_a_kernel_hostile_updates_write_nothing_to_the_page_and_the_next_move_is_answered():
    """ipykernel writes a comm handler's exception to stderr, which reaches the page as a stream
    message: hostile updates sent as a page sends them must cause none, and no error reply."""
    from jupyter_client.manager import start_new_kernel

    from jupyter_client.session import json_default

    km, kc = start_new_kernel(kernel_name="python3")
    # A hand-made client can send NaN and Infinity (the server's parser takes them); so do we.
    kc.session.pack = lambda obj: json.dumps(obj, default=json_default, allow_nan=True).encode("utf8")

    def drain(seconds=1.0):
        found = []
        while True:
            try:
                found.append(kc.get_iopub_msg(timeout=seconds))
            except Exception:  # queue.Empty: quiet for `seconds`
                return found

    def run(code):
        msg_id = kc.execute(code)
        out = []
        while True:
            msg = kc.get_iopub_msg(timeout=60)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "stream":
                out.append(msg["content"]["text"])
            assert msg["msg_type"] != "error", msg["content"]
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return "".join(out)

    def update(comm_id, state):
        content = {"comm_id": comm_id, "data": {"method": "update", "state": state, "buffer_paths": []}}
        kc.shell_channel.send(kc.session.msg("comm_msg", content))

    try:
        ids = run(
            "from explorer import Network\n"
            "from explorer.widgets.apps.explorer import Explorer\n"
            "ex = Explorer(Network([2, 3, 2], seed=1), [0.5, -0.2], [1.0, 0.0])\n"
            "s = ex.controls.weight_sliders[(3, 0, 1)]\n"
            "print(s.comm.comm_id, ex.controls.cost_dropdown.comm.comm_id, ex.controls.seed.comm.comm_id)"
        ).split()
        before = run("print(repr(ex.state.network.weights[3].tolist()))")
        drain(0.5)
        hostile = [(ids[0], {"value": float("nan")}), (ids[0], {"value": float("inf")}), (ids[0], {"value": "abc"}), (ids[0], {"value": None}),
                   (ids[0], {"value": [1, 2]}), (ids[0], {"value": 1e9}), (ids[1], {"index": 7}),
                   (ids[1], {"index": "x" * 100_000}), (ids[2], {"value": -5}), (ids[0], {"description": "x"})]
        for comm_id, state in hostile:
            update(comm_id, state)
        seen = drain(2.0)
        streams = [m["content"]["text"] for m in seen if m["msg_type"] == "stream"]
        assert streams == [] and not any(m["msg_type"] == "error" for m in seen), streams[:2]
        assert run("print(repr(ex.state.network.weights[3].tolist()))") == before
        assert "nothing was changed" in run("print(ex.controls.notice_text)")
        # a click whose handler fails shows words, not a traceback
        run("ex.controls.reinit_button.on_click(lambda b: 1 / 0)")
        button = run("print(ex.controls.reinit_button.comm.comm_id)").strip()
        drain(0.5)
        content = {"comm_id": button, "data": {"method": "custom", "content": {"event": "click"}}}
        kc.shell_channel.send(kc.session.msg("comm_msg", content))
        seen = drain(2.0)
        assert [m["msg_type"] for m in seen if m["msg_type"] in ("stream", "error")] == []
        assert "division by zero" in run("print(ex.controls.notice_text)")
        run("ex.state.reinitialize(1)")  # the failing click re-initialised first (seed 0): back
        update(ids[0], {"value": 0.25})  # the next honest move is answered
        drain(1.0)
        got = run("import numpy as np; print(ex.state.network.weights[3][0, 1], repr(ex.state.trace.cost))").split()
        assert float(got[0]) == 0.25
        net = Network([2, 3, 2], seed=1)
        net.weights[3][0, 1] = 0.25
        assert float(got[1]) == pytest.approx(hand_cost(net, X, Y), rel=1e-12)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_a_control_comm_opened_without_its_version_is_refused_without_a_word_to_the_page(caplog):
    """ipywidgets raises on a ``jupyter.widget.control`` open without the protocol's version; the
    comm manager would log that traceback at ERROR (the kernel's stderr, which reaches the page)."""
    import logging

    from comm.base_comm import CommManager

    manager = CommManager()
    manager.register_target("jupyter.widget.control", ipywidgets.Widget.handle_control_comm_opened)
    opened = []
    manager.register_target("jupyter.widget", lambda comm, msg: opened.append(msg["content"]["comm_id"]))
    manager.register_target("another.target", lambda comm, msg: None)
    guard.quiet_comm_targets(manager)
    assert isinstance(manager.targets["another.target"], type(lambda: None))  # not ours to wrap

    def open_(target, comm_id, metadata):
        msg = {"content": {"comm_id": comm_id, "target_name": target, "data": {}}, "metadata": metadata}
        manager.comm_open(None, None, msg)

    with caplog.at_level(logging.DEBUG):
        open_("jupyter.widget.control", "c1", {})
        open_("jupyter.widget.control", "c2", {"version": "0.9"})
        open_("jupyter.widget", "w1", {})
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    refused = [r for r in caplog.records if r.name == "explorer.widgets.guard" and r.getMessage().startswith("refused")]
    assert len(refused) == 2 and all("Incompatible widget control protocol" in str(r.exc_info[1]) for r in refused)
    assert opened == ["w1"]  # a target that works is called as before
    guard.quiet_comm_targets(manager)  # a second call does not wrap twice
    assert manager.targets["jupyter.widget.control"].target == ipywidgets.Widget.handle_control_comm_opened
