"""Backpropagation in general: the sum over paths (eq. 51–53).

A change in w^l_jk moves a^l_j, which moves every neuron of layer l + 1, each of which moves
every neuron of layer l + 2, and so on to the cost. Each route is a path; along it the
changes multiply (eq. 51), and ∂C/∂w^l_jk is the sum over all paths (eq. 53). Backprop
computes that sum without listing the paths, whose number grows as the product of the widths.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from .checks import check_index, check_layer, require_int

DEFAULT_PATH_LIMIT = 100_000


@dataclass(frozen=True)
class Path:
    """One path from w^l_jk to C.

    ``neurons`` are the 0-based neuron indices in layers l, l + 1, …, L (the first is j).
    ``factors`` are the rates along it: ∂a^l_j/∂w^l_jk = σ'(z^l_j) a^(l−1)_k, then
    ∂a^(r+1)_q/∂a^r_p = σ'(z^(r+1)_q) w^(r+1)_qp for each step, then ∂C/∂a^L_m.
    """

    neurons: tuple[int, ...]
    factors: tuple[float, ...]
    product: float


@dataclass(frozen=True)
class PathSum:
    """Every path from w^l_jk to C and their sum, which equals ∂C/∂w^l_jk (eq. 53)."""

    layer: int
    j: int
    k: int
    paths: tuple[Path, ...]
    total: float

    @property
    def n_paths(self) -> int:
        return len(self.paths)


def count_paths(sizes, layer: int) -> int:
    """How many paths lead from a weight of layer l to C: n_(l+1) × … × n_L."""
    return math.prod(sizes[layer:])


def path_sum(net, x, y, layer: int, j: int, k: int, limit: int = DEFAULT_PATH_LIMIT) -> PathSum:
    """List every path from w^l_jk to C for one example, with its product, and their sum."""
    layer = check_layer(layer, net.L)
    j = check_index(j, net.sizes[layer - 1], "j", f"layer {layer}")
    k = check_index(k, net.sizes[layer - 2], "k", f"layer {layer - 1}")
    limit = require_int(limit, "limit")
    n = count_paths(net.sizes, layer)
    if n > limit:
        widths = " × ".join(str(s) for s in net.sizes[layer:])
        raise ValueError(
            f"w^{layer}_{j + 1}{k + 1} has {n:,} paths to C ({widths}), more than the limit of "
            f"{limit:,}; pass a larger limit= or use a smaller network"
        )
    trace = net.trace(x, y)
    if trace.n_examples != 1:
        raise ValueError(f"x: path_sum takes one example (one column), got {trace.n_examples}")
    sp = {l: trace.sigma_prime[l][:, 0] for l in net.layers}
    first = float(sp[layer][j] * trace.a[layer - 1][k, 0])  # ∂a^l_j/∂w^l_jk
    last = trace.cost_gradient[:, 0]  # ∂C/∂a^L_m
    # rate[r][q, p] = ∂a^r_q/∂a^(r−1)_p = σ'(z^r_q) w^r_qp
    rate = {r: sp[r][:, None] * net.weights[r] for r in range(layer + 1, net.L + 1)}
    paths = []
    for tail in itertools.product(*(range(s) for s in net.sizes[layer:])):
        neurons = (j, *tail)
        factors = [first]
        for r, (p, q) in enumerate(zip(neurons, neurons[1:]), start=layer + 1):
            factors.append(float(rate[r][q, p]))
        factors.append(float(last[neurons[-1]]))
        paths.append(Path(neurons, tuple(factors), math.prod(factors)))
    return PathSum(layer, j, k, tuple(paths), math.fsum(p.product for p in paths))
