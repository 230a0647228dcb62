"""The exercise checker: right answers pass, known wrong answers are named, bad returns told.

Every implementation here is written for the test, by loops over neurons and examples where
that is clearest, independently of the core; the expected numbers of a case are checked
against finite differences of a cost computed here (eq. 46), not against the core.
"""

from __future__ import annotations

import math
import re
import threading
import time

import numpy as np
import pytest

from explorer.exercises import EXERCISES, KINDS, MISTAKES, Exercise, check, make_case


# ------------------------------------------------------------------ our own building blocks
def sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def sig_prime(z):
    return sig(z) * (1.0 - sig(z))


def bp1(nabla_a, z, sigma_prime):
    out = np.empty_like(z)
    for j in range(z.shape[0]):
        for x in range(z.shape[1]):
            out[j, x] = nabla_a[j, x] * sigma_prime(z[j, x])
    return out


def bp2(w_next, delta_next, z, sigma_prime):
    n, m = z.shape
    out = np.zeros((n, m))
    for x in range(m):
        for j in range(n):
            total = sum(w_next[k, j] * delta_next[k, x] for k in range(w_next.shape[0]))
            out[j, x] = total * sigma_prime(z[j, x])
    return out


def bp3(delta):
    return np.array([[np.mean(row)] for row in delta])


def bp4(a_prev, delta):
    m = delta.shape[1]
    out = np.zeros((delta.shape[0], a_prev.shape[0]))
    for x in range(m):
        for j in range(delta.shape[0]):
            for k in range(a_prev.shape[0]):
                out[j, k] += a_prev[k, x] * delta[j, x] / m
    return out


def forward(weights, biases, x, act=sig):
    zs, acts = [], [x]
    for w, b in zip(weights, biases):
        zs.append(w @ acts[-1] + b)
        acts.append(act(zs[-1]))
    return zs, acts


def backprop(weights, biases, x, y, act=sig, act_prime=sig_prime):
    """network.py's algorithm, written again: lists, index 0 = layer 2; the batch mean."""
    zs, acts = forward(weights, biases, x, act)
    m = x.shape[1]
    n = len(weights)
    nabla_b, nabla_w = [None] * n, [None] * n
    delta = (acts[-1] - y) * act_prime(zs[-1])
    for i in range(n - 1, -1, -1):
        if i < n - 1:
            delta = (weights[i + 1].T @ delta) * act_prime(zs[i])
        nabla_b[i] = delta.sum(axis=1, keepdims=True) / m
        nabla_w[i] = delta @ acts[i].T / m
    return nabla_b, nabla_w


def backprop_dicts(weights, biases, x, y):
    nb, nw = backprop(weights, biases, x, y)
    return {i + 2: b for i, b in enumerate(nb)}, {i + 2: w for i, w in enumerate(nw)}


def modified_neuron_bp2(w_next, delta_next, z, sigma_prime, f_prime, j):
    slope = sigma_prime(z)
    slope[j] = f_prime(z[j])
    return (w_next.T @ delta_next) * slope


def linear_backprop(weights, biases, x, y):
    return backprop(weights, biases, x, y, lambda z: z, np.ones_like)


RIGHT = {
    "BP1": bp1, "BP2": bp2, "BP3": bp3, "BP4": bp4, "backprop": backprop,
    "matrix_backprop": backprop, "modified_neuron": modified_neuron_bp2,
    "linear_neurons": linear_backprop,
}


# ------------------------------------------------------------------ the catalogue
def test_the_exercises_in_the_chapters_order_with_their_fields():
    # The two exercises of the algorithm's section come before the matrix-based problem.
    assert list(EXERCISES) == ["BP1", "BP2", "BP3", "BP4", "backprop", "modified_neuron",
                               "linear_neurons", "matrix_backprop"]
    for name, ex in EXERCISES.items():
        assert isinstance(ex, Exercise) and ex.name == name
        assert ex.signature.startswith(ex.function_name + "(")
        assert ", ".join(ex.arguments) in ex.signature
        assert ex.task_latex and ex.task_text and ex.title and ex.equation
    assert EXERCISES["BP2"].signature == "bp2(w_next, delta_next, z, sigma_prime) -> delta"
    assert "(w^{l+1})^T" in EXERCISES["BP2"].task_latex


