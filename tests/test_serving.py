"""`python -m explorer classroom` as a class's server: real server processes on 127.0.0.1.

One server (a pool of 2 kernels, at most 3 students) serves the tests of this module in order:
the pool before any page, a page by address, a visitor's execute_request, hostile websocket
clients, the limit, and SIGTERM. Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from explorer.classroom_load import free_port  # the one free loopback port helper
from explorer.scenarios import prepared_scenarios, read_scenario
from explorer.widgets.apps.page_client import (
    V1_PROTOCOL,
    FrameError,
    KernelChannels,
    decode_v1,
    encode_legacy,
    encode_v1,
    kernel_id_of,
    make_message,
    open_page,
)

pytest.importorskip("voila")

POOL, MAX_STUDENTS = 2, 3
KERNEL_FILE = re.compile(r"kernel-([0-9a-f-]{36})\.json")


def kernel_ids(pid: int) -> set[str]:
    """The ids of the kernels a server process has started (from their connection files)."""
    found = set()
    for child in psutil.Process(pid).children(recursive=True):
        try:
            line = " ".join(child.cmdline())
        except psutil.Error:
            continue
        if "ipykernel" in line and (m := KERNEL_FILE.search(line)):
            found.add(m.group(1))
    return found


def answers(url: str, timeout: float = 5.0) -> int:
    """The HTTP status of a GET (an error page is an answer too)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply:
            return reply.status
    except urllib.error.HTTPError as error:
        with error:
            return error.code


class Server:
    def __init__(self, tmp: Path, *options: str):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp / "server.log"
        env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp / "runtime"), PYTHONWARNINGS="ignore")
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "explorer", "classroom", f"--port={self.port}",
                    f"--pool-size={POOL}", f"--max-students={MAX_STUDENTS}", "--min-free-mib=0",
                    "--evict-after=0",  # pages here open no websocket: none is evicted unless a test says so
                    *options,
                ],
                stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp,
            )
        self.pages: dict[str, str] = {}  # query -> kernel id

    def wait_until(self, condition, what: str, timeout: float = 120.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited ({self.process.returncode}):\n{self.log()}")
            value = condition()
            if value:
                return value
            time.sleep(0.3)
        raise TimeoutError(f"{what} not within {timeout} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)


def started(s: Server) -> Server:
    def up():
        try:
            return answers(f"{s.base}/voila/static/nothing-here") > 0
        except OSError:
            return False

    try:
        s.wait_until(up, "the server answering")
    except Exception:
        s.stop()
        raise
    return s


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = started(Server(tmp_path_factory.mktemp("classroom")))
    try:
        yield s
    finally:
        s.stop()


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, 180))


def page_kernel(server: Server, query: str) -> str:
    status, body = open_page(f"{server.base}/?{query}", timeout=90)
    assert status == 200, body[:500]
    kernel = kernel_id_of(body)
    server.pages[query] = kernel
    return kernel


def the_page(server: Server) -> str:
    """The kernel of the page the tests share (opened here when a test runs alone)."""
    query = "scenario=saturated_output"
    return server.pages[query] if query in server.pages else page_kernel(server, query)


# ----------------------------------------------------------------------------- no server


