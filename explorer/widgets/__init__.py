"""Live widget panels over the core (ipywidgets, ipympl, anywidget).

Every panel observes one shared ``ExplorerState`` and updates in place when it changes.
"""

from .controls import ControlsPanel
from .demon import DemonPanel
from .diagram import NetworkDiagram
from .equations import EquationsPanel
from .explorer import Explorer
from .saturation import SaturationPanel
from .scenario import ScenarioPanel
from .state import ExplorerState

__all__ = [
    "ControlsPanel",
    "DemonPanel",
    "EquationsPanel",
    "Explorer",
    "ExplorerState",
    "NetworkDiagram",
    "SaturationPanel",
    "ScenarioPanel",
]
