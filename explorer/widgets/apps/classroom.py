"""The classroom app: the dashboard for a projector, with a menu of prepared scenarios.

``Classroom()`` shows the whole Explorer in large type, opened on one of the scenarios shipped
with the package (``explorer.scenarios.prepared_scenarios()``), or on those of a folder given as
``directory``. The scenario can be chosen from the menu, or by the page address
(``…/?scenario=saturated_output``) so that a teacher can bookmark each one; ``page_query()``
reads the address's query from Voila.

After every change the whole state goes into the address as a link (``?s=1.…``, see
``explorer.links``; written by the ``AddressBar``, which also copies the link and downloads the
scenario), and such an address opens on that state. A link that cannot be opened shows the
default scenario with a sentence saying why.

The page is the Explorer's presenter layout (``Explorer(layout="presenter")``): one screen of a
projector, 1280×720 or larger, with no scrolling, the scenario menu in its bar. ``layout="laptop"``
(or ``…/?layout=laptop``) shows every panel instead, one under another, for a page that scrolls.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from urllib.parse import parse_qs

from .. import ui as widgets

from ..panel import PanelBox, close_tree
from ...scenarios import PREPARED_ORDER, ScenarioError, prepared_scenarios, read_scenario
from .explorer import Explorer
from ..dashboard.scenario import load_scenario, scenario_of_state
from ..drawing.address import AddressBar
from ...quick_import import import_quickly
from ...links import LinkError, link_in, link_query, read_link
from ...scenarios import scenario_to_json

DEFAULT = "healthy"

#: A page query longer than this is not parsed for its layout (links stop at 32,000 characters).
MAX_QUERY = 64 * 1024

#: The layouts of the page: the first is the default (a class server may choose another).
LAYOUTS = ("presenter", "laptop")
#: The class server's default layout (``python -m explorer classroom --layout``), for its kernels.
LAYOUT_VARIABLE = "BACKPROP_CLASSROOM_LAYOUT"

# The laptop layout in larger type (the presenter layout has its own stylesheet, presenter.css).
LAPTOP_CSS = """
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


def default_layout() -> str:
    """The layout of a page whose address names none: the class server's ``--layout`` (given to
    its kernels in ``BACKPROP_CLASSROOM_LAYOUT``), else the presenter's."""
    chosen = os.environ.get(LAYOUT_VARIABLE, "")
    return chosen if chosen in LAYOUTS else LAYOUTS[0]


def layout_from_query(query: str | None) -> tuple[str, str]:
    """(layout, message): the layout a page address asks for (``?layout=laptop``), or the default.

    A query too long for any link is not parsed (the link's own check has said why)."""
    default = default_layout()
    if len(query or "") > MAX_QUERY:
        return default, ""
    asked = parse_qs(query or "").get("layout", [None])[0]
    if asked is None or asked in LAYOUTS:
        return asked or default, ""
    return default, (
        f"There is no layout called “{html.escape(asked)}”; showing “{default}”. "
        f"Available: {', '.join(LAYOUTS)}."
    )


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


def refusal_message(query: str | None) -> str:
    """The sentence for ``?refused=N``: the class server sent an address N characters long here."""
    asked = parse_qs(query or "", max_num_fields=10).get("refused", [None])[0] if len(query or "") < 1000 else None
    if asked is None or not asked.isdigit() or len(asked) > 12:
        return ""
    return (f"That address was too long to open ({int(asked):,} characters; a link made here has at "
            "most 32,000). Showing the default scenario instead.")


def waiting_for_a_page() -> bool:
    """Whether this kernel is one of Voila's pool, run ahead of the request (``page_query()`` waits)."""
    return os.environ.get("VOILA_PREHEAT") == "True"


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
    if waiting_for_a_page():
        # voila.utils imports jupyter_server, and with it jsonschema: without its slow extra
        return import_quickly("voila.utils").get_query_string() or ""
    return os.environ.get("QUERY_STRING", "")


