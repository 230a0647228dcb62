"""Dropdowns that follow the state: new options without a stray value reaching the state.

ipywidgets resets a Dropdown to its first option whenever its options are reassigned, and its
observers see that reset as a user's choice. A panel whose handler compares the new value with
the state would then push the first option into the state. So when the options change, the
dropdown is replaced by a new one made with its options and value at once (its handler attached
afterwards); when only the value changes, it is set, and the handler finds it equal to the
state's and does nothing.
"""

from __future__ import annotations

from . import ui as widgets


def follow(box: widgets.Box, dropdown: widgets.Dropdown, options, value, handler) -> widgets.Dropdown:
    """``dropdown`` showing ``value`` among ``options``: itself, or its replacement inside ``box``."""
    options = list(options)
    if list(dropdown.options) == options:
        if dropdown.value != value:
            dropdown.value = value
        return dropdown
    new = widgets.Dropdown(options=options, value=value, description=dropdown.description,
                           layout=widgets.Layout(width=dropdown.layout.width),
                           style={"description_width": dropdown.style.description_width})
    new.observe(handler, names="value")
    box.children = tuple(new if child is dropdown else child for child in box.children)
    dropdown.close()
    return new


__all__ = ["follow"]