@pytest.mark.parametrize("name", list(RIGHT))
def test_a_right_implementation_passes(name):
    verdict = check(name, RIGHT[name], trials=12)
    assert verdict.ok, verdict.message
    assert verdict.passed == verdict.trials == 12
    assert verdict.message == f"All 12 cases agree with {EXERCISES[name].equation}."
    assert verdict.mistake is None and verdict.case is None and verdict.wrong == ()


def test_backprop_may_return_dicts_keyed_by_the_books_l():
    assert check("backprop", backprop_dicts, trials=8).ok
    assert check("matrix_backprop", backprop_dicts, trials=8).ok


def test_the_layers_may_be_given_as_dicts_keyed_by_l():
    def backprop_by_l(weights, biases, x, y):
        assert sorted(weights) == sorted(biases) == list(range(2, len(weights) + 2))
        L = len(weights) + 1
        z, a = {}, {1: x}
        for l in range(2, L + 1):
            z[l] = weights[l] @ a[l - 1] + biases[l]
            a[l] = sig(z[l])
        delta = {L: (a[L] - y) * sig_prime(z[L])}
        for l in range(L - 1, 1, -1):
            delta[l] = (weights[l + 1].T @ delta[l + 1]) * sig_prime(z[l])
        m = x.shape[1]
        return ({l: delta[l].mean(axis=1, keepdims=True) for l in delta},
                {l: delta[l] @ a[l - 1].T / m for l in delta})

    for name in ("backprop", "matrix_backprop"):
        assert check(name, backprop_by_l, trials=8, layers="dicts").ok
    assert not check("backprop", backprop_by_l, trials=2).ok  # lists by default
    with pytest.raises(ValueError, match="layers: expected 'lists' or 'dicts'"):
        check("backprop", backprop_by_l, layers="list")


def test_check_takes_an_exercise_too():
    assert check(EXERCISES["BP3"], bp3, trials=6).ok


# ------------------------------------------------------------------ the cases
def test_the_cases_cover_every_kind():
    kinds = {make_case("BP2", s).kind for s in range(len(KINDS))}
    assert kinds == set(KINDS)
    cases = [make_case("BP2", s) for s in range(12)]
    assert any(c.sizes[c.layer - 1] == 1 for c in cases)  # a single neuron
    assert any(c.m == 1 for c in cases) and any(c.m > 1 for c in cases)
    assert any(c.sizes[c.layer] != c.sizes[c.layer - 1] for c in cases)  # w^(l+1) not square
    assert any(len(set(c.sizes)) == 1 for c in cases)  # square
    saturated = [c for c in cases if c.kind == "saturated neurons"]
    assert saturated and all((np.abs(c.inputs["z"]) > 5).any() for c in saturated)


@pytest.mark.parametrize("name", ["backprop", "matrix_backprop", "linear_neurons"])
def test_a_cases_expected_gradient_agrees_with_finite_differences(name):
    # eq. 46, with the cost computed here: C = mean over examples of ½‖a^L − y‖² (eq. 26).
    linear = name == "linear_neurons"
    act = (lambda z: z) if linear else sig
    for seed in (0, 2, 5):
        case = make_case(name, seed)
        W = [np.array(w) for w in case.inputs["weights"]]
        B = [np.array(b) for b in case.inputs["biases"]]
        X = case.inputs.get("X", case.inputs.get("x"))
        Y = case.inputs.get("Y", case.inputs.get("y"))

        def cost():
            a = forward(W, B, X, act)[1][-1]
            return 0.5 * np.mean(np.sum((a - Y) ** 2, axis=0))

        exp_b, exp_w = case.expected
        eps = 1e-6
        for i in range(len(W)):
            for params, expected in ((W[i], exp_w[i]), (B[i], exp_b[i])):
                for index in np.ndindex(params.shape):
                    old = params[index]
                    params[index] = old + eps
                    up = cost()
                    params[index] = old - eps
                    down = cost()
                    params[index] = old
                    assert (up - down) / (2 * eps) == pytest.approx(
                        expected[index], rel=1e-4, abs=1e-8)


