"""Every notebook runs top to bottom with no error and nothing written to stderr (no warnings).

Each notebook is executed once (``executed`` caches the result); the checks per notebook then
read a key number it printed and compare it with the same number computed here, by the
test's own arithmetic.
"""

import functools
import json
import re
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

from helpers import book_plain, read_number, sigma

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SECONDS: dict[str, float] = {}  # how long each notebook took to execute


def execute(path: Path):
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    SECONDS[path.name] = time.perf_counter() - start
    return nb


def executed(name_or_prefix: str):
    """The notebook whose file name starts with ``name_or_prefix``, executed (once per session)."""
    return _executed_once(next(p for p in NOTEBOOKS if p.name.startswith(name_or_prefix)))


@functools.cache
def _executed_once(path: Path):
    return execute(path)


def outputs(nb):
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            yield cell, out


def printed(nb) -> str:
    return "".join(out.get("text", "") for _, out in outputs(nb) if out["output_type"] == "stream")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_clean(path):
    nb = executed(path.name)
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
    nb = executed("00_")
    views = [out for _, out in outputs(nb) if "application/vnd.jupyter.widget-view+json" in out.get("data", {})]
    assert len(views) == 2  # the dashboard, then the demon alone
    state = nb.metadata.get("widgets", {})  # nbclient stores the widget models it saw
    models = state.get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    names = {m["model_name"] for m in models.values()}
    assert {"AnyModel", "FloatSliderModel"} <= names, names
    # the dashboard is drawn in the browser: no raster frames, no MathJax-typeset HTML
    assert not names & {"HTMLMathModel", "MPLCanvasModel"}, names


# ------------------------------------------------------------------ the test's own arithmetic
def fresh_parameters(sizes, seed):
    """The weights and biases a seeded Network starts from, as plain arrays."""
    from explorer import Network

    net = Network(list(sizes), seed=seed)
    return {l: np.array(net.weights[l]) for l in net.layers}, {l: np.array(net.biases[l]) for l in net.layers}


def forward(W, B, x, dz=None):
    """z^l and a^l by eq. (25) with the test's sigmoid; ``dz`` = (l, j, Δz) adds a demon's Δz."""
    a = {1: np.asarray(x, float).reshape(len(x), -1)}
    z = {}
    for l in sorted(W):
        z[l] = W[l] @ a[l - 1] + B[l]
        if dz is not None and dz[0] == l:
            z[l][dz[1]] += dz[2]
        a[l] = sigma(z[l])
    return z, a


def quadratic_cost(W, B, x, y, dz=None):
    """C = 1/n Σ_x ½‖y − a^L‖² (eq. 26)."""
    _, a = forward(W, B, x, dz)
    L = max(W)
    return float(np.mean(0.5 * ((a[L] - np.asarray(y, float).reshape(a[L].shape)) ** 2).sum(axis=0)))


def central(f, h=1e-6):
    return (f(h) - f(-h)) / (2 * h)


def scenario_parameters(name):
    data = json.loads((ROOT / "scenarios" / name).read_text())
    W = {int(l): np.array(w, float) for l, w in data["network"]["weights"].items()}
    B = {int(l): np.array(b, float).reshape(-1, 1) for l, b in data["network"]["biases"].items()}
    return W, B, np.array(data["example"]["x"], float), np.array(data["example"]["y"], float)


#: A number in the one format (README, "Notation") with a point or a power of ten: −0.05, 4.3×10⁻¹¹.
NUMBER = r"[−-]?[0-9]+\.[0-9]+(?:×10[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)?|[−-]?[0-9]+×10[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+|-?\d+\.\d+e[-+]?\d+"


def floats(text):
    """The numbers printed in a line: the one format, and numpy's own for printed arrays."""
    return [read_number(v) for v in re.findall(NUMBER, text)]


