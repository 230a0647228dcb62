"""The network diagram: every neuron and weight of a small net, drawn in the browser as SVG.

Python turns the state's Trace into a small JSON (values, colours, widths and the tooltip text
in the book's notation); the ES module ``diagram.js`` only draws it, answers hover by itself,
and sends a click back as the synced ``selection``. Colours are computed here so that tests
can check them and so that the browser never has to know what the numbers mean.

``NetworkDiagram.set_marks`` rings neurons (a dashed ring for a bias) and outlines weights in
red, each with a tooltip line "yours: …   expected: …": the exercises show with it where a
student's own BP1–BP4 differ from the core's.
"""

from __future__ import annotations

from importlib.resources import files

import anywidget
import numpy as np
import traitlets

from ...core.notation import neuron_name, weight_name
from ..panel import Panel
from ..state import ExplorerState

#: What neuron colour can show, and what edge colour and width can show.
COLOR_BY = ("a", "z", "sigma_prime", "delta")
EDGE_BY = ("w", "nabla_w")

#: An input layer of this many neurons is a 28×28 MNIST image and is drawn as one.
IMAGE_SIDE = 28
IMAGE_SIZE = IMAGE_SIDE * IMAGE_SIDE
#: Input layers with more neurons than this (and not an image) are drawn as one column bar.
MAX_DRAWN_INPUTS = 16

#: Ends and middle of the scales: blue for negative, white (grey for edges) at 0, red for positive.
BLUE_END = "#2166ac"
RED_END = "#b2182b"
NODE_ZERO = "#ffffff"
EDGE_ZERO = "#d4d4d4"
NODE_DIVERGING = (BLUE_END, "#4393c3", "#b7d6ea", NODE_ZERO, "#f8c6ae", "#d6604d", RED_END)
EDGE_DIVERGING = (BLUE_END, "#4393c3", "#a9c6dc", EDGE_ZERO, "#e3b2a2", "#d6604d", RED_END)
#: Sequential scale (white → deep purple) for quantities that are never negative (a, σ').
SEQUENTIAL = ("#ffffff", "#dadaeb", "#9e9ac8", "#6a51a3", "#3f007d")
#: Fill of a neuron that has no value for the chosen quantity (an input neuron has no z or δ).
NO_VALUE = "#ececec"

#: What a mark can point at: a neuron's value (δ^l_j, say), its bias's gradient, or a weight's.
MARK_KINDS = ("neuron", "weight", "bias")

MIN_EDGE_WIDTH = 1.0
MAX_EDGE_WIDTH = 7.0

_NODE_TITLES = {"a": "a^l_j", "z": "z^l_j", "sigma_prime": "σ'(z^l_j)", "delta": "δ^l_j"}
_EDGE_TITLES = {"w": "w^l_jk", "nabla_w": "∂C/∂w^l_jk"}


# ---------------------------------------------------------------------------- colour scales
def _ramp(stops):
    rgb = np.array([[int(s[i : i + 2], 16) for i in (1, 3, 5)] for s in stops], dtype=float)
    return np.linspace(0.0, 1.0, len(stops)), rgb


_RAMPS = {
    "node": _ramp(NODE_DIVERGING),
    "edge": _ramp(EDGE_DIVERGING),
    "sequential": _ramp(SEQUENTIAL),
}


def _rgb(t, ramp: str) -> np.ndarray:
    """Rows of 0–255 (r, g, b) for positions t ∈ [0, 1] along a ramp."""
    pos, rgb = _RAMPS[ramp]
    t = np.clip(np.asarray(t, dtype=float), 0.0, 1.0)
    return np.rint(np.stack([np.interp(t, pos, rgb[:, c]) for c in range(3)], axis=-1)).astype(int)


def _hex(rows: np.ndarray) -> list[str]:
    return ["#%02x%02x%02x" % (r, g, b) for r, g, b in rows.tolist()]


def scale_colors(values, vmax: float, signed: bool, ramp: str = "node") -> tuple[list[str], list[str]]:
    """(fill colours, text colours) for values on a scale symmetric about 0 (signed) or from 0.

    A signed scale runs blue (−vmax) → white/grey (0) → red (+vmax); an unsigned one white (0)
    → purple (vmax). The text colour is white on dark fills, black on light ones.
    """
    values = np.asarray(values, dtype=float)
    ratio = values / vmax if vmax > 0 else np.zeros_like(values)
    if signed:
        rows = _rgb((ratio + 1.0) / 2.0, ramp)
    else:
        rows = _rgb(ratio, "sequential")
    dark = rows @ np.array([0.299, 0.587, 0.114]) < 140
    return _hex(rows), ["#ffffff" if d else "#111111" for d in dark.tolist()]