@pytest.mark.parametrize("name", ["BP1", "BP2", "modified_neuron", "BP3", "BP4"])
def test_a_layer_cases_expected_answer_agrees_with_finite_differences(name):
    # δ^l_j for example x is ∂C_x/∂z^l_j (eq. 29): nudge z^l_j, feed forward with the case's
    # own weights (σ, or tanh for the modified neuron), and take C_x = ½‖a^L − y‖² (eq. 27).
    for seed in range(6):
        case = make_case(name, seed)
        t = case.trace
        L = len(case.sizes)
        l = case.layer
        X, Y = np.array(t.a[1]), np.array(t.y)

        def act(k, z):
            out = sig(z)
            if case.modified is not None and case.modified[0] == k:
                out[case.modified[1]] = np.tanh(z[case.modified[1]])
            return out

        def cost_from(zl, k):
            a = act(k, zl)
            for n in range(k + 1, L + 1):
                a = act(n, t.weights[n] @ a + t.biases[n])
            return 0.5 * np.sum((a - Y) ** 2, axis=0)  # one C_x per example

        z = X
        for n in range(2, l + 1):
            zl = t.weights[n] @ z + t.biases[n]
            z = act(n, zl)
        eps = 1e-6
        delta = np.zeros_like(zl)
        for j in range(zl.shape[0]):
            up, down = zl.copy(), zl.copy()
            up[j] += eps
            down[j] -= eps
            delta[j] = (cost_from(up, l) - cost_from(down, l)) / (2 * eps)
        a_prev = X if l == 2 else act(l - 1, t.z[l - 1])
        expected = {"BP3": delta.mean(axis=1, keepdims=True),
                    "BP4": delta @ a_prev.T / delta.shape[1]}.get(name, delta)
        np.testing.assert_allclose(case.expected, expected, rtol=1e-5, atol=1e-9)


def test_a_verdicts_case_is_rebuilt_from_its_seed():
    def wrong(w_next, delta_next, z, sigma_prime):
        out = (w_next.T @ delta_next) * sigma_prime(z)
        return out if z.shape[1] == 1 else out * 2  # wrong only for a batch

    verdict = check("BP2", wrong, trials=12, seed=7)
    assert not verdict.ok
    case = verdict.case
    again = make_case("BP2", case.seed)
    assert again.sizes == case.sizes and again.layer == case.layer and again.kind == case.kind
    for key, value in case.inputs.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(again.inputs[key], value)
    np.testing.assert_array_equal(again.expected, case.expected)
    np.testing.assert_array_equal(wrong(*again.arguments()), case.got)
    assert case.m > 1 and verdict.passed == verdict.case.seed - 7
    assert case.trace.sizes == case.sizes


def test_the_student_gets_copies_and_cannot_spoil_the_expected_answer():
    def scribbles(delta):
        right = delta.mean(axis=1, keepdims=True)
        delta[...] = 1e6
        return right

    assert check("BP3", scribbles, trials=6).ok


# ------------------------------------------------------------------ differences
def test_differences_name_the_neurons_with_the_books_one_based_labels():
    def off_in_first_neuron(w_next, delta_next, z, sigma_prime):
        out = (w_next.T @ delta_next) * sigma_prime(z)
        out[0] += 1.0
        return out

    verdict = check("BP2", off_in_first_neuron, trials=5)
    assert not verdict.ok and verdict.mistake is None
    l = verdict.case.layer
    (diff,) = verdict.wrong
    assert (diff.kind, diff.layer, diff.j, diff.k) == ("neuron", l, 0, None)
    assert diff.label == f"δ^{l}_1"
    assert diff.got - diff.expected == pytest.approx(1.0)
    n = verdict.case.sizes[l - 1]
    assert f"δ^{l} differs in 1 of {n} neurons" in verdict.message
    assert verdict.message.startswith("Case 1 of 5 (different sizes): ")


def test_differences_name_the_weights_as_the_book_does():
    def off_at_j2_k3(a_prev, delta):
        out = delta @ a_prev.T / delta.shape[1]
        if out.shape[0] > 1 and out.shape[1] > 2:
            out[1, 2] -= 0.5
        return out

    verdict = check("BP4", off_at_j2_k3, trials=10)
    assert not verdict.ok
    (diff,) = verdict.wrong
    l = verdict.case.layer
    assert (diff.kind, diff.j, diff.k, diff.label) == ("weight", 1, 2, f"∂C/∂w^{l}_23")


