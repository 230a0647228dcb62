"""Scenarios: a prepared demonstration (network, example, selection, Δz, Δw) as a small JSON file.

A teacher sets up a situation worth showing (a saturated output neuron, a dead input, the
demon at work), saves it with a title and a description, and opens it again in class. The file
is readable: layers keyed by the book's l, floats written with ``repr`` so that reading gives back
exactly the same bits.

The format is described by a JSON Schema shipped with the package (``scenario_schema()``, the
file ``explorer/scenario.schema.json``). Reading checks a file against it, then checks what a
schema cannot say: layer keys and shapes agree with ``network.sizes``, the selection lies inside
the network, every number is finite (NaN and ±inf are refused), and the network can be evaluated
on its example. Anything wrong raises a ``ScenarioError`` naming the place and the problem.

A scenario may come from anyone (an upload in the classroom app, a page address), so reading
refuses, before parsing, a text longer than ``MAX_BYTES`` or nested deeper than ``MAX_DEPTH``,
and, before any array is made, a network with more than ``MAX_LAYERS`` layers,
``MAX_NEURONS`` neurons in a layer or ``MAX_PARAMETERS`` weights and biases. [784, 30, 10]
(23,860 parameters, about 0.5 MB of text) is well inside.

The package ships the prepared scenarios: ``prepared_scenarios()`` lists their names and
``read_scenario("saturated_output")`` reads one. This module is plain Python and numpy (no
widgets); ``explorer.widgets.dashboard.scenario`` applies a scenario to a dashboard's state.
"""

from __future__ import annotations

import copy
import functools
import json
import math
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from .core import Network
from .core.activations import BUILTIN as BUILTIN_ACTIVATIONS
from .core.costs import BUILTIN as BUILTIN_COSTS
from .core.notation import neuron_name, weight_name
from .quick_import import import_quickly

if TYPE_CHECKING:
    import jsonschema

__all__ = [
    "FORMAT",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_LAYERS",
    "MAX_NEURONS",
    "MAX_PARAMETERS",
    "NOTATION",
    "PREPARED_ORDER",
    "VERSION",
    "Scenario",
    "ScenarioError",
    "make_scenario",
    "parse_scenario_text",
    "prepared_scenarios",
    "read_scenario",
    "scenario_schema",
    "scenario_to_dict",
    "scenario_to_json",
    "write_scenario",
]

FORMAT = "backprop-explorer-scenario"
VERSION = 1
NOTATION = (
    "Layers are keyed by the book's l (1 = input ... L = output). Neuron indices j, k are "
    "0-based array indices (the book's j+1, k+1): weights[l][j][k] is w^l_(j+1)(k+1), "
    "biases[l][j] is b^l_(j+1), overrides[l][j] is the activation of neuron j of layer l. "
    "selection.name is the book's name of the selection, for people; it is not read."
)
SCHEMA_RESOURCE = ("explorer", "scenario.schema.json")
PREPARED_PACKAGE = "explorer.scenario_files"
# The prepared scenarios in the order a lesson meets them; any other shipped file comes after.
PREPARED_ORDER = (
    "healthy", "saturated_output", "dead_input", "demon_at_work", "cross_entropy_vs_quadratic",
)

#: The limits of what is read (see the module's doc): generous for a lesson, small for a server.
MAX_BYTES = 2_000_000
MAX_DEPTH = 32  # a scenario file nests 5 levels (document, network, weights, layer, row)
MAX_LAYERS = 20
MAX_NEURONS = 1_000
MAX_PARAMETERS = 200_000


class ScenarioError(ValueError):
    """A scenario file or dict that cannot be used, and why."""


# ----------------------------------------------------------------------------- the schema


@functools.lru_cache(maxsize=1)
def _schema_text() -> str:
    package, name = SCHEMA_RESOURCE
    return (resources.files(package) / name).read_text(encoding="utf-8")


def scenario_schema() -> dict:
    """The JSON Schema of a scenario file (a fresh copy: changing it changes nothing here)."""
    return json.loads(_schema_text())


def _jsonschema():
    """jsonschema, imported on first use, without its slow optional IRI checker (see
    ``explorer.quick_import``: 1.2 s of every class kernel's start)."""
    return import_quickly("jsonschema")


@functools.lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    validator = _jsonschema().Draft202012Validator
    schema = scenario_schema()
    validator.check_schema(schema)
    return validator(schema)


