"""Real-browser tests: Debian's chromium driven by Playwright, against Voila and JupyterLab.

Locally a missing chromium skips these tests with a message; under CI (CI=true) it fails them,
since .ci/run installs chromium. Screenshots go to test-artifacts/ (not committed).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from explorer.classroom_load import free_port  # the one free loopback port helper

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium_path() -> str:
    path = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if path is None:
        message = "chromium is not installed (apt-get install chromium); .ci/run installs it"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def wait_for_http(url: str, process: subprocess.Popen, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except Exception:
            time.sleep(0.3)
    raise TimeoutError(f"no answer from {url} within {timeout} s")


def start_server(args: list[str], url_to_poll: str, log_name: str, env=None) -> subprocess.Popen:
    ARTIFACTS.mkdir(exist_ok=True)
    with open(ARTIFACTS / log_name, "w") as log:  # the child keeps its own copy of the handle
        process = subprocess.Popen(args, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        wait_for_http(url_to_poll, process)
    except Exception:
        stop_server(process)
        raise
    return process


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def browser():
    # Module scope: Playwright's sync API keeps an asyncio loop running in this thread while
    # it is open, which would make every later asyncio.run() (the training panel's tests) fail.
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A fresh page whose console errors are collected in ``page.console_errors``."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.console_errors = []

    def on_console(msg):
        if msg.type == "error":
            pg.console_errors.append(msg.text)

    pg.on("console", on_console)
    pg.on("pageerror", lambda exc: pg.console_errors.append(f"pageerror: {exc}"))
    # Every request the page makes; none may leave this machine (fonts, icons, KaTeX included).
    pg.requests = []
    pg.on("request", lambda request: pg.requests.append(request.url))
    yield pg
    context.close()


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture(scope="session")
def voila_url():
    """Voila serving notebooks/ on a free localhost port, with the classroom app's template."""
    from explorer.widgets.apps.classroom import voila_options

    chromium_path()
    port = free_port()
    options, env = voila_options()
    args = [
        sys.executable, "-m", "voila", "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1",
        "--show_tracebacks=True", *options, str(ROOT / "notebooks"),
    ]
    process = start_server(args, f"http://127.0.0.1:{port}/", "voila.log", env=env)
    yield f"http://127.0.0.1:{port}"
    stop_server(process)


@pytest.fixture(scope="session")
def jupyterlab(tmp_path_factory):
    """JupyterLab on a free localhost port, serving a copy of the notebooks (autosave must not
    touch the repository), as root, offline, without pop-ups."""
    chromium_path()
    root = tmp_path_factory.mktemp("lab")
    work = root / "notebooks"
    shutil.copytree(ROOT / "notebooks", work)
    config = root / "config"
    (config / "labconfig").mkdir(parents=True)
    (config / "labconfig" / "page_config.json").write_text(
        '{"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": true}}'
    )
    port, token = free_port(), "backprop-explorer-test"
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(config), JUPYTER_RUNTIME_DIR=str(root / "runtime"))
    args = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root", f"--port={port}",
        "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}",
        "--LabApp.extension_manager=readonly", "--LabApp.news_url=",
    ]
    process = start_server(args, f"http://127.0.0.1:{port}/api/status?token={token}", "jupyterlab.log", env=env)
    yield {"url": f"http://127.0.0.1:{port}", "token": token, "dir": work}
    stop_server(process)
