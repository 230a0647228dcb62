"""Finite differences (eq. 46): the slow, obvious way to get ∂C/∂w, to check backprop against.

Nudge one parameter by ε, run a forward pass, see how C moved:

    ∂C/∂w_j ≈ (C(w + ε e_j) − C(w)) / ε                      (eq. 46)

or, with error O(ε²) instead of O(ε), the central form (C(w + ε e_j) − C(w − ε e_j)) / 2ε.
One forward pass per parameter (two for central differences): with a million weights, a
million passes, where backpropagation costs about two. That contrast is the chapter's section
"In what sense is backpropagation a fast algorithm?".

Everything here works from a ``Trace``: it carries the weights and biases it was computed
from (read-only copies), each neuron's activation, the cost, x and y, so the forward passes
run on private copies and never touch the network a panel shares.

- ``partial_derivative(trace, "w", l, j, k)``: ∂C/∂w^l_jk (or ``"b"``: ∂C/∂b^l_j), central.
- ``delta_by_nudging(trace, l, j)``: δ^l_j = ∂C/∂z^l_j (eq. 29) by nudging z^l_j, the demon.
- ``finite_difference_gradient(net, x, y)`` or ``(trace)``: every parameter, eq. 46.
- ``FiniteDifferenceRun``: the same, one parameter at a time (to watch, interleave or stop).
- ``agrees(value, estimate, cost)``: backprop's number and the estimate, within what ε allows.
- ``jacobian(f, v, eps)``: ∂f_k/∂v_j by central differences (the proofs' eq. 37 and 43).
"""

from __future__ import annotations

import math
import time
from typing import Callable, Mapping, NamedTuple

import numpy as np

from .checks import check_index, check_layer, require_finite_number
from .costs import CrossEntropyCost
from .network import Network
from .trace import Trace


# ---------------------------------------------------------------------- the forward pass
class ForwardPass:
    """Eq. 25 and the cost again, with a trace's x, y, activations and cost function.

    ``cost(weights, biases)`` is C for other parameters (the trace's own where not given);
    ``cost_from_z(l, z)`` is C with z^l replaced (the demon). A finite difference is two such
    costs. Each neuron uses the activation it used in the trace, so the "one modified neuron"
    exercise is measured as it was computed.
    """

    def __init__(self, trace: Trace):
        if not isinstance(trace, Trace):
            raise ValueError(f"trace: expected a Trace, got {type(trace).__name__}")
        self.trace = trace
        # One call per layer when all its neurons share an activation (the usual case); else
        # the rows of each activation, so every neuron gets its own σ.
        self._groups: dict[int, list] = {}
        for l in trace.layers:
            acts = trace.activations[l]
            groups: dict[int, tuple] = {}
            for j, act in enumerate(acts):
                groups.setdefault(id(act), (act, []))[1].append(j)
            self._groups[l] = [(act, np.array(rows)) for act, rows in groups.values()]
        out = self._groups[trace.L]
        self._output_activation = out[0][0] if len(out) == 1 else None

    def activate(self, layer: int, z: np.ndarray) -> np.ndarray:
        """a^l = σ(z^l), each neuron with its own activation."""
        groups = self._groups[layer]
        if len(groups) == 1:
            return groups[0][0](z)
        a = np.empty_like(z)
        for act, rows in groups:
            a[rows] = act(z[rows])
        return a

    def cost(self, weights: Mapping | None = None, biases: Mapping | None = None, start: int = 2) -> float:
        """C = 1/n Σ_x C_x for the trace's examples, with these weights and biases.

        Layers before ``start`` are taken from the trace (a nudge in layer l leaves a^(l−1)
        as it was, so there is no need to recompute them). Raises ValueError when z
        overflows or an output leaves the cost's domain.
        """
        t = self.trace
        weights = t.weights if weights is None else weights
        biases = t.biases if biases is None else biases
        a = t.a[start - 1]
        with np.errstate(all="ignore"):
            for l in range(start, t.L + 1):
                z = weights[l] @ a + biases[l]
                if not np.isfinite(z).all():
                    raise ValueError(f"z^{l} overflowed to infinity or NaN next to this point")
                a = self.activate(l, z)
            return self._output_cost(z, a)

    def cost_from_z(self, layer: int, z: np.ndarray) -> float:
        """C with z^l replaced by ``z`` (every later layer recomputed from it)."""
        t = self.trace
        with np.errstate(all="ignore"):
            a = self.activate(layer, z)
            for l in range(layer + 1, t.L + 1):
                z = t.weights[l] @ a + t.biases[l]
                if not np.isfinite(z).all():
                    raise ValueError(f"z^{l} overflowed to infinity or NaN next to this point")
                a = self.activate(l, z)
            return self._output_cost(z, a)

    def _output_cost(self, z: np.ndarray, a: np.ndarray) -> float:
        t = self.trace
        cost = t.cost_function
        if isinstance(cost, CrossEntropyCost) and ((a < 0) | (a > 1)).any():
            raise ValueError("the cross-entropy cost needs outputs in [0, 1] next to this point")
        if self._output_activation is None:
            costs = cost.value(a, t.y)  # a mixed output layer: no sigmoid shortcut applies
        else:
            costs = cost.value_at_output(z, a, t.y, self._output_activation)
        return float(np.mean(costs))


