"""``python -m explorer classroom-load``: a class of students driving the classroom server.

Each simulated student does what the classroom page does in a browser: it asks for the page
(the HTML names the page's kernel), connects to that kernel over its websocket with the
protocol the page speaks (``v1.kernel.websocket.jupyter.org``: binary frames, a table of
offsets, then the channel, the message's four JSON parts and its binary buffers), asks the
widget manager for every widget's state, and then drags sliders as a hand does: a new value
10 times a second, at most one update in flight, the latest value replacing one not yet sent
(ipywidgets' own throttle). It drags the selected neuron's weights and the demon's Δz with
random values inside each slider's range. It opens the laptop page (``?layout=laptop``) by
default: the classroom's own default, the presenter page, has no weight sliders (only Δz) and
fewer panels to update, so the laptop page's figures are upper bounds for it
(``layout="presenter"`` drives Δz on the presenter page).

Every reply is checked: the kernel's echo of the value, and the panels' numbers computed
again here with the core (the equations' ∂C/∂b = δ for a weight, the demon's δ·Δz for Δz).
Figures per class size: page to live, kernel time per event (from the kernel's own busy/idle
timestamps), reply latency, updates a second per student, kernel memory per student (RSS
read from /proc), and updates lost (no answer), failed (a wrong or missing number) or
answered with a traceback.

It drives only a server on this machine (127.0.0.1 or localhost), bounds its own counts and
time, and stops by itself, with the server it started when no ``--url`` is given.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import math
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from .widgets.apps import page_client
from .widgets.apps.page_client import V1_PROTOCOL as PROTOCOL
from .widgets.apps.page_client import decode_v1, encode_v1, make_message, message_parts, parse_parts

LOOPBACK = ("127.0.0.1", "localhost")
MAX_STUDENTS = 100
MAX_SECONDS = 600.0
HAND_RATE = 10.0  # new slider values a second, a dragging hand
DRAG_TICKS = 10  # a hand drags one slider this many ticks before taking another
PAGE_TIMEOUT = 300.0  # page, websocket and widget states, each
REPLY_TIMEOUT = 30.0  # an update not answered within this is lost
DEFAULT_SCENARIO = "healthy"
#: The page's layouts the students can open: the laptop page (the default) has the selected
#: neuron's weight sliders and Δz, and more panels to update; the presenter page has Δz only.
LAYOUTS = ("laptop", "presenter")
DEFAULT_LAYOUT = "laptop"
CONTROL_TARGET = "jupyter.widget.control"
CONTROL_VERSION = "1.0.0"


class LoadError(Exception):
    """A refusal or a failure the command explains in one sentence."""


# ----------------------------------------------------------------------------- the wire
# The v1 frames and the messages are those of explorer.widgets.apps.page_client (the classroom
# server checks visitors' frames with the same code); these two add the load test's shape of a
# message: one dict with its channel and buffers.


def pack(channel: str, msg: dict, buffers=()) -> bytes:
    """One message as a v1 binary frame: count, offsets, channel, four JSON parts, buffers."""
    return encode_v1(channel, [*message_parts(msg), *(bytes(b) for b in buffers)])


def unpack(frame: bytes) -> tuple[str, dict]:
    """(channel, message with its ``buffers``) from a v1 binary frame; ValueError when it is not one."""
    channel, parts = decode_v1(frame)
    msg, buffers = parse_parts(parts)
    return channel, {**msg, "buffers": buffers, "channel": channel}


def kernel_time(iso: str) -> float:
    """Seconds since the epoch of a message header's ``date``."""
    return datetime.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def put_buffers(state: dict, paths, buffers) -> None:
    """Put binary buffers back where ``buffer_paths`` says they were taken from (ipywidgets)."""
    for path, buffer in zip(paths, buffers):
        obj = state
        for key in path[:-1]:
            obj = obj[key]
        obj[path[-1]] = buffer


def carries_traceback(msg: dict) -> bool:
    """A stream or error message that shows a Python traceback to the page."""
    kind, content = msg["header"].get("msg_type"), msg["content"]
    if kind == "error":
        return True
    if kind == "stream":
        return "Traceback" in str(content.get("text", ""))
    if kind in ("display_data", "execute_result"):
        return "Traceback" in json.dumps(content.get("data", {}))
    return False


