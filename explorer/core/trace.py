"""The Trace: one forward and backward pass, recorded layer by layer.

A Trace is the one object that crosses from the core to the panels. Its mappings are keyed
by the book's layer number l (``trace.delta[L]``, ``trace.a[1]`` is the input) and it is
immutable: the arrays are read-only and the mappings cannot be changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

import numpy as np


def frozen(layers: dict[int, np.ndarray]) -> Mapping[int, np.ndarray]:
    """A read-only view of {l: array} whose arrays are read-only too."""
    for arr in layers.values():
        arr.flags.writeable = False
    return MappingProxyType(layers)


@dataclass(frozen=True)
class Trace:
    """Every quantity of the chapter for one batch: columns are examples.

    - ``z[l]`` = w^l a^(l−1) + b^l and ``a[l]`` = σ(z^l) for l = 2..L; ``a[1]`` is the input (eq. 25).
    - ``sigma_prime[l]`` = σ'(z^l).
    - ``delta[l]`` = δ^l = ∂C_x/∂z^l for each example x (eq. 29; BP1 for l = L, BP2 below).
    - ``nabla_b[l]`` = ∂C/∂b^l (BP3) and ``nabla_w[l]`` = ∂C/∂w^l (BP4), averaged over the
      batch because C = 1/n Σ_x C_x.
    - ``cost_gradient`` = ∇_a C_x per example, ``costs`` = C_x per example, ``cost`` = C.
    """

    sizes: tuple[int, ...]
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
    def x(self) -> np.ndarray:
        """The input, a^1."""
        return self.a[1]

    @property
    def n_examples(self) -> int:
        """How many examples (columns) the batch has."""
        return self.a[1].shape[1]


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