def test_differences_of_a_whole_network_name_layers_weights_and_biases():
    def last_bias_off(weights, biases, x, y):
        nb, nw = backprop(weights, biases, x, y)
        nb[-1] = nb[-1] + 0.25
        return nb, nw

    verdict = check("backprop", last_bias_off, trials=4)
    L = len(verdict.case.sizes)
    assert {d.label for d in verdict.wrong} == {
        f"∂C/∂b^{L}_{j + 1}" for j in range(verdict.case.sizes[-1])}
    assert all(d.kind == "bias" and d.layer == L for d in verdict.wrong)
    assert "∂C/∂b differs in" in verdict.message and "∂C/∂w" not in verdict.message


# ------------------------------------------------------------------ named mistakes
def _bp2_like(slope_fn=None, transpose=True, sign=1.0, weights=True, hadamard=True):
    def fn(w_next, delta_next, z, sigma_prime):
        back = (w_next.T if transpose else w_next) @ delta_next if weights else delta_next
        slope = sigma_prime(z) if slope_fn is None else slope_fn(z)
        return sign * (back * slope if hadamard else back @ slope.T)
    return fn


def _backprop_like(transpose=True, sp_out=True, sp_hidden=True, sign=1.0, prev=1,
                   act=sig, act_prime=sig_prime, mean="after", sp_next=False):
    def fn(weights, biases, x, y):
        zs, acts = forward(weights, biases, x, act)
        m, n = x.shape[1], len(weights)
        nb, nw = [None] * n, [None] * n
        delta = sign * (acts[-1] - y) * (act_prime(zs[-1]) if sp_out else 1)
        for i in range(n - 1, -1, -1):
            if i < n - 1:
                back = (weights[i + 1].T if transpose else weights[i + 1]) @ delta
                delta = back * (act_prime(zs[i + sp_next]) if sp_hidden else 1)
            a = acts[i + 1 - prev]
            if mean == "per example":
                nb[i], nw[i] = delta, delta @ a.T / m
                continue
            if mean == "early":
                nb[i] = delta.mean(axis=1, keepdims=True)
                nw[i] = nb[i] @ a.mean(axis=1, keepdims=True).T
                continue
            div = {"after": m, "sum": 1, "twice": m * m}[mean]
            nb[i] = delta.sum(axis=1, keepdims=True) / div
            nw[i] = delta @ a.T / div
        return nb, nw
    return fn


def _linear(**kw):
    return _backprop_like(**{"act": lambda z: z, "act_prime": np.ones_like, **kw})


def _swapped(weights, biases, x, y):
    nb, nw = backprop(weights, biases, x, y)
    return nw, nb


def _reversed(weights, biases, x, y):
    nb, nw = backprop(weights, biases, x, y)
    return nb[::-1], nw[::-1]


def _shifted_list(weights, biases, x, y):
    nb, nw = backprop(weights, biases, x, y)
    return nb[1:] + nb[:1], nw[1:] + nw[:1]  # a negative index one off, as with nabla_w[-l+1]


def _keys_from_one(weights, biases, x, y):
    nb, nw = backprop(weights, biases, x, y)
    return dict(enumerate(nb, start=1)), dict(enumerate(nw, start=1))


def _modified(which):
    def fn(w_next, delta_next, z, sigma_prime, f_prime, j):
        slope = sigma_prime(z)
        if which == "none":
            pass
        elif which == "all":
            slope = f_prime(z)
        else:
            slope[j + which] = f_prime(z[j + which])
        return (w_next.T @ delta_next) * slope
    return fn


