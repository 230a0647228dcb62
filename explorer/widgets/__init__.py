"""Live widget panels over the core (ipywidgets, ipympl, anywidget).

Every panel observes one shared ``ExplorerState`` and updates in place when it changes.
"""

from .state import ExplorerState

__all__ = ["ExplorerState"]