def _where(path) -> str:
    """A place in the document as people write it: network.weights["3"][1][0]."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part.isidentifier():
            text += f".{part}" if text else part
        else:
            text += f"[{json.dumps(part)}]"
    return text


def _json_kind(value) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return f"a {type(value).__name__}"


_EXPECTED = {
    "object": "an object", "array": "a list", "number": "a number", "integer": "an integer",
    "string": "a string", "boolean": "true or false",
}


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _schema_message(error: jsonschema.ValidationError) -> str:
    """One schema violation as a sentence that names the place, what is wrong and what is allowed."""
    where = _where(error.absolute_path)
    at = where or "the scenario"
    schema, value, kind = error.schema, error.instance, error.validator
    if "propertyNames" in error.absolute_schema_path:
        # The failing instance is the key itself; the error's path is the object holding it.
        return f"{at}: key {value!r} is not {schema.get('description', 'allowed here')}"
    if kind == "required":
        missing = next(k for k in error.validator_value if k not in value)
        return f"missing key '{where + '.' if where else ''}{missing}'"
    if kind == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        extra = sorted(set(value) - set(allowed))
        return (
            f"unknown key '{where + '.' if where else ''}{extra[0]}'; "
            f"allowed{' in ' + where if where else ''}: {', '.join(allowed)}"
        )
    if kind == "type":
        if not where:
            return f"a scenario is a JSON object, got {_json_kind(value)}"
        expected = _EXPECTED.get(error.validator_value, error.validator_value)
        return f"{where}: expected {expected}, got {_json_kind(value)} {_short(value)}"
    if kind == "const":
        noun = schema.get("title", "value")
        return f"{at}: wrong {noun}, expected {error.validator_value!r}, got {_short(value)}"
    if kind == "enum":
        noun = schema.get("title", "value")
        return (
            f"{at}: unknown {noun} {_short(value)}; allowed: "
            f"{', '.join(map(str, error.validator_value))}"
        )
    if kind == "minItems":
        noun = schema.get("title", "items")
        return f"{at}: expected at least {error.validator_value} {noun}, got {len(value)}"
    if kind == "minimum":
        return f"{at}: expected a number >= {error.validator_value}, got {_short(value)}"
    return f"{at}: {error.message}"


def _check_schema(data) -> None:
    error = _jsonschema().exceptions.best_match(_validator().iter_errors(data))
    if error is not None:
        raise ScenarioError(_schema_message(error))


# ----------------------------------------------------------------------------- the Scenario


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: everything needed to rebuild the network and the dashboard's view.

    ``weights[l]`` and ``biases[l]`` are read-only arrays (biases as columns), ``x`` and ``y``
    read-only columns, ``activations[l]`` the layer's built-in activation name, ``overrides[l]``
    {j: name} for neurons that use another one, ``selection`` {"kind", "layer", "j"[, "k"]} as
    the dashboard's state holds it.
    """

    title: str
    description: str
    sizes: tuple[int, ...]
    activations: Mapping[int, str]
    overrides: Mapping[int, Mapping[int, str]]
    cost: str
    dtype: str
    weights: Mapping[int, np.ndarray]
    biases: Mapping[int, np.ndarray]
    x: np.ndarray
    y: np.ndarray
    selection: Mapping[str, Any]
    dz: float
    dw: float

    @property
    def L(self) -> int:
        return len(self.sizes)

    def network(self) -> Network:
        """A fresh ``Network`` with this scenario's structure, weights and biases."""
        net = Network(
            list(self.sizes),
            activation=[self.activations[l] for l in range(2, self.L + 1)],
            cost=self.cost,
            seed=0,
            dtype=np.dtype(self.dtype),
        )
        for l in range(2, self.L + 1):
            net.weights[l] = self.weights[l]
            net.biases[l] = self.biases[l]
            for j, name in self.overrides[l].items():
                net.set_activation(l, j, name)
        return net


def _builtin_activation_name(act, where: str) -> str:
    if BUILTIN_ACTIVATIONS.get(act.name) is not act:
        raise ScenarioError(
            f"{where}: the activation {act.name!r} is not built in, so a scenario cannot save "
            f"it (its f and σ' are Python code); use one of: {', '.join(sorted(BUILTIN_ACTIVATIONS))}"
        )
    return act.name


