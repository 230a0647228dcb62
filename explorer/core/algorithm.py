"""The backpropagation algorithm as data: its steps, in order, each with the arrays it computes.

The chapter writes the algorithm for one training example x in five lines:

1. Input x: set the activation a^1 of the input layer.
2. Feedforward: for l = 2, 3, …, L compute z^l = w^l a^(l−1) + b^l and a^l = σ(z^l) (eq. 25).
3. Output error: δ^L = ∇_a C ⊙ σ'(z^L) (BP1).
4. Backpropagate the error: for l = L−1, …, 2 compute δ^l = ((w^(l+1))^T δ^(l+1)) ⊙ σ'(z^l) (BP2).
5. Output: the gradient ∂C/∂w^l_jk = a^(l−1)_k δ^l_j (BP4) and ∂C/∂b^l_j = δ^l_j (BP3).

and, for a mini-batch of m examples, the same for every x, then gradient descent:
w^l → w^l − η/m Σ_x δ^(x,l) (a^(x,l−1))^T and b^l → b^l − η/m Σ_x δ^(x,l).

Taken one layer at a time that is 3L − 2 steps: 1 input, L − 1 feedforward, 1 output error,
L − 2 backpropagation and L − 1 gradient steps (l = L … 2, the order the book's code fills
them in). Each ``Step`` says which line of the algorithm it is, which layer, and which arrays it
computes (``Array``: the book's name, the layer, the value). The values are read from a Trace
(the core's one forward and backward pass): nothing here computes the maths a second time.
The matrix-based version takes the same steps on all m columns at once (Z^l, A^l, Δ^l).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np

from .checks import check_index, require_finite_number, require_int

if TYPE_CHECKING:
    from .trace import Trace

#: The five lines of the algorithm for one example, as the chapter writes them.
LINES = {
    1: "Input x: set the corresponding activation a^1 for the input layer.",
    2: "Feedforward: for each l = 2, 3, …, L compute z^l = w^l a^(l−1) + b^l and a^l = σ(z^l).",
    3: "Output error δ^L: compute the vector δ^L = ∇_a C ⊙ σ'(z^L) (BP1).",
    4: "Backpropagate the error: for each l = L−1, L−2, …, 2 compute "
    "δ^l = ((w^(l+1))^T δ^(l+1)) ⊙ σ'(z^l) (BP2).",
    5: "Output: the gradient of the cost is given by ∂C/∂w^l_jk = a^(l−1)_k δ^l_j (BP4) "
    "and ∂C/∂b^l_j = δ^l_j (BP3).",
}

#: The three lines of the mini-batch version.
MINI_BATCH_LINES = {
    1: "Input a set of m training examples.",
    2: "For each training example x: set a^(x,1) and perform the steps above "
    "(feedforward, output error δ^(x,L), backpropagate δ^(x,l)).",
    3: "Gradient descent: for each l = L, L−1, …, 2 update w^l → w^l − η/m Σ_x δ^(x,l) (a^(x,l−1))^T "
    "and b^l → b^l − η/m Σ_x δ^(x,l).",
}

#: Which line each kind of step belongs to.
KIND_LINES = {"input": 1, "feedforward": 2, "output_error": 3, "backpropagate": 4, "gradient": 5}

_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")

# The book's names of what the steps compute, for one example and for the matrix version.
_NAMES = {
    "a": ("a^{l}", "A^{l}"),
    "z": ("z^{l}", "Z^{l}"),
    "delta": ("δ^{l}", "Δ^{l}"),
    "nabla_w": ("∂C/∂w^{l}", "Σ_x ∂C_x/∂w^{l}"),
    "nabla_b": ("∂C/∂b^{l}", "Σ_x ∂C_x/∂b^{l}"),
    "cost_gradient": ("∇_a C", "∇_A C"),
    "sigma_prime": ("σ'(z^{l})", "σ'(Z^{l})"),
    "wT_delta": ("(w^{n})^T δ^{n}", "(W^{n})^T Δ^{n}"),
    "w": ("w^{l}", "w^{l}"),
    "b": ("b^{l}", "b^{l}"),
}


def array_name(key: str, layer: int, matrix: bool = False) -> str:
    """The book's name of an array: 'δ^3', 'Z^2', 'Σ_x ∂C_x/∂w^3', '(w^4)^T δ^4' …"""
    if key not in _NAMES:
        raise KeyError(f"key: unknown array {key!r}; known: {', '.join(_NAMES)}")
    return _NAMES[key][bool(matrix)].format(l=layer, n=layer + 1)


