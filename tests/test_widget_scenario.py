"""Scenario files: exact round trips, clear refusals that change nothing, the panel, examples."""

import copy
import datetime as dt
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from explorer.core import Activation, Network
from explorer.core import slow_learning_verdicts
from explorer.widgets.dashboard.scenario import (
    ScenarioError,
    ScenarioPanel,
    load_scenario,
    read_scenario,
    save_scenario,
    scenario_dict,
)
from explorer.widgets.state import ExplorerState
from helpers import sigma

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


def make_state(seed=3, dtype=np.float64):
    net = Network([4, 6, 6, 3], seed=seed, dtype=dtype)
    rng = np.random.default_rng(seed)
    return ExplorerState(net, rng.uniform(-1, 1, 4), rng.uniform(0, 1, 3))


@pytest.fixture
def teacher():
    """A state a teacher prepared: an overridden neuron, a selected weight, Δz and Δw."""
    st = make_state()
    st.network.weights[3][2, 1] = 0.1 + 0.2  # 0.30000000000000004: needs all 17 digits
    with st.hold():
        st.set_activation(3, "tanh", neuron=2)
        st.select_weight(3, 2, 4)
        st.dz = 0.37
        st.dw = -0.21
    return st


def fingerprint(st):
    """Everything a failed load must leave as it was."""
    return {
        "revision": st.revision,
        "network": st.network,
        "weights": {l: st.network.weights[l].copy() for l in st.network.layers},
        "biases": {l: st.network.biases[l].copy() for l in st.network.layers},
        "trace": st.trace,
        "batch_trace": st.batch_trace,
        "selection": dict(st.selection),
        "dz": st.dz,
        "dw": st.dw,
        "x": st.x,
        "y": st.y,
    }


def assert_unchanged(st, before):
    after = fingerprint(st)
    assert after["revision"] == before["revision"]
    assert after["network"] is before["network"]
    assert after["trace"] is before["trace"] and after["batch_trace"] is before["batch_trace"]
    for key in ("weights", "biases"):
        for l in before[key]:
            assert np.array_equal(after[key][l], before[key][l])
    assert after["selection"] == before["selection"]
    assert (after["dz"], after["dw"]) == (before["dz"], before["dw"])
    assert np.array_equal(after["x"], before["x"]) and np.array_equal(after["y"], before["y"])


# ----------------------------------------------------------------------------- round trips


def test_round_trip_is_exact(teacher, tmp_path):
    path = save_scenario(teacher, tmp_path / "demo.json", "Title", "Some words")
    text = path.read_text(encoding="utf-8")
    assert "0.30000000000000004" in text  # repr precision, not a rounded print
    data = json.loads(text)
    assert data["format"] == "backprop-explorer-scenario" and data["version"] == 1
    assert set(data["network"]["weights"]) == {"2", "3", "4"}  # the book's l, as strings

    other = make_state(seed=99)
    revision = other.revision
    load_scenario(other, path)
    assert other.revision == revision + 1  # one recomputation for the whole load
    for l in teacher.network.layers:
        for name in ("weights", "biases"):
            a, b = getattr(teacher.network, name)[l], getattr(other.network, name)[l]
            assert a.dtype == b.dtype and a.tobytes() == b.tobytes()  # bit for bit
    for field in ("z", "a", "sigma_prime", "delta", "nabla_w", "nabla_b"):
        for l, arr in getattr(teacher.trace, field).items():
            assert np.array_equal(getattr(other.trace, field)[l], arr)
    assert other.trace.cost == teacher.trace.cost
    assert other.selection == {"kind": "weight", "layer": 3, "j": 2, "k": 4}
    assert (other.dz, other.dw) == (0.37, -0.21)
    assert other.demon.actual == teacher.demon.actual and other.nudge.actual == teacher.nudge.actual
    # The override is back: neuron 3 of layer 3 computes tanh, its neighbours the sigmoid.
    z3, a3 = other.trace.z[3], other.trace.a[3]
    assert np.array_equal(a3[2], np.tanh(z3[2]))
    np.testing.assert_allclose(a3[[0, 1, 3, 4, 5]], sigma(z3[[0, 1, 3, 4, 5]]), rtol=1e-14)
    assert not np.allclose(a3[2], sigma(z3[2]))
    scenario = read_scenario(path)
    assert (scenario.title, scenario.description) == ("Title", "Some words")
    assert scenario.overrides[3] == {2: "tanh"}