@dataclass
class Request:
    """What one message sent to the kernel brought back, until the kernel went idle."""

    msg_id: str
    sent: float
    expects_reply: bool = False  # a *_request: done when its reply and the idle status have both come
    replied: bool = False
    messages: list = field(default_factory=list)
    busy: float | None = None  # the kernel's timestamps
    idle: float | None = None
    answered: float | None = None  # this client's clock when idle arrived
    done: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def latency(self) -> float:
        return self.answered - self.sent

    @property
    def kernel_seconds(self) -> float | None:
        return None if self.busy is None or self.idle is None else self.idle - self.busy

    def comm_messages(self, comm_id: str | None = None, method: str | None = None) -> list[dict]:
        return [
            m["content"] for m in self.messages
            if m["header"]["msg_type"] == "comm_msg"
            and (comm_id is None or m["content"].get("comm_id") == comm_id)
            and (method is None or m["content"].get("data", {}).get("method") == method)
        ]

    def tracebacks(self) -> list[dict]:
        return [m for m in self.messages if carries_traceback(m)]


class KernelSocket:
    """One page's connection to its kernel: requests by message id, replies gathered until idle."""

    def __init__(self, ws, session: str):
        self.ws = ws
        self.session = session
        self.pending: dict[str, Request] = {}
        self.tracebacks: list[dict] = []
        self.opened: dict[str, dict] = {}  # comm_open messages of widgets created later
        self.closed: set[str] = set()
        self.frames_in = 0
        self.bytes_in = 0
        self.unreadable: list[str] = []  # frames that were not v1 messages, and why
        self.reader = asyncio.ensure_future(self.read())

    @classmethod
    async def connect(cls, base: str, kernel_id: str) -> "KernelSocket":
        channels = await page_client.KernelChannels.connect(
            base, kernel_id, timeout=PAGE_TIMEOUT, max_message_size=1 << 28
        )
        if channels.protocol != PROTOCOL:
            channels.close()
            raise LoadError(f"the server did not accept the {PROTOCOL} protocol (it chose {channels.protocol!r})")
        return cls(channels.connection, channels.session)

    async def read(self) -> None:
        while True:
            frame = await self.ws.read_message()
            if frame is None:
                break
            if isinstance(frame, str):  # the legacy JSON protocol: not expected once v1 was chosen
                continue
            self.frames_in += 1
            self.bytes_in += len(frame)
            try:
                channel, msg = unpack(frame)
            except (ValueError, UnicodeDecodeError) as error:
                self.unreadable.append(str(error))
                continue
            if carries_traceback(msg):
                self.tracebacks.append(msg)
            kind = msg["header"].get("msg_type")
            if kind == "comm_open":
                self.opened[msg["content"]["comm_id"]] = msg
            elif kind == "comm_close":
                self.closed.add(msg["content"]["comm_id"])
            request = self.pending.get(msg["parent_header"].get("msg_id"))
            if request is None:
                continue
            request.messages.append(msg)
            if channel == "shell" and kind.endswith("_reply"):
                request.replied = True
            if kind == "status" and channel == "iopub":
                state = msg["content"].get("execution_state")
                if state == "busy":
                    request.busy = kernel_time(msg["header"]["date"])
                elif state == "idle":
                    request.idle = kernel_time(msg["header"]["date"])
                    request.answered = time.perf_counter()
            # The shell reply and the iopub idle come on two channels, in either order.
            if request.idle is not None and (request.replied or not request.expects_reply):
                request.done.set()
                del self.pending[request.msg_id]
        for request in self.pending.values():  # the socket closed: nothing more will come
            request.done.set()

    @property
    def alive(self) -> bool:
        return not self.reader.done()

    async def send(self, msg_type: str, content: dict, buffers=(), metadata=None) -> Request:
        msg = make_message(msg_type, content, self.session, metadata)
        msg_id = msg["header"]["msg_id"]
        request = Request(msg_id, time.perf_counter(), expects_reply=msg_type.endswith("_request"))
        self.pending[msg_id] = request
        await self.ws.write_message(pack("shell", msg, buffers), binary=True)
        return request

    async def ask(self, msg_type: str, content: dict, timeout: float = REPLY_TIMEOUT, **kw) -> Request:
        """Send and wait until the kernel is idle again (or the socket closes, or ``timeout``)."""
        request = await self.send(msg_type, content, **kw)
        try:
            await asyncio.wait_for(request.done.wait(), timeout)
        except asyncio.TimeoutError:
            pass
        return request

    async def update(self, comm_id: str, state: dict, timeout: float = REPLY_TIMEOUT) -> Request:
        """A widget update exactly as ipywidgets' page sends one."""
        data = {"method": "update", "state": state, "buffer_paths": []}
        return await self.ask("comm_msg", {"comm_id": comm_id, "data": data}, timeout)

    async def widget_states(self) -> dict[str, dict]:
        """{model_id: {model_name, model_module, state}}, asked as the page's widget manager asks."""
        comm_id = uuid.uuid4().hex
        await self.ask(
            "comm_open", {"comm_id": comm_id, "target_name": CONTROL_TARGET, "data": {}},
            metadata={"version": CONTROL_VERSION},
        )
        request = await self.ask("comm_msg", {"comm_id": comm_id, "data": {"method": "request_states"}})
        replies = [m for m in request.messages if m["header"]["msg_type"] == "comm_msg"
                   and m["content"]["data"].get("method") == "update_states"]
        await self.send("comm_close", {"comm_id": comm_id, "data": {}})
        if not replies:
            raise LoadError("the kernel sent no widget states")
        data = replies[0]["content"]["data"]
        states = data["states"]
        put_buffers(states, data.get("buffer_paths", []), replies[0]["buffers"])
        return states

    def close(self) -> None:
        self.ws.close()


