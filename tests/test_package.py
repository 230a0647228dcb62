"""The package works wherever it is installed: a wheel built from the tracked files, in a fresh venv.

One module-scoped fixture copies the tracked files (``git ls-files``, so untracked junk cannot
leak in), builds a wheel, installs it with its dependencies into a new virtual environment (pip
may use its cache and PyPI) and then everything runs from a folder outside the checkout, with no
PYTHONPATH: the digits, the prepared scenarios, the dashboard, the command line. Voila is not
installed there (the base install is a notebook user's), so ``python -m explorer classroom``
must say clearly what to install. Slow (a minute or two): deselect with ``-m "not slow"``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
# A warning line that concerns our own metadata or layout (setuptools' deprecations of the
# license table, package data it would ignore, namespace packages...); pip's remarks about this
# machine's index configuration are not ours.
OUR_WARNING = re.compile(
    r"(?i)(setuptools|licen[cs]e|pyproject|backprop|explorer|package.?data|package.?dir|namespace|deprecat)"
)


def tracked_files() -> list[str]:
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True, check=True, timeout=60
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return []
    return [name for name in out.decode().split("\0") if name]


def clean_copy(target: Path) -> None:
    """The tracked files as they are in the working tree (or the whole tree without git)."""
    names = tracked_files()
    if not names:
        shutil.copytree(
            ROOT, target,
            ignore=shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__"),
        )
        return
    for name in names:
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is left out
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def run(command, cwd, env, timeout=300) -> subprocess.CompletedProcess:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def warnings_about_us(output: str) -> list[str]:
    return [
        line for line in output.splitlines()
        if re.search(r"(?i)warn", line) and OUR_WARNING.search(line)
    ]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    work = tmp_path_factory.mktemp("package")
    source, dist, outside = work / "source", work / "dist", work / "elsewhere"
    source.mkdir()
    outside.mkdir()
    clean_copy(source)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    # -v shows the build backend's own output, where setuptools prints its warnings.
    build = run(
        [sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "-w", str(dist), str(source)],
        cwd=outside, env=env,
    )
    (wheel,) = dist.glob("backprop_explorer-*.whl")
    venv = work / "venv"
    run([sys.executable, "-m", "venv", str(venv)], cwd=outside, env=env)
    python = venv / "bin" / "python"
    install = run([str(python), "-m", "pip", "install", str(wheel)], cwd=outside, env=env, timeout=600)
    return {
        "wheel": wheel, "python": python, "outside": outside, "env": env, "source": source,
        "build_output": build.stdout + build.stderr, "install_output": install.stdout + install.stderr,
    }


def in_venv(installed, code: str) -> str:
    result = run([str(installed["python"]), "-c", code], cwd=installed["outside"], env=installed["env"])
    return result.stdout


def test_no_warning_from_our_metadata(installed):
    assert warnings_about_us(installed["build_output"]) == []
    assert warnings_about_us(installed["install_output"]) == []
    # The filter itself must be able to fail: setuptools' warning for a TOML-table license.
    assert warnings_about_us(
        "  .../setuptools/config/_apply_pyprojecttoml.py:82: BuildBackendWarning: `project.license` "
        "as a TOML table is deprecated"
    )


def test_the_wheel_carries_the_data_and_only_the_package(installed):
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    scenarios = {f"explorer/scenario_files/{p.name}" for p in (ROOT / "scenarios").glob("*.json")}
    assert len(scenarios) >= 5 and scenarios <= names
    for name in (
        "explorer/assets/mnist-digits.npz",
        "explorer/assets/MNIST-SOURCE.md",
        "explorer/widgets/drawing/diagram.js",
        "explorer/widgets/drawing/diagram.css",
        "explorer/widgets/drawing/plot.js",
        "explorer/widgets/drawing/equations.js",
        "explorer/widgets/drawing/presenter.js",
        "explorer/widgets/drawing/presenter.css",
        "explorer/widgets/drawing/katex/katex.min.js",
        "explorer/widgets/drawing/katex/katex.css",
        "explorer/widgets/drawing/katex/LICENSE",
        "explorer/widgets/apps/voila-template.html.j2",
        "explorer/notebooks/classroom.ipynb",
        "explorer/scenario.schema.json",
    ):
        assert name in names, name
    assert not any(n.startswith(("tests/", "scripts/", "notebooks/", "assets/", "scenarios/")) for n in names)
    assert not any(n.endswith("00_tour.ipynb") or n.endswith("dashboard.png") for n in names)
    (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
    text = zipfile.ZipFile(installed["wheel"]).read(metadata).decode()
    assert "License-Expression: MIT" in text
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    requires = re.findall(r"^Requires-Dist: (.+)$", text, flags=re.M)
    base = [r for r in requires if "extra ==" not in r]
    for package in ("numpy", "ipywidgets", "anywidget", "matplotlib", "jsonschema"):
        assert any(r.lower().startswith(package) for r in base), package
    assert not any(r.lower().startswith("ipympl") for r in requires)  # the browser draws every live figure
    for package, extra in (("jupyterlab", "lab"), ("voila", "classroom"), ("pytest", "test")):
        assert not any(r.startswith(package) for r in base)
        assert any(r.startswith(package) and f'extra == "{extra}"' in r for r in requires)


def test_the_digits_load_outside_the_checkout(installed):
    out = in_venv(installed, (
        "import json, explorer, numpy as np\n"
        "from explorer import load_mnist\n"
        "(X, Y), (Xt, lt) = load_mnist(format='arrays')\n"
        "print(json.dumps({'file': explorer.__file__, 'X': X.shape, 'Y': Y.shape, 'Xt': Xt.shape,\n"
        "    'train_counts': Y.sum(axis=1).astype(int).tolist(), 'test_counts': np.bincount(lt).tolist(),\n"
        "    'pixel_sum': float(X.sum())}))\n"
    ))
    got = json.loads(out)
    assert Path(got["file"]).is_relative_to(installed["python"].parent.parent)  # the venv's copy
    assert not Path(got["file"]).is_relative_to(ROOT)
    assert got["X"] == [784, 8000] and got["Y"] == [10, 8000] and got["Xt"] == [784, 2000]
    # Counted independently from the checkout's own file.
    with np.load(ROOT / "assets" / "mnist-digits.npz") as archive:
        labels, pixels = archive["labels"], archive["pixels"]
    assert got["train_counts"] == np.bincount(labels[:8000], minlength=10).tolist()
    assert got["test_counts"] == np.bincount(labels[8000:], minlength=10).tolist()
    assert got["pixel_sum"] == pytest.approx(pixels[:8000].astype(np.float64).sum() / 255, rel=1e-12)


def test_scenarios_and_the_dashboard_outside_the_checkout(installed):
    out = in_venv(installed, (
        "import json, numpy as np\n"
        "from explorer import Network\n"
        "from explorer.scenarios import prepared_scenarios, read_scenario\n"
        "from explorer.widgets import Explorer\n"
        "from explorer.widgets.apps.classroom import Classroom\n"
        "names = prepared_scenarios()\n"
        "weights = {n: read_scenario(n).weights[3].tolist() for n in names}\n"
        "ex = Explorer(Network([2, 3, 2], seed=1), np.array([0.8, -0.4]), np.array([1.0, 0.0]))\n"
        "room = Classroom(query='scenario=dead_input')\n"
        "from importlib import resources\n"
        "js = resources.files('explorer.widgets.drawing').joinpath('diagram.js').read_text(encoding='utf-8')\n"
        "print(json.dumps({'names': names, 'weights': weights, 'cost': ex.state.trace.cost,\n"
        "    'room': room.current, 'room_x': room.state.x[:, 0].tolist(), 'js': js,\n"
        "    'children': len(ex.children)}))\n"
    ))
    got = json.loads(out)
    files = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in (ROOT / "scenarios").glob("*.json")}
    assert sorted(got["names"]) == sorted(files) and got["names"][0] == "healthy"
    for name, data in files.items():
        assert got["weights"][name] == data["network"]["weights"]["3"]
    # The dashboard's cost against a forward pass by hand (same seed, rebuilt here).
    from explorer import Network

    net = Network([2, 3, 2], seed=1)
    a = np.array([[0.8], [-0.4]])
    for l in (2, 3):
        a = 1 / (1 + np.exp(-(net.weights[l] @ a + net.biases[l])))
    assert got["cost"] == pytest.approx(0.5 * float(((a - np.array([[1.0], [0.0]])) ** 2).sum()), rel=1e-12)
    assert got["room"] == "dead_input" and got["room_x"] == files["dead_input"]["example"]["x"]
    assert got["children"] > 0
    assert got["js"] == (ROOT / "explorer" / "widgets" / "drawing" / "diagram.js").read_text(encoding="utf-8")


def test_the_command_line_outside_the_checkout(installed):
    python, outside, env = str(installed["python"]), installed["outside"], installed["env"]
    bench = run([python, "-m", "explorer", "bench", "--help"], cwd=outside, env=env)
    assert "usage: python -m explorer bench" in bench.stdout
    # A real run, once through (the digits come from the installed package): the project's
    # epochs must end on the per-example loop's weights, which the bench checks and prints.
    bench = run([python, "-m", "explorer", "bench", "--repeats", "1"], cwd=outside, env=env)
    assert bench.stdout.count("project float64 within 1e-12: yes") == 2, bench.stdout
    assert "finite differences (eq. 46): 23,861 forward passes" in bench.stdout
    room = run([python, "-m", "explorer", "classroom", "--help"], cwd=outside, env=env)
    assert "--port" in room.stdout and "[classroom]" in room.stdout
    # Voila is an extra, not installed here: the command says what to install and fails.
    missing = subprocess.run(
        [python, "-m", "explorer", "classroom"], cwd=outside, env=env, capture_output=True, text=True,
        timeout=120,
    )
    assert missing.returncode == 2
    assert "Voila, which is not installed" in missing.stderr
    assert "pip install 'backprop-explorer[classroom]'" in missing.stderr


def test_the_editable_install_finds_the_same_data(installed):
    # What `make` does: pip install -e of the checkout (here its clean copy); the data folders
    # stay where they are and the mapped sub-packages point at them.
    python, outside, env, source = (installed[k] for k in ("python", "outside", "env", "source"))
    editable = run([str(python), "-m", "pip", "install", "--no-deps", "-e", str(source)], cwd=outside, env=env)
    try:
        # setuptools reminds of import precedence for every editable flat layout; nothing else.
        assert [w for w in warnings_about_us(editable.stdout + editable.stderr)
                if "Editable installation." not in w] == []
        out = in_venv(installed, (
            "import json, explorer\n"
            "from importlib import resources\n"
            "from explorer import load_mnist\n"
            "from explorer.scenarios import prepared_scenarios, read_scenario\n"
            "(X, Y), _ = load_mnist(n_train=100, n_test=0, format='arrays')\n"
            "print(json.dumps({'file': explorer.__file__, 'X': X.shape, 'names': prepared_scenarios(),\n"
            "    'title': read_scenario('dead_input').title,\n"
            "    'notebook': str(resources.files('explorer.notebooks') / 'classroom.ipynb')}))\n"
        ))
        got = json.loads(out)
        assert Path(got["file"]) == source / "explorer" / "__init__.py"
        assert got["X"] == [784, 100]
        assert sorted(got["names"]) == sorted(p.stem for p in (source / "scenarios").glob("*.json"))
        assert got["title"] == json.loads((source / "scenarios" / "dead_input.json").read_text())["title"]
        assert Path(got["notebook"]) == source / "notebooks" / "classroom.ipynb"
    finally:  # leave the wheel installed, whatever order the tests run in
        run([str(python), "-m", "pip", "install", "--no-deps", "--force-reinstall", str(installed["wheel"])],
            cwd=outside, env=env)