def test_help_lists_every_option():
    out = subprocess.run(
        [sys.executable, "-m", "explorer", "classroom", "--help"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    for option in ("--port", "--ip", "--max-students", "--pool-size", "--min-free-mib", "--cull-idle",
                   "--refill-after", "--evict-after", "--layout",
                   "--cull-interval", "--open-browser"):
        assert option in out.stdout
    assert "the class is full" in out.stdout


def test_the_servers_layout_reaches_its_kernels_and_the_options_reach_voila(monkeypatch, capsys):
    from explorer import __main__ as cli
    from explorer.widgets.apps import classroom, serving

    assert cli.CLASSROOM_LAYOUTS == classroom.LAYOUTS
    for variable in cli.BLAS_THREAD_VARIABLES:  # set: main() runs here rather than exec'ing itself anew
        monkeypatch.setenv(variable, "1")
    served = []
    monkeypatch.setattr(serving, "serve", lambda arguments, env, ip: served.append((arguments, env)))
    port = free_port()
    assert cli.main(["classroom", f"--port={port}", "--layout=laptop", "--refill-after=2.5", "--evict-after=0"]) == 0
    arguments, env = served[0]
    assert env[classroom.LAYOUT_VARIABLE] == "laptop"  # a kernel inherits the server's environment
    assert "--ClassroomVoila.refill_after=2.5" in arguments and "--ClassroomVoila.evict_after=0.0" in arguments
    assert "students get the laptop page" in capsys.readouterr().out
    with pytest.raises(SystemExit) as refused:
        cli.main(["classroom", f"--port={port}", "--layout=sideways"])
    assert refused.value.code == 2 and "invalid choice: 'sideways'" in capsys.readouterr().err


def test_v1_frames_match_jupyter_servers_own_encoding():
    from jupyter_server.services.kernels.connection.base import deserialize_msg_from_ws_v1, serialize_msg_to_ws_v1

    parts = [b'{"msg_type": "comm_msg"}', b"{}", b"{}", b'{"data": 1}', bytes(range(7))]
    frame = encode_v1("shell", parts)
    assert frame == serialize_msg_to_ws_v1(parts, "shell")
    assert decode_v1(frame) == deserialize_msg_from_ws_v1(frame)


@pytest.mark.parametrize(
    "frame",
    [
        encode_legacy({"channel": "shell", "header": {}}, [b"x" * 40]),  # the old format: first bytes a huge count
        (10**17).to_bytes(8, "little") + bytes(64),
        b"\x07",
        (6).to_bytes(8, "little") + (56).to_bytes(8, "little") + (10**9).to_bytes(8, "little") * 5,
        "text is not a v1 frame",
    ],
)
def test_malformed_frames_are_refused_at_once(frame):
    with pytest.raises(FrameError):
        decode_v1(frame)


def test_page_query_outside_voila_without_and_with_the_pool(monkeypatch):
    import voila.utils

    from explorer.widgets.apps.classroom import Classroom, page_query

    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    monkeypatch.setenv("QUERY_STRING", "scenario=dead_input")
    assert page_query() == ""  # not a Voila kernel: a stray variable is not a page's address
    monkeypatch.setenv("VOILA_PREHEAT", "False")  # Voila started this kernel for the request
    assert page_query() == "scenario=dead_input"
    assert Classroom().current == "dead_input"
    monkeypatch.setenv("VOILA_PREHEAT", "True")  # a pool kernel: the query arrives later, from Voila
    asked = []
    monkeypatch.setattr(voila.utils, "get_query_string", lambda: asked.append(1) or "scenario=demon_at_work")
    assert page_query() == "scenario=demon_at_work" and asked == [1]
    assert Classroom().current == "demon_at_work"


class FakeKernelManager:
    """What PatientRefill uses of Voila's kernel manager: the pool's configured size, the pool's
    length, the kernels; ``fill_if_needed`` fills the pool to the configured size at once, as
    Voila's does."""

    def __init__(self, pool: int):
        self.kernel_pools_config = {"default": {"pool_size": pool}}
        self.pool = [f"k{i}" for i in range(pool)]
        self.made = pool
        self.students: list[str] = []
        self.fills: list[int] = []  # the pool's size each fill was asked for

    def fill_if_needed(self, delay=None, notebook_name=None, **kwargs):
        assert kwargs in ({"path": "here"}, {}) and notebook_name == "nb"  # passed on as given
        size = self.kernel_pools_config["default"]["pool_size"]
        self.fills.append(size)
        while len(self.pool) < size:
            self.made += 1
            self.pool.append(f"k{self.made}")

    def list_kernel_ids(self):
        return self.students + self.pool

    def get_pool_size(self, notebook):
        return len(self.pool)

    def page(self):
        """A student asks for the page: a pool kernel is taken and Voila calls fill_if_needed."""
        self.students.append(self.pool.pop(0))
        self.fill_if_needed(notebook_name="nb", path="here")


def test_the_pool_is_refilled_after_the_pages_pause_one_kernel_at_a_time_up_to_the_places_left(monkeypatch):
    from explorer.widgets.apps import serving

    manager = FakeKernelManager(pool=3)
    settling = []

    async def settled(pid):
        settling.append(pid)

    # the fake's kernels are its "processes" (k4 is pid 4): a new one appears once it is filled
    monkeypatch.setattr(serving, "kernel_pids", lambda: {int(k[1:]) for k in manager.list_kernel_ids()})
    monkeypatch.setattr(serving, "settled", settled)
    refill = serving.PatientRefill(manager, pool_size=3, max_students=5, quiet=0.4)
    manager.fill_if_needed = refill

    async def a_class():
        manager.page()
        await asyncio.sleep(0.2)
        manager.page()  # a second page within the pause: the wait starts again
        await asyncio.sleep(0.3)
        assert manager.fills == [] and len(manager.pool) == 1  # not yet: pages still arriving
        await refill.task
        # one kernel at a time (each fill asks for one more than the pool holds), back to 3
        assert manager.fills == [2, 3] and len(manager.pool) == 3
        assert settling == [4, 5]  # each new kernel settled before the next was started
        manager.page()
        manager.page()
        await refill.task
        # 4 students of at most 5: one place left, so one kernel in the pool and no more
        assert len(manager.students) == 4 and len(manager.pool) == 1
        assert manager.fills == [2, 3] and refill.started == 2
        manager.page()
        await refill.task
        assert manager.pool == [] and refill.started == 2  # the class is full: none started
        # two students leave (their kernels culled or evicted); the next page finds no pool
        # kernel and starts its own, and the page handler asks for the refill Voila would not
        del manager.students[:2]
        manager.students.append("k99")  # the page's own kernel, started cold
        refill(notebook_name="nb")
        await refill.task
        assert len(manager.students) == 4 and manager.pool == ["k6"] and refill.started == 3
        assert settling == [4, 5, 6]

    asyncio.run(a_class())


# ----------------------------------------------------------------------------- one server, in order


def test_pool_holds_kernels_before_any_page_and_a_page_takes_one(server):
    before = server.wait_until(lambda: (k := kernel_ids(server.process.pid)) and len(k) >= POOL and k, "the pool")
    assert len(before) == POOL  # started before anyone asked for a page
    kernel = page_kernel(server, "scenario=saturated_output")
    assert kernel in before  # the page's kernel came from the pool
    # kernels talk to the server over Unix sockets: no TCP port to collide or to be reached
    files = []
    for child in psutil.Process(server.process.pid).children(recursive=True):
        try:
            files += [part for part in child.cmdline() if KERNEL_FILE.search(part)]
        except psutil.Error:  # ended meanwhile
            continue
    assert files and all(json.loads(Path(f).read_text())["transport"] == "ipc" for f in files)
    # the pool is filled again once the pages pause (two places left: both pool kernels wanted)
    server.wait_until(lambda: len(kernel_ids(server.process.pid)) == POOL + 1, "the pool refilled")


def test_scenario_by_address_with_the_pool(server):
    """The pool kernel ran the notebook before the request; the address still chose the scenario."""
    kernel = the_page(server)
    names = prepared_scenarios()
    titles = [read_scenario(n).title or n for n in names]

    async def states():
        channels = await KernelChannels.connect(server.base, kernel)
        try:
            assert channels.protocol == V1_PROTOCOL
            return await channels.widget_states()
        finally:
            await channels.aclose()

    menus = [
        s["state"] for s in run(states()).values()
        if s["model_name"] == "DropdownModel" and s["state"].get("_options_labels") == titles
    ]
    assert len(menus) == 1
    assert menus[0]["index"] == names.index("saturated_output")


def test_a_visitors_execute_request_does_not_run(server, tmp_path):
    target = tmp_path / "ran.txt"
    code = f"open({str(target)!r}, 'w').write('ran')"
    # the code does create the file when run
    control = tmp_path / "control.txt"
    subprocess.run([sys.executable, "-c", code.replace(str(target), str(control))], check=True, timeout=30)
    assert control.read_text() == "ran"

    kernel = the_page(server)

    async def probe():
        channels = await KernelChannels.connect(server.base, kernel)
        try:
            execute = make_message("execute_request", {"code": code, "silent": False}, channels.session)
            await channels.send("shell", execute)
            # the kernel answers messages in order: once this reply is here, the execute is past
            return await channels.request("shell", "kernel_info_request", {})
        finally:
            await channels.aclose()

    reply = run(probe())
    assert reply["header"]["msg_type"] == "kernel_info_reply"
    assert not target.exists()


def slider_update_legacy(comm_id: str) -> bytes:
    """A widget update as an old (pre-v1) page sends it: binary, with one buffer."""
    message = make_message(
        "comm_msg", {"comm_id": comm_id, "data": {"method": "update", "state": {"value": 0.5}, "buffer_paths": [["x"]]}},
        "old-page",
    )
    return encode_legacy({**message, "channel": "shell"}, [bytes(range(256)) * 4])


def server_is_calm(server: Server) -> None:
    """It settles (the pool's refill renders in the server too) and answers HTTP within seconds.

    Calm: some 3-second window, within 30 s, in which the server used under 0.75 s of CPU and
    grew by under 4 MiB. A server spinning on a frame never has one (measured without the fix:
    it stops answering and grows by megabytes a second; on a busy machine its CPU share can be
    small, so the memory and the HTTP answer are checked too).
    """
    process = psutil.Process(server.process.pid)
    windows = []
    for _ in range(10):
        before, rss = process.cpu_times(), process.memory_info().rss
        time.sleep(3.0)
        after = process.cpu_times()
        windows.append(((after.user + after.system) - (before.user + before.system),
                        (process.memory_info().rss - rss) / 2**20))
        if windows[-1][0] < 0.75 and windows[-1][1] < 4:
            break
    assert windows[-1][0] < 0.75 and windows[-1][1] < 4, f"the server kept busy: (CPU s, MiB grown) per 3 s {windows}"
    status, body = open_page(f"{server.base}/voila/static/nothing-here", timeout=10)
    assert status in (403, 404)


def slider_comm_id(server: Server, kernel: str) -> str:
    async def find():
        channels = await KernelChannels.connect(server.base, kernel)
        try:
            states = await channels.widget_states()
        finally:
            await channels.aclose()
        return next(m for m, s in states.items() if s["model_name"] == "FloatSliderModel")

    return run(find())


def old_client(server: Server, kernel: str, frame: bytes) -> int:
    """An old page's websocket, by hand: the handshake names no subprotocol; if the server
    accepts (101), one binary frame is sent. Returns the handshake's HTTP status."""
    port = int(server.base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall(
            f"GET /api/kernels/{kernel}/channels?session_id=old-page HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(4096)
            if not chunk:
                break
            head += chunk
        status = int(head.split(b" ", 2)[1])
        if status == 101:  # reached only if the server accepts an old client
            mask = os.urandom(4)
            size = len(frame)
            length = bytes([0x80 | size]) if size < 126 else bytes([0x80 | 126]) + size.to_bytes(2, "big")
            sock.sendall(bytes([0x82]) + length + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(frame)))
            time.sleep(2)
    return status


def test_an_old_protocol_client_is_refused_and_the_server_stays_calm(server):
    kernel = the_page(server)
    # An ordinary slider update, binary in the old format: the reply to it (binary, old format
    # too) is what made Voila's handler spin.
    status = old_client(server, kernel, slider_update_legacy(slider_comm_id(server, kernel)))
    server_is_calm(server)
    assert status == 400


def test_a_v1_client_sending_old_frames_is_cut_off_and_the_server_stays_calm(server):
    kernel = the_page(server)
    slider = slider_comm_id(server, kernel)

    async def hostile():
        channels = await KernelChannels.connect(server.base, kernel)
        await channels.send_raw(slider_update_legacy(slider))
        try:
            while await asyncio.wait_for(channels.connection.read_message(), 90) is not None:
                pass
        finally:
            await channels.aclose()
        return channels.connection.close_code

    assert run(hostile()) == 1007
    server_is_calm(server)

    async def honest():  # the kernel itself is untouched: a new page connection is answered
        channels = await KernelChannels.connect(server.base, kernel)
        try:
            return await channels.request("shell", "kernel_info_request", {})
        finally:
            await channels.aclose()

    assert run(honest())["content"]["status"] == "ok"


def test_no_traceback_reaches_a_visitor(server):
    for path in ("/voila/static/nothing-here", "/voila/files/../../etc/passwd", "/api/kernels/not-a-kernel/channels"):
        status, body = open_page(server.base + path, timeout=10)
        assert status >= 400
        assert "Traceback" not in body and 'File "' not in body


def test_a_one_megabyte_address_is_sent_to_the_default_with_its_length(server):
    """Tornado alone drops such a request without a word; here it gets the default scenario."""
    request = urllib.request.Request(f"{server.base}/?s=1." + "A" * 1_000_000)
    opener = urllib.request.build_opener(NoRedirect)  # the redirect itself is what is checked
    try:
        opener.open(request, timeout=30)
        pytest.fail("a 1 MB address was not redirected")
    except urllib.error.HTTPError as error:
        with error:
            assert error.code == 302
            assert error.headers["Location"] == f"/?refused={len('s=1.') + 1_000_000}"
    assert answers(server.base + "/voila/static/nothing-here") in (403, 404)  # and it answers on


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_kernel_processes_counts_this_servers_kernel_children_only():
    """The limit counts kernel processes: a refilling pool kernel runs before it is listed."""
    from explorer.widgets.apps.serving import kernel_processes

    before = kernel_processes()
    stand_in = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "ipykernel_launcher"])
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "not-a-kernel"])
    try:
        assert kernel_processes() == before + 1
    finally:
        for p in (stand_in, other):
            p.kill()
            p.wait(timeout=30)
    assert kernel_processes() == before