@dataclass(frozen=True)
class Array:
    """One array of a step: ``key`` ("z", "a", "delta", "nabla_w", "nabla_b", or an
    intermediate "cost_gradient", "sigma_prime", "wT_delta"), the book's ``layer`` l, its
    ``name`` in the book's notation and its ``value`` (read-only).

    For one example vectors are 1-D (n_l,) and ∂C/∂w^l is (n_l, n_(l−1)); in the matrix
    version every array has one column per example, except the sums over x.
    """

    key: str
    layer: int
    name: str
    value: np.ndarray


@dataclass(frozen=True)
class Step:
    """One step of the algorithm, for one layer.

    ``number`` is its place in the run (1 … 3L − 2); ``line`` the algorithm's line (1 … 5,
    ``LINES``); ``kind`` one of "input", "feedforward", "output_error", "backpropagate",
    "gradient" (or "gradient_descent" for the mini-batch update, line 3 of
    ``MINI_BATCH_LINES``); ``computes`` the (key, l) pairs it computes; ``arrays`` their
    values (empty in ``algorithm_steps``, which only lays the steps out); ``uses`` the
    intermediate products on the way (∇_a C and σ'(z^L) for BP1; (w^(l+1))^T δ^(l+1) and
    σ'(z^l) for BP2).
    """

    number: int
    line: int
    kind: str
    layer: int
    computes: tuple[tuple[str, int], ...]
    arrays: tuple[Array, ...] = ()
    uses: tuple[Array, ...] = ()

    @property
    def text(self) -> str:
        """The algorithm's line this step belongs to, in words."""
        if self.kind == "gradient_descent":
            return MINI_BATCH_LINES[3]
        return LINES[self.line]

    @property
    def title(self) -> str:
        """A short title: 'feedforward, l = 3', 'output error δ⁴ (BP1)' …"""
        l = self.layer
        return {
            "input": "input: a¹ = x",
            "feedforward": f"feedforward, l = {l}",
            "output_error": f"output error δ{str(l).translate(_SUPERSCRIPTS)} (BP1)",
            "backpropagate": f"backpropagate, l = {l} (BP2)",
            "gradient": f"gradient of layer {l} (BP3, BP4)",
            "gradient_descent": f"gradient descent, l = {l}",
        }[self.kind]

    def value(self, key: str) -> np.ndarray:
        """The value of one of this step's arrays (what it computes or uses), by key."""
        for arr in self.arrays + self.uses:
            if arr.key == key:
                return arr.value
        known = ", ".join(a.key for a in self.arrays + self.uses) or "none (a step without values)"
        raise KeyError(f"key: step {self.number} ({self.title}) has no array {key!r}; it has {known}")


def _layout(L: int) -> list[tuple[str, int]]:
    """(kind, l) of each step, in order, for a network of L layers."""
    steps = [("input", 1)]
    steps += [("feedforward", l) for l in range(2, L + 1)]
    steps.append(("output_error", L))
    steps += [("backpropagate", l) for l in range(L - 1, 1, -1)]
    steps += [("gradient", l) for l in range(L, 1, -1)]
    return steps


def _computes(kind: str, l: int) -> tuple[tuple[str, int], ...]:
    return {
        "input": (("a", 1),),
        "feedforward": (("z", l), ("a", l)),
        "output_error": (("delta", l),),
        "backpropagate": (("delta", l),),
        "gradient": (("nabla_w", l), ("nabla_b", l)),
    }[kind]


def algorithm_steps(L: int) -> tuple[Step, ...]:
    """The algorithm's 3L − 2 steps for a network of L layers, without values."""
    L = require_int(L, "L")
    if L < 2:
        raise ValueError(f"L: a network has at least 2 layers (input and output), got {L}")
    return tuple(
        Step(n, KIND_LINES[kind], kind, l, _computes(kind, l))
        for n, (kind, l) in enumerate(_layout(L), start=1)
    )


def known_after(steps: Sequence[Step], done: int) -> set[tuple[str, int]]:
    """The (key, l) pairs the first ``done`` steps have computed."""
    return {key for step in steps[:done] for key in step.computes}


def values_after(steps: Sequence[Step], done: int) -> dict[tuple[str, int], np.ndarray]:
    """{(key, l): value} of what the first ``done`` steps have computed (steps with values)."""
    return {(a.key, a.layer): a.value for step in steps[:done] for a in step.arrays}


