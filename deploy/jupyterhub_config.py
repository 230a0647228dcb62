# JupyterHub for a class: every student who logs in gets a server of their own showing the
# classroom app (Voila), with its own kernel.
#
#   BACKPROP_CLASS_PASSWORD='a password for the class' jupyterhub -f deploy/jupyterhub_config.py
#
# (`make hub` does this in a checkout.) Students open http://<this machine>:8000/, type any name
# and the class password, and land on the app. Settings read from the environment:
#   BACKPROP_CLASS_PASSWORD   the password every student types (at least 8 characters; required)
#   BACKPROP_HUB_IP, _PORT    where the hub listens (default 0.0.0.0 and 8000: the room's network)
#   BACKPROP_HUB_DATA         the hub's folder: its database, cookie secret and the students'
#                             home folders (default: the folder jupyterhub is started in)
#   BACKPROP_HUB_MAX_STUDENTS servers running at once (default 40, see active_server_limit)
#   BACKPROP_HUB_IDLE_MINUTES an idle student's server is stopped after this (default 30)
#
# Every student's server runs as the hub's own Unix user (SimpleLocalProcessSpawner): on a machine
# kept for the class that is enough, but a student who opens /user/<name>/lab can run code as
# that user. For students who must be kept apart, give each a Unix account (PAM, the default
# authenticator, with LocalProcessSpawner) or use Zero to JupyterHub (deploy/z2jh/), where every
# student is a pod of their own: the path for hundreds.
import importlib.util
import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821 (provided by JupyterHub when it reads this file)


def _setting(name, default):
    value = os.environ.get(name, "").strip()
    return value if value else default


def _whole_number(name, default):
    value = _setting(name, str(default))
    if not value.isdigit() or int(value) < 1:
        sys.exit(f"{name} must be a whole number above 0, not {value!r}")
    return int(value)


# --- where the hub listens and keeps its state -------------------------------------------------
ip = _setting("BACKPROP_HUB_IP", "0.0.0.0")
port = _whole_number("BACKPROP_HUB_PORT", 8000)
c.JupyterHub.bind_url = f"http://{ip}:{port}/"
data = Path(_setting("BACKPROP_HUB_DATA", os.getcwd())).resolve()
data.mkdir(parents=True, exist_ok=True)
c.JupyterHub.db_url = f"sqlite:///{data / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(data / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(data / "jupyterhub.pid")
# The proxy the hub starts (configurable-http-proxy, from npm). `make setup` installs it into
# .venv/node_modules; found there beside this Python, else on PATH.
proxy = Path(sys.prefix) / "node_modules" / ".bin" / "configurable-http-proxy"
c.ConfigurableHTTPProxy.command = [str(proxy) if proxy.exists() else "configurable-http-proxy"]

# --- who may log in: one password for the class ------------------------------------------------
# SharedPasswordAuthenticator (JupyterHub >= 5.1): any name with the class password. A name is a
# student's server; a student who comes back under the same name finds the same server.
password = os.environ.get("BACKPROP_CLASS_PASSWORD", "")
if len(password) < 8:
    sys.exit(
        "Set BACKPROP_CLASS_PASSWORD to the password students will type (at least 8 characters), "
        "e.g. BACKPROP_CLASS_PASSWORD='backprop-2026' jupyterhub -f deploy/jupyterhub_config.py"
    )
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = password
c.Authenticator.allow_all = True  # anyone who knows the class password
# Logging out stops the student's server, so a finished student frees memory at once.
c.JupyterHub.shutdown_on_logout = True

# --- what each student gets: the classroom app -------------------------------------------------
c.JupyterHub.spawner_class = "simple"  # jupyterhub.spawner.SimpleLocalProcessSpawner
# Each student's home folder, under the hub's folder (the spawner would use the system's temporary one).
c.SimpleLocalProcessSpawner.home_dir_template = str(data / "students" / "{username}")
# Our command (explorer/hub.py): copies the classroom notebook shipped in the package into
# ~/backprop-explorer and starts jupyterhub-singleuser on that folder with the app's Voila template.
c.Spawner.cmd = [sys.executable, "-m", "explorer.hub"]
# Where a student lands: Voila's server extension rendering that notebook (no code shown).
c.Spawner.default_url = "/voila/render/classroom.ipynb"
# Jupyter refuses to run as root unless told; a hub started as root runs its students' servers
# as root too with this spawner.
if hasattr(os, "getuid") and os.getuid() == 0:
    c.Spawner.args = ["--allow-root"]
# One BLAS thread per kernel: tens of kernels on a few cores would otherwise fight for them.
c.Spawner.environment = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
# A server with its kernel starts in a few seconds alone, but a whole class logging in at the
# start of a lesson queues on the CPU: allow two minutes before calling a start failed.
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
# Memory and CPU per student, from what we measured: the kernel about 100 MiB resident, its
# single-user server about 160 MiB; a limit with room for a reload's second kernel. This
# spawner does not enforce them (it passes them on as MEM_LIMIT and CPU_LIMIT); systemdspawner
# and kubespawner (deploy/z2jh/) do.
c.Spawner.mem_limit = "512M"
c.Spawner.cpu_limit = 1.0

# --- a class arriving at once ------------------------------------------------------------------
# At most this many servers starting together; the others are asked to retry in a moment rather
# than all starting at once on the same cores.
c.JupyterHub.concurrent_spawn_limit = 10
# At most this many students' servers running: ~260 MiB each, so 40 need about 10 GiB. Past it,
# a student is told the hub is full instead of the machine starting to swap.
c.JupyterHub.active_server_limit = _whole_number("BACKPROP_HUB_MAX_STUDENTS", 40)

# --- idle servers stopped ----------------------------------------------------------------------
# jupyterhub-idle-culler (PyPI, in the [hub] extra) runs as a service of the hub and stops a
# server nobody has used for BACKPROP_HUB_IDLE_MINUTES; a student who comes back is started again.
# Moving a slider counts as use; a page left open and untouched that long does not.
idle_seconds = 60 * _whole_number("BACKPROP_HUB_IDLE_MINUTES", 30)
if importlib.util.find_spec("jupyterhub_idle_culler") is not None:
    c.JupyterHub.load_roles = [
        {
            "name": "jupyterhub-idle-culler-role",
            "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
            "services": ["jupyterhub-idle-culler-service"],
        }
    ]
    c.JupyterHub.services = [
        {
            "name": "jupyterhub-idle-culler-service",
            "command": [
                sys.executable, "-m", "jupyterhub_idle_culler",
                f"--timeout={idle_seconds}", f"--cull-every={max(60, idle_seconds // 6)}",
            ],
        }
    ]
else:
    print("jupyterhub-idle-culler is not installed: idle servers will not be stopped "
          "(pip install jupyterhub-idle-culler, or the [hub] extra)", file=sys.stderr)