# ---------------------------------------------------------------------- one derivative
def central_step(dtype=np.float64) -> float:
    """ε for central differences: balances rounding (∝ 1/ε) against truncation (∝ ε²)."""
    return 1e-5 if np.dtype(dtype) == np.float64 else 1e-2


def _step(trace: Trace, eps) -> float:
    if eps is None:
        return central_step(trace.weights[trace.L].dtype)
    eps = require_finite_number(eps, "eps")
    if eps <= 0:
        raise ValueError(f"eps: expected a small positive step, got {eps}")
    return eps


def _central(cost_at: Callable[[float], float], eps: float) -> float:
    """(C(+ε) − C(−ε)) / 2ε, or NaN when C cannot be computed on either side."""
    try:
        up, down = cost_at(eps), cost_at(-eps)
    except (ValueError, FloatingPointError):
        return math.nan
    value = (up - down) / (2 * eps)
    return value if math.isfinite(value) else math.nan


def partial_derivative(trace: Trace, parameter: str, layer: int, j: int, k: int | None = None,
                       eps: float | None = None) -> float:
    """∂C/∂w^l_jk (``parameter="w"``) or ∂C/∂b^l_j (``"b"``) by central differences (eq. 46).

    j and k are 0-based (``partial_derivative(t, "w", 3, 1, 3)`` is ∂C/∂w^3_24). The default
    ε is ``central_step`` for a bias and, for a weight, that divided by the largest |a^(l−1)_k|
    (at least 1): w^l_jk moves z^l_j by Δw · a^(l−1)_k, so z moves by about ε either way.
    Returns NaN when C cannot be computed next to the point (z overflows, or an output leaves
    the cross-entropy's domain). The trace and the network are not changed.
    """
    if not isinstance(trace, Trace):
        raise ValueError(f"trace: expected a Trace, got {type(trace).__name__}")
    if parameter not in ("w", "b"):
        raise ValueError(f'parameter: expected "w" (a weight) or "b" (a bias), got {parameter!r}')
    layer = check_layer(layer, trace.L)
    j = check_index(j, trace.sizes[layer - 1], "j", f"layer {layer}")
    if parameter == "w":
        if k is None:
            raise ValueError("k: a weight w^l_jk needs k, the neuron of layer l − 1 it comes from")
        k = check_index(k, trace.sizes[layer - 2], "k", f"layer {layer - 1}")
        index = (j, k)
        scale = max(1.0, float(np.max(np.abs(trace.a[layer - 1][k]))))
    else:
        if k is not None:
            raise ValueError(f"k: a bias b^l_j has no k, got k = {k!r}")
        index, scale = (j, 0), 1.0
    eps = _step(trace, None) / scale if eps is None else _step(trace, eps)
    forward = ForwardPass(trace)
    source = trace.weights if parameter == "w" else trace.biases
    nudged = np.array(source[layer], copy=True)
    old = nudged[index]
    others = dict(source)
    others[layer] = nudged

    def cost_at(h: float) -> float:
        nudged[index] = old + h
        if parameter == "w":
            return forward.cost(weights=others, start=layer)
        return forward.cost(biases=others, start=layer)

    return _central(cost_at, eps)


