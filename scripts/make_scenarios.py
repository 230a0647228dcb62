"""Write the example scenarios of ``scenarios/`` from explicit numbers, through the public API.

Run from the repository root: ``.venv/bin/python scripts/make_scenarios.py`` (or pass an
output folder). Every scenario is a [2, 3, 2] network whose numbers are written out below, so
a reader can see what makes each one show what its name says. Each file is checked against the
scenario schema as it is made, and read back from disk once written.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from explorer.core import Network  # noqa: E402
from explorer.scenarios import make_scenario, read_scenario, write_scenario  # noqa: E402

# Moderate weights: every weighted input stays within |z| < 1.5, where σ'(z) > 0.14.
W2 = [[0.6, -0.4], [-0.3, 0.8], [0.5, 0.5]]
B2 = [0.1, -0.2, 0.0]
W3 = [[0.7, -0.5, 0.4], [-0.6, 0.3, 0.5]]
B3 = [0.0, 0.1]
X = [0.8, 0.4]
Y = [1.0, 0.0]

# Output neuron 1 driven far into the sigmoid's flat left tail: z^3_1 ≈ −7.6, a^3_1 ≈ 0.0005
# while its target is 1. Badly wrong, and yet σ'(z^3_1) ≈ 0.0005 makes δ^3_1 tiny (BP1).
W3_SATURATED = [[-3.0, -3.5, -2.5], [-0.6, 0.3, 0.5]]
B3_SATURATED = [-2.5, 0.1]

# Hidden neuron 1 of layer 2 feeds both outputs through large weights (±4), so C bends
# strongly as z^2_1 moves: for Δz = 1 the first-order prediction overshoots visibly.
W3_DEMON = [[4.0, -0.5, 0.4], [-4.0, 0.3, 0.5]]
B3_DEMON = [-2.0, 2.0]


def network(w3, b3, cost="quadratic") -> Network:
    """The [2, 3, 2] sigmoid network with the layer-2 numbers above and the given layer 3."""
    net = Network([2, 3, 2], activation="sigmoid", cost=cost, seed=0)
    net.weights[2] = np.array(W2)
    net.biases[2] = np.array(B2).reshape(-1, 1)
    net.weights[3] = np.array(w3)
    net.biases[3] = np.array(b3).reshape(-1, 1)
    return net


SCENARIOS = {
    "healthy.json": dict(
        net=lambda: network(W3, B3),
        x=X,
        select=("neuron", 3, 0),
        title="A healthy network",
        description=(
            "Moderate weights and inputs: every weighted input is small, so every σ'(z) is "
            "near its peak of 0.25 and every weight's gradient a_in·δ_out has room to be "
            "large. A reference point before the pathological scenarios."
        ),
    ),
    "saturated_output.json": dict(
        net=lambda: network(W3_SATURATED, B3_SATURATED),
        x=X,
        select=("neuron", 3, 0),
        title="A saturated output neuron learns slowly",
        description=(
            "Output neuron 1 should say 1 but says 0.0005: it is as wrong as it can be. Its "
            "weighted input z^3_1 ≈ −7.6 sits where the sigmoid is flat, so σ'(z^3_1) ≈ 0.0005 "
            "and BP1 makes δ^3_1 tiny; by BP4 every weight into it gets a tiny gradient. "
            "Look at the verdict table: all three incoming weights learn slowly."
        ),
    ),
    "dead_input.json": dict(
        net=lambda: network(W3, B3),
        x=[0.0, 0.9],
        select=("weight", 2, 0, 0),
        title="A zero input freezes its weights",
        description=(
            "Input x_1 is 0. By BP4 the gradient of a weight is a_in·δ_out, so every weight "
            "leaving input 1 (w^2_11, w^2_21, w^2_31) has gradient exactly 0 on this example, "
            "however large δ is: those weights do not learn from it."
        ),
    ),
    "demon_at_work.json": dict(
        net=lambda: network(W3_DEMON, B3_DEMON),
        x=X,
        select=("neuron", 2, 0),
        dz=1.0,
        title="The demon at hidden neuron 1",
        description=(
            "The demon adds Δz = 1 to z^2_1. The first-order prediction δ^2_1·Δz expects the "
            "cost to fall by about 0.21; it actually falls by about 0.13. Shrink Δz and watch "
            "the two numbers meet: δ is the slope, exact only for small changes."
        ),
    ),
    "cross_entropy_vs_quadratic.json": dict(
        net=lambda: network(W3_SATURATED, B3_SATURATED, cost="cross_entropy"),
        x=X,
        select=("neuron", 3, 0),
        title="Cross-entropy keeps a saturated output learning",
        description=(
            "The same saturated output neuron as in “A saturated output neuron learns slowly”, with the "
            "cross-entropy cost. For a sigmoid output its δ^L is simply a^L − y: σ'(z^L) "
            "cancels, so δ^3_1 ≈ −1 instead of ≈ −0.0005 under the quadratic cost, and the "
            "wrong neuron's weights get large gradients. Switch the cost to compare."
        ),
    ),
}


def build_scenario(spec: dict):
    """The checked Scenario a spec describes (network, example, selection, Δz, Δw)."""
    kind, layer, j, *k = spec["select"]
    selection = {"kind": kind, "layer": layer, "j": j, **({"k": k[0]} if k else {})}
    return make_scenario(
        spec["net"](), np.array(spec["x"]), np.array(Y), selection=selection,
        dz=spec.get("dz", 0.0), dw=spec.get("dw", 0.0),
        title=spec["title"], description=spec["description"],
    )


def main(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, spec in SCENARIOS.items():
        path = write_scenario(build_scenario(spec), folder / name)
        read_scenario(path)  # what was written must read back, schema and all
        print(f"wrote {path}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "scenarios")
