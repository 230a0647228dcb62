"""Serving the classroom app to a class: Voila with a pool of started kernels, a limit, and guards.

``python -m explorer classroom`` runs :class:`ClassroomVoila`, Voila's own application with four
changes that matter when a room full of students (or anyone on the network) opens the page:

- **A pool of started kernels** (Voila's ``preheat_kernel`` and ``pool_size``): each kernel in the
  pool has already run the classroom notebook up to the point where it needs the page's address
  (``classroom.page_query()`` waits there), so a student's page is live in about the time it takes
  to send it.
- **A limit on students** (``max_students``, plus a reserve of free memory ``min_free_mib``): past
  it, a visitor gets a short "the class is full, try again in a minute" page (HTTP 503, which
  reloads itself) instead of one more kernel on a machine that would start to swap.
- **Only the v1 kernel websocket protocol.** Voila's websocket handler reads every binary frame
  it sends as a v1 frame; a client that names no protocol gets the older format, whose first
  bytes read as a count of ~10^17 offsets, and the server spins forever. Here a websocket that
  does not offer ``v1.kernel.websocket.jupyter.org`` is refused (HTTP 400) before it opens, and
  every binary frame in either direction is checked with :func:`page_client.decode_v1` (bounded
  by the frame's length) before the server parses it: a malformed one closes that socket.
- **Plain error pages**: no traceback reaches a visitor, neither from the notebook (Voila's
  ``show_tracebacks`` off) nor from the server.
- **Addresses of any length.** Tornado drops a request whose header passes 64 KiB without a
  word; here the server reads up to ``MAX_HEADER_BYTES``, and a page address whose query is
  longer than ``MAX_PAGE_QUERY`` (no link is: they stop at 32,000 characters) is sent, before any
  kernel is taken, to the default scenario with a sentence saying how long it was
  (``?refused=N``, which the classroom app reads).

- **A patient refill.** Voila refills its pool the moment a page takes a kernel, all kernels at
  once: a class of 30 arriving together made 30 new kernels start (about a second of CPU each)
  while the 30 pages waited for the same two cores (21 s before the last page was live). Here
  the refill waits until no page has been asked for ``refill_after`` seconds, starts one kernel
  at a time (the next when the last has settled), and never holds more kernels than the class
  has places left (``max_students`` less the students, capped at the pool's size).

- **Closed pages make room.** Every page load starts a kernel, and a reloaded or closed page
  leaves its old one behind until the idle culler takes it (``cull_idle_timeout``, 15 min): a
  class whose students reload now and then would find itself "full". When the class is full, the
  kernel of the page closed longest ago (no websocket connected, idle, no activity for
  ``evict_after`` seconds) is shut down to make room for the new page.

Kernels talk to the server over Unix sockets (``KernelManager.transport=ipc``) rather than TCP
ports on 127.0.0.1, which a pool of 30 kernels started at once could be given twice.

Idle kernels (no page connected, no activity for ``cull_idle_timeout`` seconds) are shut down by
Jupyter's culler; pool kernels are never culled (Voila's pool manager skips them).
"""

from __future__ import annotations

import asyncio
import html
import os
from datetime import datetime, timezone
from urllib.parse import urlencode

from tornado import web
from traitlets import Float, Int
from voila.app import Voila
from voila.tornado.handler import TornadoVoilaHandler
from voila.tornado.kernel_websocket_handler import VoilaKernelWebsocketHandler

from ...__main__ import (
    CLASSROOM_EVICT_AFTER_SECONDS,
    CLASSROOM_REFILL_AFTER_SECONDS,
    CLASSROOM_CULL_IDLE_SECONDS,
    CLASSROOM_CULL_INTERVAL_SECONDS,
    CLASSROOM_MAX_STUDENTS,
    CLASSROOM_MIN_FREE_MIB,
    CLASSROOM_POOL_SIZE,
)
from .page_client import V1_PROTOCOL, FrameError, decode_v1, v1_header