# ----------------------------------------------------------------------------- the page


def check_url(url: str) -> str:
    """The server's base address, refused unless it is plain http on this machine."""
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname not in LOOPBACK:
        raise LoadError(
            f"classroom-load drives only a server on this machine (http://127.0.0.1:PORT or "
            f"http://localhost:PORT); refused: {url}"
        )
    if parts.port is None:
        raise LoadError(f"give the server's port in the address, e.g. http://127.0.0.1:8866; got {url}")
    return f"http://{parts.hostname}:{parts.port}{parts.path.rstrip('/')}"


async def fetch_page(url: str) -> str:
    from tornado.httpclient import AsyncHTTPClient, HTTPClientError

    client = AsyncHTTPClient(force_instance=True)
    try:
        response = await client.fetch(url, request_timeout=PAGE_TIMEOUT, raise_error=False)
    except HTTPClientError as error:  # a timeout: raised even with raise_error=False
        raise LoadError(f"the page did not arrive within {PAGE_TIMEOUT:.0f} s ({error})") from error
    finally:
        client.close()
    if response.code != 200:
        raise LoadError(f"the page answered HTTP {response.code}" + (f" ({response.error})" if response.error else ""))
    return response.body.decode("utf-8", "replace")


def kernel_id_of(html: str) -> str:
    try:
        return page_client.kernel_id_of(html)
    except ValueError:
        raise LoadError("the page names no kernel (is the class full, or is this not the classroom app?)") from None


def kernel_rss(kernel_id: str) -> int | None:
    """Resident memory in bytes of the kernel process of ``kernel_id``, from /proc (Linux)."""
    mark = f"kernel-{kernel_id}.json".encode()
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return None
    for pid in pids:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if mark not in f.read():
                    continue
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) * 1024
        except OSError:
            continue
    return None


# ----------------------------------------------------------------------------- a student


@dataclass
class Slider:
    comm_id: str
    name: str
    low: float
    high: float
    step: float
    value: float
    weight: tuple[int, int, int] | None = None  # (l, j, k) for a weight, None for Δz


@dataclass
class Update:
    slider: Slider
    value: float
    request: Request | None = None
    problem: str = ""