def _network_dict(net: Network) -> dict:
    """The network as plain JSON data (layers keyed by the book's l as strings)."""
    cost = net.cost
    builtin_cost = BUILTIN_COSTS.get(cost.name)
    if builtin_cost is None or type(cost) is not type(builtin_cost):
        raise ScenarioError(
            f"cost: {cost!r} is not a built-in cost, so a scenario cannot save it; "
            f"use one of: {', '.join(BUILTIN_COSTS)}"
        )
    activations, overrides = {}, {}
    for l in net.layers:
        base = net.base_activation(l)
        activations[str(l)] = _builtin_activation_name(base, f"activation of layer {l}")
        layer_overrides = {}
        for j in range(net.sizes[l - 1]):
            act = net.neuron_activation(l, j)
            if act is not base:
                layer_overrides[str(j)] = _builtin_activation_name(
                    act, f"activation of neuron {neuron_name('a', l, j)}"
                )
        if layer_overrides:
            overrides[str(l)] = layer_overrides
    return {
        "sizes": list(net.sizes),
        "activations": activations,
        "overrides": overrides,
        "cost": cost.name,
        "dtype": net.dtype.name,
        "weights": {str(l): net.weights[l].tolist() for l in net.layers},
        "biases": {str(l): net.biases[l][:, 0].tolist() for l in net.layers},
    }


def _selection_dict(selection: Mapping) -> dict:
    out = {"kind": selection["kind"], "layer": int(selection["layer"]), "j": int(selection["j"])}
    if out["kind"] == "weight":
        out["k"] = int(selection["k"])
        out["name"] = weight_name(out["layer"], out["j"], out["k"])
    else:
        out["name"] = neuron_name("a", out["layer"], out["j"])
    return out


def make_scenario(
    network: Network, x, y, selection: Mapping | None = None, dz: float = 0.0, dw: float = 0.0,
    title: str = "", description: str = "",
) -> Scenario:
    """A scenario of ``network`` on the example (x, y), checked exactly as a file would be.

    ``selection`` is {"kind": "neuron" | "weight", "layer": l, "j": j[, "k": k]} (0-based j, k;
    the output neuron 0 when omitted). A user-made activation or cost cannot be saved (its code
    is not data) and raises a ScenarioError; so does anything a file could not hold.
    """
    X, Y = network.prepare_examples(x, y)
    if X.shape[1] != 1:
        raise ScenarioError(f"x: a scenario holds one example, got {X.shape[1]} columns")
    data = {
        "format": FORMAT,
        "version": VERSION,
        "title": str(title),
        "description": str(description),
        "notation": NOTATION,
        "network": _network_dict(network),
        "example": {"x": X[:, 0].tolist(), "y": Y[:, 0].tolist()},
    }
    if selection is not None:
        try:
            data["selection"] = _selection_dict(selection)
        except (KeyError, TypeError, ValueError) as error:
            raise ScenarioError(f"selection: expected kind, layer, j (and k), got {selection!r}") from error
    data["dz"] = float(dz)
    data["dw"] = float(dw)
    return read_scenario(data)


def scenario_to_dict(scenario: Scenario) -> dict:
    """The scenario as plain JSON data, keys in the order the file shows them."""
    layers = range(2, scenario.L + 1)
    return {
        "format": FORMAT,
        "version": VERSION,
        "title": scenario.title,
        "description": scenario.description,
        "notation": NOTATION,
        "network": {
            "sizes": list(scenario.sizes),
            "activations": {str(l): scenario.activations[l] for l in layers},
            "overrides": {
                str(l): {str(j): name for j, name in sorted(scenario.overrides[l].items())}
                for l in layers
                if scenario.overrides[l]
            },
            "cost": scenario.cost,
            "dtype": scenario.dtype,
            "weights": {str(l): scenario.weights[l].tolist() for l in layers},
            "biases": {str(l): scenario.biases[l][:, 0].tolist() for l in layers},
        },
        "example": {"x": scenario.x[:, 0].tolist(), "y": scenario.y[:, 0].tolist()},
        "selection": _selection_dict(scenario.selection),
        "dz": scenario.dz,
        "dw": scenario.dw,
    }


