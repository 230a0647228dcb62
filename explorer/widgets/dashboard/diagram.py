"""The network diagram: every neuron and weight of a small net, drawn in the browser as SVG.

Python sends two things: the ``structure`` (layers, neurons, weights and their book names), only
when the sizes change, and each moment's ``frame``: the numbers, colours and widths as small
binary buffers, plus captions and legends. The ES module ``diagram.js`` draws them, writes the
tooltips from the frame's numbers in the book's notation (``node_label`` and ``edge_label`` here
say the same words; a browser test holds the two equal), answers hover by itself, and sends a
click back as the synced ``selection``. Colours are computed here so that tests can check them
and so that the browser never has to know what the numbers mean.

``NetworkDiagram.reveal`` shows only part of the numbers, as the algorithm has computed them:
the step-through panel walks the chapter's algorithm on this same drawing, with "?" for what
is not known yet, the layer just computed highlighted and a few lines of numbers under each
neuron and under each layer of weights.

``NetworkDiagram.set_marks`` rings neurons (a dashed ring for a bias) and outlines weights in
red, each with a tooltip line "yours: …   expected: …": the exercises show with it where a
student's own BP1–BP4 differ from the core's.
"""

from __future__ import annotations

from importlib.resources import files

import anywidget
import numpy as np
import traitlets

from ...core.notation import neuron_name, plain_name, subscript, weight_name
from ..markup import number
from ..guard import Guarded, Refused, describe, tell
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

#: Ends and middle of the signed scales: blue for negative, white (grey for edges) at 0, orange for
#: positive. Blue against orange stays apart for the common colour-vision deficiencies (red and
#: green do not), both ends have a contrast of at least 3:1 on the white page, and colour is never
#: the only cue: a negative weight is drawn dashed, a negative neuron with a dashed outline, and its
#: number carries a minus sign.
BLUE_END = "#2166ac"
ORANGE_END = "#b35806"
NODE_ZERO = "#ffffff"
EDGE_ZERO = "#d4d4d4"
NODE_DIVERGING = (BLUE_END, "#4393c3", "#b7d6ea", NODE_ZERO, "#fdd3a5", "#e08214", ORANGE_END)
EDGE_DIVERGING = (BLUE_END, "#4393c3", "#a9c6dc", EDGE_ZERO, "#ecc39a", "#e08214", ORANGE_END)
#: The page's background, against which the scales' ends are checked (WCAG contrast ≥ 3:1).
BACKGROUND = "#ffffff"
#: Sequential scale (white → deep purple) for quantities that are never negative (a, σ').
SEQUENTIAL = ("#ffffff", "#dadaeb", "#9e9ac8", "#6a51a3", "#3f007d")
#: Fill of a neuron that has no value for the chosen quantity (an input neuron has no z or δ).
NO_VALUE = "#ececec"

#: What a mark can point at: a neuron's value (δ^l_j, say), its bias's gradient, or a weight's.
MARK_KINDS = ("neuron", "weight", "bias")

#: The presenter layout's drawing: 960 × 880 viewBox units, text 1.8 × the laptop's.
PRESENTER_VIEW_HEIGHT = 880
PRESENTER_TEXT_SCALE = 1.8

MIN_EDGE_WIDTH = 1.0
MAX_EDGE_WIDTH = 7.0

#: A neuron's numbers in the frame, in this order (NaN where it has none: an input has no z).
NODE_FIELDS = ("a", "z", "sp", "delta", "b", "y")
_NODE_FIELD = {"a": "a", "z": "z", "sigma_prime": "sp", "delta": "delta"}

#: The kinds of a revealed note: just computed, known earlier, not computed yet ("?").
NOTE_KINDS = ("new", "known", "unknown")

_NODE_TITLES = {"a": "a", "z": "z", "sigma_prime": "σ′(z)", "delta": "δ"}
_EDGE_TITLES = {"w": "w", "nabla_w": "∂C/∂w"}


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


def _hex_rgb(color: str) -> tuple[int, int, int]:
    return tuple(int(color[i : i + 2], 16) for i in (1, 3, 5))


_NO_VALUE_RGB = _hex_rgb(NO_VALUE)


