"""Scenarios: a prepared demonstration (network, example, selection, Δz, Δw) saved as JSON.

A teacher sets up a situation worth showing (a saturated output neuron, a dead input, the
demon at work), saves it with a title and a description, and opens it again in class. The
file is small and readable: layers keyed by the book's l, floats written with ``repr`` so
that reading gives back exactly the same bits. Reading validates everything first and
changes nothing when anything is wrong.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from pathlib import Path
from types import MappingProxyType
from typing import Any

import ipywidgets as widgets
import numpy as np

from ..core import Network
from ..core.activations import BUILTIN as BUILTIN_ACTIVATIONS
from ..core.costs import BUILTIN as BUILTIN_COSTS
from ..core.notation import neuron_name, weight_name
from .panel import Panel
from .state import ExplorerState

FORMAT = "backprop-explorer-scenario"
VERSION = 1
NOTATION = (
    "Layers are keyed by the book's l (1 = input ... L = output). Neuron indices j, k are "
    "0-based array indices (the book's j+1, k+1): weights[l][j][k] is w^l_(j+1)(k+1), "
    "biases[l][j] is b^l_(j+1), overrides[l][j] is the activation of neuron j of layer l. "
    "selection.name is the book's name of the selection, for people; it is not read."
)
_TOP_KEYS = {
    "format", "version", "title", "description", "notation", "network", "example",
    "selection", "dz", "dw",
}
_NETWORK_KEYS = {"sizes", "activations", "overrides", "cost", "dtype", "weights", "biases"}


class ScenarioError(ValueError):
    """A scenario file or dict that cannot be used, and why."""


# ----------------------------------------------------------------------------- writing


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
        act = net.activation(l)
        base = getattr(act, "base", act)
        activations[str(l)] = _builtin_activation_name(base, f"activation of layer {l}")
        layer_overrides = getattr(act, "overrides", {})
        if layer_overrides:
            overrides[str(l)] = {
                str(j): _builtin_activation_name(a, f"activation of neuron {neuron_name('a', l, j)}")
                for j, a in sorted(layer_overrides.items())
            }
    return {
        "sizes": list(net.sizes),
        "activations": activations,
        "overrides": overrides,
        "cost": cost.name,
        "dtype": net.dtype.name,
        "weights": {str(l): net.weights[l].tolist() for l in net.layers},
        "biases": {str(l): net.biases[l][:, 0].tolist() for l in net.layers},
    }


def scenario_dict(state: ExplorerState, title: str = "", description: str = "") -> dict:
    """The state as a scenario: plain JSON data, nothing in the state changes."""
    sel = dict(state.selection)
    selection = {"kind": sel["kind"], "layer": int(sel["layer"]), "j": int(sel["j"])}
    if sel["kind"] == "weight":
        selection["k"] = int(sel["k"])
        selection["name"] = weight_name(sel["layer"], sel["j"], sel["k"])
    else:
        selection["name"] = neuron_name("a", sel["layer"], sel["j"])
    return {
        "format": FORMAT,
        "version": VERSION,
        "title": str(title),
        "description": str(description),
        "notation": NOTATION,
        "network": _network_dict(state.network),
        "example": {"x": state.x[:, 0].tolist(), "y": state.y[:, 0].tolist()},
        "selection": selection,
        "dz": float(state.dz),
        "dw": float(state.dw),
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


def scenario_json(state: ExplorerState, title: str = "", description: str = "") -> str:
    """The scenario as the text of a .json file."""
    return _dumps(scenario_dict(state, title, description)) + "\n"


def save_scenario(
    state: ExplorerState, path, title: str = "", description: str = ""
) -> Path:
    """Write the state to ``path`` as a scenario; returns the path written.

    The text is built first and then moved into place, so a failure leaves no half file.
    """
    text = scenario_json(state, title, description)
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=".scenario-", suffix=".json", dir=path.parent or ".")
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


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: everything needed to rebuild the network and the state's view.

    ``weights[l]`` and ``biases[l]`` are read-only arrays (biases as columns), ``x`` and
    ``y`` columns, ``activations[l]`` the layer's built-in activation name, ``overrides[l]``
    {j: name}, ``selection`` as the state holds it.
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


def _refuse_constant(name: str):
    raise ScenarioError(
        f"the file contains {name}; a scenario holds finite numbers only (NaN and infinity "
        "are refused)"
    )


def parse_scenario_text(text: str | bytes, source: str = "the scenario") -> dict:
    """JSON text to a dict, refusing NaN and ±Infinity (which Python's parser would allow)."""
    if isinstance(text, (bytes, bytearray, memoryview)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as error:
            raise ScenarioError(f"{source} is not UTF-8 text: {error}") from None
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise ScenarioError(
            f"{source} is not JSON: {error.msg} at line {error.lineno}, column {error.colno}"
        ) from None
    return data


def _require(mapping: Mapping, key: str, where: str):
    if key not in mapping:
        raise ScenarioError(f"missing key '{where}{key}'")
    return mapping[key]


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _finite(value, what: str) -> float:
    if not _is_number(value):
        raise ScenarioError(f"{what}: expected a number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ScenarioError(f"{what}: {value} is not a finite number")
    return value


def _int(value, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ScenarioError(f"{what}: expected an integer, got {type(value).__name__} {value!r}")
    return value


def _array(value, shape: tuple[int, ...], what: str, dtype) -> np.ndarray:
    """A nested list of numbers as an array of exactly ``shape``, finite, read-only."""

    def check(v, depth, index):
        if depth == len(shape):
            if not _is_number(v):
                raise ScenarioError(
                    f"{what}{index}: expected a number, got {type(v).__name__} {v!r}"
                )
            if not math.isfinite(float(v)):
                raise ScenarioError(f"{what}{index}: {v} is not a finite number")
            return
        if not isinstance(v, list):
            raise ScenarioError(
                f"{what}: wrong shape, expected {shape}, got a {type(v).__name__} at {what}{index}"
            )
        for i, item in enumerate(v):
            check(item, depth + 1, f"{index}[{i}]")

    got = _shape_of(value)
    if got != shape:
        raise ScenarioError(f"{what}: wrong shape, expected {shape}, got {got}")
    check(value, 0, "")
    arr = np.array(value, dtype=np.float64)
    cast = arr.astype(dtype)
    if not np.isfinite(cast).all():
        raise ScenarioError(f"{what}: a value overflows {np.dtype(dtype).name}")
    cast.flags.writeable = False
    return cast


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


def _layer_map(value, L: int, what: str, allow_missing: bool = False) -> dict[int, Any]:
    """{"2": ..., "3": ...} → {2: ..., 3: ...}, checking the keys are the layers 2..L."""
    if not isinstance(value, dict):
        raise ScenarioError(f"{what}: expected an object keyed by layer, got {type(value).__name__}")
    out = {}
    for key, item in value.items():
        try:
            l = int(key)
        except ValueError:
            l = None
        if l is None or str(l) != key or not 2 <= l <= L:
            raise ScenarioError(
                f"{what}: key {key!r} is not a layer; layers are keyed by the book's l as "
                f"strings, \"2\"..\"{L}\""
            )
        out[l] = item
    missing = [l for l in range(2, L + 1) if l not in out]
    if missing and not allow_missing:
        raise ScenarioError(f"missing key '{what}.{missing[0]}' (layer {missing[0]})")
    return out


def _validate(data: dict) -> Scenario:
    if not isinstance(data, dict):
        raise ScenarioError(f"a scenario is a JSON object, got {type(data).__name__}")
    fmt = data.get("format")
    if fmt != FORMAT:
        raise ScenarioError(
            f"wrong format marker: expected \"format\": {FORMAT!r}, got {fmt!r}"
            if "format" in data else f"missing key 'format' (expected {FORMAT!r})"
        )
    version = _require(data, "version", "")
    if version != VERSION or isinstance(version, bool):
        raise ScenarioError(f"unsupported version {version!r}; this program reads version {VERSION}")
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise ScenarioError(f"unknown key {unknown[0]!r}; allowed: {', '.join(sorted(_TOP_KEYS))}")
    title = data.get("title", "")
    description = data.get("description", "")
    for name, value in (("title", title), ("description", description)):
        if not isinstance(value, str):
            raise ScenarioError(f"{name}: expected a string, got {type(value).__name__}")

    network = _require(data, "network", "")
    if not isinstance(network, dict):
        raise ScenarioError(f"network: expected an object, got {type(network).__name__}")
    unknown = sorted(set(network) - _NETWORK_KEYS)
    if unknown:
        raise ScenarioError(
            f"unknown key network[{unknown[0]!r}]; allowed: {', '.join(sorted(_NETWORK_KEYS))}"
        )
    sizes = _require(network, "sizes", "network.")
    if (
        not isinstance(sizes, list)
        or len(sizes) < 2
        or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in sizes)
    ):
        raise ScenarioError(
            f"network.sizes: expected a list of at least two positive integers, got {sizes!r}"
        )
    sizes = tuple(sizes)
    L = len(sizes)
    dtype = network.get("dtype", "float64")
    if dtype not in ("float64", "float32"):
        raise ScenarioError(f"network.dtype: expected 'float64' or 'float32', got {dtype!r}")

    activations = _layer_map(_require(network, "activations", "network."), L, "network.activations")
    for l, name in activations.items():
        if name not in BUILTIN_ACTIVATIONS:
            raise ScenarioError(
                f"network.activations[{str(l)!r}]: unknown activation {name!r}; "
                f"allowed: {', '.join(sorted(BUILTIN_ACTIVATIONS))}"
            )
    overrides = {l: {} for l in range(2, L + 1)}
    raw_overrides = _layer_map(network.get("overrides", {}), L, "network.overrides", allow_missing=True)
    for l, per_neuron in raw_overrides.items():
        if not isinstance(per_neuron, dict):
            raise ScenarioError(f"network.overrides[{str(l)!r}]: expected an object {{j: name}}")
        for key, name in per_neuron.items():
            if not key.isdigit() or int(key) >= sizes[l - 1]:
                raise ScenarioError(
                    f"network.overrides[{str(l)!r}]: neuron {key!r} is out of range; layer {l} "
                    f"has neurons j = 0..{sizes[l - 1] - 1} (0-based)"
                )
            if name not in BUILTIN_ACTIVATIONS:
                raise ScenarioError(
                    f"network.overrides[{str(l)!r}][{key!r}]: unknown activation {name!r}; "
                    f"allowed: {', '.join(sorted(BUILTIN_ACTIVATIONS))}"
                )
            overrides[l][int(key)] = name

    cost = _require(network, "cost", "network.")
    if cost not in BUILTIN_COSTS:
        raise ScenarioError(f"network.cost: unknown cost {cost!r}; allowed: {', '.join(BUILTIN_COSTS)}")

    raw_w = _layer_map(_require(network, "weights", "network."), L, "network.weights")
    raw_b = _layer_map(_require(network, "biases", "network."), L, "network.biases")
    weights, biases = {}, {}
    for l in range(2, L + 1):
        shape = (sizes[l - 1], sizes[l - 2])
        weights[l] = _array(raw_w[l], shape, f"weights[{l}]", dtype)
        b = _array(raw_b[l], (sizes[l - 1],), f"biases[{l}]", dtype).reshape(-1, 1)
        b.flags.writeable = False
        biases[l] = b

    example = _require(data, "example", "")
    if not isinstance(example, dict):
        raise ScenarioError(f"example: expected an object with x and y, got {type(example).__name__}")
    x = _array(_require(example, "x", "example."), (sizes[0],), "example.x", dtype).reshape(-1, 1)
    y = _array(_require(example, "y", "example."), (sizes[-1],), "example.y", dtype).reshape(-1, 1)
    if cost == "cross_entropy" and ((y < 0) | (y > 1)).any():
        raise ScenarioError("example.y: the cross-entropy cost needs targets in [0, 1]")
    x.flags.writeable = y.flags.writeable = False

    selection = _validate_selection(data.get("selection"), sizes)
    dz = _finite(data.get("dz", 0.0), "dz")
    dw = _finite(data.get("dw", 0.0), "dw")
    scenario = Scenario(
        title=title,
        description=description,
        sizes=sizes,
        activations=MappingProxyType(activations),
        overrides=MappingProxyType({l: MappingProxyType(o) for l, o in overrides.items()}),
        cost=cost,
        dtype=dtype,
        weights=MappingProxyType(weights),
        biases=MappingProxyType(biases),
        x=x,
        y=y,
        selection=MappingProxyType(selection),
        dz=dz,
        dw=dw,
    )
    # The numbers must go through a forward and backward pass (no overflow to inf).
    try:
        with np.errstate(all="ignore"):
            net = scenario.network()
            trace = net.trace(x, y)
        if not math.isfinite(trace.cost):
            raise ValueError("the cost is not a finite number")
    except (ValueError, FloatingPointError) as error:
        raise ScenarioError(
            f"the scenario's network cannot be evaluated on its example: {error}"
        ) from None
    return scenario


def _validate_selection(sel, sizes) -> dict:
    L = len(sizes)
    if sel is None:
        return {"kind": "neuron", "layer": L, "j": 0}
    if not isinstance(sel, dict):
        raise ScenarioError(f"selection: expected an object, got {type(sel).__name__}")
    kind = _require(sel, "kind", "selection.")
    if kind not in ("neuron", "weight"):
        raise ScenarioError(f"selection.kind: expected 'neuron' or 'weight', got {kind!r}")
    layer = _int(_require(sel, "layer", "selection."), "selection.layer")
    if not 2 <= layer <= L:
        raise ScenarioError(
            f"selection out of range: layer {layer}; layers with neurons to select are l = 2..{L}"
        )
    j = _int(_require(sel, "j", "selection."), "selection.j")
    if not 0 <= j < sizes[layer - 1]:
        raise ScenarioError(
            f"selection out of range: j = {j}, but layer {layer} has j = 0..{sizes[layer - 1] - 1} "
            "(0-based)"
        )
    out = {"kind": kind, "layer": layer, "j": j}
    if kind == "weight":
        k = _int(_require(sel, "k", "selection."), "selection.k")
        if not 0 <= k < sizes[layer - 2]:
            raise ScenarioError(
                f"selection out of range: k = {k}, but layer {layer - 1} has k = "
                f"0..{sizes[layer - 2] - 1} (0-based)"
            )
        out["k"] = k
    return out


def read_scenario(path_or_dict) -> Scenario:
    """Read and validate a scenario from a .json file's path, or from its parsed dict."""
    if isinstance(path_or_dict, Scenario):
        return path_or_dict
    if isinstance(path_or_dict, Mapping):
        data = dict(path_or_dict)
        # A dict may carry float('nan') where a file could not: checked in _validate.
        return _validate(data)
    path = Path(path_or_dict)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ScenarioError(f"cannot read {path}: {error.strerror or error}") from None
    return _validate(parse_scenario_text(raw, str(path)))


def load_scenario(state: ExplorerState, path_or_dict) -> Scenario:
    """Apply a scenario to the state in one revision; a bad scenario changes nothing."""
    scenario = read_scenario(path_or_dict)
    net = scenario.network()
    with state.hold():
        state.set_network(net, scenario.x, scenario.y)
        state.selection = dict(scenario.selection)
        state.dz = scenario.dz
        state.dw = scenario.dw
    return scenario


# ----------------------------------------------------------------------------- the panel


def _status(colour: str, text: str) -> str:
    return f"<span style='color:{colour};font-size:14px'>{escape(text)}</span>"


class ScenarioPanel(Panel):
    """Save the state as a scenario file, or load one (upload, or a file of ``directory``).

    Widgets: ``title``, ``description``, ``filename`` (Text), ``save_button``, ``upload``
    (FileUpload accepting .json), and when ``directory`` is given ``choice`` (Dropdown of its
    .json files) with ``open_button``; ``status`` (HTML) says what happened, green or red.
    ``last_scenario`` is the last one loaded. Relative filenames are taken in ``directory``
    (or the working directory).
    """

    GREEN, RED = "#1a7f37", "#c62828"

    def __init__(self, state: ExplorerState, directory=None):
        super().__init__(state)
        self.directory = Path(directory) if directory is not None else None
        self.last_scenario: Scenario | None = None
        self.title = widgets.Text(description="title", placeholder="what this scenario shows")
        self.description = widgets.Textarea(
            description="description", placeholder="what to look at, what to try",
            layout=widgets.Layout(width="520px", height="70px"),
        )
        self.filename = widgets.Text(description="file", value="scenario.json")
        self.save_button = widgets.Button(description="Save", icon="save", button_style="primary")
        self.upload = widgets.FileUpload(accept=".json", multiple=False, description="Load…")
        self.status = widgets.HTML()
        self.save_button.on_click(self._on_save)
        self.upload.observe(self._on_upload, names="value")
        rows = [
            self.title,
            self.description,
            widgets.HBox([self.filename, self.save_button, self.upload]),
        ]
        if self.directory is not None:
            self.choice = widgets.Dropdown(description="scenario", options=self._listing())
            self.open_button = widgets.Button(description="Open", icon="folder-open")
            self.open_button.on_click(self._on_open)
            rows.append(widgets.HBox([self.choice, self.open_button]))
        rows.append(self.status)
        self.widget = widgets.VBox(rows)

    def refresh(self) -> None:
        """Nothing here follows the trace: saving reads the state when asked."""

    def _listing(self) -> list[str]:
        return sorted(p.name for p in self.directory.glob("*.json")) if self.directory else []

    def _path(self, name: str) -> Path:
        path = Path(name)
        if path.suffix != ".json":
            path = path.with_name(path.name + ".json")
        if not path.is_absolute() and self.directory is not None:
            path = self.directory / path
        return path

    def _on_save(self, button=None) -> None:
        name = self.filename.value.strip()
        if not name:
            self.status.value = _status(self.RED, "give a file name first")
            return
        path = self._path(name)
        try:
            written = save_scenario(self.state, path, self.title.value, self.description.value)
        except (ScenarioError, OSError) as error:
            self.status.value = _status(self.RED, f"not saved: {error}")
            return
        self.status.value = _status(self.GREEN, f"saved to {written.resolve()}")
        if self.directory is not None:
            self.choice.options = self._listing()

    def _apply(self, source, label: str) -> None:
        try:
            scenario = load_scenario(self.state, source)
        except ScenarioError as error:
            self.status.value = _status(self.RED, f"{label}: not loaded, {error}")
            return
        self.last_scenario = scenario
        self.title.value = scenario.title
        self.description.value = scenario.description
        heading = f" — {scenario.title}" if scenario.title else ""
        self.status.value = _status(self.GREEN, f"loaded {label}{heading}")

    def _on_upload(self, change) -> None:
        files = change["new"]
        if not files:
            return
        item = files[0]
        name = item.get("name", "upload") if isinstance(item, Mapping) else "upload"
        try:
            data = parse_scenario_text(item["content"], name)
        except ScenarioError as error:
            self.status.value = _status(self.RED, f"{name}: not loaded, {error}")
        else:
            self._apply(data, name)
        # Empty the upload so that the same file can be chosen again.
        self.upload.value = ()

    def _on_open(self, button=None) -> None:
        if not self.choice.value:
            self.status.value = _status(self.RED, f"no .json files in {self.directory}")
            return
        self._apply(self.directory / self.choice.value, self.choice.value)
