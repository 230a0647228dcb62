"""Finite differences (eq. 46): the slow, obvious way to get ∂C/∂w, to check backprop against.

Nudge one parameter by ε, run a forward pass, see how C moved. One forward pass per
parameter (two for central differences): with a million weights, a million passes, where
backpropagation costs about two. That contrast is the chapter's section "In what sense is
backpropagation a fast algorithm?".
"""

from __future__ import annotations

import time
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
    run = FiniteDifferenceRun(net, x, y, eps, central)
    for passes in run:
        if on_progress is not None and on_progress(passes, run.total) is False:
            raise InterruptedError(
                f"finite differences stopped after {passes} of {run.total} forward passes"
            )
    return run.result()


class FiniteDifferenceRun:
    """Eq. (46) one parameter at a time, so that a caller can watch it, interleave it, or stop it.

    ``finite_difference_gradient`` in steps: the same passes in the same order, so a finished
    run gives exactly its numbers. Iterating yields the number of forward passes done after
    each parameter; ``advance`` does a bounded amount of work (a chunk for an event loop).
    Between steps the network is exactly as it was, so a run may be abandoned at any point;
    do not change the network's parameters while a run is unfinished.

        run = FiniteDifferenceRun(net, x, y)
        while not run.done:
            run.advance(max_seconds=0.05)
        run.result().nabla_w[2]
    """

    def __init__(self, net, x, y, eps: float = 1e-5, central: bool = False):
        self._X, self._Y = net.prepare_examples(x, y)
        net._check_parameters()
        eps = require_finite_number(eps, "eps")
        if eps <= 0:
            raise ValueError(f"eps: expected a small positive step, got {eps}")
        self.net = net
        self.eps = eps
        self.central = bool(central)
        #: Forward passes the whole gradient needs: 2P (central) or P + 1 (forward).
        self.total = 2 * net.n_parameters if self.central else net.n_parameters + 1
        #: Forward passes done so far, and parameters whose derivative is known.
        self.passes = 0
        self.parameters_done = 0
        self.done = False
        self._grads: dict[str, dict[int, np.ndarray]] = {"w": {}, "b": {}}
        self._steps = self._generate()

    @property
    def n_parameters(self) -> int:
        return self.net.n_parameters

    def _generate(self):
        net, X, Y, eps, central = self.net, self._X, self._Y, self.eps, self.central
        base = None
        if not central:
            base = net._cost_unchecked(X, Y)
            self.passes = 1
        for kind, params in (("w", net.weights), ("b", net.biases)):
            for l in net.layers:
                p = params[l]
                g = np.empty_like(p, dtype=np.float64)
                self._grads[kind][l] = g
                for index in np.ndindex(p.shape):
                    old = p[index]
                    try:
                        p[index] = old + eps
                        up = net._cost_unchecked(X, Y)
                        if central:
                            p[index] = old - eps
                            g[index] = (up - net._cost_unchecked(X, Y)) / (2 * eps)
                            self.passes += 2
                        else:
                            g[index] = (up - base) / eps
                            self.passes += 1
                    finally:
                        p[index] = old
                    self.parameters_done += 1
                    self.done = self.parameters_done == net.n_parameters
                    # Yield only here, with the parameter restored: a paused or abandoned
                    # run leaves the network as it was.
                    yield self.passes

    def __iter__(self):
        """Yields the forward passes done so far, once per parameter."""
        for passes in self._steps:
            yield passes

    def step(self) -> bool:
        """One more parameter; False when there was none left."""
        if self.done:
            return False
        for _ in self._steps:
            return True
        return False

    def advance(self, max_parameters: int | None = None, max_seconds: float | None = None) -> int:
        """Work through parameters until ``max_parameters`` more are done, ``max_seconds`` have
        passed (checked after each parameter), or the gradient is complete. Returns the
        number of parameters done in this call."""
        if max_parameters is not None and max_parameters < 0:
            raise ValueError(f"max_parameters: expected a count ≥ 0, got {max_parameters}")
        deadline = None if max_seconds is None else time.perf_counter() + max_seconds
        count = 0
        while not self.done and (max_parameters is None or count < max_parameters):
            self.step()
            count += 1
            if deadline is not None and time.perf_counter() >= deadline:
                break
        return count

    def result(self) -> FiniteDifferenceGradient:
        """The gradient, once every parameter is done."""
        if not self.done:
            raise RuntimeError(
                f"finite differences not finished: {self.passes} of {self.total} forward passes done"
            )
        return FiniteDifferenceGradient(dict(self._grads["w"]), dict(self._grads["b"]), self.passes)
