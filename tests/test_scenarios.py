"""explorer.scenarios: the shipped scenarios, the JSON Schema of the format, reading and writing."""

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from explorer.core import Network
from explorer.core.activations import BUILTIN as BUILTIN_ACTIVATIONS
from explorer.core.costs import BUILTIN as BUILTIN_COSTS
from explorer.scenarios import (
    Scenario,
    ScenarioError,
    make_scenario,
    parse_scenario_text,
    prepared_scenarios,
    read_scenario,
    scenario_schema,
    scenario_to_dict,
    scenario_to_json,
    write_scenario,
)

ROOT = Path(__file__).resolve().parent.parent
FILES = ROOT / "scenarios"


def validator():
    schema = scenario_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_the_schema_is_valid_and_names_exactly_the_built_in_choices():
    schema = validator().schema
    assert sorted(schema["$defs"]["activation"]["enum"]) == sorted(BUILTIN_ACTIVATIONS)
    assert sorted(schema["$defs"]["network"]["properties"]["cost"]["enum"]) == sorted(BUILTIN_COSTS)
    schema["title"] = "changed"
    assert scenario_schema()["title"] != "changed"  # a copy each time


def test_prepared_scenarios_are_the_shipped_files_in_teaching_order():
    names = prepared_scenarios()
    assert sorted(names) == sorted(p.stem for p in FILES.glob("*.json"))
    assert names[:2] == ["healthy", "saturated_output"]


@pytest.mark.parametrize("name", sorted(p.stem for p in FILES.glob("*.json")))
def test_each_prepared_file_fits_the_schema_and_reads_by_name_as_by_path(name):
    path = FILES / f"{name}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert list(validator().iter_errors(data)) == []  # jsonschema itself, not our wrapper
    by_name, by_path = read_scenario(name), read_scenario(path)
    assert isinstance(by_name, Scenario) and by_name.title == data["title"]
    for l in range(2, len(data["network"]["sizes"]) + 1):
        np.testing.assert_array_equal(by_name.weights[l], np.array(data["network"]["weights"][str(l)]))
        np.testing.assert_array_equal(by_name.biases[l][:, 0], by_path.biases[l][:, 0])
    np.testing.assert_array_equal(by_name.x[:, 0], data["example"]["x"])
    # Written back, the file is the same text: the format keeps every bit and its layout.
    assert scenario_to_json(by_name) == path.read_text(encoding="utf-8")


def test_unknown_names_and_wrong_kinds_are_refused_clearly(tmp_path):
    with pytest.raises(ScenarioError, match=r"no prepared scenario called 'healty'; prepared: healthy, "):
        read_scenario("healty")
    with pytest.raises(ScenarioError, match=r"cannot read .*healthy\.json"):
        read_scenario(str(tmp_path / "healthy.json"))  # a .json name is a file, not a prepared one
    with pytest.raises(ScenarioError, match=r"expected a prepared scenario's name, a path or a dict, got int"):
        read_scenario(3)


def test_what_the_schema_refuses_the_reader_refuses():
    data = json.loads((FILES / "healthy.json").read_text(encoding="utf-8"))
    for change in (
        lambda d: d.update(extra=1),
        lambda d: d["network"].update(cost="hinge"),
        lambda d: d["selection"].update(kind="weight"),  # a weight needs k
        lambda d: d["network"]["weights"].update({"x": [[1.0]]}),
    ):
        bad = json.loads(json.dumps(data))
        change(bad)
        assert list(validator().iter_errors(bad)), "the schema should refuse this"
        with pytest.raises(ScenarioError):
            read_scenario(bad)


def test_reading_a_dict_leaves_it_alone():
    data = json.loads((FILES / "healthy.json").read_text(encoding="utf-8"))
    before = json.dumps(data)
    scenario = read_scenario(data)
    assert json.dumps(data) == before
    assert not scenario.weights[2].flags.writeable and not scenario.x.flags.writeable


def test_make_write_read_round_trip_is_exact(tmp_path):
    net = Network([3, 4, 2], activation=["tanh", "sigmoid"], cost="cross_entropy", seed=4)
    net.weights[2][1, 2] = 0.1 + 0.2
    net.set_activation(2, 3, "relu")
    x, y = np.array([0.3, -0.7, 0.9]), np.array([1.0, 0.0])
    scenario = make_scenario(net, x, y, selection={"kind": "weight", "layer": 3, "j": 1, "k": 3},
                             dz=0.25, title="t", description="d")
    data = scenario_to_dict(scenario)
    assert list(validator().iter_errors(data)) == []
    assert data["network"]["overrides"] == {"2": {"3": "relu"}}
    assert data["selection"]["name"] == "w^3_24"
    back = read_scenario(write_scenario(scenario, tmp_path / "s.json"))
    rebuilt = back.network()
    for l in net.layers:
        assert rebuilt.weights[l].tobytes() == net.weights[l].tobytes()
        assert rebuilt.biases[l].tobytes() == net.biases[l].tobytes()
    assert rebuilt.neuron_activation(2, 3).name == "relu" and rebuilt.neuron_activation(2, 2).name == "tanh"
    # The rebuilt network computes the same cost as the original, by the core's own trace.
    assert rebuilt.trace(x, y).cost == net.trace(x, y).cost
    assert (back.dz, back.dw, dict(back.selection)) == (0.25, 0.0, {"kind": "weight", "layer": 3, "j": 1, "k": 3})