def delta_by_nudging(trace: Trace, layer: int, j: int, eps: float | None = None) -> float:
    """δ^l_j = ∂C/∂z^l_j (eq. 29), measured as the demon would: z^l_j ± ε, central.

    For a batch trace every example's z^l_j moves, so this is the batch mean of δ^l_j (the
    slope the demon's prediction uses); for one example it is δ^l_j itself. NaN when C
    cannot be computed next to the point.
    """
    if not isinstance(trace, Trace):
        raise ValueError(f"trace: expected a Trace, got {type(trace).__name__}")
    layer = check_layer(layer, trace.L)
    j = check_index(j, trace.sizes[layer - 1], "j", f"layer {layer}")
    eps = _step(trace, eps)
    forward = ForwardPass(trace)

    def cost_at(h: float) -> float:
        z = np.array(trace.z[layer], copy=True)
        z[j] += h
        return forward.cost_from_z(layer, z)

    return _central(cost_at, eps)


def jacobian(f: Callable[[np.ndarray], np.ndarray], v, eps: float) -> np.ndarray:
    """J[k, j] = ∂f_k/∂v_j by central differences: column j from f(v ± ε e_j)."""
    eps = require_finite_number(eps, "eps")
    if eps <= 0:
        raise ValueError(f"eps: expected a small positive step, got {eps}")
    v = np.asarray(v, dtype=float).reshape(-1)
    columns = []
    for j in range(v.size):
        up, down = v.copy(), v.copy()
        up[j] += eps
        down[j] -= eps
        f_up = np.asarray(f(up), dtype=float).reshape(-1)
        f_down = np.asarray(f(down), dtype=float).reshape(-1)
        columns.append((f_up - f_down) / (2 * eps))
    return np.stack(columns, axis=1)


def agrees(value: float, estimate: float, cost: float, dtype=np.float64) -> bool:
    """Do backprop's ``value`` and a finite-difference ``estimate`` agree, within what ε and
    rounding allow? (Absolute error scaled by C, relative error by the numbers themselves.)"""
    value, estimate = float(value), float(estimate)
    if not (math.isfinite(value) and math.isfinite(estimate)):
        return False
    if np.dtype(dtype) == np.float64:
        absolute, relative = 1e-7, 1e-5
    else:
        absolute, relative = 1e-3, 1e-2
    return abs(value - estimate) <= absolute * max(1.0, abs(float(cost))) + relative * max(abs(value), abs(estimate))


# ---------------------------------------------------------------------- every parameter
class FiniteDifferenceGradient(NamedTuple):
    """∂C/∂w and ∂C/∂b by eq. (46), keyed like ``Trace.nabla_w``, and the passes it took."""

    nabla_w: dict[int, np.ndarray]
    nabla_b: dict[int, np.ndarray]
    forward_passes: int


