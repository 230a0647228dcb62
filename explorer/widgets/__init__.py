"""Live widget panels over the core (ipywidgets and anywidget; the browser draws them).

Every panel observes one shared ``ExplorerState`` and updates in place when it changes.
"""

from .dashboard.controls import ControlsPanel
from .dashboard.demon import DemonPanel
from .dashboard.diagram import NetworkDiagram
from .dashboard.equations import EquationsPanel
from .chapter.exercise import ExerciseCheck
from .apps.explorer import Explorer
from .chapter.paths import PathsPanel
from .chapter.race import RacePanel
from .dashboard.saturation import SaturationPanel
from .dashboard.scenario import ScenarioPanel
from .state import ExplorerState
from .chapter.stepper import StepThroughPanel
from .chapter.training import TrainingPanel

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