class Classroom(PanelBox):
    """The presenter's page: the Explorer with a scenario menu and the scenario's description.

    ``layout`` is "presenter" (the default: one screen, the menu in the Explorer's bar, the
    description behind "About") or "laptop" (every panel, the page scrolls);
    ``None`` takes it from the address (``?layout=laptop``).
    """

    def __init__(self, query: str | None = None, directory: Path | str | None = None, layout: str | None = None):
        super().__init__()
        if layout is not None and layout not in LAYOUTS:
            raise ValueError(f"Classroom: layout must be one of {', '.join(map(repr, LAYOUTS))}, got {layout!r}")
        self.directory = Path(directory) if directory is not None else None
        names = scenario_names(self.directory)
        if not names:
            where = self.directory if self.directory is not None else "the package"
            raise FileNotFoundError(f"no scenario files (*.json) in {where}")
        # the files are read (and checked) before the page's address is known: in a class
        # server's pool that is done ahead of the student, not while the class waits
        if self.directory is None:
            self.scenarios = {n: read_scenario(n) for n in names}
        else:
            self.scenarios = {n: read_scenario(self.directory / f"{n}.json") for n in names}
        ahead, ahead_layout = None, default_layout()
        if query is None and layout in (None, ahead_layout) and waiting_for_a_page():
            # a kernel of the class server's pool: the default page is built before a student
            # asks for it, and then only loads the asked scenario (what the menu does)
            default = self.scenarios[scenario_from_query("", names)[0]]  # what an address without one opens
            ahead = Explorer(default.network(), default.x, default.y, layout=ahead_layout, title="")
        if query is None:
            query = page_query()
        link, message = self._link_from_query(query)
        name, asked_message = scenario_from_query(query if message == "" else "", names)
        message = message or asked_message or refusal_message(query)
        if layout is None:
            layout, layout_message = layout_from_query(query)
            message = " ".join(m for m in (message, layout_message) if m)
        self.layout_name = layout
        first = self.scenarios[name]
        options = [(self.scenarios[n].title or n, n) for n in names]
        if link is not None:
            first = link.scenario  # a ?s= link wins over a ?scenario=
            titled = [n for n in names if first.title and self.scenarios[n].title == first.title]
            if titled:  # the menu names the prepared scenario the teacher started from
                name = titled[0]
            else:  # a scenario made elsewhere: the menu says where it came from
                name = self.FROM_LINK
                self.scenarios[name] = first
                options.insert(0, (f"From the link: {first.title or 'untitled'}", name))
        presenter = layout == "presenter"
        # no title in the presenter's bar: the scenario menu, the link's buttons, the switches
        # and the keys button fill a 16:9 screen's width (the page's landmark names the app)
        if ahead is not None and layout != ahead_layout:  # the student asked for another layout
            close_tree(ahead)
            ahead = None
        if ahead is not None:
            self.explorer = ahead
        else:
            self.explorer = Explorer(first.network(), first.x, first.y, layout=layout, title="")
        self.state = self.explorer.state
        load_scenario(self.state, first)
        self.shown = first  # its title and description go into the links made of the state
        if link is not None:
            self.explorer.view = link.view
        self.menu = widgets.Dropdown(
            options=options,
            value=name,
            description="Scenario",
            style={"description_width": "6em"},
            layout=widgets.Layout(width="34em"),
        )
        self.menu.observe(self._on_menu, names="value")
        self.message = widgets.HTML(self._message_html(message))
        self.message.add_class("classroom-message")
        self.description = widgets.HTML(self._description_html(first))
        self.address = AddressBar(make_query=self.link, scenario_text=self.scenario_text, write=True)
        self.address.observe(self._on_address_problem, names="problem")
        self.address.update()
        self.state.observe(self._on_change, names="revision")
        if self.explorer.scenario_section is not None:
            self.explorer.scenario_section.observe(self._on_change, names="selected_index")
        if self.explorer.switches is not None:  # the presenter's theme goes into the link too
            self.explorer.switches.observe(self._on_change, names="contrast")
        # the keyboard acts on the whole page here, and switches and resets the scenario
        keys = self.explorer.shortcuts
        keys.scope = "page"
        keys.set_action("next_scenario", lambda: self._switch(+1))
        keys.set_action("previous_scenario", lambda: self._switch(-1))
        keys.set_action("reset", lambda: self._on_menu({"new": self.current}))
        if presenter:
            self.menu.style.description_width = "5em"
            bar = self.explorer.bar
            bar.children = (bar.children[0], self.menu, self.description, self.message, self.address,
                            *bar.children[1:])
            self.explorer.add_class("bpx-fill-page")  # the page is the layout alone
            self.widget = widgets.VBox([self.explorer])
            self.widget.add_class("backprop-classroom")
            return
        self.widget = widgets.VBox(
            [
                widgets.HTML(LAPTOP_CSS),
                widgets.HTML("<h2 style='margin:0.2em 0'>Backprop Explorer — in class</h2>"),
                widgets.HBox([self.menu, self.address], layout=widgets.Layout(flex_flow="row wrap", align_items="center")),
                self.message,
                self.description,
                self.explorer,
            ]
        )
        self.widget.add_class("backprop-classroom")

    #: The menu's value for a scenario that came from a link and is none of the files.
    FROM_LINK = "(link)"
    _address_problem = False

    @property
    def current(self) -> str:
        return self.menu.value

    @staticmethod
    def _link_from_query(query: str):
        """(Link or None, message): the ?s= link of the page's query, or why it was not opened."""
        try:
            # link_in refuses a huge query unparsed; not even a copy of it is made here
            value = None if not query else link_in(query if len(query) > MAX_QUERY else "?" + query)
            return (read_link(value) if value is not None else None), ""
        except LinkError as error:
            return None, html.escape(
                f"This link could not be opened: {error}. Showing the default scenario instead."
            )

    def scenario_text(self) -> str:
        """The state as the text of a scenario file (what "Download scenario" saves)."""
        return scenario_to_json(scenario_of_state(self.state, self.shown.title, self.shown.description))

    def link(self) -> str:
        """The state as a link's query, ``"s=1.…"`` (what the address holds after a change)."""
        scenario = scenario_of_state(self.state, self.shown.title, self.shown.description)
        return link_query(scenario, self.explorer.view)

    def _on_change(self, change=None) -> None:
        self.address.changed()

    def _on_address_problem(self, change) -> None:
        if change["new"]:  # too large for a link, or diverged: the address keeps the last link
            self._address_problem = True
            self.message.value = self._message_html(html.escape(f"The address is not updated: {change['new']}"))
        elif self._address_problem:
            self._address_problem = False
            self.message.value = ""

    def _description_html(self, scenario) -> str:
        text = f"<div class='scenario-description'>{html.escape(scenario.description, quote=False)}</div>"
        if self.layout_name == "presenter":  # opened over the page from the bar, taking no room
            return f"<details class='scenario-about'><summary>About</summary>{text}</details>"
        return text

    @staticmethod
    def _message_html(message: str) -> str:
        return f"<div style='color:#b2182b;font-size:18px'>{message}</div>" if message else ""

    def _switch(self, step: int) -> None:
        names = [value for _, value in self.menu.options]
        self.menu.value = names[(names.index(self.current) + step) % len(names)]

    def _on_menu(self, change) -> None:
        scenario = self.scenarios[change["new"]]
        shown, self.shown = self.shown, scenario  # the links made while it loads carry its title
        try:
            load_scenario(self.state, scenario)
        except ScenarioError as error:  # the files were checked at start; a changed file lands here
            self.shown = shown
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
    ``JUPYTER_PATH``; the folder is removed when this process exits.
    """
    import atexit
    import json
    import shutil
    import tempfile
    from importlib import resources

    data = Path(tempfile.mkdtemp(prefix="backprop-voila-"))
    atexit.register(shutil.rmtree, data, True)  # gone when the server stops (Ctrl-C, SIGTERM)
    folder = data / "voila" / "templates" / VOILA_TEMPLATE
    folder.mkdir(parents=True)
    template = resources.files("explorer.widgets.apps").joinpath("voila-template.html.j2").read_text(encoding="utf-8")
    (folder / "index.html.j2").write_text(template, encoding="utf-8")
    (folder / "conf.json").write_text(json.dumps({"base_template": "lab"}), encoding="utf-8")
    env = dict(os.environ if environ is None else environ)
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(data), env.get("JUPYTER_PATH", "")) if p)
    return [f"--template={VOILA_TEMPLATE}"], env
