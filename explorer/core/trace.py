"""The Trace: one forward and backward pass, recorded layer by layer.

A Trace is the one object that crosses from the core to the panels. Its mappings are keyed
by the book's layer number l (``trace.delta[L]``, ``trace.a[1]`` is the input) and it is
immutable: the arrays are read-only and the mappings cannot be changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Mapping

import numpy as np

if TYPE_CHECKING:  # only for annotations: the trace holds these objects, it never calls them
    from .activations import Activation
    from .costs import Cost


def frozen(layers: dict[int, np.ndarray]) -> Mapping[int, np.ndarray]:
    """A read-only view of {l: array} whose arrays are read-only too."""
    for arr in layers.values():
        arr.flags.writeable = False
    return MappingProxyType(layers)


def frozen_copy(layers: Mapping[int, np.ndarray]) -> Mapping[int, np.ndarray]:
    """Read-only copies of {l: array}: later changes to the originals do not show through."""
    return frozen({l: np.array(arr, copy=True) for l, arr in layers.items()})


def _read_only(arr: np.ndarray) -> np.ndarray:
    arr.flags.writeable = False
    return arr


@dataclass(frozen=True)
class Trace:
    """Every quantity of the chapter for one batch: columns are examples.

    - ``weights[l]`` (w^l) and ``biases[l]`` (b^l): read-only copies of the parameters the
      pass was computed from, so a trace stays true after the network changes.
    - ``activations[l][j]``: the ``Activation`` neuron j of layer l used (usually σ for all;
      the chapter's "one modified neuron" exercise makes one differ); ``cost_function`` the
      ``Cost``.
    - ``z[l]`` = w^l a^(l−1) + b^l and ``a[l]`` = σ(z^l) for l = 2..L; ``a[1]`` is the input x
      (eq. 25); ``y`` the target.
    - ``sigma_prime[l]`` = σ'(z^l).
    - ``delta[l]`` = δ^l = ∂C_x/∂z^l for each example x (eq. 29; BP1 for l = L, BP2 below).
    - ``nabla_b[l]`` = ∂C/∂b^l (BP3) and ``nabla_w[l]`` = ∂C/∂w^l (BP4), averaged over the
      batch because C = 1/n Σ_x C_x.
    - ``cost_gradient`` = ∇_a C_x per example, ``costs`` = C_x per example, ``cost`` = C.

    ``trace.example(i)`` is the same pass seen for example i alone (column i, with its own
    ∂C_x/∂w and ∂C_x/∂b).
    """

    sizes: tuple[int, ...]
    weights: Mapping[int, np.ndarray]
    biases: Mapping[int, np.ndarray]
    activations: Mapping[int, tuple["Activation", ...]]
    cost_function: "Cost"
    z: Mapping[int, np.ndarray]
    a: Mapping[int, np.ndarray]
    sigma_prime: Mapping[int, np.ndarray]
    delta: Mapping[int, np.ndarray]
    nabla_w: Mapping[int, np.ndarray]
    nabla_b: Mapping[int, np.ndarray]
    y: np.ndarray
    cost_gradient: np.ndarray
    costs: np.ndarray
    cost: float

    @property
    def L(self) -> int:
        """The number of layers, counting the input layer (l = 1 … L)."""
        return len(self.sizes)

    @property
    def layers(self) -> range:
        """The book's numbers of the layers that have weights: 2..L."""
        return range(2, self.L + 1)

    @property
    def x(self) -> np.ndarray:
        """The input, a^1."""
        return self.a[1]

    @property
    def n_examples(self) -> int:
        """How many examples (columns) the batch has."""
        return self.a[1].shape[1]

    def activation(self, layer: int, neuron: int) -> "Activation":
        """The activation neuron j (0-based) of layer l used in this pass."""
        return self.activations[layer][neuron]

    def example(self, i: int) -> "Trace":
        """This pass for example i alone: column i of every array, and its own gradient.

        δ is per example already; ∂C_x/∂b^l = δ^(x,l) and ∂C_x/∂w^l = δ^(x,l) (a^(x,l−1))^T
        (BP3, BP4 for one example), so a batch trace's example i equals the trace of that
        example computed alone.
        """
        m = self.n_examples
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)):
            raise ValueError(f"i: expected an example index, got {type(i).__name__} {i!r}")
        if not -m <= i < m:
            raise IndexError(f"i: {i} is out of range; this trace has examples 0..{m - 1}")
        i = int(i) % m
        col = slice(i, i + 1)

        def column(layers):
            return frozen({l: np.array(arr[:, col], copy=True) for l, arr in layers.items()})

        delta = column(self.delta)
        a = column(self.a)
        return Trace(
            sizes=self.sizes,
            weights=self.weights,
            biases=self.biases,
            activations=self.activations,
            cost_function=self.cost_function,
            z=column(self.z),
            a=a,
            sigma_prime=column(self.sigma_prime),
            delta=delta,
            nabla_w=frozen({l: delta[l] @ a[l - 1].T for l in self.layers}),
            nabla_b=frozen({l: np.array(delta[l], copy=True) for l in self.layers}),
            y=_read_only(np.array(self.y[:, col], copy=True)),
            cost_gradient=_read_only(np.array(self.cost_gradient[:, col], copy=True)),
            costs=_read_only(np.array(self.costs[col], copy=True)),
            cost=float(self.costs[i]),
        )


@dataclass(frozen=True)
class DemonEffect:
    """What the demon's Δz at neuron j of layer l does to the cost.

    ``predicted`` is the first-order estimate Σ_x ∂C/∂z^l_j · Δz (with C = 1/n Σ_x C_x, that
    is the batch mean of δ^l_j times Δz); ``actual`` is C recomputed with z^l_j + Δz minus C.
    ``delta_a[l']`` is how the change travels: a^l' after minus before, for l' = l..L.
    """

    layer: int
    neuron: int
    dz: float
    predicted: float
    actual: float
    cost_before: float
    cost_after: float
    delta_a: Mapping[int, np.ndarray]

    @property
    def error(self) -> float:
        """actual − predicted: the part of ΔC the first-order story misses."""
        return self.actual - self.predicted


@dataclass(frozen=True)
class WeightNudge:
    """What changing w^l_jk by Δw does to the cost (eq. 47: ΔC ≈ ∂C/∂w^l_jk · Δw^l_jk)."""

    layer: int
    j: int
    k: int
    dw: float
    predicted: float
    actual: float
    cost_before: float
    cost_after: float
    delta_a: Mapping[int, np.ndarray]

    @property
    def error(self) -> float:
        """actual − predicted."""
        return self.actual - self.predicted