def test_round_trip_of_a_dict_and_float32(tmp_path):
    st = make_state(seed=5, dtype=np.float32)
    st.set_cost("cross_entropy")
    data = scenario_dict(st)
    assert json.loads(json.dumps(data)) == data  # plain JSON data
    other = make_state(seed=6)
    load_scenario(other, data)
    assert other.network.dtype == np.float32 and other.network.cost.name == "cross_entropy"
    for l in st.network.layers:
        assert other.network.weights[l].tobytes() == st.network.weights[l].tobytes()
    assert other.trace.cost == st.trace.cost


def test_scenario_builds_a_fresh_network(teacher):
    scenario = read_scenario(scenario_dict(teacher))
    a, b = scenario.network(), scenario.network()
    assert a is not b and a.weights[2] is not b.weights[2]
    assert not scenario.weights[2].flags.writeable


# ----------------------------------------------------------------------------- refusals


def write(tmp_path, text, name="bad.json"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def edited(teacher, change):
    data = copy.deepcopy(scenario_dict(teacher))
    change(data)
    return data


def set_in(*path_and_value):
    """An edit that sets data[a][b]...[z] = value."""
    *path, last, value = path_and_value

    def change(data):
        for key in path:
            data = data[key]
        data[last] = value

    return change


def pop_in(*path):
    """An edit that removes data[a][b]...[z] (a key, or a list's last item)."""

    def change(data):
        for key in path[:-1]:
            data = data[key]
        data.pop(path[-1]) if isinstance(data, dict) else data.pop()

    return change


def overflowing(data):
    """Weights so large that z^2_1 = 1e308 · 1 + 1e308 · 1 overflows to infinity."""
    data["network"]["weights"]["2"][0][:2] = [1e308, 1e308]
    data["example"]["x"] = [1.0, 1.0, 0.0, 0.0]


W, B, NET = ("network", "weights"), ("network", "biases"), ("network",)
BAD_EDITS = [
    ("wrong format marker", set_in("format", "something-else"),
     r"wrong format marker.*'something-else'"),
    ("missing format", pop_in("format"), r"missing key 'format'"),
    ("unsupported version", set_in("version", 2), r"version.*this program reads version 1.*got 2"),
    ("missing key", pop_in(*W), r"missing key 'network\.weights'"),
    ("missing layer", pop_in(*B, "3"), r"""missing key 'network\.biases\["3"\]' \(layer 3\)"""),
    ("ragged weights", pop_in(*W, "3", 0, -1),
     r'weights\["3"\]: wrong shape, expected \(6, 6\) \(layer 3 has 6 neurons, layer 2 has 6\), '
     r"got a ragged list"),
    ("wrong shape", pop_in(*W, "3", -1),
     r'weights\["3"\]: wrong shape, expected \(6, 6\) .*, got \(5, 6\)'),
    ("NaN in a dict", set_in(*W, "2", 1, 0, float("nan")),
     r'network\.weights\["2"\]\[1\]\[0\]: nan is not a finite number'),
    ("inf dz", set_in("dz", float("inf")), r"dz: inf is not a finite number"),
    ("string bias", set_in(*B, "4", 1, "0.5"), r"""biases\["4"\]\[1\]: expected a number, got a string '0\.5'"""),
    ("unknown activation", set_in(*NET, "activations", "3", "sigmoidal"),
     r"unknown activation 'sigmoidal'"),
    ("unknown override", set_in(*NET, "overrides", "3", "2", "swish"), r"unknown activation 'swish'"),
    ("override out of range", set_in(*NET, "overrides", "3", "6", "tanh"),
     r"neuron '6' is out of range"),
    ("unknown cost", set_in(*NET, "cost", "hinge"), r"unknown cost 'hinge'"),
    ("selection j out of range", set_in("selection", "j", 6), r"selection out of range: j = 6"),
    ("selection k out of range", set_in("selection", "k", 9), r"selection out of range: k = 9"),
    ("selection layer 1", set_in("selection", "layer", 1), r"selection\.layer: expected a number >= 2, got 1"),
    ("selection layer 5", set_in("selection", "layer", 5), r"selection out of range: layer 5"),
    ("weight without k", pop_in("selection", "k"), r"missing key 'selection\.k'"),
    ("unknown selection kind", set_in("selection", "kind", "bias"), r"unknown selection kind 'bias'"),
    ("one layer", set_in(*NET, "sizes", [4]), r"network\.sizes: expected at least 2 layer sizes, got 1"),
    ("size zero", set_in(*NET, "sizes", 1, 0), r"network\.sizes\[1\]: expected a number >= 1, got 0"),
    ("sizes not matching", set_in(*NET, "sizes", [4, 6, 3]), r"key '4' is not a layer of this network"),
    ("leading zero layer", set_in(*NET, "activations", "03", "tanh"), r"key '03' is not a layer"),
    ("float32 overflow", lambda d: (set_in(*NET, "dtype", "float32")(d), set_in(*W, "2", 0, 0, 1e300)(d)),
     r"overflows float32"),
    ("unknown dtype", set_in(*NET, "dtype", "float16"), r"unknown dtype 'float16'; allowed: float64, float32"),
    ("title not text", set_in("title", 3), r"title: expected a string, got a number 3"),
    ("x too short", pop_in("example", "x", -1),
     r"example\.x: wrong shape, expected \(4,\) \(layer 1 has 4 inputs\), got \(3,\)"),
    ("not a layer", set_in(*W, "5", [[1.0]]), r"key '5' is not a layer"),
    ("unknown key", set_in("selction", {}), r"unknown key 'selction'"),
    ("overflow", overflowing, r"cannot be evaluated"),
]


@pytest.mark.parametrize("label,change,message", BAD_EDITS, ids=[b[0] for b in BAD_EDITS])
def test_bad_scenarios_are_refused_and_change_nothing(teacher, label, change, message):
    data = edited(teacher, change)
    target = make_state(seed=11)
    before = fingerprint(target)
    with pytest.raises(ScenarioError, match=message):
        load_scenario(target, data)
    assert_unchanged(target, before)


@pytest.mark.parametrize(
    "text,message",
    [
        ("{\"format\": ", r"is not JSON: Expecting value at line 1"),
        ("not json at all", r"is not JSON"),
        ("[1, 2, 3]", r"a scenario is a JSON object, got a list"),
    ],
)
def test_files_that_are_not_scenarios(tmp_path, text, message):
    target = make_state(seed=12)
    before = fingerprint(target)
    with pytest.raises(ScenarioError, match=message):
        load_scenario(target, write(tmp_path, text))
    assert_unchanged(target, before)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_literals_are_refused(teacher, tmp_path, literal):
    text = save_scenario(teacher, tmp_path / "ok.json").read_text()
    bad = text.replace('"dz": 0.37', f'"dz": {literal}')
    assert bad != text
    target = make_state(seed=13)
    before = fingerprint(target)
    with pytest.raises(ScenarioError, match=rf"contains {literal}"):
        load_scenario(target, write(tmp_path, bad))
    assert_unchanged(target, before)


def test_huge_number_literal_is_refused(teacher, tmp_path):
    text = save_scenario(teacher, tmp_path / "ok.json").read_text()
    bad = text.replace('"dz": 0.37', '"dz": 1e999')  # Python reads this as inf
    with pytest.raises(ScenarioError, match=r"dz: inf is not a finite number"):
        read_scenario(write(tmp_path, bad))


def test_missing_file_is_a_scenario_error(tmp_path):
    with pytest.raises(ScenarioError, match=r"cannot read .*nowhere\.json"):
        read_scenario(tmp_path / "nowhere.json")


def test_user_made_activation_cannot_be_saved(tmp_path):
    st = make_state()
    mine = Activation("mine", lambda z: sigma(z), lambda z: sigma(z) * (1 - sigma(z)))
    st.set_activation(2, mine, neuron=1)
    with pytest.raises(ScenarioError, match=r"activation 'mine' is not built in"):
        save_scenario(st, tmp_path / "mine.json")
    assert list(tmp_path.iterdir()) == []  # no file, not even a half one


# ----------------------------------------------------------------------------- the panel


def upload_value(name, content: bytes):
    """What ipywidgets 8's FileUpload holds after the browser sends a file."""
    return (
        {
            "name": name,
            "type": "application/json",
            "size": len(content),
            "content": memoryview(content),
            "last_modified": dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
        },
    )


def test_panel_saves_where_asked(teacher, tmp_path):
    panel = ScenarioPanel(teacher, directory=tmp_path)
    panel.title.value = "Demo"
    panel.filename.value = "lesson"  # ".json" is added
    panel.save_button.click()
    path = tmp_path / "lesson.json"
    assert path.exists()
    assert "#1a7f37" in panel.status.value and f"saved to {path.resolve()}" in panel.status.value
    assert read_scenario(path).title == "Demo"
    assert panel.choice.options == ("lesson.json",)
    panel.filename.value = "  "
    panel.save_button.click()
    assert "#c62828" in panel.status.value and "file name" in panel.status.value


def test_panel_upload_loads_and_reports(teacher, tmp_path):
    content = save_scenario(teacher, tmp_path / "t.json", "Uploaded", "d").read_bytes()
    target = make_state(seed=21)
    panel = ScenarioPanel(target)
    panel.upload.value = upload_value("t.json", content)
    assert "#1a7f37" in panel.status.value and "loaded t.json — Uploaded" in panel.status.value
    assert target.selection == {"kind": "weight", "layer": 3, "j": 2, "k": 4}
    assert target.network.weights[3].tobytes() == teacher.network.weights[3].tobytes()
    assert panel.title.value == "Uploaded" and panel.upload.value == ()


def test_panel_upload_of_a_bad_file_changes_nothing(teacher, tmp_path):
    target = make_state(seed=22)
    panel = ScenarioPanel(target)
    before = fingerprint(target)
    panel.upload.value = upload_value("broken.json", b"{oops")
    assert "#c62828" in panel.status.value and "broken.json" in panel.status.value
    assert "is not JSON" in panel.status.value
    data = edited(teacher, lambda d: d["network"]["weights"]["3"].pop())
    panel.upload.value = upload_value("short.json", json.dumps(data).encode())
    assert "wrong shape, expected (6, 6) (layer 3 has 6 neurons, layer 2 has 6), got (5, 6)" in (
        panel.status.value
    )
    assert_unchanged(target, before)


def test_panel_opens_a_file_of_its_directory():
    target = make_state(seed=23)
    panel = ScenarioPanel(target, directory=SCENARIOS)
    assert "healthy.json" in panel.choice.options
    panel.choice.value = "dead_input.json"
    panel.open_button.click()
    assert "loaded dead_input.json" in panel.status.value
    assert target.network.sizes == (2, 3, 2) and target.x[0, 0] == 0.0


def test_panel_opens_a_prepared_scenario_by_name():
    target = make_state(seed=24)
    panel = ScenarioPanel(target, prepared=True)
    assert panel.prepared_choice.options[0] == "healthy" and "dead_input" in panel.prepared_choice.options
    panel.prepared_choice.value = "saturated_output"
    panel.open_prepared_button.click()
    assert "loaded saturated_output" in panel.status.value
    expected = json.loads((SCENARIOS / "saturated_output.json").read_text(encoding="utf-8"))
    np.testing.assert_array_equal(target.network.weights[3], expected["network"]["weights"]["3"])
    assert not hasattr(ScenarioPanel(target), "prepared_choice")  # only when asked for


# ----------------------------------------------------------------------------- the examples


def loaded(name):
    state = ExplorerState(Network([2, 2]), np.zeros(2), np.zeros(2))
    load_scenario(state, SCENARIOS / name)
    return state


def test_every_example_loads_and_has_a_title():
    names = sorted(p.name for p in SCENARIOS.glob("*.json"))
    assert names == sorted(
        ["healthy.json", "saturated_output.json", "dead_input.json", "demon_at_work.json",
         "cross_entropy_vs_quadratic.json"]
    )
    for name in names:
        scenario = read_scenario(SCENARIOS / name)
        assert scenario.title and len(scenario.description) > 80
        assert loaded(name).diverged == ""


def test_script_writes_exactly_these_files(tmp_path):
    script = ROOT / "scripts" / "make_scenarios.py"
    spec = importlib.util.spec_from_file_location("make_scenarios", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)
    for path in SCENARIOS.glob("*.json"):
        assert (tmp_path / path.name).read_bytes() == path.read_bytes()


def all_verdicts(state):
    net = state.network
    return [
        v
        for l in net.layers
        for j in range(net.sizes[l - 1])
        for v in slow_learning_verdicts(state.trace, l, j)
    ]


def test_healthy_nothing_saturates_and_nothing_is_slow():
    state = loaded("healthy.json")
    net, trace = state.network, state.trace
    assert net.sizes == (2, 3, 2) and net.cost.name == "quadratic"
    for l in net.layers:
        assert (trace.sigma_prime[l] > 0.5 * 0.25).all()  # all near the sigmoid's peak
    assert (np.abs(trace.x) > 0.1).all()
    assert not any(v.slow for v in all_verdicts(state))


def test_saturated_output_neuron_is_wrong_yet_learns_slowly():
    state = loaded("saturated_output.json")
    net, trace = state.network, state.trace
    l, j = state.selected_neuron
    assert l == net.L and net.cost.name == "quadratic"
    z = trace.z[l][j, 0]
    assert abs(z) > 5 and sigma(z) * (1 - sigma(z)) < 0.01 * 0.25  # σ'(z^L) ≈ 0
    assert abs(trace.a[l][j, 0] - trace.y[j, 0]) > 0.9  # as wrong as can be
    assert np.abs(trace.nabla_w[l][j]).max() < 1e-3  # BP4 with a tiny δ
    verdicts = slow_learning_verdicts(trace, l, j)
    assert all(v.slow and "saturated" in v.reason and "(BP1)" in v.reason for v in verdicts)


def test_dead_input_freezes_the_weights_leaving_it():
    state = loaded("dead_input.json")
    net, trace = state.network, state.trace
    sel = state.selection
    assert sel["kind"] == "weight" and sel["layer"] == 2
    k = sel["k"]
    assert trace.x[k, 0] == 0.0
    assert np.array_equal(trace.nabla_w[2][:, k], np.zeros(3))  # BP4: a_in = 0
    assert (np.abs(trace.delta[2]) > 1e-3).all()  # not because δ vanished
    for j in range(3):
        verdicts = slow_learning_verdicts(trace, 2, j)
        assert verdicts[k].slow and "(BP4)" in verdicts[k].reason
        assert not any(v.slow for v in verdicts if v.k != k)


def test_demon_at_work_prediction_and_actual_differ_visibly():
    state = loaded("demon_at_work.json")
    net = state.network
    l, j = state.selected_neuron
    assert (l, net.L) == (2, 3) and state.selection["kind"] == "neuron"  # a hidden neuron
    assert state.dz == pytest.approx(1.0, abs=0.25)
    effect = net.demon(state.x, state.y, l, j, state.dz)
    # The cost recomputed by hand with z^2_j + Δz.
    z = net.weights[2] @ state.x + net.biases[2]
    z[j] += state.dz
    a = sigma(net.weights[3] @ sigma(z) + net.biases[3])
    cost_after = 0.5 * float(((a - state.y) ** 2).sum())
    assert effect.actual == pytest.approx(cost_after - state.trace.cost, rel=1e-9)
    assert abs(effect.actual) > 0.05
    assert abs(effect.predicted - effect.actual) > 0.3 * abs(effect.actual)
    assert state.demon.predicted == effect.predicted and state.demon.actual == effect.actual


def test_cross_entropy_keeps_delta_large_where_quadratic_stalls():
    state = loaded("cross_entropy_vs_quadratic.json")
    net, trace = state.network, state.trace
    l, j = state.selected_neuron
    assert l == net.L and net.cost.name == "cross_entropy"
    z, a, y = trace.z[l][j, 0], trace.a[l][j, 0], trace.y[j, 0]
    sp = sigma(z) * (1 - sigma(z))
    assert sp < 0.01 * 0.25
    assert trace.delta[l][j, 0] == pytest.approx(a - y, rel=1e-12) and abs(a - y) > 0.9
    quadratic = read_scenario(SCENARIOS / "cross_entropy_vs_quadratic.json").network()
    quadratic.cost_function = Network([1, 1], cost="quadratic").cost
    delta_q = quadratic.trace(state.x, state.y).delta[l][j, 0]
    assert delta_q == pytest.approx((a - y) * sp, rel=1e-9)  # eq. 30
    assert abs(delta_q) < 0.01 * abs(trace.delta[l][j, 0])
    verdicts = slow_learning_verdicts(trace, l, j)
    assert all(v.cancelled and not v.slow for v in verdicts)
