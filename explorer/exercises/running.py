"""Running a student's function: a time limit, and their exception told in a line.

Numpy's floating-point warnings are silenced during the call (the verdict reports NaN and
inf instead of a warning per case). On the main thread (a notebook cell, a widget's button) a ``SIGALRM`` timer interrupts an
endless loop; elsewhere (or without the signal, e.g. on Windows) the function runs in a
daemon thread and is left behind if it does not finish in time (a thread cannot be stopped
from outside; it keeps one core busy until the kernel restarts, which the message says).
"""

from __future__ import annotations

import inspect
import signal
import threading
import time
import traceback
import warnings
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np


MAX_ERROR_CHARS = 240


class _TimeUp(BaseException):
    # BaseException, so a student's ``except Exception`` cannot swallow the time limit.
    pass


@dataclass(frozen=True)
class Outcome:
    """What one call gave: ``value``, or ``error`` (a plain sentence) or ``timed_out``."""

    value: Any = None
    error: str | None = None
    timed_out: bool = False
    left_running: bool = False
    error_type: str | None = None


def describe_exception(exc: BaseException, fn: Callable) -> str:
    """'ValueError: matmul: ... (line 4 of bp2: return w_next @ delta_next)'."""
    last = f"{type(exc).__name__}: {exc}".strip()
    if len(last) > MAX_ERROR_CHARS:  # numpy's shape errors can run to several lines
        last = last[: MAX_ERROR_CHARS - 1].rstrip() + "…"
    last = " ".join(last.split())
    code = getattr(fn, "__code__", None)
    where = ""
    if code is not None:
        # The deepest frame inside the student's own file (their cell): their line, not numpy's.
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            if frame.filename == code.co_filename:
                text = (frame.line or "").strip()
                if frame.name == code.co_name:
                    where = f" (line {frame.lineno - code.co_firstlineno + 1} of {frame.name}"
                else:  # a helper of theirs: its own name says where
                    where = f" (in {frame.name}"
                where += f": {text})" if text else ")"
                break
    return last + where


def arity_problem(fn: Callable, arguments: tuple[str, ...], name: str) -> str | None:
    """A sentence if ``fn`` cannot take the exercise's arguments positionally, else None."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None  # a builtin or C function: let the call itself tell
    try:
        sig.bind(*arguments)
    except TypeError:
        params = [p.name for p in sig.parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        return (f"{name} takes ({', '.join(params)}), but the check passes "
                f"{len(arguments)} argument(s): ({', '.join(arguments)})")
    return None


def _main_thread_with_alarm() -> bool:
    return (threading.current_thread() is threading.main_thread()
            and hasattr(signal, "setitimer") and hasattr(signal, "SIGALRM"))


def call_with_time_limit(fn: Callable, args: tuple, time_limit: float) -> Outcome:
    """Call ``fn(*args)`` for at most ``time_limit`` seconds."""
    if _main_thread_with_alarm():
        return _call_with_alarm(fn, args, time_limit)
    return _call_in_thread(fn, args, time_limit)


def _quietly(fn, args):
    # A student's overflowing exp would print a RuntimeWarning into the notebook on every
    # case; the checker reports what the function returned instead (NaN, inf, wrong values).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            return fn(*args)


def _call_with_alarm(fn, args, time_limit) -> Outcome:
    def time_up(signum, frame):
        raise _TimeUp()

    previous = signal.signal(signal.SIGALRM, time_up)
    started = time.monotonic()
    outer = (0.0, 0.0)
    try:
        outer = signal.setitimer(signal.ITIMER_REAL, time_limit)
        try:
            value = _quietly(fn, args)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except _TimeUp:
        return Outcome(timed_out=True)
    except Exception as exc:  # the student's exception, told in words
        return Outcome(error=describe_exception(exc, fn), error_type=type(exc).__name__)
    finally:
        signal.signal(signal.SIGALRM, previous)
        if outer[0] > 0:  # someone else's timer was running: give it back what is left
            left = outer[0] - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3), outer[1])
    return Outcome(value=value)


def _call_in_thread(fn, args, time_limit) -> Outcome:
    box: dict[str, Any] = {}

    def run():
        try:
            with np.errstate(all="ignore"):
                box["value"] = fn(*args)
        except Exception as exc:
            box["error"] = describe_exception(exc, fn)
            box["error_type"] = type(exc).__name__

    worker = threading.Thread(target=run, name="exercise-check", daemon=True)
    worker.start()
    worker.join(time_limit)
    if worker.is_alive():
        return Outcome(timed_out=True, left_running=True)
    if "error" in box:
        return Outcome(error=box["error"], error_type=box["error_type"])
    return Outcome(value=box.get("value"))
