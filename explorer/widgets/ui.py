"""ipywidgets for our panels, each one guarded (``explorer.widgets.guard``).

``from .. import ui as widgets`` and then ``widgets.FloatSlider(...)``, ``widgets.VBox(...)``:
the same classes, under the same names, whose messages from the page are checked before they
are applied. Names that are not widget classes (``widget_serialization``, ``jslink``) are
ipywidgets' own.
"""

from __future__ import annotations

import ipywidgets

from .guard import Guarded


def __getattr__(name: str):
    value = getattr(ipywidgets, name)
    if isinstance(value, type) and issubclass(value, ipywidgets.Widget):
        return Guarded.of(value)
    return value