def _dumps(value, indent: int = 0) -> str:
    """JSON with one line per matrix row: readable, and floats as repr (exact round trip)."""
    pad, inner = "  " * indent, "  " * (indent + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{json.dumps(k)}: {_dumps(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list):
        if all(not isinstance(v, (dict, list)) for v in value):
            return "[" + ", ".join(json.dumps(v, allow_nan=False) for v in value) + "]"
        items = [f"{inner}{_dumps(v, indent + 1)}" for v in value]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(value, allow_nan=False, ensure_ascii=False)


def scenario_to_json(scenario: Scenario) -> str:
    """The text of the scenario's .json file."""
    return _dumps(scenario_to_dict(scenario)) + "\n"


def write_scenario(scenario: Scenario, path) -> Path:
    """Write ``scenario`` to ``path``; returns the path written.

    The text is built first and then moved into place, so a failure leaves no half file.
    """
    text = scenario_to_json(scenario)
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=".scenario-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


# ----------------------------------------------------------------------------- reading


def _refuse_constant(name: str):
    raise ScenarioError(
        f"the file contains {name}; a scenario holds finite numbers only (NaN and infinity "
        "are refused)"
    )


def _too_large(size: float, source: str) -> ScenarioError:
    return ScenarioError(
        f"{source} is {size / 1e6:.1f} MB; a scenario may be at most {MAX_BYTES / 1e6:g} MB "
        "(a network of [784, 30, 10] takes about 0.5 MB)"
    )


# A JSON string (its brackets do not nest anything).
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


_DEPTH_SLICE = 1 << 14


def _nesting_depth(text: str) -> int:
    """How deep lists and objects nest in JSON ``text``: one pass over its brackets."""
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text)).encode("ascii")
    depth = deepest = 0
    # in slices, so that a hostile text of brackets costs a slice's arrays, not ten times its size
    for start in range(0, len(brackets), _DEPTH_SLICE):
        codes = np.frombuffer(brackets, dtype=np.uint8, count=min(_DEPTH_SLICE, len(brackets) - start), offset=start)
        steps = np.where((codes == ord("[")) | (codes == ord("{")), np.int32(1), np.int32(-1))
        levels = np.cumsum(steps, dtype=np.int32)
        deepest = max(deepest, depth + int(levels.max()))
        depth += int(levels[-1])
    return deepest


def parse_scenario_text(text: str | bytes, source: str = "the scenario") -> dict:
    """JSON text to a dict, refusing NaN and ±Infinity (which Python's parser would allow).

    A text longer than ``MAX_BYTES`` or nested deeper than ``MAX_DEPTH`` is refused before it
    is parsed.
    """
    if isinstance(text, (bytes, bytearray, memoryview)):
        if memoryview(text).nbytes > MAX_BYTES:
            raise _too_large(memoryview(text).nbytes, source)
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as error:
            raise ScenarioError(f"{source} is not UTF-8 text: {error}") from None
    if not isinstance(text, str):
        raise ScenarioError(f"{source}: expected the text of a .json file, got {type(text).__name__}")
    if len(text) > MAX_BYTES:
        raise _too_large(len(text), source)
    depth = _nesting_depth(text)
    if depth > MAX_DEPTH:
        raise ScenarioError(
            f"{source} nests lists and objects more than {MAX_DEPTH} levels deep; a scenario "
            "needs 5"
        )
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise ScenarioError(
            f"{source} is not JSON: {error.msg} at line {error.lineno}, column {error.colno}"
        ) from None
    except ScenarioError:  # NaN or Infinity, refused by _refuse_constant
        raise
    except (ValueError, RecursionError):  # Python reads no integer of more than 4,300 digits
        raise ScenarioError(f"{source} cannot be read: it holds a number with thousands of digits") from None
    return data


def _check_size(network: Mapping) -> tuple[int, ...]:
    """network.sizes, refused when the network would be too large to build (before any array)."""
    sizes = tuple(int(n) for n in network["sizes"])
    if len(sizes) > MAX_LAYERS:
        raise ScenarioError(
            f"network.sizes: {len(sizes)} layers; a scenario may have at most {MAX_LAYERS}"
        )
    for l, n in enumerate(sizes, start=1):
        if n > MAX_NEURONS:
            raise ScenarioError(
                f"network.sizes: layer {l} has {n:,} neurons; a scenario may have at most "
                f"{MAX_NEURONS:,} in a layer"
            )
    parameters = sum(sizes[l] * sizes[l - 1] + sizes[l] for l in range(1, len(sizes)))
    if parameters > MAX_PARAMETERS:
        raise ScenarioError(
            f"network.sizes: {list(sizes)} has {parameters:,} weights and biases; a scenario may "
            f"have at most {MAX_PARAMETERS:,} (a network of [784, 30, 10] has 23,860)"
        )
    return sizes


def _finite(value: float, what: str) -> float:
    value = float(value)
    if not math.isfinite(value):
        raise ScenarioError(f"{what}: {value} is not a finite number")
    return value


