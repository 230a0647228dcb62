"""``AddressBar``: the state in the page's address, "copy link" and "download scenario".

The kernel sets ``query`` (``"s=1.…"``, made by ``explorer.links``) after every change;
``address.js`` writes it into the page's address (debounced, and only with ``write`` set and
only on Voila's own top-level page, never in JupyterLab), copies the link on "Copy link", and on
"Download scenario" asks the kernel for the file, which ``scenario_text`` gives (a callable
returning the scenario's JSON text; a ``ScenarioError`` it raises is shown on the page).
"""

from __future__ import annotations

from collections.abc import Callable

import anywidget
import traitlets

from ...scenarios import ScenarioError
from . import source


class AddressBar(anywidget.AnyWidget):
    """Copy-link and download buttons, and the page's address kept equal to ``query``."""

    _esm = source("address.js")
    _css = source("address.css")
    query = traitlets.Unicode("", help="the state as a link's query, s=1.…").tag(sync=True)
    write = traitlets.Bool(False, help="write query into the page's address (Voila only)").tag(sync=True)
    filename = traitlets.Unicode("scenario.json", help="the downloaded file's name").tag(sync=True)

    def __init__(self, scenario_text: Callable[[], str] | None = None, **kwargs):
        super().__init__(**kwargs)
        self.scenario_text = scenario_text
        self.on_msg(self._on_message)

    def download_message(self) -> dict:
        """The answer to the page's "download" request: the file's text, or why there is none."""
        if self.scenario_text is None:
            return {"kind": "download", "error": "There is no scenario to download here."}
        try:
            text = self.scenario_text()
        except ScenarioError as error:
            return {"kind": "download", "error": f"Not downloaded: {error}"}
        return {"kind": "download", "text": text, "filename": self.filename}

    def _on_message(self, widget, content, buffers) -> None:
        if isinstance(content, dict) and content.get("kind") == "download":
            self.send(self.download_message())