def _scale_rgb(values, vmax: float, signed: bool, ramp: str) -> np.ndarray:
    """0–255 RGB rows of a scale symmetric about 0 (signed) or from 0 (see ``scale_colors``)."""
    values = np.asarray(values, dtype=float)
    ratio = values / vmax if vmax > 0 else np.zeros_like(values)
    return _rgb((ratio + 1.0) / 2.0, ramp) if signed else _rgb(ratio, "sequential")


def _dark(rows: np.ndarray) -> np.ndarray:
    """Which RGB rows are dark enough to need white text on them (by their luma)."""
    return rows @ np.array([0.299, 0.587, 0.114]) < 140


def _hex(rows: np.ndarray) -> list[str]:
    return ["#%02x%02x%02x" % (r, g, b) for r, g, b in rows.tolist()]


def scale_colors(values, vmax: float, signed: bool, ramp: str = "node") -> tuple[list[str], list[str]]:
    """(fill colours, text colours) for values on a scale symmetric about 0 (signed) or from 0.

    A signed scale runs blue (−vmax) → white/grey (0) → orange (+vmax); an unsigned one white (0)
    → purple (vmax). The text colour is white on dark fills, black on light ones.
    """
    rows = _scale_rgb(values, vmax, signed, ramp)
    dark = _dark(rows)
    return _hex(rows), ["#ffffff" if d else "#111111" for d in dark.tolist()]


def _stops(signed: bool, ramp: str) -> list[str]:
    if signed:
        return list(NODE_DIVERGING if ramp == "node" else EDGE_DIVERGING)
    return list(SEQUENTIAL)


# ---------------------------------------------------------------------------- numbers
def _r(v: float) -> float:
    """A float rounded to 4 significant digits, to keep a mark's JSON small."""
    return float(f"{v:.4g}")


def _short(v: float) -> str:
    """The value written inside a circle, short: 0.73, −0.05, 0.006, 6×10⁻⁴, 12 (the one number
    format at 2 significant figures, 1 below 0.01; whole numbers from 10 up)."""
    if abs(v) >= 10:
        return number(round(v), 6)
    return number(v, 2 if abs(v) >= 0.01 else 1)


def _signed_end(v: float) -> str:
    return "0" if v == 0 else ("+" if v > 0 else "") + number(v)


# ---------------------------------------------------------------------------- the anywidget
class DiagramView(Guarded, anywidget.AnyWidget):
    """The browser side: draws ``structure`` and ``frame`` as SVG, writes the tooltips from the
    frame's numbers, sends clicks as ``selection``."""

    # Package files, read through importlib.resources so an installed wheel finds them too.
    _esm = files("explorer.widgets.drawing").joinpath("diagram.js").read_text(encoding="utf-8")
    _css = files("explorer.widgets.drawing").joinpath("diagram.css").read_text(encoding="utf-8")

    #: What only the sizes decide (layers, neurons, weights, names): sent when they change.
    structure = traitlets.Dict().tag(sync=True)
    #: This moment's numbers, colours and captions, arrays as binary buffers (NetworkDiagram._frame).
    frame = traitlets.Dict().tag(sync=True)
    image = traitlets.Dict().tag(sync=True)
    color_by = traitlets.Enum(COLOR_BY, default_value="a").tag(sync=True)
    edge_by = traitlets.Enum(EDGE_BY, default_value="w").tag(sync=True)
    selection = traitlets.Dict().tag(sync=True)
    marks = traitlets.List().tag(sync=True)
    #: The line shown above the marks ("" says how many values differ, for the exercises).
    marks_caption = traitlets.Unicode("").tag(sync=True)
    #: The drawing's height in the units of its 960-wide viewBox, and a factor for its text (and
    #: the largest neurons): the presenter layout draws taller, with text large enough for a room.
    view_height = traitlets.Int(580).tag(sync=True)
    text_scale = traitlets.Float(1.0).tag(sync=True)

    #: What the page sends: a click (``selection``) and the toolbar's two menus.
    page_traits = ("selection", "color_by", "edge_by")
    page_noun = "the network diagram"

    def check_from_page(self, name: str, value) -> None:
        """A click is {"kind": "neuron", "layer", "j"} or {"kind": "weight", "layer", "j", "k"}
        with whole numbers (whether it is inside the network, the panel checks); a menu's value
        is one of its choices."""
        if name in ("color_by", "edge_by"):
            choices = COLOR_BY if name == "color_by" else EDGE_BY
            if value not in choices:
                raise Refused(f"colours by one of {', '.join(choices)}, not {describe(value)}")
            return
        fields = {"neuron": {"kind", "layer", "j"}, "weight": {"kind", "layer", "j", "k"}}
        kind = value.get("kind") if isinstance(value, dict) else None
        if kind not in fields or set(value) != fields[kind] or not all(
            isinstance(value[f], int) and not isinstance(value[f], bool) for f in fields[kind] - {"kind"}
        ):
            raise Refused(f"selects a neuron or a weight, not {describe(value)}")