def test_the_class_is_full_past_the_limit(server):
    for n in range(len(server.pages), MAX_STUDENTS):
        page_kernel(server, f"scenario=healthy&student={n}")
    # no place left, so no kernel is kept in the pool for a student who could not have it
    full = MAX_STUDENTS
    server.wait_until(lambda: len(kernel_ids(server.process.pid)) == full, "every place taken, the pool empty")
    try:
        urllib.request.urlopen(f"{server.base}/?scenario=healthy", timeout=90)
        pytest.fail("a page was served past the limit")
    except urllib.error.HTTPError as error:
        with error:
            assert error.code == 503
            assert error.headers["Retry-After"] == "60"
            assert error.headers["Content-Type"].startswith("text/html")
            body = error.read().decode()
    assert "The class is full" in body and "Try again in a minute" in body
    assert "Traceback" not in body
    # and no kernel was started for it, nor taken from the pool
    assert len(kernel_ids(server.process.pid)) == full
    status, _ = open_page(f"{server.base}/?scenario=healthy", timeout=90)
    assert status == 503


def test_sigterm_stops_the_server_and_its_kernels(server):
    kernels = [p for p in psutil.Process(server.process.pid).children(recursive=True)]
    assert kernels
    server.process.terminate()
    assert server.process.wait(timeout=20) is not None
    gone, alive = psutil.wait_procs(kernels, timeout=20)
    assert alive == []