class Student:
    """One page of the classroom app, opened and dragged as a student does."""

    def __init__(self, base: str, scenario: str = DEFAULT_SCENARIO, seed: int = 0, layout: str = DEFAULT_LAYOUT):
        from .scenarios import read_scenario

        if layout not in LAYOUTS:
            raise LoadError(f"the layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")
        self.base = base
        self.layout = layout
        self.scenario = read_scenario(scenario)
        self.scenario_name = scenario
        self.random = random.Random(seed)
        self.network = self.scenario.network()  # this client's own copy, kept in step with the sliders
        sel = self.scenario.selection
        self.neuron = (sel["layer"], sel["j"])
        self.socket: KernelSocket | None = None
        self.kernel_id = ""
        self.page_seconds = math.nan
        self.live_seconds = math.nan
        self.states: dict[str, dict] = {}
        self.sliders: list[Slider] = []
        self.updates: list[Update] = []
        self.superseded = 0
        self.unchanged = 0  # values not sent: equal to the one just sent
        self.error = ""

    async def open(self) -> None:
        """Page, kernel, widget states: ``live_seconds`` is how long until the page could draw."""
        start = time.perf_counter()
        query = urlencode({"scenario": self.scenario_name, "layout": self.layout})
        html = await fetch_page(f"{self.base}/?{query}")
        self.page_seconds = time.perf_counter() - start
        self.kernel_id = kernel_id_of(html)
        self.socket = await KernelSocket.connect(self.base, self.kernel_id)
        try:
            info = await self.socket.ask("kernel_info_request", {}, timeout=PAGE_TIMEOUT)
            if not any(m["header"]["msg_type"] == "kernel_info_reply" for m in info.messages):
                raise LoadError("the kernel did not answer kernel_info_request")
            self.states = await self.socket.widget_states()
            self.live_seconds = time.perf_counter() - start
            self.sliders = self.find_sliders()
        except BaseException:  # a page that cannot be driven leaves no websocket open behind it
            self.close()
            raise

    def find_sliders(self) -> list[Slider]:
        """The selected neuron's weight sliders and the demon's Δz, from the widget states.

        The laptop page has both; the presenter page has no weight sliders, only Δz."""
        from .core.notation import weight_name
        from .widgets.markup import plain_name

        l, j = self.neuron
        names = {plain_name(weight_name(l, j, k)): (l, j, k) for k in range(self.network.sizes[l - 2])}
        found = []
        for model_id, model in self.states.items():
            if model.get("model_name") != "FloatSliderModel":
                continue
            s = model["state"]
            description = s.get("description", "")
            if description in names or description == "Δz":
                found.append(Slider(model_id, description, float(s["min"]), float(s["max"]),
                                    float(s["step"]), float(s["value"]), names.get(description)))
        if not any(s.weight is None for s in found):
            raise LoadError(f"the {self.layout} page has no Δz slider")
        if self.layout == "laptop" and not any(s.weight for s in found):
            raise LoadError("the laptop page has no weight slider of the selected neuron")
        return found

    def draw(self, slider: Slider) -> float:
        """A value a slider's handle can take (a multiple of its step), not its current one."""
        steps = int(round((slider.high - slider.low) / slider.step))
        while True:
            value = round(slider.low + self.random.randint(0, steps) * slider.step, 10)
            if value != slider.value:
                return value

    async def drag(self, seconds: float) -> None:
        """10 new values a second; one update in flight; a waiting value replaced by a newer one."""
        waiting: list[tuple[Slider, float]] = []
        wake = asyncio.Event()
        stop = time.perf_counter() + seconds

        async def hand():
            slider = None
            tick = 0
            while time.perf_counter() < stop and self.socket.alive:
                if tick % DRAG_TICKS == 0:
                    slider = self.random.choice(self.sliders)
                tick += 1
                if waiting:
                    self.superseded += 1
                    waiting.clear()
                waiting.append((slider, self.draw(slider)))
                wake.set()
                await asyncio.sleep(1 / HAND_RATE)
            wake.set()

        hand_task = asyncio.ensure_future(hand())
        while not hand_task.done() or waiting:
            if not waiting:
                wake.clear()
                await wake.wait()
                continue
            slider, value = waiting.pop()
            if value == slider.value:  # drawn while this value was in flight: a page sends no non-change
                self.unchanged += 1
                continue
            slider.value = value  # the value the page now shows (and the next draw moves away from)
            update = Update(slider, value)
            self.updates.append(update)
            update.request = await self.socket.update(slider.comm_id, {"value": value})
            if slider.weight is not None:
                l, j, k = slider.weight
                self.network.weights[l][j, k] = value
            update.problem = self.check(update)
            if not self.socket.alive:
                break
        hand_task.cancel()

    def check(self, update: Update) -> str:
        """"" when the reply is right; otherwise what was wrong."""
        request = update.request
        if request.answered is None:
            return "lost: no answer"
        if request.tracebacks():
            return "traceback"
        echoes = request.comm_messages(update.slider.comm_id, "echo_update")
        if not echoes or echoes[0]["data"]["state"].get("value") != update.value:
            return "no echo of the value"
        numbers = {}
        for content in request.comm_messages(method="update"):
            numbers.update(content["data"].get("state", {}).get("numbers", {}) or {})
        l, j = self.neuron
        delta = float(self.network.trace(self.scenario.x, self.scenario.y).delta[l][j, 0])
        if update.slider.weight is not None:
            expected = {"BP3": delta}  # ∂C/∂b = δ (BP3), for the selected neuron
        else:
            expected = {"dz": update.value, "predicted": delta * update.value}  # the demon: δ·Δz
        for key, value in expected.items():
            if key not in numbers:
                return f"no number {key} in the reply"
            got = numbers[key][1]
            if got is None or not math.isclose(got, value, rel_tol=1e-9, abs_tol=1e-12):
                return f"{key} = {got}, the core says {value}"
        return ""

    def close(self) -> None:
        if self.socket is not None:
            self.socket.close()