MISTAKEN = [
    ("BP1", "forgot_sigma_prime", lambda nabla_a, z, sigma_prime: nabla_a),
    ("BP1", "sigma_not_sigma_prime", lambda nabla_a, z, sigma_prime: nabla_a * sig(z)),
    ("BP1", "wrong_sign", lambda nabla_a, z, sigma_prime: -nabla_a * sigma_prime(z)),
    ("BP1", "matrix_not_hadamard", lambda nabla_a, z, sigma_prime: nabla_a @ sigma_prime(z).T),
    ("BP1", "not_a_column", lambda nabla_a, z, sigma_prime: (nabla_a * sigma_prime(z)).ravel()),
    ("BP2", "w_not_transposed", _bp2_like(transpose=False)),
    ("BP2", "forgot_sigma_prime", _bp2_like(slope_fn=lambda z: 1.0)),
    ("BP2", "sigma_not_sigma_prime", _bp2_like(slope_fn=sig)),
    ("BP2", "wrong_sign", _bp2_like(sign=-1.0)),
    ("BP2", "forgot_weights", _bp2_like(weights=False)),
    ("BP2", "matrix_not_hadamard", _bp2_like(hadamard=False)),
    ("BP2", "matrix_not_hadamard",  # raises unless as many examples as neurons
     lambda w_next, delta_next, z, sigma_prime: np.dot(w_next.T @ delta_next, sigma_prime(z))),
    ("BP1", "matrix_not_hadamard",
     lambda nabla_a, z, sigma_prime: np.dot(nabla_a, sigma_prime(z))),
    ("BP3", "sum_not_average", lambda delta: delta.sum(axis=1, keepdims=True)),
    ("BP3", "averaged_twice", lambda delta: delta.mean(axis=1, keepdims=True) / delta.shape[1]),
    ("BP3", "per_example_not_average", lambda delta: delta),
    ("BP3", "mean_over_neurons", lambda delta: delta.mean(axis=0)),
    ("BP3", "first_example_only", lambda delta: delta[:, :1]),
    ("BP3", "not_a_column", lambda delta: delta.mean(axis=1)),
    ("BP4", "transposed", lambda a_prev, delta: a_prev @ delta.T / delta.shape[1]),
    ("BP4", "sum_not_average", lambda a_prev, delta: delta @ a_prev.T),
    ("BP4", "averaged_twice", lambda a_prev, delta: delta @ a_prev.T / delta.shape[1] ** 2),
    ("BP4", "averaged_too_early",
     lambda a_prev, delta: np.outer(delta.mean(axis=1), a_prev.mean(axis=1))),
    ("BP4", "first_example_only", lambda a_prev, delta: np.outer(delta[:, 0], a_prev[:, 0])),
    ("backprop", "forgot_sigma_prime", _backprop_like(sp_out=False, sp_hidden=False)),
    ("backprop", "forgot_sigma_prime", _backprop_like(sp_out=False)),
    ("backprop", "sigma_not_sigma_prime", _backprop_like(act_prime=sig)),
    ("backprop", "wrong_sign", _backprop_like(sign=-1.0)),
    ("backprop", "w_not_transposed", _backprop_like(transpose=False)),
    ("backprop", "a_l_not_a_prev", _backprop_like(prev=0)),
    ("backprop", "sigma_prime_wrong_layer", _backprop_like(sp_next=True)),
    ("backprop", "swapped_return", _swapped),
    ("backprop", "reversed_layers", _reversed),
    ("backprop", "layer_off_by_one", _shifted_list),
    ("backprop", "layer_off_by_one", _keys_from_one),
    ("matrix_backprop", "sum_not_average", _backprop_like(mean="sum")),
    ("matrix_backprop", "averaged_twice", _backprop_like(mean="twice")),
    ("matrix_backprop", "averaged_too_early", _backprop_like(mean="early")),
    ("matrix_backprop", "per_example_not_average", _backprop_like(mean="per example")),
    ("matrix_backprop", "w_not_transposed", _backprop_like(transpose=False)),
    ("modified_neuron", "ignored_modified_neuron", _modified("none")),
    ("modified_neuron", "modified_all_neurons", _modified("all")),
    ("modified_neuron", "wrong_neuron_modified", _modified(-1)),
    ("linear_neurons", "kept_sigmoid", _backprop_like()),
    ("linear_neurons", "kept_sigma_prime", _linear(act_prime=sig_prime)),
    ("linear_neurons", "wrong_sign", _linear(sign=-1.0)),
    ("linear_neurons", "w_not_transposed", _linear(transpose=False)),
]


@pytest.mark.parametrize("name, mistake, fn", MISTAKEN,
                         ids=[f"{n}-{m}" for n, m, _ in MISTAKEN])