# ------------------------------------------------------------------ one check per notebook
def test_01_forward_pass_numbers_are_right():
    text = printed(executed("01_"))
    W, B = fresh_parameters([3, 4, 2], seed=1)
    z, a = forward(W, B, [0.8, -0.4, 0.3])
    shown = dict(re.findall(r"^(z\S+) = .* = (" + NUMBER + r")   a", text, re.M))
    assert len(shown) == 6
    for l in (2, 3):
        for j in range(z[l].shape[0]):  # 6 significant figures
            assert read_number(shown[book_plain("z", l, j + 1)]) == pytest.approx(z[l][j, 0], rel=5e-6)
    cost = read_number(re.search(r"C = (" + NUMBER + ")", text).group(1))
    assert cost == pytest.approx(0.5 * ((a[3][:, 0] - [1.0, 0.0]) ** 2).sum(), rel=5e-6)


def test_02_cost_is_the_mean_and_its_gradient_the_mean_gradient():
    text = printed(executed("02_"))
    W, B = fresh_parameters([2, 3, 2], seed=1)
    X = np.array([[0.8, -0.5, 0.3, 1.0], [-0.4, 0.9, 0.2, -0.7]])
    Y = np.array([[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0]])
    cost_line, grad_line = text.strip().splitlines()[-2:]
    assert floats(cost_line)[-1] == pytest.approx(quadratic_cost(W, B, X, Y), abs=1e-6)

    def nudged(h):
        W2 = {l: w.copy() for l, w in W.items()}
        W2[3][0, 1] += h
        return quadratic_cost(W2, B, X, Y)

    g = central(nudged)
    assert grad_line.startswith("∂C/∂w³₁₂")
    assert floats(grad_line) == pytest.approx([g, g, g], abs=1e-8)


def test_03_hadamard_products():
    text = printed(executed("03_"))
    assert "[1, 2] ⊙ [3, 4] = [3, 8]" in text  # eq. (28): [1·3, 2·4]
    W, B = fresh_parameters([2, 3, 2], seed=1)
    z, a = forward(W, B, [0.8, -0.4])
    delta_L = (a[3][:, 0] - [1.0, 0.0]) * sigma(z[3][:, 0]) * (1 - sigma(z[3][:, 0]))  # eq. (30)
    bp1_line = next(line for line in text.splitlines() if "the trace's δ" in line)
    product = floats(bp1_line.split("=")[1])
    assert product == pytest.approx(list(delta_L), rel=1e-5)


def test_04_bp3_and_bp4_match_finite_differences():
    text = printed(executed("04_"))
    W, B = fresh_parameters([2, 3, 2], seed=1)
    x, y = [0.8, -0.4], [1.0, 0.0]

    def nudge(array, kind, index):
        def f(h):
            W2 = {l: w.copy() for l, w in W.items()}
            B2 = {l: b.copy() for l, b in B.items()}
            (W2 if kind == "w" else B2)[array][index] += h
            return quadratic_cost(W2, B2, x, y)
        return f

    bp3 = floats(next(line for line in text.splitlines() if line.startswith("BP3")))[-1]
    bp4 = floats(next(line for line in text.splitlines() if line.startswith("BP4")))[-1]
    assert bp3 == pytest.approx(central(nudge(2, "b", (1, 0))), abs=2e-6)
    assert bp4 == pytest.approx(central(nudge(2, "w", (1, 0))), abs=2e-6)


def test_05_the_demons_prediction_and_the_actual_change():
    text = printed(executed("05_"))
    W, B, x, y = scenario_parameters("demon_at_work.json")
    line = next(line for line in text.splitlines() if line.startswith("Δz = 0.01"))
    predicted, actual, ratio = floats(line.split(":", 1)[1])
    delta = central(lambda h: quadratic_cost(W, B, x, y, dz=(2, 0, h)))  # δ^2_1 = ∂C/∂z^2_1 (eq. 29)
    true_change = quadratic_cost(W, B, x, y, dz=(2, 0, 0.01)) - quadratic_cost(W, B, x, y)
    assert predicted == pytest.approx(delta * 0.01, rel=1e-5)
    assert actual == pytest.approx(true_change, rel=1e-5)
    assert ratio == pytest.approx(true_change / (delta * 0.01), abs=2e-5)


