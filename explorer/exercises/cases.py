"""Random cases for the exercises, each rebuilt exactly from its seed.

A case is one network and one batch (or one example) drawn from ``numpy.random.default_rng``
seeded by the case's seed, the arguments the student's function is given, and the right
answer, taken from the core's Trace of that network (``Network.trace``: BP1–BP4 as the core
computes them, itself checked against finite differences, eq. 46).

The seed also chooses the kind of case, in turn, so any run of six or more seeds meets each:
layers of different sizes (a forgotten transpose shows in the shapes), a layer of a single
neuron, saturated neurons (|z| large, σ'(z) tiny), square layers (a forgotten transpose still
computes, so only the values can tell), and one example as well as several.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np

from explorer.core import Network, Trace, get_activation

from .catalogue import Exercise, get_exercise

SIGMOID = get_activation("sigmoid")
# The modified neuron's f: its derivative is far from σ' (tanh'(0) = 1, σ'(0) = 1/4), so
# a student who used σ' for it cannot pass by luck.
MODIFIED_F = get_activation("tanh")

KINDS = ("different sizes", "a single neuron", "saturated neurons", "square layers",
         "different sizes, one example", "square layers, several examples")
SQUARE_KINDS = (3, 5, 6)
# Only for the checker's second look at a failing case, never in the rotation: square layers
# and, for a batch, as many examples as neurons, so that even a matrix product where ⊙
# belongs computes and can be recognised by its values.
EXTRA_KINDS = ("square layers, as many examples as neurons",)
SECOND_LOOK_KINDS = (3, 5, 6)


@dataclass(frozen=True)
class Case:
    """One case of an exercise.

    ``seed`` rebuilds it (``make_case(name, seed)``); ``kind`` says what it tests (see
    ``KINDS``); ``sizes`` are the network's layer sizes; ``layer`` the book's l the exercise
    asks about (None for the whole-network exercises); ``inputs`` the arguments given to the
    student's function, by name (read-only arrays: the function receives copies);
    ``expected`` the right answer (an array, or ``(nabla_b, nabla_w)`` as two lists with index
    0 = layer 2); ``got`` what the student's function returned (None until it ran); ``trace``
    the core's Trace of the case's network, for drawing it; ``modified`` the (l, j) of the
    neuron that uses f = tanh in the "modified_neuron" exercise (None otherwise).
    """

    exercise: str
    seed: int
    kind: str
    sizes: tuple[int, ...]
    layer: int | None
    inputs: Mapping[str, Any]
    expected: Any
    trace: Trace
    got: Any = None
    modified: tuple[int, int] | None = field(default=None)

    @property
    def m(self) -> int:
        """How many examples the case holds (columns)."""
        return int(self.trace.a[1].shape[1])

    def with_got(self, got) -> "Case":
        """The same case with the student's answer."""
        return Case(self.exercise, self.seed, self.kind, self.sizes, self.layer, self.inputs,
                    self.expected, self.trace, got, self.modified)

    def arguments(self, layers: str = "lists") -> tuple:
        """Fresh, writable copies of the inputs, in the exercise's order.

        ``layers="dicts"`` gives ``weights`` and ``biases`` as dicts keyed by the book's
        l = 2…L instead of network.py's lists (index 0 = layer 2).
        """
        if layers not in ("lists", "dicts"):
            raise ValueError(f"layers: expected 'lists' or 'dicts', got {layers!r}")
        ex = get_exercise(self.exercise)
        args = []
        for name in ex.arguments:
            value = _copy(self.inputs[name])
            if layers == "dicts" and isinstance(value, list):
                value = {l: arr for l, arr in enumerate(value, start=2)}
            args.append(value)
        return tuple(args)

    def __repr__(self) -> str:
        where = f", layer {self.layer}" if self.layer is not None else ""
        return (f"Case({self.exercise!r}, seed={self.seed}, {self.kind}: sizes "
                f"{list(self.sizes)}{where}, m={self.m})")


def _copy(value):
    if isinstance(value, np.ndarray):
        return np.array(value, copy=True)
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _read_only(arr) -> np.ndarray:
    arr = np.array(arr, dtype=np.float64, copy=True)
    arr.flags.writeable = False
    return arr


def _sizes(rng, kind: int, n_layers: int, focus: int | None) -> list[int]:
    if kind in SQUARE_KINDS:
        return [int(rng.integers(2, 5))] * n_layers
    # Neighbours always differ in size, so w and its transpose never have the same shape.
    sizes = [int(n) for n in rng.permutation(np.arange(2, 7))[:n_layers]]
    if kind == 1:
        # One layer of a single neuron: the layer asked about, or a hidden one.
        sizes[(focus if focus is not None else 2) - 1] = 1
    return sizes


