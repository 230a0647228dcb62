"""``AddressBar``: the state in the page's address, "copy link" and "download scenario".

The kernel calls ``changed()`` after every change of the state; the bar then sets ``query``
(``"s=1.…"``, from its ``make_query`` callable) at once, or, in a running kernel, once per burst:
when the state has been still for ``DELAY`` seconds, and at least every ``MAX_WAIT`` seconds of
a burst that goes on (a drag sends ten changes a second, and each link costs a schema check of
the whole scenario, several times the cost of the change itself; in a class of 30 on two cores,
a link per change took most of the kernels' time). ``address.js`` writes ``query`` into the
page's address (debounced again, and only with ``write`` set and only on Voila's own top-level
page, never in JupyterLab). "Copy link" first asks the kernel for the link of the state as it is
now (``update()``), so a burst not yet written is not lost; "Download scenario" asks for the file,
which ``scenario_text`` gives. A ``ScenarioError`` of either callable is kept in ``problem``
(the address keeps the last good link) or shown on the page (a download).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import anywidget
import traitlets

from ...scenarios import ScenarioError
from . import source
from ..guard import Guarded


class AddressBar(Guarded, anywidget.AnyWidget):
    """Copy-link and download buttons, and the page's address kept equal to ``query``."""

    _esm = source("address.js")
    _css = source("address.css")
    #: The page sets no trait; it asks for the link or the download (``accepts_custom``).
    page_traits = ()
    page_noun = "the link buttons"

    def accepts_custom(self, content) -> bool:
        return content in ({"kind": "link"}, {"kind": "download"})

    query = traitlets.Unicode("", help="the state as a link's query, s=1.…").tag(sync=True)
    write = traitlets.Bool(False, help="write query into the page's address (Voila only)").tag(sync=True)
    filename = traitlets.Unicode("scenario.json", help="the downloaded file's name").tag(sync=True)
    problem = traitlets.Unicode("", help="why the last change could not become a link ('' when it could)")

    #: Seconds without a change that end a burst (then its link is made), in a running kernel.
    DELAY = 0.4
    #: A burst that goes on gets a link at least this often (seconds from its first change).
    MAX_WAIT = 3.0

    def __init__(
        self,
        make_query: Callable[[], str] | None = None,
        scenario_text: Callable[[], str] | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.make_query = make_query
        self.scenario_text = scenario_text
        self._scheduled = False
        self._burst = (0.0, 0.0)  # the loop's time of the burst's first and last change
        self.on_msg(self._on_message)

    def changed(self) -> None:
        """The state changed: a new link now, or in a running kernel at the end of the burst."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # plain Python (a script, a test): no burst to wait for
            self.update()
            return
        now = loop.time()
        if self._scheduled:
            self._burst = (self._burst[0], now)
            return
        self._burst = (now, now)
        self._scheduled = True
        loop.call_later(self.DELAY, self._end_of_burst, loop)

    def _end_of_burst(self, loop) -> None:
        """The link, once the burst has been still for DELAY (or has lasted MAX_WAIT)."""
        if not self._scheduled:  # "Copy link" made it meanwhile
            return
        first, last = self._burst
        due = min(last + self.DELAY, first + self.MAX_WAIT)
        if loop.time() < due - 1e-3:
            loop.call_later(due - loop.time(), self._end_of_burst, loop)
            return
        self.update()

    def update(self) -> None:
        """Set ``query`` to the link of the state as it is now (or ``problem`` to why not)."""
        self._scheduled = False
        if self.make_query is None:
            return
        try:
            query = self.make_query()
        except ScenarioError as error:
            self.problem = str(error)
        else:
            self.query = query
            self.problem = ""

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
        if not isinstance(content, dict):
            return
        if content.get("kind") == "download":
            self.send(self.download_message())
        elif content.get("kind") == "link":
            self.update()
            self.send({"kind": "link", "query": self.query, "problem": self.problem})
