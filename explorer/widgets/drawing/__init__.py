"""The browser side: ES modules that draw what the kernel sends, and KaTeX, bundled.

- ``diagram.js`` (+ ``diagram.css``): the network diagram.
- ``plot.js``: figures (axes with lines, points, bars, rules, labels, heatmaps) as SVG, the
  drawing layer of every live panel but the diagram (``Plot`` in ``plot.py``).
- ``equations.js``: formulas typeset once with KaTeX, numbers updated in place (``Formula``).
- ``address.js`` (+ ``address.css``): the state in the page's address, "copy link" and
  "download scenario" (``AddressBar`` in ``address.py``).
- ``names.js``: accessible names for ipywidgets' slider handles (``ControlNames``).
- ``presenter.js`` (+ ``presenter.css``, the presenter layout's stylesheet): its high-contrast and
  full-screen buttons (``PresenterSwitches`` in ``presenter.py``).
- ``keys.js`` (+ ``keys.css``): keyboard shortcuts, their help, the focus ring (``Shortcuts``
  in ``widgets/keys.py``).
- ``katex/``: KaTeX's npm release (script, CSS with the fonts inlined, licence), written by
  ``scripts/bundle_katex.py``; sent to the page once by ``KatexAssets``.

Files are read with ``importlib.resources``, so the package works wherever it is installed.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files


@cache
def source(name: str) -> str:
    """The text of one of this folder's files (``"plot.js"``, ``"katex/katex.css"``)."""
    return files(__name__).joinpath(name).read_text(encoding="utf-8")


from .plot import Plot, as_buffer  # noqa: E402  (plot.py reads its module with source())
from .formula import Formula, KatexAssets  # noqa: E402

__all__ = ["Formula", "KatexAssets", "Plot", "as_buffer", "source"]
