"""The scenario panel: save the dashboard's state as a scenario file, or open one.

A scenario (network, example, selection, Δz, Δw, with a title and a description) is read,
checked and written by ``explorer.scenarios``, which also describes the file format with a
JSON Schema. This module applies one to an ``ExplorerState`` in a single revision, makes one of
a state, and gives the panel; a bad file gives a clear message and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from pathlib import Path

from .. import ui as widgets

from ...scenarios import (
    FORMAT,
    NOTATION,
    VERSION,
    Scenario,
    ScenarioError,
    make_scenario,
    parse_scenario_text,
    prepared_scenarios,
    read_scenario,
    scenario_to_dict,
    scenario_to_json,
    write_scenario,
)
from ..panel import Panel
from ..state import ExplorerState

__all__ = [
    "FORMAT",
    "NOTATION",
    "VERSION",
    "Scenario",
    "ScenarioError",
    "ScenarioPanel",
    "load_scenario",
    "parse_scenario_text",
    "read_scenario",
    "save_scenario",
    "scenario_dict",
    "scenario_json",
    "scenario_of_state",
]


def scenario_of_state(state: ExplorerState, title: str = "", description: str = "") -> Scenario:
    """The state as a checked Scenario; nothing in the state changes."""
    return make_scenario(
        state.network, state.x, state.y, selection=dict(state.selection),
        dz=state.dz, dw=state.dw, title=title, description=description,
    )


def scenario_dict(state: ExplorerState, title: str = "", description: str = "") -> dict:
    """The state as a scenario: plain JSON data, nothing in the state changes."""
    return scenario_to_dict(scenario_of_state(state, title, description))


def scenario_json(state: ExplorerState, title: str = "", description: str = "") -> str:
    """The scenario as the text of a .json file."""
    return scenario_to_json(scenario_of_state(state, title, description))


def save_scenario(state: ExplorerState, path, title: str = "", description: str = "") -> Path:
    """Write the state to ``path`` as a scenario; returns the path written (no half file on failure)."""
    return write_scenario(scenario_of_state(state, title, description), path)


def load_scenario(state: ExplorerState, source) -> Scenario:
    """Apply a scenario (a prepared one's name, a path, a dict or a Scenario) to the state in one
    revision; a bad scenario changes nothing."""
    scenario = read_scenario(source)
    net = scenario.network()
    with state.hold():
        state.set_network(net, scenario.x, scenario.y)
        state.selection = dict(scenario.selection)
        state.dz = scenario.dz
        state.dw = scenario.dw
    return scenario


# ----------------------------------------------------------------------------- the panel


def _status(colour: str, text: str) -> str:
    return f"<span style='color:{colour};font-size:14px'>{escape(text)}</span>"


class ScenarioPanel(Panel):
    """Save the state as a scenario file, or load one (upload, a file of ``directory``, a prepared one).

    Widgets: ``title``, ``description``, ``filename`` (Text), ``save_button``, ``upload``
    (FileUpload accepting .json), and when ``directory`` is given ``choice`` (Dropdown of its
    .json files) with ``open_button``; with ``prepared=True``, ``prepared_choice`` (Dropdown of
    the scenarios shipped with the package) with ``open_prepared_button``; ``status`` (HTML)
    says what happened, green or red.
    ``last_scenario`` is the last one loaded. Relative filenames are taken in ``directory``
    (or the working directory).
    """

    GREEN, RED = "#1a7f37", "#c62828"

    def __init__(self, state: ExplorerState, directory=None, prepared: bool = False):
        super().__init__(state)
        self.directory = Path(directory) if directory is not None else None
        self.last_scenario: Scenario | None = None
        self.title = widgets.Text(description="title", placeholder="what this scenario shows")
        self.description = widgets.Textarea(
            description="description", placeholder="what to look at, what to try",
            layout=widgets.Layout(width="520px", height="70px"),
        )
        self.filename = widgets.Text(description="file", value="scenario.json")
        self.save_button = widgets.Button(description="Save", icon="save", button_style="primary")
        self.upload = widgets.FileUpload(accept=".json", multiple=False, description="Load…")
        self.status = widgets.HTML()
        self.save_button.on_click(self._on_save)
        self.upload.observe(self._on_upload, names="value")
        rows = [
            self.title,
            self.description,
            widgets.HBox([self.filename, self.save_button, self.upload]),
        ]
        if self.directory is not None:
            self.choice = widgets.Dropdown(description="scenario", options=self._listing())
            self.open_button = widgets.Button(description="Open", icon="folder-open")
            self.open_button.on_click(self._on_open)
            rows.append(widgets.HBox([self.choice, self.open_button]))
        if prepared:
            self.prepared_choice = widgets.Dropdown(description="prepared", options=prepared_scenarios())
            self.open_prepared_button = widgets.Button(description="Open", icon="folder-open")
            self.open_prepared_button.on_click(self._on_open_prepared)
            rows.append(widgets.HBox([self.prepared_choice, self.open_prepared_button]))
        rows.append(self.status)
        self.widget = widgets.VBox(rows)

    def refresh(self) -> None:
        """Nothing here follows the trace: saving reads the state when asked."""

    def _listing(self) -> list[str]:
        return sorted(p.name for p in self.directory.glob("*.json")) if self.directory else []

    def _path(self, name: str) -> Path:
        path = Path(name)
        if path.suffix != ".json":
            path = path.with_name(path.name + ".json")
        if not path.is_absolute() and self.directory is not None:
            path = self.directory / path
        return path

    def _on_save(self, button=None) -> None:
        name = self.filename.value.strip()
        if not name:
            self.status.value = _status(self.RED, "give a file name first")
            return
        path = self._path(name)
        try:
            written = save_scenario(self.state, path, self.title.value, self.description.value)
        except (ScenarioError, OSError) as error:
            self.status.value = _status(self.RED, f"not saved: {error}")
            return
        self.status.value = _status(self.GREEN, f"saved to {written.resolve()}")
        if self.directory is not None:
            self.choice.options = self._listing()

    def _apply(self, source, label: str) -> None:
        try:
            scenario = load_scenario(self.state, source)
        except ScenarioError as error:
            self.status.value = _status(self.RED, f"{label}: not loaded, {error}")
            return
        self.last_scenario = scenario
        self.title.value = scenario.title
        self.description.value = scenario.description
        heading = f" — {scenario.title}" if scenario.title else ""
        self.status.value = _status(self.GREEN, f"loaded {label}{heading}")

    def _on_upload(self, change) -> None:
        files = change["new"]
        if not files:
            return
        item = files[0]
        name = item.get("name", "upload") if isinstance(item, Mapping) else "upload"
        try:
            data = parse_scenario_text(item["content"], name)
        except ScenarioError as error:
            self.status.value = _status(self.RED, f"{name}: not loaded, {error}")
        else:
            self._apply(data, name)
        # Empty the upload so that the same file can be chosen again.
        self.upload.value = ()

    def _on_open(self, button=None) -> None:
        if not self.choice.value:
            self.status.value = _status(self.RED, f"no .json files in {self.directory}")
            return
        self._apply(self.directory / self.choice.value, self.choice.value)

    def _on_open_prepared(self, button=None) -> None:
        self._apply(self.prepared_choice.value, self.prepared_choice.value)
