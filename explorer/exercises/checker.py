"""``check(name, fn)``: run a student's function on many random cases against the core.

The verdict is the first failing case (or all passed), the neurons, weights or biases whose
values differ, and, when the wrong answer is one we know, its name and a hint that points at
the book's equation. The student's exceptions, wrong types and shapes, NaN and endless loops
each become one plain sentence; nothing of ours raises from inside a check.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from explorer.core.notation import neuron_name, weight_name

from .cases import SECOND_LOOK_KINDS, Case, build_case
from .catalogue import Exercise, get_exercise
from .mistakes import MISTAKES, wrong_answers
from .running import arity_problem, call_with_time_limit

WHOLE_NETWORK = ("backprop", "matrix_backprop", "linear_neurons")
# Agreement: relative to the size of the right answer, so saturated layers (δ ≈ 1e-9)
# are compared as strictly as ordinary ones.
RTOL = 1e-6


@dataclass(frozen=True)
class Difference:
    """One value that differs: ``kind`` "neuron" (δ), "bias" or "weight"; ``layer`` the
    book's l; ``j``, ``k`` 0-based numpy indices (``k`` None for neurons and biases);
    ``example`` the 0-based column for a δ of several examples (None otherwise); ``label``
    the book's 1-based name ("δ^2_1", "∂C/∂w^3_24")."""

    kind: str
    layer: int
    j: int
    k: int | None
    expected: float
    got: float
    label: str
    example: int | None = None


@dataclass(frozen=True)
class Verdict:
    """What ``check`` found.

    ``ok`` all cases agree; ``message`` one short sentence; ``hint`` a pointer to the book's
    equation when a mistake was recognised (or a remedy for a wrong type), else None;
    ``mistake`` the recognised mistake's name (a key of ``MISTAKES``); ``case`` the first
    failing ``Case`` (with ``got``); ``wrong`` the ``Difference``s of that case; ``passed``
    how many cases agreed before it; ``trials`` how many were to run; ``exercise`` its name;
    ``empty`` why there was no answer to compare, when there was none: "stub" (the function
    raised NotImplementedError, as the notebook's empty stub does) or "none" (it returned None).
    """

    ok: bool
    message: str
    hint: str | None
    mistake: str | None
    case: Case | None
    wrong: tuple[Difference, ...]
    passed: int
    trials: int
    exercise: str
    empty: str | None = None

    def __str__(self) -> str:
        return self.message + (f"\nHint: {self.hint}" if self.hint else "")


class _Refusal(Exception):
    # Our own signal inside this module: a student's return we cannot compare.
    def __init__(self, message, hint=None, mistake=None):
        super().__init__(message)
        self.message, self.hint, self.mistake = message, hint, mistake


# ------------------------------------------------------------------ arguments
def _check_arguments(fn, trials, seed, time_limit):
    if not callable(fn):
        raise ValueError(f"fn: expected the function to check, got {type(fn).__name__} {fn!r}")
    for value, name in ((trials, "trials"), (seed, "seed")):
        if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
            raise ValueError(f"{name}: expected an integer, got {type(value).__name__} {value!r}")
    if trials < 1:
        raise ValueError(f"trials: expected at least 1 case, got {trials}")
    if seed < 0:
        raise ValueError(f"seed: expected an integer ≥ 0, got {seed}")
    if isinstance(time_limit, bool) or not isinstance(time_limit, numbers.Real) \
            or not math.isfinite(time_limit) or time_limit <= 0:
        raise ValueError(f"time_limit: expected a positive number of seconds, got {time_limit!r}")


# ------------------------------------------------------------------ the student's return
def _describe(value) -> str:
    if value is None:
        return "None"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)} item(s)"
    if isinstance(value, dict):
        return f"a dict with keys {sorted(value, key=repr)}"
    return f"a {type(value).__name__}"