# ----------------------------------------------------------------------------- a class


def quantile(values, q: float) -> float:
    values = sorted(v for v in values if v is not None and not math.isnan(v))
    if not values:
        return math.nan
    return values[min(len(values) - 1, max(0, math.ceil(q * len(values)) - 1))]


@dataclass
class ClassResult:
    students: int
    seconds: float
    page_live: list[float]
    page_html: list[float]
    kernel_ms: list[float]
    reply_ms: list[float]
    rate_each: list[float]
    rss: list[int]
    sent: int
    answered: int
    superseded: int
    lost: int
    failed: int
    tracebacks: int
    problems: list[str]
    not_live: list[str]
    kernels: list[str] = field(default_factory=list)  # the students' kernel ids

    def row(self) -> str:
        mib = [r / 2**20 for r in self.rss]

        def pair(values, digits=0, scale=1.0):
            med, p95 = quantile(values, 0.5), quantile(values, 0.95)
            return f"{med * scale:.{digits}f} / {p95 * scale:.{digits}f}"

        return (
            f"| {self.students} | {pair(self.page_live, 1)} s | {pair(self.kernel_ms, 1)} ms | "
            f"{pair(self.reply_ms)} ms | {statistics.median(self.rate_each) if self.rate_each else math.nan:.1f} | "
            f"{statistics.median(mib) if mib else math.nan:.0f} MiB | {self.sent:,} / {self.answered:,} | "
            f"{self.lost} | {self.failed} | {self.tracebacks} |"
        )


HEADER = (
    "| students | page live, median / p95 | kernel time per event, median / p95 | reply, median / p95 "
    "| updates a second each | kernel RSS each | updates sent / answered | lost | failed | tracebacks |\n"
    "|---|---|---|---|---|---|---|---|---|---|"
)


async def run_class(
    base: str, students: int, seconds: float, seed: int = 0, scenario: str = DEFAULT_SCENARIO,
    layout: str = DEFAULT_LAYOUT,
) -> ClassResult:
    """Open ``students`` pages at once, drag for ``seconds``, and gather the figures."""
    class_ = [Student(base, scenario, seed=seed * 1000 + i, layout=layout) for i in range(students)]

    async def one(student: Student) -> None:
        try:
            await student.open()
        except (LoadError, OSError, asyncio.TimeoutError, ValueError) as error:
            student.error = str(error) or type(error).__name__
            return
        await student.drag(seconds)

    try:
        await asyncio.gather(*(one(s) for s in class_))
        rss = [kernel_rss(s.kernel_id) for s in class_ if s.kernel_id]
    finally:
        for s in class_:
            s.close()
    live = [s for s in class_ if not s.error]
    updates = [u for s in live for u in s.updates]
    answered = [u for u in updates if u.request is not None and u.request.answered is not None]
    problems = [u.problem for u in updates if u.problem]
    return ClassResult(
        students=students,
        seconds=seconds,
        page_live=[s.live_seconds for s in live],
        page_html=[s.page_seconds for s in live],
        kernel_ms=[1000 * u.request.kernel_seconds for u in answered if u.request.kernel_seconds is not None],
        reply_ms=[1000 * u.request.latency for u in answered],
        rate_each=[sum(1 for u in s.updates if u.request.answered is not None) / seconds for s in live],
        rss=[r for r in rss if r is not None],
        sent=len(updates),
        answered=len(answered),
        superseded=sum(s.superseded for s in live),
        lost=sum(1 for u in updates if u.problem.startswith("lost")),
        failed=sum(1 for u in updates if u.problem and not u.problem.startswith("lost")),
        tracebacks=sum(len(s.socket.tracebacks) for s in live if s.socket is not None),
        problems=problems,
        not_live=[s.error for s in class_ if s.error],
        kernels=[s.kernel_id for s in class_ if s.kernel_id],
    )


