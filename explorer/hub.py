"""The classroom app for every user of a JupyterHub: ``python -m explorer.hub`` is the single-user command.

JupyterHub starts one single-user server per logged-in student, with the command its spawner is
given (``Spawner.cmd`` in ``deploy/jupyterhub_config.py``, ``singleuser.cmd`` in the Zero to
JupyterHub values file). This command

1. copies the classroom notebook shipped with the package (``explorer.notebooks``, found with
   importlib.resources) into a folder of the student's, ``~/backprop-explorer`` unless
   ``--classroom-folder`` says otherwise, rewriting it at every start so that an upgraded package
   shows its own notebook;
2. makes the classroom app's Voila template findable, as ``python -m explorer classroom`` does,
   and gives the page no MathJax address (Voila's extension would give the CDN's), so that no
   request leaves the server;
3. becomes ``jupyterhub-singleuser`` serving that folder, with Voila's server extension told to
   use that template, and kernels that no page is connected to stopped after ten idle minutes
   (each reload of the page starts a kernel). The hub's default URL, :data:`DEFAULT_URL`, is
   then the app.

Every other option is passed on to ``jupyterhub-singleuser`` (e.g. ``--allow-root``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from importlib import resources
from pathlib import Path

NOTEBOOK = "classroom.ipynb"
#: Where a student's server opens: Voila's server extension rendering the classroom notebook.
DEFAULT_URL = f"/voila/render/{NOTEBOOK}"
DEFAULT_FOLDER = "~/backprop-explorer"


def install_notebook(folder: Path | str) -> Path:
    """Write the package's classroom notebook into ``folder`` (created if needed); its path.

    The file is rewritten only when its bytes differ from the package's, so a student's server
    restarted on the same package leaves it untouched.
    """
    folder = Path(folder).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    shipped = (resources.files("explorer.notebooks") / NOTEBOOK).read_bytes()
    target = folder / NOTEBOOK
    if not target.is_file() or target.read_bytes() != shipped:
        target.write_bytes(shipped)
    return target


def singleuser_command(folder: Path | str, extra: list[str], environ=None) -> tuple[list[str], dict]:
    """The ``jupyterhub-singleuser`` command line and environment that serve ``folder``'s app."""
    from .widgets.apps.classroom import VOILA_TEMPLATE, voila_options

    _, env = voila_options(environ)  # the template's data folder on JUPYTER_PATH
    # Voila's server extension, unlike Voila alone, gives the page MathJax's CDN address and
    # configuration, and the page then fetches it; the app typesets with its bundled KaTeX, so
    # neither (as Voila alone has) keeps every request on the server. A config file: JSON carries None.
    config = Path(tempfile.mkdtemp(prefix="backprop-hub-config-"))
    (config / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"tornado_settings": {"mathjax_url": None, "mathjax_config": None}}}),
        encoding="utf-8",
    )
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(p for p in (str(config), env.get("JUPYTER_CONFIG_PATH", "")) if p)
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        # Tens of kernels on one machine: one BLAS thread each (the matrices are small).
        env.setdefault(variable, "1")
    command = [
        sys.executable, "-m", "jupyterhub.singleuser",
        f"--ServerApp.root_dir={Path(folder).expanduser()}",
        f"--VoilaConfiguration.template={VOILA_TEMPLATE}",
        # Every load of the page starts a kernel (about 100 MiB); a page closed or reloaded leaves
        # its old one behind. Kernels no page is connected to are stopped after 10 idle minutes.
        "--MappingKernelManager.cull_idle_timeout=600",
        "--MappingKernelManager.cull_interval=60",
        "--MappingKernelManager.cull_connected=False",
        *extra,
    ]
    return command, env


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(
        prog="python -m explorer.hub",
        description="Start a JupyterHub single-user server that shows the classroom app "
        f"(at {DEFAULT_URL}). Options not listed here go to jupyterhub-singleuser.",
    )
    parser.add_argument(
        "--classroom-folder", default=DEFAULT_FOLDER,
        help=f"the student's folder that receives the classroom notebook (default {DEFAULT_FOLDER})",
    )
    args, extra = parser.parse_known_args(argv)
    import importlib.util

    missing = [m for m in ("voila", "jupyterhub") if importlib.util.find_spec(m) is None]
    if missing:
        print(
            f"python -m explorer.hub needs {' and '.join(missing)}, not installed in this environment "
            f"({sys.executable}): pip install 'backprop-explorer[classroom]' jupyterhub",
            file=sys.stderr,
        )
        return 2
    try:
        install_notebook(args.classroom_folder)
    except OSError as error:
        print(f"cannot write the classroom notebook into {args.classroom_folder}: {error}", file=sys.stderr)
        return 2
    command, env = singleuser_command(args.classroom_folder, extra)
    sys.stdout.flush()
    os.execve(sys.executable, command, env)  # the spawner's signals reach the server itself
    return 0  # not reached


if __name__ == "__main__":
    raise SystemExit(main())
