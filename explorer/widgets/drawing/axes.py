"""Axis limits on "nice" numbers, shared by the panels that scale an axis to their data.

The limits are the smallest ladder × 10^n that hold the data, so they stay put while the data
move a little (no axis jitter while a slider is dragged) and are a function of the data alone
(a panel updated in place shows what a fresh one would).
"""

from __future__ import annotations

import math

import numpy as np

#: The nice numbers (times a power of ten) an axis end is rounded up to.
_LADDER = (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def nice_ceil(value: float) -> float:
    """The smallest number of the form ladder × 10^n that is ≥ value (value > 0)."""
    exponent = math.floor(math.log10(value))
    for exp in (exponent - 1, exponent, exponent + 1):
        for step in _LADDER:
            candidate = step * 10.0**exp
            if candidate >= value:
                return candidate
    return value  # not reached for finite positive values


def y_limits(curve: np.ndarray, floor: float) -> tuple[float, float]:
    """Axis limits that hold the curve (and 0) with a little headroom, on the nice ladder.

    Each side is at least ``floor`` (and a tenth of the other side), so a nearly flat curve
    stays flat-looking instead of being magnified into noise.
    """
    finite = curve[np.isfinite(curve)]
    hi = max(float(finite.max(initial=0.0)), 0.0)
    lo = min(float(finite.min(initial=0.0)), 0.0)
    big = min(max(hi, -lo, floor), 1e300)
    side = max(floor, 0.1 * big)
    top = nice_ceil(max(min(hi, 1e300) * 1.08, side))
    bottom = -nice_ceil(max(min(-lo, 1e300) * 1.08, side))
    return bottom, top
