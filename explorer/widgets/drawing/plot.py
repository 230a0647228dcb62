"""``Plot``: a figure the browser draws as SVG from numbers the kernel sends (``plot.js``).

A figure is a ``spec`` (its axes and marks: lines, points, bars, rules, text, heatmaps; their
colours and labels) and ``data`` (each mark's numbers, arrays as binary float32 buffers, and
the axes' current limits under ``"@<axes id>"``). A panel sets the spec when the structure
changes (with ``reset(...)``: all its marks in one message) and calls ``show(...)`` on every
event: one message with the numbers of just the marks named that changed (a custom message, its arrays as binary buffers), and the browser moves what it has
already drawn. ``data`` itself is kept in the kernel: a view that opens later (a reload, a
second view) asks for all of it. Labels use the book's names ("δ^2_1").

matplotlib remains for static figures (``explorer.plots``); nothing here draws in the kernel.
"""

from __future__ import annotations

import anywidget
import numpy as np
import traitlets

from . import source
from ..guard import Guarded


#: The colour scale of σ' in every heatmap: viridis at ten equally spaced points, dark for
#: σ' ≈ 0 (a saturated neuron), yellow for the largest σ'.
VIRIDIS = ("#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725")


def as_buffer(values, dtype=np.float32) -> memoryview:
    """An array as the bytes the browser reads (C order, float32 unless told)."""
    return memoryview(np.ascontiguousarray(np.asarray(values, dtype=dtype)).reshape(-1))


class Plot(Guarded, anywidget.AnyWidget):
    """An SVG figure. ``spec`` is its structure, ``data`` its numbers (see the module doc).

    ``revision`` counts the data sent (the page marks a figure with the revision it painted,
    so a latency probe knows when the newest numbers are on screen). ``values(mark)`` gives
    back, as numpy arrays, what was last sent for a mark: tests compare it with independent
    computations.
    """

    _esm = source("plot.js")
    page_traits = ()  # the page only asks for the numbers (``accepts_custom``)
    spec = traitlets.Dict().tag(sync=True)
    #: Every mark's numbers as the browser has them (not a synced trait: see ``show``).
    data = traitlets.Dict()
    revision = traitlets.Int(0)

    def __init__(self, **kwargs):
        self._patching = False
        super().__init__(**kwargs)
        self.on_msg(self._on_view_message)

    def show(self, **marks) -> None:
        """Send new numbers: ``show(curve={"x": xs, "y": ys}, **{"@ax": {"ylim": [0, 1]}})``.

        numpy arrays (and lists of numbers) travel as float32 buffers; other values (limits,
        colours, text items, shapes) as JSON. Marks not named keep their previous numbers and
        are not sent again; nor is a named mark whose numbers are those it already has (a
        weight of the output layer leaves the hidden layers' heatmaps as they are). When nothing
        is new, nothing is sent and ``revision`` stays.
        """
        patch = {}
        for name, fields in marks.items():
            encoded = {k: _encode(k, v) for k, v in fields.items()}
            if not _same(encoded, self.data.get(name)):
                patch[name] = encoded
        if not patch:
            return
        self._patching = True
        try:
            self.data = {**self.data, **patch}
        finally:
            self._patching = False
        self.revision += 1
        self._send_marks(patch, reset=False)

    def reset(self, **marks) -> None:
        """Replace every mark's numbers by these, in one message (after a new ``spec``)."""
        self.data = {name: {k: _encode(k, v) for k, v in fields.items()} for name, fields in marks.items()}

    @traitlets.observe("data")
    def _on_data(self, change) -> None:
        if not self._patching:  # the whole data replaced (``plot.data = {}``): the page too
            self.revision += 1
            self._send_marks(self.data, reset=True)

    def accepts_custom(self, content) -> bool:
        return content == {"kind": "ask"}

    def _on_view_message(self, widget, content, buffers) -> None:
        if isinstance(content, dict) and content.get("kind") == "ask":
            self._send_marks(self.data, reset=True)

    def _send_marks(self, marks: dict, reset: bool) -> None:
        buffers: list[memoryview] = []
        self.send({"kind": "marks", "reset": reset, "revision": self.revision, "marks": _pack(marks, buffers)}, buffers)

    def values(self, mark: str, field: str):
        """What was last sent for ``mark``'s ``field``, as the browser reads it."""
        value = self.data[mark][field]
        if isinstance(value, memoryview):
            return np.frombuffer(value, dtype=np.uint8 if value.format == "B" else value.format).copy()
        return value


_ARRAY_FIELDS = {"x", "y", "values"}


def _pack(value, buffers: list):
    """The marks with every buffer replaced by {"$buffer": its index in ``buffers``}."""
    if isinstance(value, memoryview):
        buffers.append(value)
        return {"$buffer": len(buffers) - 1}
    if isinstance(value, dict):
        return {k: _pack(v, buffers) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_pack(v, buffers) for v in value]
    return value


def _same(a, b) -> bool:
    """Whether two encoded marks are the same, buffers compared byte for byte."""
    if isinstance(a, memoryview) or isinstance(b, memoryview):
        return (isinstance(a, memoryview) and isinstance(b, memoryview) and a.format == b.format
                and a.tobytes() == b.tobytes())
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def _encode(field: str, value):
    if field in _ARRAY_FIELDS:
        return as_buffer(value)
    if field == "cross":  # one byte per heatmap cell
        return as_buffer(value, np.uint8)
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value