def _notes(lines, where: str) -> list[list[str]]:
    """Checked note lines: [[text, kind], …] with kind in NOTE_KINDS."""
    out = []
    for line in lines:
        text, kind = line
        if kind not in NOTE_KINDS:
            raise ValueError(f"{where}: a note's kind must be one of {NOTE_KINDS}, got {kind!r}")
        out.append([str(text), kind])
    return out


def _shown(v) -> str:
    """A student's value as shown next to the expected one: 4 digits, or what went wrong."""
    if v is None:
        return "—"
    v = float(v)
    if np.isnan(v):
        return "NaN"
    if np.isinf(v):
        return "∞" if v > 0 else "−∞"
    return number(v)


def _index(value, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"marks: {name} must be an int, got {value!r}")
    return int(value)


class NetworkDiagram(Panel):
    """Every neuron and weight of the state's network, coloured by a, z, σ'(z) or δ and w or ∂C/∂w.

    ``widget`` (= ``view``) is the anywidget to display; it carries its own toolbar (colour
    choices and "Save SVG"). ``refresh`` sends a new frame only when something it shows
    changed; ``scene()`` reads back what is shown. Clicking a neuron or weight selects it in the
    state (a neuron also from the keyboard: Tab, the arrows, Enter).
    ``set_marks`` marks neurons, biases and weights in red (``view.marks``, its own trait, so
    marking never rebuilds the picture). ``presenter=True`` (the presenter layout) draws a
    taller picture (``view.view_height``) with its text and neurons ``view.text_scale`` times as
    large, the legends on a row of their own; the layout's stylesheet makes it fill its box.
    """

    def __init__(self, state: ExplorerState, color_by: str = "a", edge_by: str = "w", presenter: bool = False, *,
                 note_lines: int = 0, gap_lines: int = 0, follow: bool = True):
        super().__init__(state, follow=follow)
        self.view = DiagramView(color_by=color_by, edge_by=edge_by, selection=dict(state.selection))
        if presenter:
            # about the box the presenter layout gives it; labels 1.8 × as large
            self.view.view_height, self.view.text_scale = PRESENTER_VIEW_HEIGHT, PRESENTER_TEXT_SCALE
        self.widget = self.view
        # room for notes under each neuron and under each layer of weights (``reveal``)
        self._room = {"notes": int(note_lines), "gaps": int(gap_lines)}
        self._reveal = None
        self._reveals = 0
        self._key = None
        self._image_key = None
        self._structure_for, self._structure_cache = None, None
        self.builds = 0  # how many frames were built (tests check the cache with it)
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
                default = plain_name(weight_name(l, j, k))
            elif kind == "bias":
                default = plain_name(neuron_name("b", l, j))
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

    # ------------------------------------------------------------ revealed step by step
    def reveal(self, known, *, new=(), active=(), notes=None, input_notes=(), gap_notes=None,
               color_by: str | None = None) -> None:
        """Show only the quantities in ``known``, (q, l) pairs with q in "a", "z", "delta",
        "nabla_w" (σ'(z^l) is known with z^l); everything else shows as "?" (a grey neuron, a
        thin grey weight, "?" in the tooltip). ``active`` layers are highlighted; ``notes`` maps
        (l, j) to lines written under neuron j of layer l, ``input_notes`` are written under an
        input drawn as an image or a bar, ``gap_notes`` maps l to lines under the weights w^l;
        each line is (text, kind) with kind "new", "known" or "unknown". ``known=None`` shows
        everything again. ``color_by`` also chooses what the neurons' colour shows. Sends at most
        one frame, none when nothing changed.
        """
        if known is None:
            reveal = None
        else:
            reveal = {
                "known": frozenset((str(q), int(l)) for q, l in known),
                "new": frozenset((str(q), int(l)) for q, l in new),
                "active": sorted(int(l) for l in active),
                "notes": {(int(l), int(j)): _notes(v, f"notes[{l}, {j}]") for (l, j), v in (notes or {}).items()},
                "input": _notes(input_notes, "input_notes"),
                "gaps": {int(l): _notes(v, f"gap_notes[{l}]") for l, v in (gap_notes or {}).items()},
            }
        if reveal != self._reveal:
            self._reveal = reveal
            self._reveals += 1  # part of the content key: the next refresh sends a frame
        with self.view.hold_sync():
            if color_by is not None:
                self.view.color_by = color_by  # its observer refreshes when it changes
            self.refresh()  # nothing to send when that refresh (or an earlier one) sent this

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
            tell(self.view, "that neuron or weight is not in the network shown; the selection stays as it was")
        else:
            self.refresh()  # no-op when the state's revision already refreshed us

    # ------------------------------------------------------------ state → browser
    def _content_key(self):
        # Everything the picture shows comes from the trace (a new one, with a new
        # trace_revision, whenever parameters, example, activations or cost change) and from
        # the view's own choices; a Δz changes none of it. The selection is the view's own
        # trait (the browser draws its highlight), so selecting sends no frame.
        st = self.state
        return (tuple(st.network.sizes), st.diverged, self.view.color_by, self.view.edge_by, st.trace_revision,
                self._reveals)

    def refresh(self) -> None:
        """Send what changed in one message: the structure (new sizes only), the frame, the selection."""
        key = self._content_key()
        selection = dict(self.state.selection)
        if key == self._key:
            if self.view.selection != selection:
                self.view.selection = selection
            return
        self._key = key
        sizes = tuple(self.state.network.sizes)
        if self._structure_for != sizes:  # the structure depends on the sizes alone
            self._structure_for, self._structure_cache = sizes, self._structure()
        structure = self._structure_cache
        frame = self._frame()
        self.builds += 1
        image = self._image()
        with self.view.hold_sync():
            if image is not None:
                self.view.image = image
            if structure != self.view.structure:
                self.view.structure = structure
            self.view.frame = frame
            if self.view.selection != selection:
                self.view.selection = selection

    def _image(self):
        """The 28×28 input as 0–255 bytes, only when the input changed (None otherwise)."""
        net, trace = self.state.network, self.state.trace
        if net.sizes[0] != IMAGE_SIZE or trace is None:
            return None
        x = np.asarray(trace.a[1][:, 0])
        if self._image_key is not None and np.array_equal(self._image_key, x):
            return None
        self._image_key = x.copy()
        pixels = np.clip(np.rint(255.0 * x), 0, 255).astype(np.uint8)
        return {"width": IMAGE_SIDE, "height": IMAGE_SIDE, "pixels": pixels.tobytes()}

    # ------------------------------------------------------------ what is sent
    def input_kind(self) -> str:
        """How the input layer is drawn: "neurons", "image" (784 = 28×28) or "bar" (other wide inputs)."""
        n = self.state.network.sizes[0]
        return "image" if n == IMAGE_SIZE else "bar" if n > MAX_DRAWN_INPUTS else "neurons"

    def _drawn(self) -> tuple[str, range, range]:
        """The input's kind, the layers drawn as neurons, and the layers whose weights are drawn
        (an image or bar input has its neurons and weights summed up, not drawn one by one)."""
        input_kind = self.input_kind()
        first = 1 if input_kind == "neurons" else 2
        L = self.state.network.L
        return input_kind, range(first, L + 1), range(first + 1, L + 1)

    def _structure(self) -> dict:
        """What only the sizes decide: layers, the drawn neurons and weights with their names."""
        sizes, L = self.state.network.sizes, self.state.network.L
        input_kind, drawn, edge_layers = self._drawn()
        layers = [{"l": l, "n": sizes[l - 1], "kind": input_kind if l == 1 else "neurons", "label": f"l = {l}"}
                  for l in range(1, L + 1)]
        nodes = [[l, j, subscript(j)] for l in drawn for j in range(sizes[l - 1])]
        edges = [[l, j, k, weight_name(l, j, k)] for l in edge_layers
                 for j in range(sizes[l - 1]) for k in range(sizes[l - 2])]
        return {"layers": layers, "input": input_kind, "nodes": nodes, "edges": edges, "room": dict(self._room)}

    def _frame(self) -> dict:
        """Every number, colour and caption of this moment, arrays as binary buffers.

        ``node_values`` holds, per drawn neuron (the structure's order), a, z, σ'(z), δ, b and
        the target y as float64 (NaN where a neuron has none), ``edge_values`` w and ∂C/∂w per
        drawn weight: the browser writes its tooltips from them. Colours are 0–255 RGB bytes.
        """
        st, net = self.state, self.state.network
        trace = st.trace
        sizes, L = net.sizes, net.L
        color_by, edge_by = self.view.color_by, self.view.edge_by
        input_kind, drawn, edge_layers = self._drawn()
        if trace is not None and tuple(trace.sizes) != tuple(sizes):
            trace = None  # a new network that diverged at once: nothing computed for it yet

        captions = []
        for l in range(1, L + 1):
            if l == 1:
                caption = {"image": f"input: {IMAGE_SIDE}×{IMAGE_SIDE} image",
                           "bar": f"input: {sizes[0]} neurons"}.get(input_kind, "input")
            else:
                # A star marks a layer where some neuron uses its own activation.
                name = net.base_activation(l).name + ("*" if net.activation_overrides(l) else "")
                caption = ("output" if l == L else "hidden") + f" · {name}"
            captions.append(caption)

        n_nodes = sum(sizes[l - 1] for l in drawn)
        values = np.full((n_nodes, len(NODE_FIELDS)), np.nan)
        if trace is not None:
            row = 0
            for l in drawn:
                n = sizes[l - 1]
                block = values[row : row + n]
                block[:, 0] = trace.a[l][:, 0]
                if l >= 2:
                    block[:, 1] = trace.z[l][:, 0]
                    block[:, 2] = trace.sigma_prime[l][:, 0]
                    block[:, 3] = trace.delta[l][:, 0]
                    block[:, 4] = net.biases[l][:, 0]
                if l == L:
                    block[:, 5] = trace.y[:, 0]
                row += n
        reveal = self._reveal
        if reveal is not None:  # what the algorithm has not computed yet is NaN, shown as "?"
            row = 0
            for l in drawn:
                n = sizes[l - 1]
                for q, columns in (("a", (0,)), ("z", (1, 2)), ("delta", (3,))):
                    if (q, l) not in reveal["known"]:
                        values[row : row + n, list(columns)] = np.nan
                row += n
        chosen = values[:, NODE_FIELDS.index(_NODE_FIELD[color_by])]
        known = ~np.isnan(chosen)
        allv = chosen[known]
        node_signed = color_by in ("z", "delta") or bool((allv < 0).any())
        node_vmax = float(np.abs(allv).max()) if allv.size else 0.0
        rgb = np.tile(np.array(_NO_VALUE_RGB, dtype=np.uint8), (n_nodes, 1))
        if allv.size:
            rgb[known] = _scale_rgb(allv, node_vmax, node_signed, "node")
        ink = _dark(rgb).astype(np.uint8)
        # the second cue of the sign: a negative value of a signed quantity gets a dashed outline
        node_dash = (known & (np.nan_to_num(chosen) < 0) & node_signed).astype(np.uint8)
        # the value written in the circle: the chosen quantity, or an input neuron's x
        is_input = np.array([l == 1 for l in drawn for _ in range(sizes[l - 1])], dtype=bool)
        shown = np.where(known, chosen, np.where(is_input, values[:, 0], np.nan))
        texts = [("?" if reveal is not None else "") if np.isnan(v) else _short(v) for v in shown.tolist()]

        w = np.concatenate([net.weights[l].ravel() for l in edge_layers]) if edge_layers else np.zeros(0)
        g = (np.concatenate([trace.nabla_w[l].ravel() if reveal is None or ("nabla_w", l) in reveal["known"]
                             else np.full(trace.nabla_w[l].size, np.nan) for l in edge_layers])
             if edge_layers and trace is not None else np.full(w.size, np.nan))
        evals = w if edge_by == "w" else g
        # no gradient yet (or not yet for some layers): thin grey lines; one scale for the rest
        have = ~np.isnan(evals)
        edge_vmax = float(np.abs(evals[have]).max()) if have.any() else 0.0
        edge_rgb = np.tile(np.array(_hex_rgb(EDGE_ZERO), dtype=np.uint8), (w.size, 1))
        widths = np.full(w.size, MIN_EDGE_WIDTH)
        if have.any():
            edge_rgb[have] = _scale_rgb(evals[have], edge_vmax, True, "edge")
            ratio = np.abs(evals[have]) / edge_vmax if edge_vmax > 0 else np.zeros(int(have.sum()))
            widths[have] = np.round(MIN_EDGE_WIDTH + (MAX_EDGE_WIDTH - MIN_EDGE_WIDTH) * ratio, 2)
        edge_dash = (np.nan_to_num(evals) < 0).astype(np.uint8)  # a negative weight (or ∂C/∂w) is dashed

        frame = {
            "captions": captions,
            "computed": trace is not None,
            "node_values": values.astype("<f8").tobytes(),
            "node_rgb": rgb.astype(np.uint8).tobytes(),
            "node_ink": ink.tobytes(),
            "node_dash": node_dash.tobytes(),
            "node_text": texts,
            "edge_values": np.stack([w, g], axis=-1).astype("<f8").tobytes(),
            "edge_rgb": edge_rgb.astype(np.uint8).tobytes(),
            "edge_width": widths.astype("<f4").tobytes(),
            "edge_dash": edge_dash.tobytes(),
            "legend": {
                "nodes": self._legend(_NODE_TITLES[color_by], node_vmax, node_signed, "node"),
                "edges": self._legend(_EDGE_TITLES[edge_by], edge_vmax, True, "edge"),
            },
            "cost": None if trace is None else float(trace.cost),
            "cost_text": "C = ?" if trace is None or st.diverged else f"C = {number(trace.cost)}",
            "cost_caption": (
                "diverged: showing the last numbers computed"
                if st.diverged else f"{net.cost.name.replace('_', '-')} cost, this example"
            ),
            "diverged": st.diverged,
        }
        if reveal is not None:
            frame["reveal"] = {
                "active": reveal["active"],
                "nodes": [reveal["notes"].get((l, j), []) for l in drawn for j in range(sizes[l - 1])],
                "input": reveal["input"] if input_kind != "neurons" else [],
                "gaps": [[l, reveal["gaps"][l]] for l in sorted(reveal["gaps"]) if 2 <= l <= L],
            }
            if ("a", 1) not in reveal["known"]:
                frame["cost_text"] = "C = ?"
                frame["cost_caption"] = "the input is not set yet"
            elif (("a", L) not in reveal["known"]) and not st.diverged:
                frame["cost_text"] = "C = ?"
                frame["cost_caption"] = "known once the output a^L is computed"
        if input_kind == "bar" and trace is not None:
            x = np.asarray(trace.a[1][:, 0], dtype=float)
            xmax = float(np.abs(x).max())
            frame["bar_values"] = x.astype("<f8").tobytes()
            frame["bar_rgb"] = _scale_rgb(x, xmax, bool((x < 0).any()), "node").astype(np.uint8).tobytes()
        return frame

    @staticmethod
    def _legend(title: str, vmax: float, signed: bool, ramp: str) -> dict:
        return {
            "title": title,
            "stops": _stops(signed, ramp),
            "lo": _signed_end(-vmax) if signed else "0",
            "mid": "0" if signed else "",
            "hi": _signed_end(vmax) if signed else number(vmax),
            "signed": signed,
        }

    # ------------------------------------------------------------ what is shown, read back
    def scene(self) -> dict:
        """What the browser shows now, decoded from the sent structure and frame.

        Nodes and edges as dicts with their values, colour, width, text, tooltip ``label`` (the
        same words ``diagram.js`` writes: a browser test holds them equal) and ``selected``;
        plus layers with captions, legend, cost. For tests and for anyone reading the picture.
        """
        structure, frame, sel = self.view.structure, self.view.frame, self.view.selection
        nv = np.frombuffer(frame["node_values"], dtype="<f8").reshape(-1, len(NODE_FIELDS))
        nrgb = np.frombuffer(frame["node_rgb"], dtype=np.uint8).reshape(-1, 3)
        ink = np.frombuffer(frame["node_ink"], dtype=np.uint8)
        ev = np.frombuffer(frame["edge_values"], dtype="<f8").reshape(-1, 2)
        ergb = np.frombuffer(frame["edge_rgb"], dtype=np.uint8).reshape(-1, 3)
        widths = np.frombuffer(frame["edge_width"], dtype="<f4")
        node_dash = np.frombuffer(frame["node_dash"], dtype=np.uint8)
        edge_dash = np.frombuffer(frame["edge_dash"], dtype=np.uint8)
        L = len(structure["layers"])
        color_field = _NODE_FIELD[self.view.color_by]
        nodes = []
        for i, (l, j, sub) in enumerate(structure["nodes"]):
            fields = {name: (None if np.isnan(v) else float(v)) for name, v in zip(NODE_FIELDS, nv[i].tolist())}
            node = {"l": l, "j": j, "selectable": l >= 2, **fields,
                    "value": fields[color_field],
                    "color": _hex(nrgb[i : i + 1])[0], "ink": "#ffffff" if ink[i] else "#111111",
                    "text": frame["node_text"][i], "dashed": bool(node_dash[i]),
                    "notes": frame["reveal"]["nodes"][i] if "reveal" in frame else [],
                    "label": node_label(l, j, sub, fields, frame["computed"], l == L),
                    "selected": sel.get("kind") == "neuron" and sel.get("layer") == l and sel.get("j") == j}
            nodes.append(node)
        edges = []
        for i, (l, j, k, name) in enumerate(structure["edges"]):
            wv, gv = ev[i].tolist()
            edges.append({"l": l, "j": j, "k": k, "w": wv, "g": None if np.isnan(gv) else gv,
                          "color": _hex(ergb[i : i + 1])[0], "width": float(round(float(widths[i]), 2)),
                          "dashed": bool(edge_dash[i]),
                          "label": edge_label(name, wv, gv),
                          "selected": sel.get("kind") == "weight" and (sel.get("layer"), sel.get("j"), sel.get("k")) == (l, j, k)})
        layers = [dict(ly, caption=c) for ly, c in zip(structure["layers"], frame["captions"])]
        scene = {"sizes": [ly["n"] for ly in layers], "layers": layers, "input": structure["input"],
                 "nodes": nodes, "edges": edges, "selection": dict(sel),
                 "color_by": self.view.color_by, "edge_by": self.view.edge_by,
                 **{k: frame[k] for k in ("legend", "cost", "cost_text", "cost_caption", "diverged")}}
        if "reveal" in frame:
            scene["reveal"] = {"active": frame["reveal"]["active"], "input": frame["reveal"]["input"],
                               "gaps": {l: lines for l, lines in frame["reveal"]["gaps"]}}
        if "bar_values" in frame:
            x = np.frombuffer(frame["bar_values"], dtype="<f8")
            scene["bar"] = {"colors": _hex(np.frombuffer(frame["bar_rgb"], dtype=np.uint8).reshape(-1, 3)),
                            "labels": [bar_label(i, v) for i, v in enumerate(x.tolist())]}
        return scene