# The defaults are the command line's (python -m explorer classroom --help), which says why.
DEFAULT_MAX_STUDENTS = CLASSROOM_MAX_STUDENTS
DEFAULT_POOL_SIZE = CLASSROOM_POOL_SIZE
DEFAULT_MIN_FREE_MIB = CLASSROOM_MIN_FREE_MIB
DEFAULT_CULL_IDLE_SECONDS = CLASSROOM_CULL_IDLE_SECONDS
DEFAULT_CULL_INTERVAL_SECONDS = CLASSROOM_CULL_INTERVAL_SECONDS
DEFAULT_REFILL_AFTER_SECONDS = CLASSROOM_REFILL_AFTER_SECONDS
DEFAULT_EVICT_AFTER_SECONDS = CLASSROOM_EVICT_AFTER_SECONDS

#: A kernel being started counts as settled once it uses less CPU than this in SETTLE_WINDOW
#: seconds (a pool kernel waits at the page's address, idle), or after SETTLE_LIMIT seconds.
SETTLE_CPU_SECONDS = 0.02
SETTLE_WINDOW = 0.25
SETTLE_LIMIT = 30.0

SETTINGS_KEY = "backprop_classroom"

#: The longest request header read (a browser sends addresses of a few MB); tornado's own is 64 KiB.
MAX_HEADER_BYTES = 4 * 1024 * 1024
#: A page address whose query is longer is refused before a kernel is taken (links stop at 32,000).
MAX_PAGE_QUERY = 64 * 1024

_PAGE_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:40em;margin:4em auto;padding:0 1em;"
    "font-size:20px;line-height:1.5;color:#222}h1{font-size:28px}"
)


def plain_page(title: str, text: str, refresh_seconds: int | None = None) -> str:
    """A small HTML page with a title and one paragraph (both escaped here)."""
    refresh = f'<meta http-equiv="refresh" content="{refresh_seconds}">' if refresh_seconds else ""
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">{refresh}'
        f"<title>{html.escape(title)}</title><style>{_PAGE_STYLE}</style></head>"
        f"<body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>"
    )


CLASS_FULL_PAGE = plain_page(
    "The class is full",
    "Every place in this class is taken right now. Try again in a minute: this page tries "
    "again by itself. If it keeps saying so, tell your teacher.",
    refresh_seconds=60,
)


def error_page(status_code: int) -> str:
    return plain_page(
        "Something went wrong",
        f"The server could not show this page (error {status_code}). Reload it; "
        "if it happens again, tell your teacher.",
    )


def kernel_pids() -> set[int]:
    """The kernel processes this server has launched, from the process table.

    A pool kernel being refilled is a process (and a pool entry) before the kernel manager lists
    it; counting the processes keeps the limit exact through a refill.
    """
    import psutil  # ipykernel's own dependency

    found = set()
    for child in psutil.Process().children():
        try:
            if any("ipykernel" in part for part in child.cmdline()):
                found.add(child.pid)
        except psutil.Error:  # it ended meanwhile
            continue
    return found


def kernel_processes() -> int:
    """How many kernel processes this server has launched (``kernel_pids``)."""
    return len(kernel_pids())


def free_memory_mib() -> float | None:
    """Memory available to new processes, in MiB (None where it cannot be read)."""
    try:
        import psutil
    except ImportError:
        return None
    return psutil.virtual_memory().available / 2**20


def students_served(manager, notebook_path: str | None) -> int:
    """Kernels serving a page: all kernels (listed or still starting) less the pool's."""
    kernels = max(len(manager.list_kernel_ids()), kernel_processes())
    pool = manager.get_pool_size(notebook_path) if notebook_path else 0
    return max(0, kernels - pool)


async def settled(pid: int | None) -> None:
    """Until the process uses (almost) no CPU, or SETTLE_LIMIT seconds have passed."""
    import psutil

    if pid is None:  # no new process was seen: nothing to wait for
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE_LIMIT
    try:
        process = psutil.Process(pid)
        while loop.time() < deadline:
            before = sum(process.cpu_times()[:2])
            await asyncio.sleep(SETTLE_WINDOW)
            if sum(process.cpu_times()[:2]) - before < SETTLE_CPU_SECONDS:
                return
    except psutil.Error:  # it ended: nothing to wait for
        return


