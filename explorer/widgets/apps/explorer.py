"""The whole dashboard in one line: ``Explorer(Network([2, 3, 2], seed=1), x, y)``."""

from __future__ import annotations

from .. import guard
from .. import ui as widgets

from ...core import Network
from ..dashboard.controls import ControlsPanel
from ..dashboard.demon import DemonPanel
from ..dashboard.diagram import NetworkDiagram
from ..drawing.names import ControlNames
from ..drawing.presenter import PresenterSwitches
from ..keys import Shortcuts
from ..dashboard.equations import EquationsPanel
from ..dashboard.saturation import SaturationPanel
from ..dashboard.scenario import ScenarioPanel, load_scenario, scenario_of_state
from ..state import ExplorerState
from ...links import Link, link_query, looks_like_link, read_link
from ...scenarios import read_scenario


#: The layouts an Explorer can take.
LAYOUTS = ("laptop", "presenter")


class Explorer(guard.MessageArea, widgets.VBox):
    """Every panel of the live explorer, bound to one shared ``ExplorerState``.

    ``Explorer(net, x, y)`` builds the state; ``Explorer(state=s)`` binds to an existing one.
    ``batch`` (X, Y) gives the examples of the saturation heatmaps (default: 99 random inputs
    with the current target). The panels are attributes (``diagram``, ``controls``,
    ``equations``, ``demon``, ``saturation``, ``scenario``) and each can be shown alone;
    ``shortcuts`` are its keys (``explorer.widgets.keys``; press ``?`` in the page for the list).
    The Explorer is itself a widget (a ``VBox``): ``HBox([Explorer(...), my_plot])`` works.
    ``Explorer.from_scenario(...)`` opens a scenario or a link made by the classroom app;
    ``link()`` gives the state as one; ``view`` says which sections are open.

    ``layout="laptop"`` (the default, for notebooks) shows every panel one under another.
    ``layout="presenter"`` fits one screen of a projector (1280×720 or larger) without
    scrolling: a bar (``bar``: the title, then ``switches``, a high-contrast and a full-screen
    button), the diagram filling the left, and on the right the demon over the selected
    neuron's own equation (``equations`` with ``live_only=True``). It has no ``controls``,
    ``saturation`` or ``scenario`` panel (those attributes are ``None``); ``contrast`` is the
    theme, on or off.
    """

    def __init__(
        self, network: Network | None = None, x=None, y=None, *, batch=None, state=None,
        title="Backprop Explorer", layout: str = "laptop",
    ):
        if layout not in LAYOUTS:
            raise ValueError(f"Explorer: layout must be one of {', '.join(map(repr, LAYOUTS))}, got {layout!r}")
        super().__init__(layout=widgets.Layout(width="100%"))
        self.layout_name = layout
        if state is None:
            if network is None or x is None or y is None:
                raise ValueError("Explorer: give a network, x and y (or state=an ExplorerState)")
            state = ExplorerState(network, x, y, batch=batch)
        self.state = state
        self.shortcuts = Shortcuts(state)  # the keyboard: "?" lists the keys
        if layout == "presenter":
            self._build_presenter(state, title)
            return
        self.switches = self.bar = None
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
            self.shortcuts,
        )
        self.add_class("backprop-explorer")
        guard.watch(self)  # refusals of its own widgets (the accordion) are shown under it

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
        """What is open, as a link records it: ``{"open": ["scenario"]}`` (the laptop layout's scenario
        section), ``{"open": ["contrast"]}`` (the presenter's high-contrast theme), or ``{"open": []}``."""
        section = self.scenario_section  # None in the presenter layout, which has no such section
        opened = ["scenario"] if section is not None and section.selected_index == 0 else []
        return {"open": opened + (["contrast"] if self.contrast else [])}

    @view.setter
    def view(self, view) -> None:
        if self.scenario_section is not None:
            self.scenario_section.selected_index = 0 if "scenario" in view.get("open", ()) else None
        if self.switches is not None:
            self.contrast = "contrast" in view.get("open", ())

    def link(self, title: str = "", description: str = "") -> str:
        """The state as a link's query, ``"s=1.…"``: add it to the classroom app's address, or give
        it to ``Explorer.from_scenario``."""
        return link_query(scenario_of_state(self.state, title, description), self.view)
    def _build_presenter(self, state: ExplorerState, title: str) -> None:
        self.diagram = NetworkDiagram(state, presenter=True)
        self.demon = DemonPanel(state, presenter=True)
        self.equations = EquationsPanel(state, live_only=True)
        self.controls = self.saturation = self.scenario = self.scenario_section = None
        self.panels = [self.diagram, self.demon, self.equations]
        self.switches = PresenterSwitches()
        self.switches.observe(self._on_contrast, names="contrast")
        self.title = widgets.HTML(f"<div class='bpx-presenter-title'>{title}</div>" if title else "")
        self.bar = widgets.HBox([self.title, self.switches, self.shortcuts])
        self.bar.add_class("bpx-presenter-bar")
        left = widgets.VBox([self.diagram])
        left.add_class("bpx-presenter-left")
        # The equation gets a box of its own whose height the stylesheet fixes, so that another
        # neuron's equation (BP1 or BP2, longer or shorter) never moves what is around it.
        equation = widgets.VBox([self.equations])
        equation.add_class("bpx-presenter-equation")
        right = widgets.VBox([self.demon, equation])
        right.add_class("bpx-presenter-right")
        main = widgets.HBox([left, right])
        main.add_class("bpx-presenter-main")
        self.children = (self.bar, main, ControlNames())
        self.add_class("backprop-explorer")
        self.add_class("bpx-presenter")

    @property
    def contrast(self) -> bool:
        """The high-contrast theme is on (presenter layout; always False for the laptop one)."""
        return bool(self.switches is not None and self.switches.contrast)

    @contrast.setter
    def contrast(self, on: bool) -> None:
        if self.switches is None:
            raise ValueError("Explorer: the high-contrast theme belongs to layout='presenter'")
        self.switches.contrast = bool(on)

    def _on_contrast(self, change) -> None:
        if change["new"]:
            self.add_class("bpx-contrast")
        else:
            self.remove_class("bpx-contrast")

    def close(self) -> None:
        # getattr: an Explorer refused in __init__ (a wrong layout) is closed when collected
        for panel in getattr(self, "panels", ()):
            panel.close()
        if getattr(self, "switches", None) is not None:
            self.switches.close()
        if getattr(self, "shortcuts", None) is not None:
            self.shortcuts.close()
        super().close()