def _stops(signed: bool, ramp: str) -> list[str]:
    if signed:
        return list(NODE_DIVERGING if ramp == "node" else EDGE_DIVERGING)
    return list(SEQUENTIAL)


# ---------------------------------------------------------------------------- numbers
def _g(v: float) -> str:
    """4 significant digits with a true minus sign, as shown to people."""
    return f"{v:.4g}".replace("-", "−")


def _r(v: float) -> float:
    """A float rounded to 4 significant digits, to keep the JSON small."""
    return float(f"{v:.4g}")


def _short(v: float) -> str:
    """The value written inside a circle, at most 5 characters: 0.73, −0.05, 6e−4."""
    if abs(v) >= 0.01 or v == 0:
        text = f"{v:.2f}" if abs(v) < 100 else f"{v:.0f}"
    else:
        mantissa, exponent = f"{v:.0e}".split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text.replace("-", "−")


def _signed_end(v: float) -> str:
    return "0" if v == 0 else ("+" if v > 0 else "") + _g(v)


# ---------------------------------------------------------------------------- the anywidget
class DiagramView(anywidget.AnyWidget):
    """The browser side: draws ``data`` as SVG, shows tooltips, sends clicks as ``selection``."""

    # Package files, read through importlib.resources so an installed wheel finds them too.
    _esm = files("explorer.widgets.drawing").joinpath("diagram.js").read_text(encoding="utf-8")
    _css = files("explorer.widgets.drawing").joinpath("diagram.css").read_text(encoding="utf-8")

    data = traitlets.Dict().tag(sync=True)
    image = traitlets.Dict().tag(sync=True)
    color_by = traitlets.Enum(COLOR_BY, default_value="a").tag(sync=True)
    edge_by = traitlets.Enum(EDGE_BY, default_value="w").tag(sync=True)
    selection = traitlets.Dict().tag(sync=True)
    marks = traitlets.List().tag(sync=True)
    #: The line shown above the marks ("" says how many values differ, for the exercises).
    marks_caption = traitlets.Unicode("").tag(sync=True)


def _shown(v) -> str:
    """A student's value as shown next to the expected one: 4 digits, or what went wrong."""
    if v is None:
        return "—"
    v = float(v)
    if np.isnan(v):
        return "NaN"
    if np.isinf(v):
        return "∞" if v > 0 else "−∞"
    return _g(v)


def _index(value, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"marks: {name} must be an int, got {value!r}")
    return int(value)