class PatientRefill:
    """Replaces the kernel manager's ``fill_if_needed``: the pool refilled when the pages pause.

    Voila calls ``fill_if_needed(delay=0)`` to fill the pool at the start (done at once, as Voila
    does) and ``fill_if_needed()`` each time a page takes a pool kernel; the page handler calls it
    too for a page served without a pool kernel (the pool was empty while the class was full).
    A call without ``delay=0`` only notes the time: one task refills the pool once no page has
    been asked for ``quiet`` seconds, one kernel at a time, up to
    ``min(pool_size, max_students - students)``.
    """

    def __init__(self, manager, pool_size: int, max_students: int, quiet: float):
        self.manager = manager
        self.original = manager.fill_if_needed
        self.pool_size = pool_size
        self.max_students = max_students
        self.quiet = quiet
        self.last_page = 0.0
        self.task: asyncio.Task | None = None
        self.started = 0  # kernels this refill has started (the tests read it)

    def __call__(self, delay=None, notebook_name=None, **kwargs) -> None:
        if delay == 0:  # the server's start: the whole pool at once
            self.original(delay=0, notebook_name=notebook_name, **kwargs)
            return
        loop = asyncio.get_event_loop()
        self.last_page = loop.time()
        if self.task is None or self.task.done():
            self.task = loop.create_task(self.refill(notebook_name, kwargs))

    def wanted(self, notebook_name) -> int:
        places = self.max_students - students_served(self.manager, notebook_name)
        return max(0, min(self.pool_size, places))

    async def refill(self, notebook_name, kwargs) -> None:
        loop = asyncio.get_running_loop()
        while True:
            wait = self.last_page + self.quiet - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            pool = self.manager.get_pool_size(notebook_name)
            if pool >= self.wanted(notebook_name):
                return
            before = kernel_pids()
            self.fill_to(pool + 1, notebook_name, kwargs)
            self.started += 1
            await settled(await self.new_kernel(before))

    @staticmethod
    async def new_kernel(before: set[int]) -> int | None:
        """The pid of the kernel process started after ``before`` was taken (None if none came)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SETTLE_LIMIT
        while loop.time() < deadline:
            new = kernel_pids() - before
            if new:
                return max(new)
            await asyncio.sleep(SETTLE_WINDOW)
        return None

    def fill_to(self, size: int, notebook_name, kwargs) -> None:
        """Voila's own fill, for a pool of ``size`` (its size is read from kernel_pools_config)."""
        manager = self.manager
        saved = manager.kernel_pools_config
        config = dict(saved)
        for key in ("default", notebook_name):
            if key in config:
                config[key] = {**config[key], "pool_size": size}
        manager.kernel_pools_config = config
        try:
            self.original(delay=0, notebook_name=notebook_name, **kwargs)
        finally:
            manager.kernel_pools_config = saved


