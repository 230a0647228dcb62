"""A real JupyterHub (deploy/jupyterhub_config.py) with three students: each gets a server, a kernel
and a classroom app of their own.

Starts jupyterhub on 127.0.0.1 with configurable-http-proxy from npm (skipped with a reason where
`make setup` could not install it, failed instead under CI), logs three students in through the
login form with the class password, and checks what each one's address leads to against what the
hub and the operating system say independently: the server processes (from the hub's recorded
state), their kernels (children of those processes in /proc), the notebook file each server
serves, and that one student cannot reach another's server. The page in a real browser is
tests/browser/test_jupyterhub_page.py.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from hubserver import APP_PATH, ROOT, Hub, proxy_command

STUDENTS = ("alice", "bob", "carol")


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    proxy_command()
    folder = tmp_path_factory.mktemp("hub")
    running = Hub(folder, folder / "jupyterhub.log")
    yield running
    running.stop()


def parent_pid(pid: int) -> int:
    # /proc/<pid>/stat: "pid (command) state ppid ..."; the command may hold spaces, hence rsplit on ")".
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[1])


def processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in command:
            found.append(int(entry.name))
    return found


def test_three_students_each_get_their_own_server_kernel_and_app(hub):
    # Logging in starts the student's server, so the three start together, as in a class.
    sessions = {name: hub.login(name) for name in STUDENTS}
    pages = {name: hub.open_app(sessions[name], name) for name in STUDENTS}

    servers, kernels = {}, {}
    for name in STUDENTS:
        page = pages[name]
        # The student's address led to the classroom app: Voila rendering the classroom notebook.
        assert page.url.split("?")[0] == f"{hub.url}/user/{name}/{APP_PATH}"
        assert "application/vnd.jupyter.widget-view+json" in page.text
        assert "from explorer.widgets.apps.classroom import Classroom" not in page.text  # no code shown
        kernel_ids = re.findall(r'"kernelId":\s*"([0-9a-f-]{36})"', page.text)
        assert len(set(kernel_ids)) == 1, kernel_ids
        kernels[name] = kernel_ids[0]

        # The student's own server lists that kernel as running.
        listed = sessions[name].get(f"{hub.url}/user/{name}/api/kernels", timeout=10)
        assert listed.status_code == 200
        assert kernels[name] in [k["id"] for k in listed.json()]

        # The hub's record of the student's server: its process, alive and serving their folder.
        model = hub.api(f"/users/{name}")
        server = model["servers"][""]
        assert server["ready"] is True
        pid = server["state"]["pid"]
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        folder = hub.data / "students" / name / "backprop-explorer"
        assert f"--ServerApp.root_dir={folder}".encode() in command
        servers[name] = pid
        # the notebook it serves is the one shipped with the package, byte for byte
        assert (folder / "classroom.ipynb").read_bytes() == (ROOT / "notebooks" / "classroom.ipynb").read_bytes()

        # The kernel of the page is a process started by that student's server.
        kernel_processes = processes_mentioning(f"kernel-{kernels[name]}.json")
        assert len(kernel_processes) == 1
        assert parent_pid(kernel_processes[0]) == pid

    assert len(set(servers.values())) == len(STUDENTS)
    assert len(set(kernels.values())) == len(STUDENTS)

    # One student cannot reach another's server, nor run anything in it.
    intruder = sessions["bob"].get(f"{hub.url}/user/alice/api/kernels", timeout=30)
    assert intruder.status_code == 403
    assert kernels["alice"] not in intruder.text


def test_wrong_password_is_refused_and_starts_nothing(hub):
    session = hub.login("mallory", password="not-the-class-password")
    page = session.get(f"{hub.url}/user/mallory/", timeout=30)
    assert page.url.startswith(f"{hub.url}/hub/login")
    reply = requests.get(
        f"{hub.url}/hub/api/users/mallory", headers={"Authorization": f"token {hub.token}"}, timeout=10
    )
    assert reply.status_code == 404  # no such user was created


def test_the_culler_runs_as_a_service_of_the_hub(hub):
    """jupyterhub-idle-culler is started by the hub itself, with the config's default 30 minutes."""
    cullers = [pid for pid in processes_mentioning("jupyterhub_idle_culler") if parent_pid(pid) == hub.process.pid]
    assert len(cullers) == 1, "the hub did not start the idle culler"
    command = Path(f"/proc/{cullers[0]}/cmdline").read_bytes().split(b"\0")
    assert b"--timeout=1800" in command


@pytest.mark.parametrize(
    "setting, expected",
    [
        ({}, "BACKPROP_CLASS_PASSWORD"),  # no class password at all
        ({"BACKPROP_CLASS_PASSWORD": "backprop-class-2026", "BACKPROP_HUB_PORT": "eighty"}, "BACKPROP_HUB_PORT"),
    ],
)
def test_the_deploy_config_refuses_a_bad_setting_with_a_sentence(tmp_path, setting, expected):
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKPROP_")}
    env.update(setting, BACKPROP_HUB_DATA=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-m", "jupyterhub", "-f", str(ROOT / "deploy" / "jupyterhub_config.py")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    said = done.stderr + done.stdout
    assert done.returncode != 0
    assert expected in said
    assert "Traceback" not in said
    assert not (tmp_path / "jupyterhub.sqlite").exists()