def _n_examples(rng, kind: int, batch: bool, sizes) -> int:
    if not batch or kind in (1, 3, 4):
        return 1
    if kind == 6:
        return sizes[0]
    # m differs from every layer size, so an array's shape tells examples from neurons.
    return int(rng.choice([m for m in range(2, 8) if m not in sizes]))


def _network_and_trace(sizes, rng, kind, m, activation="sigmoid", modified=None):
    seed = int(rng.integers(2**31))
    saturated = kind == 2
    net = Network(sizes, activation=activation, seed=seed)
    if saturated:
        # About half the neurons of each layer pushed far along their sigmoid (|z| ≈ 8,
        # σ' ≈ 3e-4), the rest left alone: a forgotten σ' then shows by orders of magnitude,
        # while σ' itself stays well above the rounding of σ(1 − σ).
        for l in net.layers:
            n = sizes[l - 1]
            pushed = rng.permutation(n)[: max(1, n // 2)]
            b = np.array(net.biases[l])
            b[pushed] += 8.0 * rng.choice([-1.0, 1.0], size=(len(pushed), 1))
            net.biases[l] = b
    if modified is not None:
        net.set_activation(modified[0], modified[1], MODIFIED_F)
    x = rng.standard_normal((sizes[0], m))
    y = rng.uniform(0.0, 1.0, (sizes[-1], m))
    return net.trace(x, y)


def _as_list(mapping, layers) -> list[np.ndarray]:
    return [_read_only(mapping[l]) for l in layers]


def make_case(name, seed: int) -> Case:
    """The case of exercise ``name`` for ``seed`` (an int ≥ 0), with its expected answer."""
    ex = get_exercise(name)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed: expected an integer ≥ 0, got {seed!r}")
    return build_case(ex, int(seed))


def build_case(ex: Exercise, seed: int, kind: int | None = None) -> Case:
    """``make_case`` with the kind of case forced: an index into ``KINDS + EXTRA_KINDS``
    (the checker's second look at a failing seed)."""
    rng = np.random.default_rng([seed, 13])
    if kind is None:
        kind = seed % len(KINDS)
    n_layers = int(rng.integers(3, 5))
    L = n_layers
    focus = L if ex.name == "BP1" else None
    if ex.name in ("BP2", "modified_neuron"):
        focus = int(rng.integers(2, L))  # a hidden layer: BP2 needs a layer after it
    elif ex.name in ("BP3", "BP4"):
        focus = int(rng.integers(2, L + 1))
    sizes = _sizes(rng, kind, n_layers, focus)
    m = _n_examples(rng, kind, ex.batch, sizes)
    modified = None
    if ex.name == "modified_neuron":
        modified = (focus, int(rng.integers(sizes[focus - 1])))
    activation = "linear" if ex.name == "linear_neurons" else "sigmoid"
    trace = _network_and_trace(sizes, rng, kind, m, activation, modified)
    layers = list(trace.layers)
    t = trace
    if ex.name == "BP1":
        inputs = {"nabla_a": t.cost_gradient, "z": t.z[L], "sigma_prime": SIGMOID.prime}
        expected = t.delta[L]
    elif ex.name in ("BP2", "modified_neuron"):
        l = focus
        inputs = {"w_next": t.weights[l + 1], "delta_next": t.delta[l + 1], "z": t.z[l],
                  "sigma_prime": SIGMOID.prime}
        if modified is not None:
            inputs["f_prime"] = MODIFIED_F.prime
            inputs["j"] = modified[1]
        expected = t.delta[l]
    elif ex.name == "BP3":
        inputs = {"delta": t.delta[focus]}
        expected = t.nabla_b[focus]
    elif ex.name == "BP4":
        inputs = {"a_prev": t.a[focus - 1], "delta": t.delta[focus]}
        expected = t.nabla_w[focus]
    else:
        x_name, y_name = ("X", "Y") if ex.name == "matrix_backprop" else ("x", "y")
        inputs = {"weights": _as_list(t.weights, layers), "biases": _as_list(t.biases, layers),
                  x_name: t.a[1], y_name: t.y}
        expected = (_as_list(t.nabla_b, layers), _as_list(t.nabla_w, layers))
    inputs = MappingProxyType(
        {k: (_read_only(v) if isinstance(v, np.ndarray) else v) for k, v in inputs.items()})
    if isinstance(expected, np.ndarray):
        expected = _read_only(expected)
    return Case(ex.name, seed, (KINDS + EXTRA_KINDS)[kind], tuple(sizes), focus, inputs, expected, trace,
                None, modified)