def test_make_scenario_refuses_a_batch():
    net = Network([2, 2], seed=0)
    with pytest.raises(ScenarioError, match=r"one example, got 3 columns"):
        make_scenario(net, np.zeros((2, 3)), np.zeros((2, 3)))


def test_the_module_imports_no_widgets():
    code = "import sys, explorer.scenarios; print(sorted(m for m in ('ipywidgets', 'matplotlib') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"


# ----------------------------------------------------------------------------- hostile files


def _network_json(sizes, seed=3) -> dict:
    """A valid scenario of a network of ``sizes``, written here from its numbers."""
    net = Network(list(sizes), seed=seed)
    return {
        "format": "backprop-explorer-scenario", "version": 1,
        "network": {"sizes": list(sizes), "activations": {str(l): "sigmoid" for l in net.layers},
                    "cost": "quadratic", "weights": {str(l): net.weights[l].tolist() for l in net.layers},
                    "biases": {str(l): net.biases[l][:, 0].tolist() for l in net.layers}},
        "example": {"x": [0.1] * sizes[0], "y": [0.5] * sizes[-1]},
    }


def _peak_while(fn) -> tuple[int, Exception | None]:
    import tracemalloc

    tracemalloc.start()
    try:
        fn()
        error = None
    except Exception as e:  # the caller checks which
        error = e
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak, error


def test_the_largest_network_of_the_book_and_every_shipped_scenario_are_admitted():
    from explorer.scenarios import MAX_BYTES, MAX_PARAMETERS

    text = json.dumps(_network_json((784, 30, 10)))
    assert len(text) < MAX_BYTES
    scenario = read_scenario(parse_scenario_text(text))
    assert scenario.sizes == (784, 30, 10)
    assert 784 * 30 + 30 + 30 * 10 + 10 == 23_860 <= MAX_PARAMETERS
    for name in prepared_scenarios():
        read_scenario(name)


@pytest.mark.parametrize("kind", ["str", "bytes", "file"])
def test_a_10_mb_text_is_refused_before_it_is_read_whole(kind, tmp_path):
    hostile = "[" + "0, " * 3_333_333 + "0]"  # 10 MB of a valid JSON list
    assert len(hostile) > 10_000_000
    if kind == "file":
        path = tmp_path / "big.json"
        path.write_text(hostile)
        del hostile
        peak, error = _peak_while(lambda: read_scenario(path))
    else:
        source = hostile if kind == "str" else hostile.encode()
        peak, error = _peak_while(lambda: parse_scenario_text(source, "big.json"))
    assert isinstance(error, ScenarioError) and "at most 2 MB" in str(error) and "10.0 MB" in str(error)
    assert peak < (3_000_000 if kind == "file" else 100_000)  # the file: only the limit's worth is read


def test_10000_nested_lists_are_refused_before_parsing():
    text = "[" * 10_000 + "]" * 10_000
    peak, error = _peak_while(lambda: parse_scenario_text(text))
    assert isinstance(error, ScenarioError) and "more than 32 levels deep" in str(error)
    assert peak < 1_000_000
    # brackets inside strings do not count, and a real scenario nests 5 levels
    ok = _network_json((2, 3, 2))
    ok["description"] = "[" * 10_000
    assert read_scenario(parse_scenario_text(json.dumps(ok))).description == "[" * 10_000


@pytest.mark.parametrize("sizes, message", [
    ([1_000_000, 3, 2], "layer 1 has 1,000,000 neurons"),
    ([2] * 21, "21 layers"),
    ([1000, 1000, 1000], "2,002,000 weights and biases"),
])
def test_a_network_too_large_is_refused_before_any_array(sizes, message):
    data = _network_json((2, 3, 2))
    data["network"]["sizes"] = sizes  # the weights stay small: the sizes alone are the attack
    text = json.dumps(data)
    peak, error = _peak_while(lambda: read_scenario(parse_scenario_text(text)))
    assert isinstance(error, ScenarioError) and message in str(error), error
    # a million inputs of float64 would be 8 MB for x alone; nothing near that was allocated
    assert peak < 1_000_000


@pytest.mark.parametrize("text, message", [
    (json.dumps(_network_json((2, 3, 2))).replace("[[", "[[NaN, ", 1), "contains NaN; a scenario holds finite numbers only"),
    (json.dumps({**_network_json((2, 3, 2)), "teacher": "me"}), "unknown key 'teacher'"),
    (json.dumps(_network_json((2, 3, 2))).replace('"sizes": [2', '"sizes": ["2"', 1), "expected an integer"),
    ('{"sizes": ' + "9" * 5000 + "}", "cannot be read"),
    (json.dumps(_network_json((2, 3, 2))).replace('"weights": {"2"', '"weights": {"' + "2" * 5000 + '"', 1), "not a layer"),
])
def test_hostile_contents_are_refused_with_a_plain_message(text, message):
    with pytest.raises(ScenarioError, match=message):
        read_scenario(parse_scenario_text(text))
