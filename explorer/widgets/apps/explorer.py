"""The whole dashboard in one line: ``Explorer(Network([2, 3, 2], seed=1), x, y)``."""

from __future__ import annotations

import ipywidgets as widgets

from ...core import Network
from ..dashboard.controls import ControlsPanel
from ..dashboard.demon import DemonPanel
from ..dashboard.diagram import NetworkDiagram
from ..drawing.names import ControlNames
from ..dashboard.equations import EquationsPanel
from ..dashboard.saturation import SaturationPanel
from ..dashboard.scenario import ScenarioPanel, load_scenario, scenario_of_state
from ..state import ExplorerState
from ...links import Link, link_query, looks_like_link, read_link
from ...scenarios import read_scenario


class Explorer(widgets.VBox):
    """Every panel of the live explorer, bound to one shared ``ExplorerState``.

    ``Explorer(net, x, y)`` builds the state; ``Explorer(state=s)`` binds to an existing one.
    ``batch`` (X, Y) gives the examples of the saturation heatmaps (default: 99 random inputs
    with the current target). The panels are attributes (``diagram``, ``controls``,
    ``equations``, ``demon``, ``saturation``, ``scenario``) and each can be shown alone.
    The Explorer is itself a widget (a ``VBox``): ``HBox([Explorer(...), my_plot])`` works.
    ``Explorer.from_scenario(...)`` opens a scenario or a link made by the classroom app;
    ``link()`` gives the state as one; ``view`` says which sections are open.
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
        self.scenario_section = widgets.Accordion(children=[self.scenario], titles=("Save or load a scenario",))
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
            self.scenario_section,
            ControlNames(),
        )
        self.add_class("backprop-explorer")

    @classmethod
    def from_scenario(cls, source, **kwargs) -> Explorer:
        """An Explorer opened on a scenario: a prepared one's name, a .json path, a ``Scenario``,
        its dict, or a link (``"https://…?s=1.…"``, ``"?s=1.…"`` or ``"1.…"``, as "Copy link" in the
        classroom app gives it), with the sections the link had open. Keyword arguments go to
        ``Explorer``. A scenario or link that cannot be used raises a ``ScenarioError`` saying why.
        """
        if isinstance(source, str) and looks_like_link(source):
            link = read_link(source)
        else:
            link = Link(read_scenario(source))
        scenario = link.scenario
        explorer = cls(scenario.network(), scenario.x, scenario.y, **kwargs)
        load_scenario(explorer.state, scenario)
        explorer.view = link.view
        return explorer

    @property
    def view(self) -> dict:
        """Which sections are open, as a link records it: ``{"open": ["scenario"]}`` or ``{"open": []}``."""
        return {"open": ["scenario"] if self.scenario_section.selected_index == 0 else []}

    @view.setter
    def view(self, view) -> None:
        self.scenario_section.selected_index = 0 if "scenario" in view.get("open", ()) else None

    def link(self, title: str = "", description: str = "") -> str:
        """The state as a link's query, ``"s=1.…"``: add it to the classroom app's address, or give
        it to ``Explorer.from_scenario``."""
        return link_query(scenario_of_state(self.state, title, description), self.view)

    def close(self) -> None:
        for panel in self.panels:
            panel.close()
        super().close()
