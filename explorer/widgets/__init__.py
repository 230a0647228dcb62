"""Live widget panels over the core (ipywidgets, ipympl, anywidget).

Every panel observes one shared ``ExplorerState`` and updates in place when it changes.
"""

from .controls import ControlsPanel
from .demon import DemonPanel
from .diagram import NetworkDiagram
from .equations import EquationsPanel
from .exercise import ExerciseCheck
from .explorer import Explorer
from .paths import PathsPanel
from .race import RacePanel
from .saturation import SaturationPanel
from .scenario import ScenarioPanel
from .state import ExplorerState
from .stepper import StepThroughPanel
from .training import TrainingPanel

__all__ = [
    "ControlsPanel",
    "DemonPanel",
    "EquationsPanel",
    "ExerciseCheck",
    "Explorer",
    "ExplorerState",
    "NetworkDiagram",
    "PathsPanel",
    "RacePanel",
    "SaturationPanel",
    "ScenarioPanel",
    "StepThroughPanel",
    "TrainingPanel",
]
