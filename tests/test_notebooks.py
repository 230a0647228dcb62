"""Every notebook runs top to bottom with no error and nothing written to stderr (no warnings)."""

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def execute(path: Path):
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def outputs(nb):
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            yield cell, out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_clean(path):
    nb = execute(path)
    problems = [
        out.get("text", out.get("evalue", ""))
        for _, out in outputs(nb)
        if out["output_type"] == "error" or (out["output_type"] == "stream" and out["name"] == "stderr")
    ]
    assert not problems, problems
    shown = ("image/png", "application/vnd.jupyter.widget-view+json")
    assert any(k in out.get("data", {}) for _, out in outputs(nb) for k in shown), "expected a figure or a widget"


def test_there_are_notebooks():
    assert NOTEBOOKS


def test_tour_builds_the_dashboard_it_describes():
    nb = execute(next(p for p in NOTEBOOKS if p.name.startswith("00_")))
    views = [out for _, out in outputs(nb) if "application/vnd.jupyter.widget-view+json" in out.get("data", {})]
    assert len(views) == 2  # the dashboard, then the demon alone
    state = nb.metadata.get("widgets", {})  # nbclient stores the widget models it saw
    models = state.get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    names = {m["model_name"] for m in models.values()}
    assert {"AnyModel", "FloatSliderModel", "HTMLMathModel", "MPLCanvasModel"} <= names, names


def test_first_notebook_shows_a_passing_gradient_check():
    nb = execute(next(p for p in NOTEBOOKS if p.name.startswith("01_")))
    text = "".join(out.get("text", "") for _, out in outputs(nb) if out["output_type"] == "stream")
    differences = [float(v) for v in re.findall(r"∂C/∂[wb] ([0-9.e+-]+)", text)]
    assert len(differences) == 4 and max(differences) < 1e-8, differences
    assert "BP1" in text and "BP4" in text