# ----------------------------------------------------------------------------- a server


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (the tests, the benchmarks and this load driver take theirs here)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 120.0) -> None:
    """Until the server listens (a connection, not a page: a page would start a kernel)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LoadError(f"the classroom server exited with code {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise LoadError(f"the classroom server did not listen on port {port} within {timeout:.0f} s")


class ClassroomServer:
    """``python -m explorer classroom`` on a free port of 127.0.0.1, stopped on exit."""

    def __init__(self, extra_args=()):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "explorer", "classroom", f"--port={self.port}", "--ip=127.0.0.1", *extra_args],
            stdout=self.log, stderr=subprocess.STDOUT,
        )
        try:
            wait_for_port(self.port, self.process)
        except BaseException:
            self.stop()
            raise

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        self.log.close()


def run(
    students: list[int], seconds: float, url: str | None = None, seed: int = 0, out=None,
    layout: str = DEFAULT_LAYOUT,
) -> list[ClassResult]:
    """The load test for each class size in turn, one table row each, printed to ``out``.

    ``layout`` is the page the students open: "laptop" (the default; weight sliders and Δz, every
    panel updated, so the heavier page) or "presenter" (the classroom's default page; Δz only).
    """
    out = sys.stdout if out is None else out
    if layout not in LAYOUTS:
        raise LoadError(f"--layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")
    if not students or any(not 1 <= n <= MAX_STUDENTS for n in students):
        raise LoadError(f"--students must be between 1 and {MAX_STUDENTS}, got {students}")
    if not 0 < seconds <= MAX_SECONDS:
        raise LoadError(f"--seconds must be more than 0 and at most {MAX_SECONDS:.0f}, got {seconds}")
    base = check_url(url) if url is not None else None
    server = None
    if base is None:
        print("Starting python -m explorer classroom on a free port of 127.0.0.1 …", file=out, flush=True)
        server = ClassroomServer()
        base = server.url
    results = []
    try:
        print(
            f"Driving {base} ({os.cpu_count()} cores; the {layout} page, ?layout={layout}; "
            f"{seconds:g} s of dragging per class size)", file=out,
        )
        print(HEADER, file=out, flush=True)
        for n in students:
            result = asyncio.run(run_class(base, n, seconds, seed=seed, layout=layout))
            results.append(result)
            print(result.row(), file=out, flush=True)
            for error in sorted(set(result.not_live)):
                print(f"  a page did not come live: {error}", file=out)
            for problem in sorted(set(result.problems))[:10]:
                print(f"  an update failed: {problem}", file=out)
    finally:
        if server is not None:
            server.stop()
            server.log.close()
    print(
        "page live: page HTML, kernel websocket (v1), kernel_info and widget states; kernel time: "
        "busy to idle in the kernel's own clock; reply: update sent to the kernel idle again; "
        f"{sum(r.superseded for r in results):,} values replaced before sending (the latest value wins)",
        file=out,
    )
    return results


__all__ = [
    "DEFAULT_LAYOUT", "LAYOUTS", "ClassResult", "ClassroomServer", "KernelSocket", "LoadError", "Request", "Student", "carries_traceback",
    "check_url", "kernel_rss", "pack", "run", "run_class", "unpack",
]
