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


def _checked(net, x, y, layer: int, j: int, k: int, limit: int):
    """Validated (l, j, k) and the one-example trace, refusing more paths than ``limit``."""
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
    return layer, j, k, trace


def _enumerate(net, layer: int, j: int, k: int, first: float, rate, last) -> PathSum:
    """Every path j → q → … → m with its factors: first, rate[r][q, p] per step, last[m]."""
    paths = []
    for tail in itertools.product(*(range(s) for s in net.sizes[layer:])):
        neurons = (j, *tail)
        factors = [first]
        for r, (p, q) in enumerate(zip(neurons, neurons[1:]), start=layer + 1):
            factors.append(float(rate[r][q, p]))
        factors.append(float(last[neurons[-1]]))
        paths.append(Path(neurons, tuple(factors), math.prod(factors)))
    return PathSum(layer, j, k, tuple(paths), math.fsum(p.product for p in paths))


def path_sum(net, x, y, layer: int, j: int, k: int, limit: int = DEFAULT_PATH_LIMIT) -> PathSum:
    """List every path from w^l_jk to C for one example, with its product, and their sum."""
    layer, j, k, trace = _checked(net, x, y, layer, j, k, limit)
    sp = {l: trace.sigma_prime[l][:, 0] for l in net.layers}
    first = float(sp[layer][j] * trace.a[layer - 1][k, 0])  # ∂a^l_j/∂w^l_jk
    last = trace.cost_gradient[:, 0]  # ∂C/∂a^L_m
    # rate[r][q, p] = ∂a^r_q/∂a^(r−1)_p = σ'(z^r_q) w^r_qp
    rate = {r: sp[r][:, None] * net.weights[r] for r in range(layer + 1, net.L + 1)}
    return _enumerate(net, layer, j, k, first, rate, last)


def path_sum_weighted_inputs(
    net, x, y, layer: int, j: int, k: int, limit: int = DEFAULT_PATH_LIMIT
) -> PathSum:
    """The same sum over paths, with weighted inputs z instead of activations a in between.

    The chapter's closing trick: a path now runs w^l_jk → z^l_j → z^(l+1)_q → … → z^L_m → C
    and its rates are ∂z^l_j/∂w^l_jk = a^(l−1)_k, then ∂z^(r+1)_q/∂z^r_p = w^(r+1)_qp σ'(z^r_p)
    (eq. 40–45) for each step, then ∂C/∂z^L_m = δ^L_m (BP1). The returned ``Path``s keep the
    neurons as in ``path_sum`` but carry these factors; the total is again ∂C/∂w^l_jk.
    Summing the paths from z^r_p onward gives δ^r_p, which is how the sum collapses into BP2.
    """
    layer, j, k, trace = _checked(net, x, y, layer, j, k, limit)
    first = float(trace.a[layer - 1][k, 0])  # ∂z^l_j/∂w^l_jk
    last = trace.delta[net.L][:, 0]  # ∂C/∂z^L_m
    # rate[r][q, p] = ∂z^r_q/∂z^(r−1)_p = w^r_qp σ'(z^(r−1)_p)
    rate = {
        r: net.weights[r] * trace.sigma_prime[r - 1][:, 0][None, :]
        for r in range(layer + 1, net.L + 1)
    }
    return _enumerate(net, layer, j, k, first, rate, last)