def _as_array(value, what: str, expected_shape, top: bool = True) -> np.ndarray:
    """The student's array, or a _Refusal saying what came back instead.

    ``what`` starts the sentence: "bp2 returned" for the whole return (``top``), or
    "nabla_w for layer 3 is" for a part of it.
    """
    want = f"a numpy array of shape {expected_shape}"
    if value is None:
        if top:
            raise _Refusal(f"{what} None: did you forget `return`?",
                           "A Python function that ends without `return` gives None.")
        raise _Refusal(f"{what} None; expected {want}.")
    if isinstance(value, (list, tuple)):
        raise _Refusal(f"{what} {_describe(value)}; expected {want}.",
                       "np.array(...) turns nested lists into an array; a tuple of arrays "
                       "is not one array.")
    if isinstance(value, (numbers.Number, np.number)) and not isinstance(value, bool):
        value = np.asarray(value)
        if value.shape != tuple(expected_shape):
            raise _Refusal(f"{what} a single number; expected {want}.")
    if not isinstance(value, np.ndarray):
        raise _Refusal(f"{what} {_describe(value)}; expected {want}.")
    if value.dtype.kind not in "biuf":
        raise _Refusal(f"{what} an array of {value.dtype} entries; expected numbers ({want}).")
    value = value.astype(np.float64, copy=False)
    if not np.isfinite(value).all():
        bad = int((~np.isfinite(value)).sum())
        raise _Refusal(f"{what} an array with NaN or inf in {bad} of {value.size} entries.",
                       "NaN comes from 0/0, inf − inf or a NaN input; inf from an overflow. "
                       "Print the intermediate arrays to see where it starts.")
    return value


def _layers_of(value, what: str, L: int, expected_shapes) -> dict[int, Any]:
    """A list (index 0 = layer 2) or a dict keyed by l, as {l: array}."""
    layers = list(range(2, L + 1))
    if value is None:
        raise _Refusal(f"{what} is None; expected a list of {L - 1} arrays (layers 2…{L}).")
    if isinstance(value, dict):
        keys = sorted(value, key=repr)
        if set(value) != set(layers):
            shifted = all(isinstance(k, int) for k in keys) and len(keys) == L - 1 \
                and keys == list(range(keys[0], keys[0] + L - 1))
            raise _Refusal(
                f"{what} is a dict with keys {keys}; expected the book's l: {layers}.",
                MISTAKES["layer_off_by_one"].hint if shifted else
                "Key the dict by the book's layer numbers l = 2 … L.",
                "layer_off_by_one" if shifted else None)
        items = {l: value[l] for l in layers}
    elif isinstance(value, (list, tuple)):
        if len(value) != L - 1:
            raise _Refusal(
                f"{what} has {len(value)} item(s); the network has {L - 1} layers with "
                f"weights (l = 2…{L}): one array per layer.")
        items = dict(zip(layers, value))
    elif isinstance(value, np.ndarray):
        raise _Refusal(f"{what} is one array of shape {value.shape}; expected a list of "
                       f"{L - 1} arrays, one per layer 2…{L}.")
    else:
        raise _Refusal(f"{what} is {_describe(value)}; expected a list of {L - 1} arrays.")
    return {l: _as_array(items[l], f"{what} for layer {l} is", expected_shapes[l], top=False)
            for l in layers}


def _canonical(case: Case, value, fname: str):
    """The student's return as an array, or as (nabla_b, nabla_w) dicts keyed by l."""
    if case.exercise not in WHOLE_NETWORK:
        return _as_array(value, f"{fname} returned", case.expected.shape)
    L = len(case.sizes)
    if value is None:
        raise _Refusal(f"{fname} returned None: did you forget `return`?",
                       "Return the pair (nabla_b, nabla_w).")
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise _Refusal(f"{fname} returned {_describe(value)}; expected a pair "
                       "(nabla_b, nabla_w).")
    exp_b, exp_w = case.expected
    shapes_b = {l: exp_b[l - 2].shape for l in range(2, L + 1)}
    shapes_w = {l: exp_w[l - 2].shape for l in range(2, L + 1)}
    nb = _layers_of(value[0], "nabla_b", L, shapes_b)
    nw = _layers_of(value[1], "nabla_w", L, shapes_w)
    return nb, nw


# ------------------------------------------------------------------ comparing
def _close(got, expected) -> np.ndarray:
    scale = max(float(np.abs(expected).max(initial=0.0)), 1e-30)
    return np.isclose(got, expected, rtol=RTOL, atol=RTOL * 1e-3 * scale)


