"""The common shape of a panel: built on an ExplorerState, shown as one ipywidgets widget."""

from __future__ import annotations

import html

import ipywidgets as widgets

from .state import ExplorerState


def diverged_html(message: str) -> str:
    """The red notice a panel shows instead of numbers it cannot compute (message escaped)."""
    return f'<div class="diverged" style="color:#b00020">⚠ {html.escape(message)}</div>'


class Panel:
    """Subclasses build ``self.widget`` in ``__init__`` and implement ``refresh()``.

    ``refresh`` is called after every change of the state (its ``revision``); it reads the
    state's trace and updates widgets and artists in place. Displaying a panel displays its
    widget, so ``DemonPanel(state)`` alone in a cell shows it.
    """

    widget: widgets.Widget

    def __init__(self, state: ExplorerState):
        self.state = state
        state.observe(self._on_revision, names="revision")

    def _on_revision(self, change) -> None:
        self.refresh()

    def refresh(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Stop following the state and close the widget."""
        self.state.unobserve(self._on_revision, names="revision")
        self.widget.close()

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