def test_a_full_class_gives_the_kernel_of_a_page_closed_long_enough_ago_to_a_new_page(tmp_path):
    """Its own server: no pool, two places. A reloaded or closed page leaves its kernel behind;
    when the class is full, one closed (no websocket, idle) for --evict-after seconds makes room,
    and a connected page's kernel never does."""
    s = started(Server(tmp_path, "--pool-size=0", "--max-students=2", "--evict-after=4"))

    async def a_class():
        closed = await asyncio.to_thread(page_kernel, s, "scenario=healthy")  # no websocket: closed at once
        present = await asyncio.to_thread(page_kernel, s, "scenario=dead_input")
        channels = await KernelChannels.connect(s.base, present)  # a student still on the page
        try:
            status, body = await asyncio.to_thread(open_page, f"{s.base}/?scenario=healthy", 90)
            assert status == 503 and "The class is full" in body  # the closed page is too recent
            await asyncio.sleep(5)
            status, body = await asyncio.to_thread(open_page, f"{s.base}/?scenario=demon_at_work", 90)
            assert status == 200, body[:300]
            kernels = kernel_ids(s.process.pid)
            assert closed not in kernels and present in kernels and kernel_id_of(body) in kernels
            assert f"shutting down kernel {closed}" in s.log()
            # full again, and the only closed page is the one just opened (too recent): no room
            status, _ = await asyncio.to_thread(open_page, f"{s.base}/?scenario=healthy", 90)
            assert status == 503 and present in kernel_ids(s.process.pid)
        finally:
            await channels.aclose()

    try:
        run(a_class())
    finally:
        s.stop()