def test_a_known_mistake_is_named_with_its_hint(name, mistake, fn):
    verdict = check(name, fn, trials=12)
    assert not verdict.ok
    assert verdict.mistake == mistake, verdict.message
    assert verdict.hint == MISTAKES[mistake].hint
    assert MISTAKES[mistake].title in verdict.message
    assert verdict.case is not None and verdict.message.startswith(
        f"Case {verdict.passed + 1} of 12")


def test_every_mistake_is_tested_and_every_hint_points_at_the_book():
    assert {m for _, m, _ in MISTAKEN} == set(MISTAKES)
    for mistake in MISTAKES.values():
        assert re.search(r"BP[1-4]|eq\. \d+|network\.py|exercise|σ\(z\) = z", mistake.hint), \
            mistake.name


def test_an_unknown_wrong_answer_gets_no_name():
    verdict = check("BP3", lambda delta: delta.mean(axis=1, keepdims=True) + 0.1, trials=4)
    assert not verdict.ok and verdict.mistake is None and verdict.hint is None
    assert len(verdict.wrong) == verdict.case.sizes[verdict.case.layer - 1]


# ------------------------------------------------------------------ bad returns
def _message(name, fn, **kw):
    verdict = check(name, fn, trials=4, **kw)
    assert not verdict.ok and verdict.case is not None
    assert "Traceback" not in verdict.message
    return verdict


def test_an_exception_is_told_in_a_line_with_the_students_own_line():
    def bp3(delta):
        total = delta.sum(axis=1, keepdims=True)
        return total / "m"

    verdict = _message("BP3", bp3)
    assert "bp3 raised TypeError: ufunc 'divide' not supported" in verdict.message
    assert "(line 3 of bp3: return total / \"m\")" in verdict.message
    assert "The arguments had shapes: delta (" in verdict.message


def test_an_exception_in_a_helper_of_theirs_names_the_helper():
    def slope(z):
        return z.T @ "oops"

    def bp1(nabla_a, z, sigma_prime):
        return nabla_a * slope(z)

    verdict = _message("BP1", bp1)
    assert '(in slope: return z.T @ "oops")' in verdict.message


def test_the_empty_stub_is_told_as_such():
    def bp4(a_prev, delta):
        # your code here
        raise NotImplementedError

    verdict = _message("BP4", bp4)
    assert verdict.message == ("Case 1 of 4 (different sizes): bp4 raised NotImplementedError: "
                               "it is still the empty stub.")
    assert "NotImplementedError" in verdict.hint


def test_none_is_told_as_a_forgotten_return():
    def bp3(delta):
        delta.mean(axis=1, keepdims=True)

    verdict = _message("BP3", bp3)
    assert "bp3 returned None: did you forget `return`?" in verdict.message


@pytest.mark.parametrize("value, words", [
    ([1.0, 2.0], "bp1 returned a list of 2 item(s); expected a numpy array of shape"),
    ((np.zeros(1), np.zeros(1)), "bp1 returned a tuple of 2 item(s); expected a numpy array"),
    ("delta", "bp1 returned a str; expected a numpy array"),
    (np.array(["a"]), "an array of <U1 entries; expected numbers"),
])
def test_a_non_array_return_is_told(value, words):
    def bp1(nabla_a, z, sigma_prime):
        return value

    assert words in _message("BP1", bp1).message


def test_a_wrong_shape_is_told_with_the_shape_wanted():
    def bp2(w_next, delta_next, z, sigma_prime):
        return np.zeros((z.shape[0] + 1, z.shape[1]))

    verdict = _message("BP2", bp2)
    case = verdict.case
    got = (case.sizes[case.layer - 1] + 1, case.m)
    assert f"bp2 returned an array of shape {got}; expected {got[0] - 1, got[1]}" \
        in verdict.message
    assert f"the shape of z^{case.layer}" in verdict.message


def test_nan_and_inf_are_refused():
    def bp4(a_prev, delta):
        out = delta @ a_prev.T / delta.shape[1]
        out[0, 0] = np.nan
        out[-1, -1] = np.inf
        return out

    verdict = _message("BP4", bp4)
    assert "bp4 returned an array with NaN or inf in" in verdict.message