def _same(got, expected) -> bool:
    got, expected = np.asarray(got), np.asarray(expected)
    return got.shape == expected.shape and bool(_close(got, expected).all())


def _expected_canonical(case: Case):
    if case.exercise not in WHOLE_NETWORK:
        return np.asarray(case.expected)
    exp_b, exp_w = case.expected
    return ({l + 2: b for l, b in enumerate(exp_b)}, {l + 2: w for l, w in enumerate(exp_w)})


def _agrees(case: Case, got, expected) -> bool:
    if isinstance(expected, tuple):
        return all(_same(got[i][l], expected[i][l]) for i in (0, 1) for l in expected[i])
    return _same(got, expected)


def _differences(case: Case, got, expected) -> list[Difference]:
    out: list[Difference] = []
    if isinstance(expected, tuple):
        for kind, part in (("bias", 0), ("weight", 1)):
            for l in expected[part]:
                out += _array_differences(kind, l, got[part][l], expected[part][l])
        return out
    kind = {"BP3": "bias", "BP4": "weight"}.get(case.exercise, "neuron")
    return _array_differences(kind, case.layer, got, expected)


def _array_differences(kind, l, got, expected) -> list[Difference]:
    if got.shape != expected.shape:
        return []
    bad = ~_close(got, expected)
    out = []
    if kind == "weight":
        for j, k in np.argwhere(bad):
            out.append(Difference("weight", l, int(j), int(k), float(expected[j, k]),
                                  float(got[j, k]), "∂C/∂" + weight_name(l, int(j), int(k))))
    elif kind == "bias":
        for j in np.flatnonzero(bad.any(axis=1)):
            out.append(Difference("bias", l, int(j), None, float(expected[j, 0]),
                                  float(got[j, 0]), "∂C/∂" + neuron_name("b", l, int(j))))
    else:
        many = expected.shape[1] > 1
        for j in np.flatnonzero(bad.any(axis=1)):
            c = int(np.flatnonzero(bad[j])[0])
            out.append(Difference("neuron", l, int(j), None, float(expected[j, c]),
                                  float(got[j, c]), neuron_name("δ", l, int(j)),
                                  c if many else None))
    return out


def _summary(case: Case, wrong: list[Difference], expected) -> str:
    if isinstance(expected, tuple):
        parts = []
        for kind, symbol, part in (("weight", "w", 1), ("bias", "b", 0)):
            n = sum(1 for d in wrong if d.kind == kind)
            total = sum(arr.size for arr in expected[part].values())
            if n:
                layers = sorted({d.layer for d in wrong if d.kind == kind})
                parts.append(f"∂C/∂{symbol} differs in {n} of {total} {kind}{'es' if kind == 'bias' else 's'} "
                             f"(layer{'s' if len(layers) > 1 else ''} "
                             f"{', '.join(map(str, layers))})")
        return " and ".join(parts)
    l = case.layer
    if case.exercise == "BP3":
        return f"∂C/∂b^{l} differs in {len(wrong)} of {expected.shape[0]} biases"
    if case.exercise == "BP4":
        return f"∂C/∂w^{l} differs in {len(wrong)} of {expected.size} weights"
    return f"δ^{l} differs in {len(wrong)} of {expected.shape[0]} neurons"


def recognise(case: Case, got) -> str | None:
    """The name of the known mistake whose answer equals ``got`` on ``case``, or None.

    ``got`` is the student's answer as an array, or (nabla_b, nabla_w) as dicts keyed by l.
    A wrong answer that coincides with the right one on this case (a sum over one example
    is its mean) is skipped: it cannot be told apart here.
    """
    expected = _expected_canonical(case)
    for name, answer in wrong_answers(case):
        if isinstance(expected, tuple):
            if _agrees(case, answer, expected):
                continue
            try:
                if _agrees(case, got, answer):
                    return name
            except (KeyError, TypeError):
                continue
        elif not _same(answer, expected) and _same(got, answer):
            return name
    return None