def _read_only(value) -> np.ndarray:
    arr = np.array(value, dtype=float, copy=True)
    arr.flags.writeable = False
    return arr


def _steps_from(trace: "Trace", matrix: bool) -> tuple[Step, ...]:
    """The steps with the trace's values: all columns (matrix=True), or its one example's vectors."""
    m = trace.n_examples

    def value(key: str, l: int) -> np.ndarray:
        if key in ("nabla_w", "nabla_b"):
            # The trace keeps the batch mean (1/m) Σ_x; the matrix version's product is the sum.
            v = np.asarray((trace.nabla_w if key == "nabla_w" else trace.nabla_b)[l])
            v = v * m if matrix else v
        elif key == "cost_gradient":
            v = trace.cost_gradient
        elif key == "wT_delta":
            # BP2's product before the Hadamard factor: not kept in the trace, so formed here.
            v = np.asarray(trace.weights[l + 1]).T @ np.asarray(trace.delta[l + 1])
        else:
            v = {"a": trace.a, "z": trace.z, "delta": trace.delta, "sigma_prime": trace.sigma_prime}[key][l]
        v = np.asarray(v)
        if key == "nabla_w":
            return v  # (n_l, n_(l−1)) in both forms
        if matrix:
            return v.ravel() if key == "nabla_b" else v  # Σ_x ∂C_x/∂b^l is one vector
        return v[:, 0]  # one example: vectors are 1-D

    def arrays(pairs) -> tuple[Array, ...]:
        return tuple(Array(k, l, array_name(k, l, matrix), _read_only(value(k, l))) for k, l in pairs)

    out = []
    for step in algorithm_steps(trace.L):
        l = step.layer
        uses = {"output_error": (("cost_gradient", l), ("sigma_prime", l)),
                "backpropagate": (("wT_delta", l), ("sigma_prime", l))}.get(step.kind, ())
        out.append(Step(step.number, step.line, step.kind, l, step.computes,
                        arrays(step.computes), arrays(uses)))
    return tuple(out)


def example_steps(trace: "Trace", example: int = 0) -> tuple[Step, ...]:
    """The algorithm's steps for one example of the trace, each with that example's values.

    Vectors are 1-D; ∂C/∂w^l is that example's own ∂C_x/∂w^l = δ^(x,l) (a^(x,l−1))^T (BP4),
    and ∂C/∂b^l its δ^(x,l) (BP3), even when the trace is of a batch.
    """
    i = check_index(example, trace.n_examples, "example", "this trace")
    one = trace if trace.n_examples == 1 else trace.example(i)
    return _steps_from(one, matrix=False)


def matrix_steps(trace: "Trace") -> tuple[Step, ...]:
    """The same steps in the fully matrix-based form, all m examples at once.

    Z^l, A^l, Δ^l, ∇_A C and σ'(Z^l) have one column per example; the gradient step gives the
    sums Σ_x ∂C_x/∂w^l = Δ^l (A^(l−1))^T (the sum over x happens inside the product) and
    Σ_x ∂C_x/∂b^l (the row sums of Δ^l, 1-D): m times the trace's batch means.
    """
    return _steps_from(trace, matrix=True)


def _sums(traces: Sequence["Trace"], layers: range, sizes) -> tuple[dict, dict]:
    sw = {l: np.zeros((sizes[l - 1], sizes[l - 2])) for l in layers}
    sb = {l: np.zeros(sizes[l - 1]) for l in layers}
    for t in traces:
        for l in layers:
            # each trace is one example: its nabla_w is ∂C_x/∂w^l itself (BP4), nabla_b δ^x (BP3)
            sw[l] = sw[l] + np.asarray(t.nabla_w[l])
            sb[l] = sb[l] + np.asarray(t.nabla_b[l])[:, 0]
    return sw, sb