def finite_difference_gradient(
    net,
    x=None,
    y=None,
    eps: float = 1e-5,
    central: bool = False,
    on_progress: Callable[[int, int], object] | None = None,
) -> FiniteDifferenceGradient:
    """Every ∂C/∂w^l_jk and ∂C/∂b^l_j by finite differences, for a network and (x, y), or for
    a Trace alone (then its own parameters and examples).

    Forward difference (eq. 46): (C(w + ε) − C(w)) / ε, P + 1 forward passes for P
    parameters. Central: (C(w + ε) − C(w − ε)) / 2ε, 2P passes, error O(ε²) instead of O(ε).
    ``on_progress(passes_done, passes_total)`` is called after each parameter; if it returns
    False the computation stops and raises ``InterruptedError``. The network is not changed:
    the passes run on copies of its parameters.
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
    run gives exactly its numbers. ``FiniteDifferenceRun(net, x, y)`` or
    ``FiniteDifferenceRun(trace)``. Iterating yields the number of forward passes done after
    each parameter; ``advance`` does a bounded amount of work (a chunk for an event loop);
    ``gradient_so_far()`` shows what is known. The passes run on the run's own copies of the
    parameters (taken when it starts), so the network is never changed and may even change
    meanwhile; each pass is a whole forward pass from x, as the chapter counts them.

        run = FiniteDifferenceRun(net, x, y)
        while not run.done:
            run.advance(max_seconds=0.05)
        run.result().nabla_w[2]
    """

    def __init__(self, net, x=None, y=None, eps: float = 1e-5, central: bool = False):
        if isinstance(net, Trace):
            if x is not None or y is not None:
                raise ValueError("x, y: a Trace carries its own examples; give the trace alone")
            trace = net
        elif isinstance(net, Network):
            if x is None or y is None:
                raise ValueError("x, y: finite differences of a network need the examples x and y")
            trace = net.trace(x, y)
        else:
            raise ValueError(f"net: expected a Network (with x, y) or a Trace, got {type(net).__name__}")
        eps = require_finite_number(eps, "eps")
        if eps <= 0:
            raise ValueError(f"eps: expected a small positive step, got {eps}")
        self.trace = trace
        self.eps = eps
        self.central = bool(central)
        #: How many weights and biases there are (P).
        self.n_parameters = sum(trace.weights[l].size + trace.biases[l].size for l in trace.layers)
        #: Forward passes the whole gradient needs: 2P (central) or P + 1 (forward).
        self.total = 2 * self.n_parameters if self.central else self.n_parameters + 1
        #: Forward passes done so far, and parameters whose derivative is known.
        self.passes = 0
        self.parameters_done = 0
        self.done = False
        self._grads: dict[str, dict[int, np.ndarray]] = {
            kind: {l: np.full(params[l].shape, np.nan) for l in trace.layers}
            for kind, params in (("w", trace.weights), ("b", trace.biases))
        }
        self._steps = self._generate()

    def _generate(self):
        trace, eps, central = self.trace, self.eps, self.central
        forward = ForwardPass(trace)
        # The run's own writable copies: nudged one entry at a time and restored.
        params = {
            "w": {l: np.array(trace.weights[l], copy=True) for l in trace.layers},
            "b": {l: np.array(trace.biases[l], copy=True) for l in trace.layers},
        }
        weights, biases = params["w"], params["b"]
        base = None
        if not central:
            base = forward.cost(weights, biases)
            self.passes = 1
        for kind in ("w", "b"):
            for l in trace.layers:
                p, g = params[kind][l], self._grads[kind][l]
                for index in np.ndindex(p.shape):
                    old = p[index]
                    try:
                        p[index] = old + eps
                        up = forward.cost(weights, biases)
                        if central:
                            p[index] = old - eps
                            g[index] = (up - forward.cost(weights, biases)) / (2 * eps)
                            self.passes += 2
                        else:
                            g[index] = (up - base) / eps
                            self.passes += 1
                    finally:
                        p[index] = old
                    self.parameters_done += 1
                    self.done = self.parameters_done == self.n_parameters
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

    def gradient_so_far(self) -> FiniteDifferenceGradient:
        """Copies of the derivatives known so far; NaN where a parameter is not done yet
        (weights first, layer by layer, row by row; then the biases)."""
        return FiniteDifferenceGradient(
            {l: g.copy() for l, g in self._grads["w"].items()},
            {l: g.copy() for l, g in self._grads["b"].items()},
            self.passes,
        )

    def result(self) -> FiniteDifferenceGradient:
        """The gradient, once every parameter is done."""
        if not self.done:
            raise RuntimeError(
                f"finite differences not finished: {self.passes} of {self.total} forward passes done"
            )
        return self.gradient_so_far()


__all__ = [
    "FiniteDifferenceGradient",
    "FiniteDifferenceRun",
    "ForwardPass",
    "agrees",
    "central_step",
    "delta_by_nudging",
    "finite_difference_gradient",
    "jacobian",
    "partial_derivative",
]