class ClassroomPageHandler(TornadoVoilaHandler):
    """Voila's page handler, behind the class's limit, with plain error pages."""

    #: Page requests admitted while the pool was empty, whose kernel may not be started yet.
    cold_in_flight = 0

    def _class_full(self, limits: dict) -> bool:
        students = students_served(self.kernel_manager, self.notebook_path) + ClassroomPageHandler.cold_in_flight
        if students >= limits["max_students"]:
            self.log.warning("Class is full: %d students (limit %d)", students, limits["max_students"])
            return True
        free = free_memory_mib()
        if free is not None and free < limits["min_free_mib"]:
            self.log.warning("Class is full: %.0f MiB free (reserve %d MiB)", free, limits["min_free_mib"])
            return True
        return False

    async def _room_made(self, limits: dict) -> bool:
        """Shut down the kernel of the page closed longest ago, if one has been closed (no
        websocket, idle) for ``evict_after`` seconds; whether the class has room now."""
        after = limits.get("evict_after", 0)
        if not after:
            return False
        manager = self.kernel_manager
        now = datetime.now(timezone.utc)
        closed = []
        for model in manager.list_kernels():
            if model.get("connections", 0) or model.get("execution_state") != "idle":
                continue  # a page is connected, or the kernel works (a pool kernel waits busy)
            try:
                last = datetime.fromisoformat(str(model["last_activity"]).replace("Z", "+00:00"))
            except (KeyError, ValueError):
                continue
            if (now - last).total_seconds() >= after:
                closed.append((last, model["id"]))
        if not closed:
            return False
        last, kernel_id = min(closed)
        self.log.warning(
            "The class is full: shutting down kernel %s, whose page was closed (idle %.0f s), for a new page",
            kernel_id, (now - last).total_seconds(),
        )
        await manager.shutdown_kernel(kernel_id)
        return not self._class_full(limits)

    @web.authenticated
    async def get(self, path=None):
        limits = self.settings.get(SETTINGS_KEY)
        rendering = limits is not None and not (self.notebook_path and path)
        if rendering and len(self.request.query) > MAX_PAGE_QUERY:
            # the default scenario, with a sentence saying why (classroom.refusal_message)
            self.redirect(f"{self.request.path}?{urlencode({'refused': len(self.request.query)})}")
            return
        if rendering and self._class_full(limits) and not await self._room_made(limits):
            self.set_status(503)
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.set_header("Retry-After", "60")
            self.set_header("Cache-Control", "no-store")
            self.finish(CLASS_FULL_PAGE)
            return
        # The check above and Voila's taking a kernel from the pool run without an await between
        # them; when the pool is empty the new kernel starts later, so it is counted meanwhile.
        cold = rendering and self.notebook_path and self.kernel_manager.get_pool_size(self.notebook_path) == 0
        if cold:
            ClassroomPageHandler.cold_in_flight += 1
        try:
            await super().get(path)
        finally:
            if cold:
                ClassroomPageHandler.cold_in_flight -= 1
                # Voila refills its pool only when a page takes a pool kernel: a page served
                # without one (the pool was emptied while the class was full) asks for it here
                refill = getattr(self.kernel_manager, "fill_if_needed", None)
                if isinstance(refill, PatientRefill):
                    refill(notebook_name=self.notebook_path)

    def write_error(self, status_code: int, **kwargs) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(error_page(status_code))


class V1OnlyKernelWebsocketHandler(VoilaKernelWebsocketHandler):
    """The kernel's websocket, for clients that speak the v1 protocol only; frames checked."""

    async def get(self, kernel_id):
        offered = [p.strip() for p in self.request.headers.get("Sec-WebSocket-Protocol", "").split(",")]
        if V1_PROTOCOL not in offered:
            self.log.warning("Refused a kernel websocket without the %s protocol", V1_PROTOCOL)
            self.set_status(400)
            self.set_header("Content-Type", "text/plain; charset=utf-8")
            self.finish(f"This server speaks only the {V1_PROTOCOL} kernel websocket protocol.\n")
            return
        await super().get(kernel_id)

    def on_message(self, ws_message):
        try:
            decode_v1(ws_message)
        except FrameError as error:
            self.log.warning("Closed a kernel websocket that sent a malformed frame: %s", error)
            self.close(1007, "malformed v1 frame")
            return
        super().on_message(ws_message)

    def write_message(self, message, binary: bool = False):
        # Voila's own check, with a header read that cannot run away on a frame it does not expect.
        if isinstance(message, (bytes, bytearray)):
            header = v1_header(message)
        elif isinstance(message, dict):
            header = message.get("header")
        else:
            header = None
        if isinstance(header, dict) and header.get("msg_type") == "execute_input":
            return None
        return super(VoilaKernelWebsocketHandler, self).write_message(message, binary)

    def write_error(self, status_code: int, **kwargs) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(f"Error {status_code}.\n")


