"""``ControlNames``: gives the sliders of a widget box accessible names, in the browser.

ipywidgets' slider handles have no accessible name (axe-core: "ARIA input fields must have an
accessible name"); ``names.js`` copies each slider's own label onto its handle as ``aria-label``.
Put one in the box whose sliders need names (``Explorer`` does); it draws nothing.
"""

from __future__ import annotations

import anywidget
import traitlets

from ..guard import Guarded

from . import source


class ControlNames(Guarded, anywidget.AnyWidget):
    """Names the slider handles inside the nearest element matching ``root`` (a CSS selector)."""

    _esm = source("names.js")
    root = traitlets.Unicode(".backprop-explorer").tag(sync=True)