def _structural_mistake(case: Case, value) -> str | None:
    # Whole-network returns whose arrays are right but filed in the wrong place.
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        return None
    exp_b, exp_w = case.expected
    parts = [value[0], value[1]]
    if not all(isinstance(p, (list, tuple)) for p in parts):
        return None
    try:
        def matches(got_list, exp_list, shift=0, reverse=False):
            exp = list(exp_list)[::-1] if reverse else list(exp_list)
            pairs = [(g, exp[i + shift]) for i, g in enumerate(got_list) if 0 <= i + shift < len(exp)]
            return bool(pairs) and all(isinstance(g, np.ndarray) and _same(g, e) for g, e in pairs)

        if matches(parts[0], exp_w) and matches(parts[1], exp_b):
            return "swapped_return"
        if len(exp_w) > 1 and matches(parts[0], exp_b, reverse=True) \
                and matches(parts[1], exp_w, reverse=True):
            return "reversed_layers"
        for shift in (1, -1):
            if matches(parts[0], exp_b, shift) and matches(parts[1], exp_w, shift):
                return "layer_off_by_one"
    except (ValueError, TypeError):
        return None
    return None


# ------------------------------------------------------------------ one case
@dataclass(frozen=True)
class _Result:
    ok: bool
    message: str = ""
    hint: str | None = None
    mistake: str | None = None
    case: Case | None = None
    wrong: tuple = ()
    timed_out: bool = False
    empty: str | None = None  # "stub" or "none", as Verdict.empty


def _run_case(ex: Exercise, fn: Callable, case: Case, time_limit: float,
              layers: str) -> _Result:
    fname = getattr(fn, "__name__", ex.function_name)
    if fname == "<lambda>":
        fname = ex.function_name
    outcome = call_with_time_limit(fn, case.arguments(layers), time_limit)
    if outcome.timed_out:
        extra = (" (it is still running in the background; restart the kernel to stop it)"
                 if outcome.left_running else "")
        return _Result(False, f"{fname} took longer than {time_limit:g} s — an endless "
                       f"loop?{extra}", "Check that every loop ends: each pass must bring it "
                       "closer to its end.", None, case, (), True)
    if outcome.error_type == "NotImplementedError":
        return _Result(False, f"{fname} raised NotImplementedError: it is still the empty stub.",
                       "Replace the line that raises NotImplementedError with your code, then "
                       "run the cell again.", None, case, empty="stub")
    if outcome.error is not None:
        return _Result(False, f"{fname} raised {outcome.error}.{_input_shapes(case)}", None,
                       None, case)
    empty = "none" if outcome.value is None else None
    got_case = case.with_got(outcome.value)
    mistake = _structural_mistake(case, outcome.value) if ex.name in WHOLE_NETWORK else None
    if mistake:
        return _Result(False, f"{fname} returned the right arrays in the wrong places: "
                       f"{MISTAKES[mistake].title}.", MISTAKES[mistake].hint, mistake, got_case)
    expected = _expected_canonical(case)
    try:
        got = _canonical(case, outcome.value, fname)
    except _Refusal as refusal:
        return _Result(False, refusal.message, refusal.hint, refusal.mistake, got_case, empty=empty)
    if isinstance(expected, np.ndarray) and got.shape != expected.shape:
        mistake = recognise(case, got)
        message = (f"{fname} returned an array of shape {got.shape}; expected "
                   f"{expected.shape}{_shape_words(case)}.")
        return _Result(False, message, None, mistake, got_case)
    if isinstance(expected, tuple):
        for i, part in ((0, "nabla_b"), (1, "nabla_w")):
            for l in expected[i]:
                if got[i][l].shape != expected[i][l].shape:
                    mistake = recognise(case, got)
                    return _Result(False, f"{part} for layer {l} has shape {got[i][l].shape}; "
                                   f"expected {expected[i][l].shape}"
                                   f"{' (the shape of w^%d)' % l if i else ' (a column)'}.",
                                   None, mistake, got_case)
    if _agrees(case, got, expected):
        return _Result(True)
    wrong = _differences(case, got, expected)
    return _Result(False, _summary(case, wrong, expected) + ".", None, recognise(case, got),
                   got_case, tuple(wrong))