def _shape_of(value):
    """The shape of a nested list, or a description of why it has none."""
    if not isinstance(value, list):
        return ()
    shapes = {_shape_of(v) for v in value}
    if len(shapes) > 1:
        return "a ragged list (rows of different lengths)"
    inner = shapes.pop() if shapes else ()
    if isinstance(inner, str):
        return inner
    return (len(value),) + inner


def _array(value, shape: tuple[int, ...], what: str, why: str, dtype) -> np.ndarray:
    """A nested list of numbers (the schema checked their types) as a finite read-only array."""
    got = _shape_of(value)
    if got != shape:
        raise ScenarioError(f"{what}: wrong shape, expected {shape} ({why}), got {got}")
    arr = np.array(value, dtype=np.float64)
    bad = np.argwhere(~np.isfinite(arr))
    if bad.size:
        index = "".join(f"[{i}]" for i in bad[0])
        raise ScenarioError(f"{what}{index}: {arr[tuple(bad[0])]} is not a finite number")
    with np.errstate(over="ignore"):  # an overflow is reported below, not warned about
        cast = arr.astype(dtype)
    if not np.isfinite(cast).all():
        raise ScenarioError(f"{what}: a value overflows {np.dtype(dtype).name}")
    cast.flags.writeable = False
    return cast


def _layers(mapping: Mapping, L: int, what: str, required: bool = True) -> dict[int, Any]:
    """{"2": ..., "3": ...} → {2: ..., 3: ...}; the schema checked the keys look like layers."""
    for key in mapping:
        if len(key) > 6:  # int() of a longer key would be a layer far beyond any network
            raise ScenarioError(f"{what}: key {key[:12]!r}... is not a layer of this network")
    out = {int(key): item for key, item in mapping.items()}
    for l in out:
        if not 2 <= l <= L:
            raise ScenarioError(
                f"{what}: key {str(l)!r} is not a layer of this network; its layers with "
                f"parameters are \"2\"..\"{L}\" (network.sizes has {L} layers)"
            )
    missing = [l for l in range(2, L + 1) if l not in out]
    if missing and required:
        raise ScenarioError(f"missing key '{what}[\"{missing[0]}\"]' (layer {missing[0]})")
    return out


def _selection(sel: Mapping | None, sizes) -> dict:
    L = len(sizes)
    if sel is None:
        return {"kind": "neuron", "layer": L, "j": 0}
    layer, j = int(sel["layer"]), int(sel["j"])
    if layer > L:
        raise ScenarioError(
            f"selection out of range: layer {layer}; layers with neurons to select are l = 2..{L}"
        )
    if j >= sizes[layer - 1]:
        raise ScenarioError(
            f"selection out of range: j = {j}, but layer {layer} has j = 0..{sizes[layer - 1] - 1} "
            "(0-based)"
        )
    out = {"kind": sel["kind"], "layer": layer, "j": j}
    if sel["kind"] == "weight":
        k = int(sel["k"])
        if k >= sizes[layer - 2]:
            raise ScenarioError(
                f"selection out of range: k = {k}, but layer {layer - 1} has k = "
                f"0..{sizes[layer - 2] - 1} (0-based)"
            )
        out["k"] = k
    return out