# ---------------------------------------------------------------------------- tooltips
# The browser writes these same words (diagram.js: nodeLabel, edgeLabel, barLabel).
def _known(v) -> str:
    """A tooltip's number, or "?" for one not computed yet (``reveal``)."""
    return "?" if v is None or np.isnan(v) else number(v)


def node_label(l: int, j: int, sub: str, v: dict, computed: bool, output: bool) -> str:
    """A neuron's tooltip: its z, a, σ'(z), δ and b in the book's names (x for an input)."""
    if not computed:
        return f"neuron {j + 1} of layer {l}: not computed"
    if l == 1:
        return f"input neuron {j + 1} (layer 1): {plain_name(f'a^1_{sub}')} = {plain_name(f'x^_{sub}')} = {_known(v['a'])}"
    def n(symbol):
        return plain_name(f"{symbol}^{l}_{sub}")
    label = (f"neuron {j + 1} of layer {l}: {n('z')} = {_known(v['z'])}, {n('a')} = {_known(v['a'])}, "
             f"σ′({n('z')}) = {_known(v['sp'])}, {n('δ')} = {_known(v['delta'])}, {n('b')} = {_known(v['b'])}")
    if output:
        label += f" (target {plain_name(f'y^_{sub}')} = {_known(v['y'])})"
    return label


def edge_label(name: str, w: float, g: float) -> str:
    """A weight's tooltip: w^l_jk and, once computed, ∂C/∂w^l_jk."""
    label = f"{plain_name(name)} = {number(w)}"
    if not np.isnan(g):
        label += f" · ∂C/∂{plain_name(name)} = {number(g)}"
    return label


def bar_label(i: int, x: float) -> str:
    """A cell of the input bar: input neuron i's a^1_i = x_i."""
    return f"input neuron {i + 1}: {plain_name(f'a^1_{subscript(i)}')} = {plain_name(f'x^_{subscript(i)}')} = {number(x)}"
