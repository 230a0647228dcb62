"""``PresenterSwitches``: the high-contrast and full-screen buttons of the presenter layout.

Its module (``presenter.js``) draws two buttons; its stylesheet (``presenter.css``) is the whole
presenter layout's, so that the page gets it once with the widget. The theme is the ``contrast``
trait: ``Explorer(layout="presenter")`` follows it by putting the class ``bpx-contrast`` on
itself, whose CSS variables darken text and lines.
"""

from __future__ import annotations

import anywidget
import traitlets

from . import source
from ..guard import Guarded


class PresenterSwitches(Guarded, anywidget.AnyWidget):
    """Two buttons: "High contrast" (the synced ``contrast`` trait) and "Full screen" (browser only)."""

    _esm = source("presenter.js")
    _css = source("presenter.css")
    #: The page sets the theme (on or off: checked as a Bool by the guard), nothing else.
    page_traits = ("contrast",)
    page_noun = "the contrast switch"
    contrast = traitlets.Bool(False).tag(sync=True)
