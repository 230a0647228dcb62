"""Argument checks shared by the core: clear messages instead of silent broadcasting or NaN."""

from __future__ import annotations

import numbers

import numpy as np


def as_batch(value, n_rows: int, name: str, dtype) -> np.ndarray:
    """``value`` as an (n_rows, m) array of ``dtype``: one column per example.

    A 1-D array of length n_rows is one example. Anything else of the wrong shape, an empty
    batch, or a NaN/infinite entry raises ValueError naming ``name``.
    """
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{name}: expected an array of numbers, got dtype {arr.dtype}")
    if arr.ndim == 1 and arr.shape[0] == n_rows:
        arr = arr.reshape(n_rows, 1)
    elif arr.ndim != 2 or arr.shape[0] != n_rows:
        raise ValueError(
            f"{name}: expected shape ({n_rows},) or ({n_rows}, m) with one column per example, "
            f"got shape {arr.shape}"
        )
    if arr.shape[1] == 0:
        raise ValueError(f"{name}: the batch is empty (shape {arr.shape}); give at least one column")
    arr = arr.astype(dtype, copy=False)
    require_finite(arr, name)
    return arr


def require_finite(arr: np.ndarray, name: str) -> None:
    """Refuse NaN and ±inf with a message that says where the first one is."""
    if not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))[0]
        where = ", ".join(str(int(i)) for i in bad)
        raise ValueError(
            f"{name} contains NaN or infinite values (first at index [{where}]: "
            f"{arr[tuple(bad)]}); only finite numbers are allowed"
        )


def require_finite_number(value, name: str) -> float:
    """A finite real number, as float."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.number)):
        raise ValueError(f"{name}: expected a finite number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name}: expected a finite number, got {value}")
    return value


def require_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        raise ValueError(f"{name}: expected an integer, got {type(value).__name__} {value!r}")
    return int(value)


def check_index(value, size: int, name: str, what: str) -> int:
    """A 0-based index into ``size`` items; IndexError naming the allowed range."""
    value = require_int(value, name)
    if not 0 <= value < size:
        raise IndexError(f"{name}: {value} is out of range; {what} has indices 0..{size - 1}")
    return value


def check_layer(value, L: int, name: str = "layer", first: int = 2) -> int:
    """A book layer number l in first..L (the input layer is l = 1 and has no weights)."""
    value = require_int(value, name)
    if not first <= value <= L:
        raise IndexError(
            f"{name}: l = {value} is out of range; layers are numbered as in the book, "
            f"allowed here l = {first}..{L}"
        )
    return value