class MiniBatch:
    """A mini-batch of m examples two ways: the chapter's loop and the matrix-based version.

    ``matrix`` is the Trace of all m columns at once; ``examples[i]`` the Trace of example i
    computed alone, as the loop does. ``loop_steps(i)`` and ``matrix_steps()`` are their
    steps; ``loop_sums(n)`` the loop's running Σ_x ∂C_x/∂w^l, Σ_x ∂C_x/∂b^l over its first n
    examples, ``matrix_sums()`` the same sums from the matrix version; ``gradient_descent(η)``
    the final update, one step per layer l = L … 2.
    """

    def __init__(self, matrix: "Trace", examples: Sequence["Trace"]):
        examples = tuple(examples)
        if len(examples) != matrix.n_examples:
            raise ValueError(
                f"examples: expected one trace per column of the matrix trace "
                f"({matrix.n_examples}), got {len(examples)}"
            )
        for i, t in enumerate(examples):
            if t.sizes != matrix.sizes or t.n_examples != 1:
                raise ValueError(
                    f"examples[{i}]: expected a trace of one example of a {list(matrix.sizes)} "
                    f"network, got {t.n_examples} example(s) of {list(t.sizes)}"
                )
        self.matrix = matrix
        self.examples = examples
        self.steps = algorithm_steps(matrix.L)
        self._matrix_steps: tuple[Step, ...] | None = None
        self._loop_steps: dict[int, tuple[Step, ...]] = {}

    @classmethod
    def compute(cls, net, x, y) -> "MiniBatch":
        """Both versions from the network's own trace: once for all columns, once per column."""
        X, Y = net.prepare_examples(x, y)
        if Y is None:
            raise ValueError("y: a mini-batch needs its targets")
        return cls(net.trace(X, Y), [net.trace(X[:, [i]], Y[:, [i]]) for i in range(X.shape[1])])

    @property
    def m(self) -> int:
        """How many examples the mini-batch has."""
        return self.matrix.n_examples

    @property
    def layers(self) -> range:
        return self.matrix.layers

    def loop_steps(self, i: int) -> tuple[Step, ...]:
        """The steps of the loop for example i (0-based), with that example's values."""
        i = check_index(i, self.m, "i", f"this mini-batch of {self.m}")
        if i not in self._loop_steps:
            self._loop_steps[i] = example_steps(self.examples[i])
        return self._loop_steps[i]

    def matrix_steps(self) -> tuple[Step, ...]:
        """The steps of the matrix version, each on all m columns."""
        if self._matrix_steps is None:
            self._matrix_steps = matrix_steps(self.matrix)
        return self._matrix_steps

    def loop_sums(self, finished: int | None = None) -> tuple[dict, dict]:
        """({l: Σ_x ∂C_x/∂w^l}, {l: Σ_x ∂C_x/∂b^l}) over the first ``finished`` examples (all if None)."""
        n = self.m if finished is None else require_int(finished, "finished")
        if not 0 <= n <= self.m:
            raise IndexError(f"finished: {n} is out of range; this mini-batch has 0..{self.m} examples")
        return _sums(self.examples[:n], self.layers, self.matrix.sizes)

    def matrix_sums(self) -> tuple[dict, dict]:
        """The same sums from the matrix version's last L − 1 steps."""
        steps = self.matrix_steps()
        gradient = [s for s in steps if s.kind == "gradient"]
        return ({s.layer: s.value("nabla_w") for s in gradient},
                {s.layer: s.value("nabla_b") for s in gradient})

    def gradient_descent(self, eta: float) -> tuple[Step, ...]:
        """The update of the mini-batch version, for l = L … 2: new w^l and b^l (b as a column).

        w^l → w^l − η/m Σ_x δ^(x,l) (a^(x,l−1))^T and b^l → b^l − η/m Σ_x δ^(x,l), with the sums
        of the matrix version and the parameters the trace was computed from.
        """
        eta = require_finite_number(eta, "eta")
        if eta <= 0:
            raise ValueError(f"eta: the learning rate must be > 0, got {eta}")
        sw, sb = self.matrix_sums()
        t, m = self.matrix, self.m
        out = []
        for n, l in enumerate(range(t.L, 1, -1), start=1):
            w = np.asarray(t.weights[l]) - (eta / m) * sw[l]
            b = np.asarray(t.biases[l]) - (eta / m) * sb[l][:, None]
            out.append(Step(
                n, 3, "gradient_descent", l, (("w", l), ("b", l)),
                (Array("w", l, array_name("w", l), _read_only(w)),
                 Array("b", l, array_name("b", l), _read_only(b))),
            ))
        return tuple(out)


__all__ = [
    "Array",
    "KIND_LINES",
    "LINES",
    "MINI_BATCH_LINES",
    "MiniBatch",
    "Step",
    "algorithm_steps",
    "array_name",
    "example_steps",
    "known_after",
    "matrix_steps",
    "values_after",
]