class NetworkDiagram(Panel):
    """Every neuron and weight of the state's network, coloured by a, z, σ'(z) or δ and w or ∂C/∂w.

    ``widget`` (= ``view``) is the anywidget to display; it carries its own toolbar (colour
    choices and "Save SVG"). ``view.data`` is the JSON it draws, rebuilt by ``refresh`` only
    when something it shows changed. Clicking a neuron or weight selects it in the state.
    ``set_marks`` marks neurons, biases and weights in red (``view.marks``, its own trait, so
    marking never rebuilds the picture).
    """

    def __init__(self, state: ExplorerState, color_by: str = "a", edge_by: str = "w"):
        super().__init__(state)
        self.view = DiagramView(color_by=color_by, edge_by=edge_by, selection=dict(state.selection))
        self.widget = self.view
        self._key = None
        self._image_key = None
        self.builds = 0  # how many times the JSON was rebuilt (tests check the cache with it)
        self.view.observe(self._on_choice, names=["color_by", "edge_by"])
        self.view.observe(self._on_click, names="selection")
        self.refresh()

    # ------------------------------------------------------------ marks
    @property
    def marks(self) -> list[dict]:
        """The marks shown, as ``set_marks`` made them (copies)."""
        return [dict(m) for m in self.view.marks]

    def set_marks(self, marks, caption: str = "") -> None:
        """Mark neurons, biases or weights: an iterable of dicts, one per mark.

        ``caption`` is the line shown above the drawing while there are marks; by default it
        counts the values that differ (the exercises' use). A panel that marks something else
        (a path, say) says what its marks show.

        Each has ``kind`` ("neuron", "bias" or "weight"), the book's ``layer`` l, the 0-based
        ``j`` (and ``k`` for a weight), and optionally ``label`` (the book's name shown, e.g.
        "δ^2_1"; by default w^l_jk for a weight, b^l_j for a bias, neuron j of layer l else),
        ``expected`` and ``got``: the values put side by side in the tooltip. ``got`` may be
        NaN or ±∞ (a student's result can be); ``expected`` must be a finite number.
        """
        if isinstance(marks, (str, bytes, dict)):
            raise ValueError(f"marks: expected a list of dicts, got {type(marks).__name__}")
        try:
            items = list(marks)
        except TypeError:
            raise ValueError(f"marks: expected a list of dicts, got {type(marks).__name__}") from None
        net = self.state.network
        built = []
        for n, m in enumerate(items):
            if not isinstance(m, dict):
                raise ValueError(f"marks[{n}]: expected a dict, got {type(m).__name__}")
            kind = m.get("kind")
            if kind not in MARK_KINDS:
                raise ValueError(f"marks[{n}]: kind must be one of {MARK_KINDS}, got {kind!r}")
            for key in ("layer", "j") + (("k",) if kind == "weight" else ()):
                if key not in m:
                    raise KeyError(f"marks[{n}]: a {kind} mark needs {key!r}")
            l = _index(m["layer"], f"marks[{n}]['layer']")
            first = 1 if kind == "neuron" else 2
            if not first <= l <= net.L:
                raise IndexError(f"marks[{n}]: a {kind} mark's layer must be {first}..{net.L}, got {l}")
            j = _index(m["j"], f"marks[{n}]['j']")
            if not 0 <= j < net.sizes[l - 1]:
                raise IndexError(f"marks[{n}]: j must be 0..{net.sizes[l - 1] - 1} in layer {l}, got {j}")
            mark = {"kind": kind, "l": l, "j": j}
            if kind == "weight":
                k = _index(m["k"], f"marks[{n}]['k']")
                if not 0 <= k < net.sizes[l - 2]:
                    raise IndexError(f"marks[{n}]: k must be 0..{net.sizes[l - 2] - 1} for layer {l}, got {k}")
                mark["k"] = k
                default = weight_name(l, j, k)
            elif kind == "bias":
                default = neuron_name("b", l, j)
            else:
                default = f"neuron {j + 1} of layer {l}"
            label = m.get("label") or default
            if not isinstance(label, str):
                raise ValueError(f"marks[{n}]: label must be a string, got {label!r}")
            tip = label
            expected, got = m.get("expected"), m.get("got")
            if expected is not None:
                try:
                    expected = float(expected)
                except (TypeError, ValueError):
                    raise ValueError(f"marks[{n}]: expected must be a number, got {expected!r}") from None
                if not np.isfinite(expected):
                    raise ValueError(f"marks[{n}]: expected must be finite, got {expected}")
            if got is not None:
                try:
                    got = float(got)
                except (TypeError, ValueError):
                    raise ValueError(f"marks[{n}]: got must be a number, got {got!r}") from None
            if expected is not None or got is not None:
                tip = f"{label} — yours: {_shown(got)}   expected: {_shown(expected)}"
            mark.update(label=label, tip=tip,
                        expected=None if expected is None else _r(expected),
                        got=None if got is None or not np.isfinite(got) else _r(got))
            built.append(mark)
        with self.view.hold_sync():
            self.view.marks_caption = str(caption)
            self.view.marks = built

    def clear_marks(self) -> None:
        """Remove every mark."""
        self.view.marks = []

    # ------------------------------------------------------------ browser → state
    def _on_choice(self, change) -> None:
        self.refresh()

    def _on_click(self, change) -> None:
        sel = change["new"]
        if sel == self.state.selection:
            return
        try:
            if sel.get("kind") == "neuron":
                self.state.select_neuron(int(sel["layer"]), int(sel["j"]))
            elif sel.get("kind") == "weight":
                self.state.select_weight(int(sel["layer"]), int(sel["j"]), int(sel["k"]))
            else:
                raise ValueError(sel)
        except (ValueError, IndexError, KeyError, TypeError, traitlets.TraitError):
            # An input neuron, or a stale click after the network changed: keep the state's.
            self.view.selection = dict(self.state.selection)
        else:
            self.refresh()  # no-op when the state's revision already refreshed us

    # ------------------------------------------------------------ state → browser
    def _content_key(self):
        # Everything the picture shows comes from the trace (a new one, with a new
        # trace_revision, whenever parameters, example, activations or cost change) and from
        # the view's own choices; a Δz changes none of it.
        st = self.state
        return (
            tuple(st.network.sizes),
            st.diverged,
            tuple(sorted(st.selection.items())),
            self.view.color_by,
            self.view.edge_by,
            st.trace_revision,
        )

    def refresh(self) -> None:
        """Rebuild the JSON if anything it shows changed, and send it in one message."""
        key = self._content_key()
        if key == self._key:
            return
        self._key = key
        data = self.build_data()
        self.builds += 1
        image = self._image()
        with self.view.hold_sync():
            if image is not None:
                self.view.image = image
            self.view.data = data
            if self.view.selection != self.state.selection:
                self.view.selection = dict(self.state.selection)

    def _image(self):
        """The 28×28 input as 0–255 ints, only when the input changed (None otherwise)."""
        net, trace = self.state.network, self.state.trace
        if net.sizes[0] != IMAGE_SIZE or trace is None:
            return None
        x = np.asarray(trace.a[1][:, 0])
        if self._image_key is not None and np.array_equal(self._image_key, x):
            return None
        self._image_key = x.copy()
        pixels = np.clip(np.rint(255.0 * x), 0, 255).astype(int)
        return {"width": IMAGE_SIDE, "height": IMAGE_SIDE, "pixels": pixels.tolist()}

    # ------------------------------------------------------------ the JSON
    def build_data(self) -> dict:
        """The JSON the browser draws: layers, nodes, edges, colours, labels, legend, cost."""
        st, net, trace = self.state, self.state.network, self.state.trace
        sizes, L = net.sizes, net.L
        color_by, edge_by = self.view.color_by, self.view.edge_by
        sel = st.selection
        input_kind = "neurons"
        if sizes[0] == IMAGE_SIZE:
            input_kind = "image"
        elif sizes[0] > MAX_DRAWN_INPUTS:
            input_kind = "bar"
        if trace is not None and tuple(trace.sizes) != tuple(sizes):
            trace = None  # a new network that diverged at once: nothing computed for it yet

        layers = []
        for l in range(1, L + 1):
            if l == 1:
                caption = "input"
                if input_kind == "image":
                    caption = f"input: {IMAGE_SIDE}×{IMAGE_SIDE} image"
                elif input_kind == "bar":
                    caption = f"input: {sizes[0]} neurons"
            else:
                # A star marks a layer where some neuron uses its own activation.
                name = net.base_activation(l).name + ("*" if net.activation_overrides(l) else "")
                caption = ("output" if l == L else "hidden") + f" · {name}"
            layers.append({"l": l, "n": sizes[l - 1], "kind": input_kind if l == 1 else "neurons",
                           "label": f"l = {l}", "caption": caption})

        # ---- nodes: the chosen quantity, one colour scale for the whole network
        per_layer = {}  # l -> the chosen quantity, for the drawn layers that have it
        if trace is not None:
            source = {"a": trace.a, "z": trace.z, "sigma_prime": trace.sigma_prime, "delta": trace.delta}[color_by]
            for l in range(1, L + 1):
                if l in source and not (l == 1 and input_kind != "neurons"):
                    per_layer[l] = np.asarray(source[l][:, 0], dtype=float)
        allv = np.concatenate(list(per_layer.values())) if per_layer else np.zeros(0)
        node_signed = color_by in ("z", "delta") or bool((allv < 0).any())
        node_vmax = float(np.abs(allv).max()) if allv.size else 0.0
        colors = {}
        for l, v in per_layer.items():
            colors[l] = scale_colors(v, node_vmax, node_signed, "node")

        nodes = []
        first = 1 if input_kind == "neurons" else 2
        for l in range(first, L + 1):
            for j in range(sizes[l - 1]):
                nodes.append(self._node(trace, l, j, color_by, per_layer, colors, sel))

        # ---- edges: w or ∂C/∂w of every drawn weight
        edge_layers = [l for l in net.layers if l - 1 >= first]
        if edge_by == "w":
            evals = {l: np.asarray(net.weights[l], dtype=float) for l in edge_layers}
        elif trace is not None:
            evals = {l: np.asarray(trace.nabla_w[l], dtype=float) for l in edge_layers}
        else:
            evals = {}
        flat = np.concatenate([v.ravel() for v in evals.values()]) if evals else np.zeros(0)
        edge_vmax = float(np.abs(flat).max()) if flat.size else 0.0
        edges = []
        for l in edge_layers:
            w = net.weights[l]
            g = trace.nabla_w[l] if trace is not None else None
            if l in evals:
                ecol, _ = scale_colors(evals[l].ravel(), edge_vmax, True, "edge")
                ratio = np.abs(evals[l].ravel()) / edge_vmax if edge_vmax > 0 else np.zeros(evals[l].size)
                widths = (MIN_EDGE_WIDTH + (MAX_EDGE_WIDTH - MIN_EDGE_WIDTH) * ratio).tolist()
            else:
                ecol, widths = [EDGE_ZERO] * w.size, [MIN_EDGE_WIDTH] * w.size
            wl, gl = w.tolist(), (g.tolist() if g is not None else None)
            n_in = sizes[l - 2]
            for j in range(sizes[l - 1]):
                for k in range(n_in):
                    wv = wl[j][k]
                    name = weight_name(l, j, k)
                    label = f"{name} = {_g(wv)}"
                    edge = {"l": l, "j": j, "k": k, "w": _r(wv)}
                    if gl is not None:
                        gv = gl[j][k]
                        edge["g"] = _r(gv)
                        label += f" · ∂C/∂{name} = {_g(gv)}"
                    i = j * n_in + k
                    edge.update(color=ecol[i], width=round(widths[i], 2), label=label,
                                selected=sel.get("kind") == "weight" and sel["layer"] == l
                                and sel["j"] == j and sel["k"] == k)
                    edges.append(edge)

        data = {
            "sizes": list(sizes),
            "layers": layers,
            "input": input_kind,
            "nodes": nodes,
            "edges": edges,
            "selection": dict(sel),
            "color_by": color_by,
            "edge_by": edge_by,
            "legend": {
                "nodes": self._legend(_NODE_TITLES[color_by], node_vmax, node_signed, "node"),
                "edges": self._legend(_EDGE_TITLES[edge_by], edge_vmax, True, "edge"),
            },
            "cost": None if trace is None else _r(trace.cost),
            "cost_text": "C = ?" if trace is None or st.diverged else f"C = {_g(trace.cost)}",
            "cost_caption": (
                "diverged: showing the last numbers computed"
                if st.diverged else f"{net.cost.name.replace('_', '-')} cost, this example"
            ),
            "diverged": st.diverged,
        }
        if input_kind == "bar" and trace is not None:
            x = np.asarray(trace.a[1][:, 0], dtype=float)
            xmax = float(np.abs(x).max())
            fills, _ = scale_colors(x, xmax, bool((x < 0).any()), "node")
            data["bar"] = {"colors": fills, "labels": [
                f"input neuron {i + 1}: {neuron_name('a', 1, i)} = x_{i + 1} = {_g(v)}" for i, v in enumerate(x.tolist())
            ]}
        return data

    @staticmethod
    def _legend(title: str, vmax: float, signed: bool, ramp: str) -> dict:
        return {
            "title": title,
            "stops": _stops(signed, ramp),
            "lo": _signed_end(-vmax) if signed else "0",
            "mid": "0" if signed else "",
            "hi": _signed_end(vmax) if signed else _g(vmax),
            "signed": signed,
        }

    def _node(self, trace, l, j, color_by, per_layer, colors, sel) -> dict:
        """One neuron: its value for the chosen quantity, colour, and tooltip in book notation."""
        node = {"l": l, "j": j, "selectable": l >= 2,
                "selected": sel.get("kind") == "neuron" and sel["layer"] == l and sel["j"] == j}
        if trace is None:
            node.update(value=None, text="", color=NO_VALUE, ink="#111111",
                        label=f"neuron {j + 1} of layer {l}: not computed")
            return node
        a = float(trace.a[l][j, 0])
        if l in per_layer:
            v = float(per_layer[l][j])
            fills, inks = colors[l]
            node.update(value=_r(v), text=_short(v), color=fills[j], ink=inks[j])
        else:  # an input neuron has no z, σ' or δ: grey, showing its x
            node.update(value=None, text=_short(a), color=NO_VALUE, ink="#111111")
        node["a"] = _r(a)
        if l == 1:
            node["label"] = f"input neuron {j + 1} (layer 1): {neuron_name('a', 1, j)} = x_{j + 1} = {_g(a)}"
            return node
        z = float(trace.z[l][j, 0])
        sp = float(trace.sigma_prime[l][j, 0])
        d = float(trace.delta[l][j, 0])
        b = float(self.state.network.biases[l][j, 0])
        node.update(z=_r(z), sp=_r(sp), delta=_r(d), b=_r(b))
        zn = neuron_name("z", l, j)
        label = (f"neuron {j + 1} of layer {l}: {zn} = {_g(z)}, {neuron_name('a', l, j)} = {_g(a)}, "
                 f"σ'({zn}) = {_g(sp)}, {neuron_name('δ', l, j)} = {_g(d)}, {neuron_name('b', l, j)} = {_g(b)}")
        if l == len(trace.sizes):
            y = float(trace.y[j, 0])
            node["y"] = _r(y)
            label += f" (target y_{j + 1} = {_g(y)})"
        node["label"] = label
        return node