def _from_data(data) -> Scenario:
    """Check parsed JSON data against the schema, then what the schema cannot say."""
    _check_schema(data)
    network = data["network"]
    sizes = _check_size(network)
    L = len(sizes)
    dtype = network.get("dtype", "float64")
    activations = _layers(network["activations"], L, "network.activations")
    overrides = {l: {} for l in range(2, L + 1)}
    for l, per_neuron in _layers(network.get("overrides", {}), L, "network.overrides", False).items():
        for key, name in per_neuron.items():
            if len(key) > 6 or int(key) >= sizes[l - 1]:
                raise ScenarioError(
                    f"network.overrides[\"{l}\"]: neuron {key!r} is out of range; layer {l} "
                    f"has neurons j = 0..{sizes[l - 1] - 1} (0-based)"
                )
            overrides[l][int(key)] = name
    raw_w = _layers(network["weights"], L, "network.weights")
    raw_b = _layers(network["biases"], L, "network.biases")
    weights, biases = {}, {}
    for l in range(2, L + 1):
        rows, cols = sizes[l - 1], sizes[l - 2]
        weights[l] = _array(
            raw_w[l], (rows, cols), f"network.weights[\"{l}\"]",
            f"layer {l} has {rows} neurons, layer {l - 1} has {cols}", dtype,
        )
        b = _array(raw_b[l], (rows,), f"network.biases[\"{l}\"]", f"layer {l} has {rows} neurons", dtype)
        biases[l] = b.reshape(-1, 1)
    example = data["example"]
    x = _array(example["x"], (sizes[0],), "example.x", f"layer 1 has {sizes[0]} inputs", dtype)
    y = _array(example["y"], (sizes[-1],), "example.y", f"layer {L} has {sizes[-1]} outputs", dtype)
    x, y = x.reshape(-1, 1), y.reshape(-1, 1)
    if network["cost"] == "cross_entropy" and ((y < 0) | (y > 1)).any():
        raise ScenarioError("example.y: the cross-entropy cost needs targets in [0, 1]")
    for arr in (*biases.values(), x, y):
        arr.flags.writeable = False
    scenario = Scenario(
        title=data.get("title", ""),
        description=data.get("description", ""),
        sizes=sizes,
        activations=MappingProxyType(activations),
        overrides=MappingProxyType({l: MappingProxyType(o) for l, o in overrides.items()}),
        cost=network["cost"],
        dtype=dtype,
        weights=MappingProxyType(weights),
        biases=MappingProxyType(biases),
        x=x,
        y=y,
        selection=MappingProxyType(_selection(data.get("selection"), sizes)),
        dz=_finite(data.get("dz", 0.0), "dz"),
        dw=_finite(data.get("dw", 0.0), "dw"),
    )
    # The numbers must go through a forward and backward pass (no overflow to inf).
    try:
        with np.errstate(all="ignore"):
            trace = scenario.network().trace(x, y)
        if not math.isfinite(trace.cost):
            raise ValueError("the cost is not a finite number")
    except (ValueError, FloatingPointError) as error:
        raise ScenarioError(
            f"the scenario's network cannot be evaluated on its example: {error}"
        ) from None
    return scenario


def _prepared_files():
    try:
        return resources.files(PREPARED_PACKAGE)
    except ModuleNotFoundError:
        raise ScenarioError(
            f"the prepared scenarios are read from the package {PREPARED_PACKAGE}, which is not "
            "installed: install the package (pip install backprop-explorer, or pip install -e . "
            "in a checkout, as make does) rather than putting the checkout on sys.path"
        ) from None


def prepared_scenarios() -> list[str]:
    """The names of the scenarios shipped with the package, in teaching order (then the rest)."""
    found = {
        item.name[: -len(".json")]
        for item in _prepared_files().iterdir()
        if item.name.endswith(".json") and item.is_file()
    }
    return [n for n in PREPARED_ORDER if n in found] + sorted(found - set(PREPARED_ORDER))


def _is_prepared_name(source) -> bool:
    return isinstance(source, str) and not source.endswith(".json") and os.sep not in source and "/" not in source


def read_scenario(source) -> Scenario:
    """Read and check a scenario: a prepared one's name, a .json file's path, or its parsed dict.

    A ``str`` without a ``.json`` ending or a folder (``"saturated_output"``) names a scenario
    shipped with the package (``prepared_scenarios()``); any other str or path is a file. A
    ``Scenario`` is returned as it is. Raises ``ScenarioError`` saying what is wrong and where.
    """
    if isinstance(source, Scenario):
        return source
    if isinstance(source, Mapping):
        # A dict may hold float('nan') where a file could not: refused after the schema.
        return _from_data(copy.deepcopy(dict(source)))
    if _is_prepared_name(source):
        names = prepared_scenarios()
        if source not in names:
            raise ScenarioError(
                f"no prepared scenario called {source!r}; prepared: {', '.join(names)} "
                "(a file's name ends in .json)"
            )
        raw = (_prepared_files() / f"{source}.json").read_bytes()
        return _from_data(parse_scenario_text(raw, f"the prepared scenario {source!r}"))
    if not isinstance(source, (str, os.PathLike)):
        raise ScenarioError(
            f"read_scenario: expected a prepared scenario's name, a path or a dict, "
            f"got {type(source).__name__}"
        )
    path = Path(source)
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_BYTES + 1)  # never more than the limit in memory
    except OSError as error:
        raise ScenarioError(f"cannot read {path}: {error.strerror or error}") from None
    if len(raw) > MAX_BYTES:
        raise _too_large(path.stat().st_size, str(path))
    return _from_data(parse_scenario_text(raw, str(path)))
