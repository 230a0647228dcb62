"""The common wrong answers, each named, with a hint that points at the book's equation.

A mistake is recognised by computing, for the failing case, the answer the mistake would
give, and comparing it with the student's. The wrong answers are computed here, from the
case's inputs, by small formulas of our own (never by the student's code).

Hints name the equation to reread (BP1–BP4, eq. 26, 28, 30 ...) and what to look at; they
do not give the line to write.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Callable, Iterator

import numpy as np

from explorer.core import get_activation

from .cases import MODIFIED_F, SIGMOID, Case

LINEAR = get_activation("linear")


@dataclass(frozen=True)
class Mistake:
    """A named wrong answer: ``name`` (e.g. "w_not_transposed"), ``title`` in a few plain
    words, ``hint`` pointing at the equation."""

    name: str
    title: str
    hint: str


_ALL = [
    Mistake(
        "w_not_transposed", "w^(l+1) where its transpose belongs",
        "Reread BP2: the errors of layer l+1 travel back through the weights of layer l+1 "
        "turned around. w^(l+1) has one row per neuron of layer l+1; ask which of w^(l+1) and "
        "(w^(l+1))^T turns n_(l+1) errors into n_l values (eq. 40–45 show why).",
    ),
    Mistake(
        "matrix_not_hadamard", "a matrix product where the Hadamard product belongs",
        "The σ'(z) factor in BP1 and BP2 scales each neuron by its own slope: an "
        "element-by-element (Hadamard) product ⊙, as in eq. 28. In numpy `@` and np.dot are "
        "matrix products; the element-wise product is another operator.",
    ),
    Mistake(
        "forgot_sigma_prime", "σ'(z) left out",
        "δ is the rate of change of the cost with the weighted input z (eq. 29), so the chain "
        "rule passes through a = σ(z) once more: reread the last factor of BP1 and of BP2.",
    ),
    Mistake(
        "sigma_not_sigma_prime", "σ(z) where σ'(z) belongs",
        "BP1 and BP2 need the slope of the activation, σ'(z), not its value σ(z): look at "
        "which of the two functions you called (the argument sigma_prime is the slope).",
    ),
    Mistake(
        "wrong_sign", "the sign is reversed",
        "Every value has the right size and the wrong sign. For the quadratic cost the "
        "output's gradient is a^L minus y (eq. 30); check the order of a subtraction, or a "
        "minus sign that does not belong.",
    ),
    Mistake(
        "forgot_weights", "w^(l+1) left out of BP2",
        "In BP2 the error δ^(l+1) reaches layer l only through the weights w^(l+1) that "
        "connect the two layers; reread BP2 and count its factors.",
    ),
    Mistake(
        "sum_not_average", "a sum over the batch where the average belongs",
        "Your values are m times too large: they add up the examples' gradients. The cost is "
        "the mean of the examples' costs (eq. 26), so its gradient is the mean of theirs.",
    ),
    Mistake(
        "averaged_twice", "divided by the batch size once too often",
        "Your values are m times too small. The mean over the m examples divides by m once "
        "(eq. 26); look for a second division.",
    ),
    Mistake(
        "averaged_too_early", "the examples averaged before they were multiplied",
        "∂C/∂w for a batch is the mean, over the examples, of each example's own product of "
        "a^(l−1) and δ^l (BP4 per example, then eq. 26's mean): a mean of products, not a "
        "product of means.",
    ),
    Mistake(
        "per_example_not_average", "one column per example where their mean belongs",
        "You returned a gradient for every example. The cost of a batch is their mean "
        "(eq. 26), so BP3 for a batch asks for one column, the mean of the examples' δ^l.",
    ),
    Mistake(
        "mean_over_neurons", "the mean taken across the neurons instead of the examples",
        "Rows are neurons and columns are examples. BP3 keeps one value per neuron j "
        "(∂C/∂b^l_j = δ^l_j) and averages over the examples: check the axis of your mean.",
    ),
    Mistake(
        "first_example_only", "only the first example used",
        "Your answer is the first example's gradient alone; a batch's gradient is the mean "
        "over all of its examples (eq. 26 with BP4).",
    ),
    Mistake(
        "transposed", "the transpose of ∂C/∂w^l",
        "∂C/∂w^l has the shape of w^l: row j for neuron j of layer l, column k for neuron k "
        "of layer l−1, and BP4 says entry (j, k) is a^(l−1)_k δ^l_j. Your answer has rows and "
        "columns the other way round.",
    ),
    Mistake(
        "a_l_not_a_prev", "a^l where a^(l−1) belongs in BP4",
        "BP4 pairs the error δ^l_j of neuron j with the activation a^(l−1)_k feeding into it "
        "from the layer before; your answer used the activations of layer l itself.",
    ),
    Mistake(
        "sigma_prime_wrong_layer", "σ'(z) of the neighbouring layer in BP2",
        "In BP2 the factor σ'(z^l) belongs to the layer whose error δ^l you are computing; "
        "your answer took the slope of the next layer's weighted input instead.",
    ),
    Mistake(
        "layer_off_by_one", "gradients filed under the neighbouring layer",
        "The layers with weights are l = 2 … L. In network.py's lists index 0 is layer 2; a "
        "dict is keyed by the book's l. Your gradients are shifted by one layer.",
    ),
    Mistake(
        "reversed_layers", "the layers in reverse order",
        "The backward pass finds δ^L first and δ^2 last, but the lists you return run from "
        "layer 2 to layer L, as network.py's weights do.",
    ),
    Mistake(
        "swapped_return", "(nabla_w, nabla_b) returned where (nabla_b, nabla_w) belongs",
        "Return the biases' gradient first, as network.py's backprop does: (nabla_b, nabla_w).",
    ),
    Mistake(
        "not_a_column", "a 1-D array where a column belongs",
        "In the book's convention an example is a column (eq. 25 multiplies w^l by the "
        "column a^(l−1)): δ^l and ∂C/∂b^l have shape (n_l, 1) for one example. A 1-D array broadcasts against a column into a square "
        "table without a warning, so return the column shape.",
    ),
    Mistake(
        "ignored_modified_neuron", "σ' used for the modified neuron too",
        "Neuron j computes f(z), not σ(z), so in BP2 its own slope is f'(z^l_j): only that "
        "one factor changes (the chapter's exercise on a single modified neuron).",
    ),
    Mistake(
        "modified_all_neurons", "f' used for every neuron",
        "Only neuron j is modified; the other neurons of layer l are still sigmoids and keep "
        "σ'(z) in BP2.",
    ),
    Mistake(
        "wrong_neuron_modified", "f' given to the neighbouring neuron",
        "j is a numpy row index, counting from 0 like the arrays (the book's neuron j + 1): "
        "check which row of the BP2 factor receives f'(z).",
    ),
    Mistake(
        "kept_sigmoid", "the sigmoid network's gradients",
        "Here every neuron is linear: σ(z) = z, so a^l = z^l and σ'(z) = 1. Your answer is "
        "the sigmoid network's; both the forward pass (eq. 25) and BP1, BP2 change.",
    ),
    Mistake(
        "kept_sigma_prime", "the sigmoid's σ'(z) kept for linear neurons",
        "For σ(z) = z the slope σ'(z) is 1 everywhere, so BP1 and BP2 lose that factor; "
        "your answer still multiplies by the sigmoid's slope.",
    ),
]

MISTAKES = MappingProxyType({m.name: m for m in _ALL})
"""name → Mistake: every wrong answer the checker knows."""


# ------------------------------------------------------------------ wrong answers
def _variant_backprop(weights, biases, X, Y, *, act=SIGMOID, prime=None, transpose=True,
                      sp_out=True, sp_hidden=True, sign=1.0, prev_offset=1, mean="after",
                      sp_offset=0):
    """A backprop with one mistake switched on: dicts (nabla_b, nabla_w) keyed by l."""
    prime = act.prime if prime is None else prime
    L = len(weights) + 1
    W = {l: weights[l - 2] for l in range(2, L + 1)}
    B = {l: biases[l - 2] for l in range(2, L + 1)}
    a, z = {1: np.asarray(X, dtype=float)}, {}
    for l in range(2, L + 1):
        z[l] = W[l] @ a[l - 1] + B[l]
        a[l] = act(z[l])
    m = a[1].shape[1]
    delta = {L: sign * (a[L] - Y) * (prime(z[L]) if sp_out else 1.0)}
    for l in range(L - 1, 1, -1):
        back = (W[l + 1].T if transpose else W[l + 1]) @ delta[l + 1]
        delta[l] = back * (prime(z[l + sp_offset]) if sp_hidden else 1.0)
    nb, nw = {}, {}
    for l in range(2, L + 1):
        d, prev = delta[l], a[l - prev_offset]
        if mean == "per example":
            nb[l] = d
            nw[l] = (d @ prev.T) / m
            continue
        if mean == "early":
            nb[l] = d.mean(axis=1, keepdims=True)
            nw[l] = nb[l] @ prev.mean(axis=1, keepdims=True).T
            continue
        scale = {"after": 1.0 / m, "sum": 1.0, "twice": 1.0 / m**2}[mean]
        nb[l] = d.sum(axis=1, keepdims=True) * scale
        nw[l] = (d @ prev.T) * scale
    return nb, nw


def _whole_network(case: Case) -> Iterator[tuple[str, object]]:
    inp = case.inputs
    X = inp.get("X", inp.get("x"))
    Y = inp.get("Y", inp.get("y"))
    args = (inp["weights"], inp["biases"], X, Y)
    act = LINEAR if case.exercise == "linear_neurons" else SIGMOID
    run = lambda **kw: _variant_backprop(*args, act=act, **kw)  # noqa: E731
    if case.exercise == "linear_neurons":
        yield "kept_sigmoid", lambda: _variant_backprop(*args, act=SIGMOID)
        yield "kept_sigma_prime", lambda: run(prime=SIGMOID.prime)
    else:
        yield "forgot_sigma_prime", lambda: run(sp_out=False, sp_hidden=False)
        yield "forgot_sigma_prime", lambda: run(sp_out=False)
        yield "forgot_sigma_prime", lambda: run(sp_hidden=False)
        yield "sigma_not_sigma_prime", lambda: run(prime=act)
    yield "wrong_sign", lambda: run(sign=-1.0)
    yield "w_not_transposed", lambda: run(transpose=False)
    yield "a_l_not_a_prev", lambda: run(prev_offset=0)
    yield "sigma_prime_wrong_layer", lambda: run(sp_offset=1)
    if case.exercise == "matrix_backprop":
        yield "sum_not_average", lambda: run(mean="sum")
        yield "averaged_twice", lambda: run(mean="twice")
        yield "averaged_too_early", lambda: run(mean="early")
        yield "per_example_not_average", lambda: run(mean="per example")


def _hadamard_as_matrix(u, s):
    # The matrix products a student may write in place of u ⊙ s.
    yield lambda: u @ s.T
    yield lambda: s @ u.T
    yield lambda: u @ s
    yield lambda: s @ u
    yield lambda: u.T @ s
    yield lambda: np.dot(s.T, u)


def _layer_answers(case: Case) -> Iterator[tuple[str, object]]:
    inp, ex = case.inputs, case.exercise
    if ex == "BP1":
        g, z, sp = inp["nabla_a"], inp["z"], SIGMOID.prime
        yield "forgot_sigma_prime", lambda: g
        yield "sigma_not_sigma_prime", lambda: g * SIGMOID(z)
        yield "wrong_sign", lambda: -g * sp(z)
        for f in _hadamard_as_matrix(g, sp(z)):
            yield "matrix_not_hadamard", f
    elif ex in ("BP2", "modified_neuron"):
        w, d, z = inp["w_next"], inp["delta_next"], inp["z"]
        slope = SIGMOID.prime(z)
        if ex == "modified_neuron":
            j = inp["j"]
            right = slope.copy()
            right[j] = MODIFIED_F.prime(z[j])
            yield "ignored_modified_neuron", lambda: (w.T @ d) * slope
            yield "modified_all_neurons", lambda: (w.T @ d) * MODIFIED_F.prime(z)
            n = z.shape[0]
            # j − 1 wraps round as numpy's own indexing does (row −1 is the last row).
            for other in {(j - 1) % n, j + 1}:
                if other != j and other < n:
                    shifted = slope.copy()
                    shifted[other] = MODIFIED_F.prime(z[other])
                    yield "wrong_neuron_modified", lambda s=shifted: (w.T @ d) * s
            slope = right
        else:
            yield "sigma_not_sigma_prime", lambda: (w.T @ d) * SIGMOID(z)
        yield "w_not_transposed", lambda: (w @ d) * slope
        yield "forgot_sigma_prime", lambda: w.T @ d
        yield "wrong_sign", lambda: -(w.T @ d) * slope
        yield "forgot_weights", lambda: d * slope
        for f in _hadamard_as_matrix(w.T @ d, slope):
            yield "matrix_not_hadamard", f
    elif ex == "BP3":
        d = inp["delta"]
        m = d.shape[1]
        yield "sum_not_average", lambda: d.sum(axis=1, keepdims=True)
        yield "averaged_twice", lambda: d.mean(axis=1, keepdims=True) / m
        yield "per_example_not_average", lambda: d
        yield "mean_over_neurons", lambda: d.mean(axis=0, keepdims=True)
        yield "mean_over_neurons", lambda: d.mean(axis=0)
        yield "first_example_only", lambda: d[:, :1]
    elif ex == "BP4":
        a, d = inp["a_prev"], inp["delta"]
        m = d.shape[1]
        yield "transposed", lambda: (a @ d.T) / m
        yield "sum_not_average", lambda: d @ a.T
        yield "averaged_twice", lambda: (d @ a.T) / m**2
        yield "averaged_too_early", lambda: d.mean(axis=1, keepdims=True) @ a.mean(axis=1, keepdims=True).T
        yield "first_example_only", lambda: d[:, :1] @ a[:, :1].T
    yield "not_a_column", lambda: np.asarray(case.expected).ravel()


def wrong_answers(case: Case) -> Iterator[tuple[str, object]]:
    """(mistake name, the answer that mistake gives) for this case, those that compute.

    Arrays for the layer exercises; ``(nabla_b, nabla_w)`` as dicts keyed by l for the
    whole-network ones. A mistake that cannot even compute on this case (a transpose
    forgotten between layers of different sizes) is left out: the student's code then
    raised, and the checker takes a second look on a square case.
    """
    source: Callable = _whole_network if case.exercise in (
        "backprop", "matrix_backprop", "linear_neurons") else _layer_answers
    with np.errstate(all="ignore"):
        for name, compute in source(case):
            try:
                answer = compute()
            except (ValueError, IndexError):
                continue
            yield name, answer
