"""The whole dashboard in one line: ``Explorer(Network([2, 3, 2], seed=1), x, y)``."""

from __future__ import annotations

from .. import guard
from .. import ui as widgets

from ...core import Network
from ..dashboard.controls import ControlsPanel
from ..dashboard.demon import DemonPanel
from ..dashboard.diagram import NetworkDiagram
from ..drawing.names import ControlNames
from ..dashboard.equations import EquationsPanel
from ..dashboard.saturation import SaturationPanel
from ..dashboard.scenario import ScenarioPanel
from ..state import ExplorerState


class Explorer(guard.MessageArea, widgets.VBox):
    """Every panel of the live explorer, bound to one shared ``ExplorerState``.

    ``Explorer(net, x, y)`` builds the state; ``Explorer(state=s)`` binds to an existing one.
    ``batch`` (X, Y) gives the examples of the saturation heatmaps (default: 99 random inputs
    with the current target). The panels are attributes (``diagram``, ``controls``,
    ``equations``, ``demon``, ``saturation``, ``scenario``) and each can be shown alone.
    The Explorer is itself a widget (a ``VBox``): ``HBox([Explorer(...), my_plot])`` works.
    """

    def __init__(self, network: Network | None = None, x=None, y=None, *, batch=None, state=None, title="Backprop Explorer"):
        super().__init__(layout=widgets.Layout(width="100%"))
        if state is None:
            if network is None or x is None or y is None:
                raise ValueError("Explorer: give a network, x and y (or state=an ExplorerState)")
            state = ExplorerState(network, x, y, batch=batch)
        self.state = state
        self.diagram = NetworkDiagram(state)
        self.controls = ControlsPanel(state)
        self.equations = EquationsPanel(state)
        self.demon = DemonPanel(state)
        self.saturation = SaturationPanel(state)
        self.scenario = ScenarioPanel(state)
        self.panels = [self.diagram, self.controls, self.equations, self.demon, self.saturation, self.scenario]
        # no empty heading when the page has its own title (the classroom app)
        self.title = widgets.HTML(f"<h2 style='margin:0.2em 0'>{title}</h2>" if title else "")
        wrap = widgets.Layout(flex_flow="row wrap", align_items="flex-start")
        section = lambda name, panel: widgets.VBox([widgets.HTML(f"<h3 style='margin:0.3em 0'>{name}</h3>"), panel])
        self.children = (
            self.title,
            widgets.HBox([self.diagram, self.controls], layout=wrap),
            widgets.HBox(
                [section("The four equations, live", self.equations), section("The demon", self.demon)],
                layout=wrap,
            ),
            section("Saturation: where learning slows down", self.saturation),
            widgets.Accordion(children=[self.scenario], titles=("Save or load a scenario",)),
            ControlNames(),
        )
        self.add_class("backprop-explorer")
        guard.watch(self)  # refusals of its own widgets (the accordion) are shown under it

    def close(self) -> None:
        for panel in self.panels:
            panel.close()
        super().close()