class ClassroomVoila(Voila):
    """Voila serving one notebook to a class (see the module's docstring)."""

    max_students = Int(
        DEFAULT_MAX_STUDENTS, config=True, help="Pages (kernels) served at once; more get 'the class is full'."
    )
    min_free_mib = Int(
        DEFAULT_MIN_FREE_MIB, config=True, help="Free memory (MiB) kept in reserve: below it, no new page."
    )
    refill_after = Float(
        DEFAULT_REFILL_AFTER_SECONDS, config=True,
        help="Seconds without a new page before the pool is refilled (one kernel at a time).",
    )

    evict_after = Float(
        DEFAULT_EVICT_AFTER_SECONDS, config=True,
        help="When the class is full, a page closed (no websocket, idle) this long gives its kernel "
        "to a new page; 0 never.",
    )

    def init_settings(self):
        settings = super().init_settings()
        settings[SETTINGS_KEY] = {
            "max_students": self.max_students, "min_free_mib": self.min_free_mib, "evict_after": self.evict_after,
        }
        manager = self.kernel_manager
        if hasattr(manager, "fill_if_needed") and self.voila_configuration.preheat_kernel:
            manager.fill_if_needed = PatientRefill(
                manager, self.voila_configuration.default_pool_size, self.max_students, self.refill_after
            )
        return settings

    def listen(self):
        # Voila's listen() calls app.listen(port, ip) in its retry loop: let it read long addresses
        listen = self.app.listen
        self.app.listen = lambda port, address=None, **kwargs: listen(
            port, address, max_header_size=MAX_HEADER_BYTES, **kwargs)
        super().listen()

    def init_handlers(self):
        swap = {
            VoilaKernelWebsocketHandler: V1OnlyKernelWebsocketHandler,
            TornadoVoilaHandler: ClassroomPageHandler,
        }
        return [(rule[0], swap.get(rule[1], rule[1]), *rule[2:]) for rule in super().init_handlers()]


def voila_arguments(
    notebook: str,
    *,
    port: int,
    ip: str,
    max_students: int = DEFAULT_MAX_STUDENTS,
    pool_size: int = DEFAULT_POOL_SIZE,
    min_free_mib: int = DEFAULT_MIN_FREE_MIB,
    cull_idle_seconds: int = DEFAULT_CULL_IDLE_SECONDS,
    cull_interval_seconds: int = DEFAULT_CULL_INTERVAL_SECONDS,
    refill_after_seconds: float = DEFAULT_REFILL_AFTER_SECONDS,
    evict_after_seconds: float = DEFAULT_EVICT_AFTER_SECONDS,
    open_browser: bool = False,
    extra: list[str] = (),
) -> list[str]:
    """The command line :class:`ClassroomVoila` is started with."""
    return [
        notebook,
        f"--port={port}",
        f"--Voila.ip={ip}",
        "--Voila.port_retries=0",  # the printed address must be the one served
        "--show_tracebacks=False",
        f"--preheat_kernel={pool_size > 0}",
        f"--pool_size={pool_size}",
        f"--ClassroomVoila.max_students={max_students}",
        f"--ClassroomVoila.min_free_mib={min_free_mib}",
        f"--ClassroomVoila.refill_after={refill_after_seconds}",
        f"--ClassroomVoila.evict_after={evict_after_seconds}",
        f"--MappingKernelManager.cull_idle_timeout={cull_idle_seconds}",
        f"--MappingKernelManager.cull_interval={cull_interval_seconds}",
        "--MappingKernelManager.cull_connected=False",
        f"--ZMQChannelsWebsocketConnection.kernel_ws_protocol={V1_PROTOCOL}",
        # Unix sockets in the connection files' folder, not TCP ports: with 30 kernels started at
        # once, two could be given the same free port, and the one that lost died while a page
        # waited for it (seen once in 30, the page never came); and no other local user can reach
        # a kernel's ports.
        *(["--KernelManager.transport=ipc"] if os.name == "posix" else []),
        *([] if open_browser else ["--no-browser"]),
        *extra,
    ]


def serve(arguments: list[str], environ: dict[str, str], ip: str) -> None:
    """Run the server in this process until Ctrl-C or SIGTERM."""
    os.environ.update(environ)
    # A pool kernel asks the server for its page's address over a websocket to VOILA_APP_IP
    # (default 127.0.0.1): right for 127.0.0.1 and 0.0.0.0, wrong for one chosen address.
    if ip not in ("0.0.0.0", "::", "", "localhost"):
        os.environ.setdefault("VOILA_APP_IP", ip)
    ClassroomVoila.launch_instance(argv=arguments)
