"""``Formula``: equations typeset once in the browser with KaTeX, numbers updated in place.

A panel gives a ``template``: HTML in which ``<span class="tex">…</span>`` (inline) and
``<div class="tex display">…</div>`` (display) hold TeX. Every live number is a slot: in TeX
``\\htmlData{q=KEY}{0}`` (from ``slot(KEY)``), in HTML ``<span data-q="KEY"></span>``. The
browser typesets the template when it changes (a new selection, a new kind of equation) and
on every event only writes the new texts into the slots, in the same frame: no re-typesetting,
and no raw TeX is ever on screen. ``numbers`` maps each key to ``[text, exact value, state]``:
the text shown (from ``explorer.widgets.markup``), the full-precision value the page keeps in
``data-value`` for tests, and an optional state ("ok", "bad", "none") for check marks. A short
vector's slot (``vector_slot``) keeps a list of values, as ``data-values``.

KaTeX itself (script and CSS with its fonts) travels once per page, in one shared
``KatexAssets`` model that every formula points to: nothing is fetched from elsewhere.
"""

from __future__ import annotations

import html
import math
import re

import anywidget
import traitlets

from ipywidgets import widget_serialization

from . import source
from ..guard import Guarded

_shared: "KatexAssets | None" = None


class KatexAssets(Guarded, anywidget.AnyWidget):
    """KaTeX's script and CSS (fonts inlined), sent to the page once; never displayed."""

    _esm = "export default {};"
    js = traitlets.Unicode().tag(sync=True)
    css = traitlets.Unicode().tag(sync=True)
    version = traitlets.Unicode().tag(sync=True)

    @classmethod
    def shared(cls) -> "KatexAssets":
        """The one instance of this kernel (made again if it was closed)."""
        global _shared
        if _shared is None or _shared.comm is None:
            _shared = cls(
                js=source("katex/katex.min.js"),
                css=source("katex/katex.css"),
                version=source("katex/VERSION").strip(),
            )
        return _shared


def display(tex: str) -> str:
    """Display maths in a template (escaped for HTML; the browser typesets it)."""
    return f'<div class="tex display">{html.escape(tex, quote=False)}</div>'


def inline(tex: str) -> str:
    """Inline maths in a template."""
    return f'<span class="tex">{html.escape(tex, quote=False)}</span>'


def slot(key: str) -> str:
    """The TeX of a live number's place: ``\\htmlData{q=KEY}{0}``."""
    return rf"\htmlData{{q={_key(key)}}}{{0}}"


def html_slot(key: str) -> str:
    """The HTML of a live number's place."""
    return f'<span class="num" data-q="{_key(key)}" data-value=""></span>'


def vector_slot(key: str) -> str:
    """The HTML of a live vector's place: its text "[0.01, −0.2]" and every entry in data-values."""
    return f'<span class="vec" data-q="{_key(key)}" data-values=""></span>'


def _key(key: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_]+", key):
        raise ValueError(f"slot: a key is letters, digits and _ only, got {key!r}")
    return key


class Formula(Guarded, anywidget.AnyWidget):
    """Typeset-once equations with live numbers (see the module doc).

    ``revision`` counts what was sent; the page marks the formula with the revision it has
    painted (``data-painted``), which the browser latency probe waits for.
    """

    _esm = source("equations.js")
    _css = source("equations.css")
    assets = traitlets.Instance(KatexAssets).tag(sync=True, **widget_serialization)
    template = traitlets.Unicode("").tag(sync=True)
    numbers = traitlets.Dict().tag(sync=True)
    revision = traitlets.Int(0).tag(sync=True)

    def __init__(self, **kwargs):
        kwargs.setdefault("assets", KatexAssets.shared())
        super().__init__(**kwargs)

    def show(self, template: str, numbers: dict) -> None:
        """One message: the template only if it changed, and the numbers."""
        clean = {k: [str(v[0]), _exact(v[1]) if len(v) > 1 else None, *v[2:3]] for k, v in numbers.items()}
        with self.hold_sync():
            self.template = template
            self.numbers = clean
            self.revision += 1

    def filled(self) -> str:
        """The template with every slot holding its text: what the page shows, as markup.

        In TeX a slot becomes ``\\htmlData{q=KEY}{TEXT}``; in HTML the span gets its text and
        ``data-value``. Tests read numbers from here.
        """

        def tex(match):
            key = match.group(1)
            return rf"\htmlData{{q={key}}}{{{self.numbers.get(key, ['?'])[0]}}}"

        def html(match):
            key = match.group(1)
            text, exact, *_ = self.numbers.get(key, ["?", None])
            return f'<span class="num" data-q="{key}" data-value="{"" if exact is None else repr(exact)}">{text}</span>'

        def vector(match):
            key = match.group(1)
            text, exact, *_ = self.numbers.get(key, ["?", None])
            return f'<span class="vec" data-q="{key}" data-values="{_joined(exact)}">{text}</span>'

        out = re.sub(r"\\htmlData\{q=(\w+)\}\{0\}", tex, self.template)
        out = re.sub(r'<span class="vec" data-q="(\w+)" data-values=""></span>', vector, out)
        return re.sub(r'<span class="num" data-q="(\w+)" data-value=""></span>', html, out)


def _joined(values) -> str:
    """A vector's entries as the page keeps them in data-values ("" for a non-finite one)."""
    return ",".join("" if v is None else repr(v) for v in values or [])


def _exact(value):
    if value is None:
        return None
    if isinstance(value, (list, tuple)) or getattr(value, "ndim", 0) == 1:
        return [_exact(v) for v in value]
    value = float(value)
    return value if math.isfinite(value) else None
