"""The classroom app: the dashboard for a projector, with a menu of prepared scenarios.

``Classroom()`` shows the whole Explorer in large type, opened on one of the scenarios shipped
with the package (``explorer.scenarios.prepared_scenarios()``), or on those of a folder given as
``directory``. The scenario can be chosen from the menu, or by the page address
(``…/?scenario=saturated_output``) so that a teacher can bookmark each one; ``page_query()``
reads the address's query from Voila.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from urllib.parse import parse_qs

import ipywidgets as widgets

from ..panel import PanelBox
from ...scenarios import PREPARED_ORDER, ScenarioError, prepared_scenarios, read_scenario
from .explorer import Explorer
from ..dashboard.scenario import load_scenario

DEFAULT = "healthy"

# Readable from the back of a room: larger type everywhere, thicker slider handles.
PROJECTOR_CSS = """
<style>
.backprop-classroom { font-size: 19px; }
.backprop-classroom .widget-label, .backprop-classroom .widget-readout,
.backprop-classroom .widget-dropdown select, .backprop-classroom .widget-html-content,
.backprop-classroom .widget-button, .backprop-classroom input { font-size: 18px !important; }
.backprop-classroom .widget-label { min-width: 4em; }
.backprop-classroom { --jp-widgets-slider-handle-size: 22px; --jp-widgets-slider-track-thickness: 6px; }
.backprop-classroom .verdict-table, .backprop-classroom table { font-size: 18px; }
.backprop-classroom h2 { font-size: 34px; }
.backprop-classroom h3 { font-size: 25px; }
.backprop-classroom .scenario-description { font-size: 20px; max-width: 70em; }
</style>
"""


def scenario_names(directory: Path | str | None = None) -> list[str]:
    """The scenarios' names (without .json) in teaching order: the shipped ones, or a folder's files."""
    if directory is None:
        return prepared_scenarios()
    found = {p.stem for p in Path(directory).glob("*.json")}
    return [n for n in PREPARED_ORDER if n in found] + sorted(found - set(PREPARED_ORDER))


def scenario_from_query(query: str | None, names: list[str], default: str = DEFAULT) -> tuple[str, str]:
    """(name, message): the scenario a page address asks for, or the default with a reason."""
    asked = parse_qs(query or "").get("scenario", [None])[0]
    if asked is None:
        return (default if default in names else names[0]), ""
    if asked in names:
        return asked, ""
    fallback = default if default in names else names[0]
    return fallback, (
        f"There is no scenario called “{html.escape(asked)}”; showing “{fallback}”. "
        f"Available: {', '.join(names)}."
    )


def page_query() -> str:
    """The query of the page's address (``scenario=…``) under Voila, "" elsewhere.

    Voila without a kernel pool starts the kernel for the request and passes the query in the
    ``QUERY_STRING`` variable. With a pool (``python -m explorer classroom``), the notebook runs
    before anyone asks for the page: Voila's ``get_query_string()`` waits here until a request
    takes this kernel, then returns that request's query.
    """
    mode = os.environ.get("VOILA_PREHEAT")
    if mode is None:  # not a kernel started by Voila
        return ""
    if mode == "True":
        from voila.utils import get_query_string

        return get_query_string() or ""
    return os.environ.get("QUERY_STRING", "")


class Classroom(PanelBox):
    """The presenter's page: scenario menu, its description, and the Explorer under it."""

    def __init__(self, query: str | None = None, directory: Path | str | None = None):
        super().__init__()
        self.directory = Path(directory) if directory is not None else None
        names = scenario_names(self.directory)
        if not names:
            where = self.directory if self.directory is not None else "the package"
            raise FileNotFoundError(f"no scenario files (*.json) in {where}")
        if query is None:
            query = page_query()
        name, message = scenario_from_query(query, names)
        if self.directory is None:
            self.scenarios = {n: read_scenario(n) for n in names}
        else:
            self.scenarios = {n: read_scenario(self.directory / f"{n}.json") for n in names}
        first = self.scenarios[name]
        self.explorer = Explorer(first.network(), first.x, first.y, title="")
        self.state = self.explorer.state
        load_scenario(self.state, first)
        self.menu = widgets.Dropdown(
            options=[(self.scenarios[n].title or n, n) for n in names],
            value=name,
            description="Scenario",
            style={"description_width": "6em"},
            layout=widgets.Layout(width="34em"),
        )
        self.menu.observe(self._on_menu, names="value")
        self.message = widgets.HTML(self._message_html(message))
        self.description = widgets.HTML(self._description_html(first))
        self.widget = widgets.VBox(
            [
                widgets.HTML(PROJECTOR_CSS),
                widgets.HTML("<h2 style='margin:0.2em 0'>Backprop Explorer — in class</h2>"),
                self.menu,
                self.message,
                self.description,
                self.explorer,
            ]
        )
        self.widget.add_class("backprop-classroom")

    @property
    def current(self) -> str:
        return self.menu.value

    def _description_html(self, scenario) -> str:
        return f"<div class='scenario-description'>{html.escape(scenario.description, quote=False)}</div>"

    @staticmethod
    def _message_html(message: str) -> str:
        return f"<div style='color:#b2182b;font-size:18px'>{message}</div>" if message else ""

    def _on_menu(self, change) -> None:
        scenario = self.scenarios[change["new"]]
        try:
            load_scenario(self.state, scenario)
        except ScenarioError as error:  # the files were checked at start; a changed file lands here
            self.message.value = self._message_html(html.escape(str(error)))
            return
        self.message.value = ""
        self.description.value = self._description_html(scenario)


#: The Voila template of the classroom app: Voila's lab page without its Font Awesome CDN links.
VOILA_TEMPLATE = "backprop"


def voila_options(environ=None) -> tuple[list[str], dict]:
    """Voila's command-line options and environment for serving the app offline.

    The template (``apps/voila-template.html.j2``, Voila's lab page less its CDN links) is
    written into a fresh data folder, ``voila/templates/backprop/``, which Voila finds through
    ``JUPYTER_PATH``.
    """
    import json
    import tempfile
    from importlib import resources

    data = Path(tempfile.mkdtemp(prefix="backprop-voila-"))
    folder = data / "voila" / "templates" / VOILA_TEMPLATE
    folder.mkdir(parents=True)
    template = resources.files("explorer.widgets.apps").joinpath("voila-template.html.j2").read_text(encoding="utf-8")
    (folder / "index.html.j2").write_text(template, encoding="utf-8")
    (folder / "conf.json").write_text(json.dumps({"base_template": "lab"}), encoding="utf-8")
    env = dict(os.environ if environ is None else environ)
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(data), env.get("JUPYTER_PATH", "")) if p)
    return [f"--template={VOILA_TEMPLATE}"], env