def test_a_closed_pages_idle_kernel_is_culled_and_the_pool_kept(tmp_path):
    """Its own server: kernels idle 10 s with no page connected are shut down (checked each second).

    (Voila's pool assumes a kernel starts faster than the idle limit; 10 s holds on a busy machine.)
    """
    s = started(Server(tmp_path, "--cull-idle=10", "--cull-interval=1"))
    try:
        s.wait_until(lambda: len(kernel_ids(s.process.pid)) >= POOL, "the pool")
        kernel = page_kernel(s, "scenario=healthy")  # and no websocket: the page was closed at once
        s.wait_until(lambda: kernel not in kernel_ids(s.process.pid), "the closed page's kernel culled", timeout=90)
        # The pool's kernels are idle and unconnected too, for longer than the limit: they stay.
        rest = kernel_ids(s.process.pid)
        time.sleep(12)
        assert rest <= kernel_ids(s.process.pid) and len(rest) >= POOL
    finally:
        s.stop()


def test_the_servers_template_folder_is_removed_when_it_exits():
    code = (
        "import os; from explorer.widgets.apps.classroom import voila_options; "
        "options, env = voila_options(); folder = env['JUPYTER_PATH'].split(os.pathsep)[0]; "
        "assert os.path.isdir(os.path.join(folder, 'voila', 'templates', 'backprop')); print(folder)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    folder = out.stdout.strip()
    assert "backprop-voila-" in folder and not os.path.exists(folder)
