"""The common shape of a panel: an ipywidgets box built on an ExplorerState.

A panel is a widget itself, so it can go into a user's own ``HBox`` or ``Tab`` and close like
any other. Its content (``panel.widget``) is the one child of the box.
"""

from __future__ import annotations

import html

import ipywidgets

from . import guard
from . import ui as widgets

from .state import ExplorerState


def diverged_html(message: str) -> str:
    """The red notice a panel shows instead of numbers it cannot compute (message escaped)."""
    return f'<div class="diverged" style="color:#b00020">⚠ {html.escape(message)}</div>'


def widget_tree(root: ipywidgets.Widget) -> list[ipywidgets.Widget]:
    """``root`` and every widget reachable from it through synced traits (children, layout,
    style, …): the widgets a page showing ``root`` is sent."""
    found: dict[int, ipywidgets.Widget] = {}
    stack = [root]
    while stack:
        widget = stack.pop()
        if not isinstance(widget, ipywidgets.Widget) or id(widget) in found:
            continue
        found[id(widget)] = widget
        for key in widget.keys:
            value = getattr(widget, key, None)
            stack.extend(value if isinstance(value, (list, tuple)) else (value,))
    return list(found.values())


def close_tree(root: ipywidgets.Widget) -> int:
    """Close ``root`` and every widget of its ``widget_tree``; returns how many were closed."""
    tree = widget_tree(root)
    for widget in tree:
        widget.close()
    return len(tree)


class PanelBox(guard.MessageArea, widgets.VBox):
    """A box showing one content widget: assigning ``self.widget`` makes it the box's child.

    It is the message area of the widgets inside it: a value the page sends that a control
    refuses (``explorer.widgets.guard``) is explained under the content (``notice_text``).

    Closing the box closes its content too, so a closed panel leaves no model behind in the
    page for its largest parts.
    """

    _content: widgets.Widget | None = None

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        guard.watch(self)
        if self._content is not None:  # content built before the box (Box.__init__ resets children)
            self.children = (self._content,)

    @property
    def widget(self) -> widgets.Widget | None:
        """The panel's content (the box's one child)."""
        return self._content

    @widget.setter
    def widget(self, content: widgets.Widget) -> None:
        self._content = content
        self.children = (content,)

    def close(self) -> None:
        content, self._content = self._content, None
        if content is not None:
            content.close()
        super().close()


class Panel(PanelBox):
    """Subclasses build ``self.widget`` in ``__init__`` and implement ``refresh()``.

    ``refresh`` is called after every change of the state (its ``revision``); it reads the
    state's trace and updates its widgets in place (a figure gets new numbers, not a new picture). ``DemonPanel(state)`` alone in a
    cell shows the panel; ``HBox([DemonPanel(state), my_plot])`` puts it beside something else.
    """

    _following = False

    def __init__(self, state: ExplorerState, follow: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.state = state
        if follow:  # a panel inside another panel may leave the refreshing to its owner
            state.observe(self._on_revision, names="revision")
            self._following = True

    def _on_revision(self, change) -> None:
        self.refresh()

    def refresh(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Stop following the state and close the widget (twice is harmless, as for any widget)."""
        if self._following:
            self._following = False
            self.state.unobserve(self._on_revision, names="revision")
        super().close()