def test_a_whole_networks_return_is_checked_part_by_part():
    def too_few(weights, biases, x, y):
        nb, nw = backprop(weights, biases, x, y)
        return nb[:-1], nw

    def a_single_array(weights, biases, x, y):
        return backprop(weights, biases, x, y)[0][0]

    def none_inside(weights, biases, x, y):
        nb, nw = backprop(weights, biases, x, y)
        nw[0] = None
        return nb, nw

    assert "nabla_b has 1 item(s)" in _message("backprop", too_few).message or \
        "nabla_b has 2 item(s)" in _message("backprop", too_few).message
    assert "expected a pair (nabla_b, nabla_w)" in _message("backprop", a_single_array).message
    assert "nabla_w for layer 2 is None" in _message("backprop", none_inside).message


def test_a_function_with_the_wrong_arguments_is_told_before_it_runs():
    verdict = check("BP2", lambda w_next, delta_next: w_next, trials=3)
    assert not verdict.ok and verdict.case is None and verdict.passed == 0
    assert "takes (w_next, delta_next), but the check passes 4 argument(s)" in verdict.message
    assert EXERCISES["BP2"].signature in verdict.hint


def test_an_endless_loop_is_stopped_on_the_main_thread():
    def bp3(delta):
        while True:
            pass

    start = time.perf_counter()
    verdict = _message("BP3", bp3, time_limit=0.2)
    assert time.perf_counter() - start < 5
    assert verdict.message == ("Case 1 of 4 (different sizes): bp3 took longer than 0.2 s — "
                               "an endless loop?")


def test_the_time_limit_cannot_be_caught_by_the_students_except():
    def bp3(delta):
        try:
            while True:
                pass
        except Exception:
            return delta.mean(axis=1, keepdims=True)

    assert "took longer than 0.2 s" in _message("BP3", bp3, time_limit=0.2).message


def test_a_slow_function_off_the_main_thread_is_left_behind_and_said_so():
    def bp3(delta):
        time.sleep(1.0)  # sleeps, so the thread left behind costs no CPU
        return delta.mean(axis=1, keepdims=True)

    box = {}
    worker = threading.Thread(target=lambda: box.update(v=check("BP3", bp3, trials=2,
                                                                time_limit=0.2)))
    worker.start()
    worker.join(10)
    assert "took longer than 0.2 s" in box["v"].message
    assert "still running in the background" in box["v"].message


def test_no_warning_leaks_from_the_students_overflow(recwarn):
    def bp1(nabla_a, z, sigma_prime):
        return nabla_a * np.exp(1e5 * z) * 0  # inf * 0 = NaN, after an overflow

    verdict = check("BP1", bp1, trials=2)
    assert "NaN or inf" in verdict.message
    assert len(recwarn) == 0


# ------------------------------------------------------------------ bad arguments
@pytest.mark.parametrize("kwargs, error, words", [
    ({"name": "BP5"}, KeyError, "name: unknown exercise 'BP5'"),
    ({"fn": 3}, ValueError, "fn: expected the function to check"),
    ({"trials": 0}, ValueError, "trials: expected at least 1"),
    ({"trials": 2.5}, ValueError, "trials: expected an integer"),
    ({"seed": -1}, ValueError, "seed: expected an integer ≥ 0"),
    ({"time_limit": math.nan}, ValueError, "time_limit: expected a positive number"),
    ({"time_limit": 0}, ValueError, "time_limit: expected a positive number"),
])
def test_bad_arguments_are_refused_by_name(kwargs, error, words):
    args = {"name": "BP3", "fn": bp3, **kwargs}
    name, fn = args.pop("name"), args.pop("fn")
    with pytest.raises(error, match=re.escape(words)):
        check(name, fn, **args)


def test_make_case_refuses_bad_names_and_seeds():
    with pytest.raises(KeyError, match="name: unknown exercise"):
        make_case("bp2", 0)
    with pytest.raises(ValueError, match="seed: expected an integer ≥ 0"):
        make_case("BP2", -3)


def test_a_verdict_says_when_there_was_no_answer_to_compare():
    def stub(delta):
        raise NotImplementedError

    def nothing(delta):
        delta.mean(axis=1, keepdims=True)  # no return

    def summed(delta):
        return delta.sum(axis=1, keepdims=True)

    assert check("BP3", stub).empty == "stub"
    assert check("BP3", nothing).empty == "none"
    wrong = check("BP3", summed)
    assert not wrong.ok and wrong.empty is None and wrong.mistake == "sum_not_average"
