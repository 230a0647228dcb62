"""Finite differences (eq. 46): the slow, obvious way to get ∂C/∂w, to check backprop against.

Nudge one parameter by ε, run a forward pass, see how C moved. One forward pass per
parameter (two for central differences): with a million weights, a million passes, where
backpropagation costs about two. That contrast is the chapter's section "In what sense is
backpropagation a fast algorithm?".
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from .checks import require_finite_number


class FiniteDifferenceGradient(NamedTuple):
    """∂C/∂w and ∂C/∂b by eq. (46), keyed like ``Trace.nabla_w``, and the passes it took."""

    nabla_w: dict[int, np.ndarray]
    nabla_b: dict[int, np.ndarray]
    forward_passes: int


def finite_difference_gradient(
    net,
    x,
    y,
    eps: float = 1e-5,
    central: bool = False,
    on_progress: Callable[[int, int], object] | None = None,
) -> FiniteDifferenceGradient:
    """Every ∂C/∂w^l_jk and ∂C/∂b^l_j by finite differences.

    Forward difference (eq. 46): (C(w + ε) − C(w)) / ε, P + 1 forward passes for P
    parameters. Central: (C(w + ε) − C(w − ε)) / 2ε, 2P passes, error O(ε²) instead of O(ε).
    ``on_progress(passes_done, passes_total)`` is called after each parameter; if it returns
    False the computation stops and raises ``InterruptedError``. The network is left exactly
    as it was.
    """
    X, Y = net._inputs(x, y)
    net._check_parameters()
    eps = require_finite_number(eps, "eps")
    if eps <= 0:
        raise ValueError(f"eps: expected a small positive step, got {eps}")
    total = 2 * net.n_parameters if central else net.n_parameters + 1
    passes = 0
    base = None
    if not central:
        base = net._cost_unchecked(X, Y)
        passes = 1
    grads = {"w": {}, "b": {}}
    for kind, params in (("w", net.weights), ("b", net.biases)):
        for l in net.layers:
            p = params[l]
            g = np.empty_like(p, dtype=np.float64)
            for index in np.ndindex(p.shape):
                old = p[index]
                try:
                    p[index] = old + eps
                    up = net._cost_unchecked(X, Y)
                    if central:
                        p[index] = old - eps
                        g[index] = (up - net._cost_unchecked(X, Y)) / (2 * eps)
                        passes += 2
                    else:
                        g[index] = (up - base) / eps
                        passes += 1
                finally:
                    p[index] = old
                if on_progress is not None and on_progress(passes, total) is False:
                    raise InterruptedError(
                        f"finite differences stopped after {passes} of {total} forward passes"
                    )
            grads[kind][l] = g
    return FiniteDifferenceGradient(grads["w"], grads["b"], passes)