def _input_shapes(case: Case) -> str:
    # The shapes the function was given: most errors inside BP code are shape errors.
    shapes = []
    for name, value in case.inputs.items():
        if isinstance(value, np.ndarray):
            shapes.append(f"{name} {value.shape}")
        elif isinstance(value, list):
            shapes.append(f"{name} [{', '.join(str(v.shape) for v in value)}]")
    return f" The arguments had shapes: {'; '.join(shapes)}." if shapes else ""


def _shape_words(case: Case) -> str:
    l = case.layer
    if case.exercise == "BP3":
        return f" (a column, like b^{l})"
    if case.exercise == "BP4":
        return f" (the shape of w^{l})"
    return f" (the shape of z^{l}: a row per neuron, a column per example)"


def _second_look(ex: Exercise, fn: Callable, case: Case, time_limit: float,
                 layers: str) -> str | None:
    # Some mistakes only compute on square layers (w and w^T of one shape), or with as many
    # examples as neurons (np.dot where ⊙ belongs): rerun the failing case's seed so, and see
    # whether a known mistake shows there.
    for kind in SECOND_LOOK_KINDS:
        probe = build_case(ex, case.seed, kind)
        outcome = call_with_time_limit(fn, probe.arguments(layers), time_limit)
        if outcome.timed_out or outcome.error is not None:
            continue
        try:
            got = _canonical(probe, outcome.value, ex.function_name)
        except _Refusal:
            continue
        mistake = recognise(probe, got)
        if mistake:
            return mistake
    return None


# ------------------------------------------------------------------ check
def check(name, fn, *, trials: int = 30, seed: int = 0, time_limit: float = 2.0,
          layers: str = "lists") -> Verdict:
    """Check ``fn`` on ``trials`` random cases of exercise ``name`` (a name or an Exercise).

    The whole-network exercises get ``weights`` and ``biases`` as network.py's lists (index
    0 = layer 2), or with ``layers="dicts"`` as dicts keyed by the book's l; either way
    they may return lists or dicts.

    Case i uses seed ``seed + i`` (``make_case(name, seed + i)`` rebuilds it); the kinds of
    case take turns (see ``explorer.exercises.cases.KINDS``). Each call gets ``time_limit``
    seconds. Returns a ``Verdict`` for the first failing case, or one saying all agree.
    """
    ex = get_exercise(name)
    _check_arguments(fn, trials, seed, time_limit)
    if layers not in ("lists", "dicts"):
        raise ValueError(f"layers: expected 'lists' or 'dicts', got {layers!r}")
    trials, seed, time_limit = int(trials), int(seed), float(time_limit)
    fname = getattr(fn, "__name__", ex.function_name)
    if fname == "<lambda>":
        fname = ex.function_name
    problem = arity_problem(fn, ex.arguments, fname)
    if problem:
        return Verdict(False, problem + ".", f"Write it as {ex.signature}.", None, None, (),
                       0, trials, ex.name)
    for i in range(trials):
        case = build_case(ex, seed + i)
        result = _run_case(ex, fn, case, time_limit, layers)
        if result.ok:
            continue
        mistake, seen_elsewhere = result.mistake, None
        if mistake is None and not result.timed_out:
            mistake = seen_elsewhere = _second_look(ex, fn, case, time_limit, layers)
        hint = result.hint
        message = f"Case {i + 1} of {trials} ({case.kind}): {result.message}"
        if mistake is not None:
            found = MISTAKES[mistake]
            if found.title not in result.message:
                message += f" Known mistake: {found.title}."
            if seen_elsewhere:
                message += (" (On square layers your function runs, and its values are "
                            "this mistake's.)" if result.case is not None and result.case.got
                            is None else " (Its values on square layers are this mistake's.)")
            hint = found.hint
        return Verdict(False, message, hint, mistake, result.case, result.wrong, i, trials,
                       ex.name, result.empty)
    return Verdict(True, f"All {trials} cases agree with {ex.equation}.", None, None, None, (),
                   trials, trials, ex.name)


__all__ = ["Difference", "Verdict", "check", "recognise"]
