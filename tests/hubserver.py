"""A real JupyterHub on 127.0.0.1 for the tests, run with deploy/jupyterhub_config.py.

The hub reads the deployment's own config (the class password, our single-user command, Voila as
the default URL, the idle culler) through a small test config that only moves its ports onto free
ones, keeps its state in a temporary folder and adds a read-only observer service whose token lets
the test ask the hub where each student's server runs.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from explorer.classroom_load import free_port  # the one free loopback port helper

ROOT = Path(__file__).resolve().parents[1]
DEPLOY_CONFIG = ROOT / "deploy" / "jupyterhub_config.py"
CLASS_PASSWORD = "backprop-class-2026"
APP_PATH = "voila/render/classroom.ipynb"


def proxy_command() -> Path:
    """configurable-http-proxy as `make setup` installs it (beside this Python); skip or fail without."""
    proxy = Path(sys.prefix) / "node_modules" / ".bin" / "configurable-http-proxy"
    if not proxy.exists():
        message = (
            "configurable-http-proxy (npm) is not installed beside this Python: `make setup` installs "
            "it with npm (apt-get install npm first)"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return proxy


class Hub:
    def __init__(self, folder: Path, log_path: Path):
        proxy_command()
        self.folder = folder
        self.data = folder / "data"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = secrets.token_hex(24)
        config = folder / "test_config.py"
        config.write_text(
            "c = get_config()\n"
            f"load_subconfig({str(DEPLOY_CONFIG)!r})\n"
            f"c.JupyterHub.hub_bind_url = 'http://127.0.0.1:{free_port()}'\n"
            f"c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:{free_port()}'\n"
            "c.JupyterHub.services.append({'name': 'test-observer', 'api_token': "
            f"{self.token!r}}})\n"
            "c.JupyterHub.load_roles.append({'name': 'test-observer', 'services': ['test-observer'],"
            " 'scopes': ['read:users', 'read:servers', 'admin:server_state']})\n"
        )
        env = dict(
            os.environ,
            BACKPROP_CLASS_PASSWORD=CLASS_PASSWORD,
            BACKPROP_HUB_IP="127.0.0.1",
            BACKPROP_HUB_PORT=str(self.port),
            BACKPROP_HUB_DATA=str(self.data),
        )
        self.log_path = log_path
        with open(log_path, "w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "jupyterhub", "-f", str(config)],
                cwd=folder, stdout=log, stderr=subprocess.STDOUT, env=env,
            )
        try:
            self._wait_until_up()
        except Exception:
            self.stop()
            raise

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def _wait_until_up(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyterhub exited with {self.process.returncode}:\n{self.log()[-3000:]}")
            try:
                if requests.get(f"{self.url}/hub/health", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise TimeoutError(f"JupyterHub did not answer within {timeout} s:\n{self.log()[-3000:]}")

    def api(self, path: str) -> dict:
        reply = requests.get(
            f"{self.url}/hub/api{path}", headers={"Authorization": f"token {self.token}"}, timeout=10
        )
        reply.raise_for_status()
        return reply.json()

    def login(self, name: str, password: str = CLASS_PASSWORD) -> requests.Session:
        """A student's browser session after typing a name and the password into the login form."""
        session = requests.Session()
        session.get(f"{self.url}/hub/login", timeout=10)
        session.post(
            f"{self.url}/hub/login",
            data={"username": name, "password": password, "_xsrf": session.cookies.get("_xsrf", path="/hub/")},
            timeout=30,
        )
        return session

    def open_app(self, session: requests.Session, name: str, timeout: float = 180.0) -> requests.Response:
        """Follow the student's address /user/<name>/ (redirects included) until their server is up
        and answers with a page of its own, not the hub's "starting" page."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reply = session.get(f"{self.url}/user/{name}/", timeout=120)
            if reply.status_code == 200 and reply.url.startswith(f"{self.url}/user/{name}/"):
                return reply
            time.sleep(1.0)
        raise TimeoutError(f"{name}'s server did not start within {timeout} s:\n{self.log()[-3000:]}")

    def stop(self) -> None:
        """SIGTERM: the hub stops its students' servers, its services and the proxy, then exits."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=90)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