def test_06_the_saturated_neuron_sits_where_sigma_prime_is_tiny():
    text = printed(executed("06_"))
    W, B, x, y = scenario_parameters("saturated_output.json")
    z, _ = forward(W, B, x)
    z31 = z[3][0, 0]
    line = next(line for line in text.splitlines() if line.startswith("z³₁ = "))
    shown_z, shown_sp = floats(line)[:2]
    assert shown_z == pytest.approx(z31, rel=5e-4)  # 4 significant figures
    assert shown_sp == pytest.approx(sigma(z31) * (1 - sigma(z31)), rel=1e-3)
    assert shown_sp < 0.001


def test_07_proofs_and_gradient_check_pass():
    text = printed(executed("07_"))
    lines = [line for line in text.splitlines() if re.search(r"largest difference \S+ (ok|DIFFERS)$", line)]
    assert len(lines) == 10 and all(line.endswith(" ok") for line in lines), lines
    differences = [read_number(v) for v in re.findall(r"∂C/∂[wb] (" + NUMBER + ")", text)]
    assert len(differences) == 6 and max(differences) < 1e-8, differences  # layers 2, 3, 4: w and b
    # δ^2 as printed, against ∂C/∂z^2 measured here (eq. 29)
    W, B = fresh_parameters([2, 3, 3, 2], seed=2)
    x, y = [0.8, -0.4], [1.0, 0.0]
    measured = [central(lambda h, j=j: quadratic_cost(W, B, x, y, dz=(2, j, h))) for j in range(3)]
    row = next(line for line in text.splitlines() if line.startswith("δ² by eq. (35)"))
    assert floats(row.split(":", 1)[1]) == pytest.approx(measured, rel=1e-5, abs=1e-9)


def test_09_matrix_and_loop_agree():
    text = printed(executed("09_"))
    assert "z³: (2, 4)   δ³: (2, 4)   ∂C/∂w³: (2, 3)" in text
    line = next(line for line in text.splitlines() if "speed-up" in line)
    dw = read_number(re.search(r"the weights of the two differ by at most (\S+),", line).group(1))
    db = read_number(re.search(r"the biases by (\S+) \(after", line).group(1))
    assert dw < 1e-12 and db < 1e-12
    assert read_number(re.search(r"speed-up (\S+)×", line).group(1)) > 1.0


def test_each_notebook_executes_quickly():
    """Measured with the other checks; a generous bound that still catches a runaway cell."""
    for name in [p.name for p in NOTEBOOKS if p.name[:2] in {"01", "02", "03", "04", "05", "06", "07", "09", "13"}]:
        executed(name)
        assert SECONDS[name] < 30, SECONDS


def test_13_offers_every_exercise_empty_and_counts_none_solved():
    from explorer.exercises import EXERCISES

    path = next(p for p in NOTEBOOKS if p.name.startswith("13_"))
    nb = executed("13_")
    code = ["".join(c.source) for c in nb.cells if c.cell_type == "code"]
    # one empty stub per exercise, with the checker's own name and arguments: no solutions here
    stubs = [c for c in code if c.startswith("def ")]
    wanted = {
        f"def {ex.function_name}({', '.join(ex.arguments)}):\n    # your code here\n    raise NotImplementedError"
        for ex in EXERCISES.values()
    }
    assert set(stubs) == wanted and len(stubs) == 8
    # in the chapter's order: the four equations, the algorithm, its two exercises, the matrix form
    shown = re.findall(r'ExerciseCheck\("(\w+)"\)', "\n".join(code))
    assert shown == ["BP1", "BP2", "BP3", "BP4", "backprop", "modified_neuron", "linear_neurons", "matrix_backprop"]
    models = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    html = [m["state"].get("value", "") for m in models.values() if m["model_name"] == "HTMLModel"]
    assert sum("0 of 8 solved" in v for v in html) == 1
    assert sum("still the empty stub" in v for v in html) == 8
    # the file on disk keeps no outputs of a run (nothing a student could read answers from)
    on_disk = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") for c in on_disk.cells if c.cell_type == "code")
