"""Exercises: a student writes BP1–BP4 and backprop; ``check`` compares with the core.

    from explorer.exercises import EXERCISES, check
    verdict = check("BP2", bp2)      # bp2(w_next, delta_next, z, sigma_prime) -> delta
    verdict.ok, verdict.message, verdict.hint, verdict.wrong

The conventions of every exercise (columns, shapes, the batch mean, lists as in network.py)
are in ``explorer.exercises.catalogue``; the named mistakes in ``MISTAKES``. Numpy only.
"""

from .cases import KINDS, Case, make_case
from .catalogue import EXERCISES, Exercise, get_exercise
from .checker import Difference, Verdict, check, recognise
from .mistakes import MISTAKES, Mistake

__all__ = [
    "EXERCISES",
    "Exercise",
    "get_exercise",
    "check",
    "Verdict",
    "Difference",
    "Case",
    "make_case",
    "KINDS",
    "MISTAKES",
    "Mistake",
    "recognise",
]
