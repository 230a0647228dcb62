"""In what sense is backpropagation fast? One forward pass against one backprop, timed.

The chapter: finite differences (eq. 46) need one forward pass per parameter, P + 1 in all,
while backpropagation gets every ∂C/∂w^l_jk and ∂C/∂b^l_j from one forward and one backward
pass, "roughly the same" cost as two forward passes. This module times both for a network and
one example, the same way for the race panel and for ``python -m explorer bench``:

- the forward pass: z^l = w^l a^(l−1) + b^l, a^l = σ(z^l) for l = 2..L, then C_x (what
  finite differences run once per parameter), the inputs checked once beforehand;
- backprop: that forward pass, then BP1, BP2 for each layer and BP3, BP4: the network's
  per-example algorithm (``Network.backprop`` without its input checks).

Each figure is the median of several samples, each sample a loop of enough calls to last
``sample_seconds``, and the two are measured alternately so that a busy moment slows both.
For tiny networks ([2, 3, 1]) a pass is a few microseconds of Python per layer and almost no
arithmetic: the ratio then measures the interpreter, not the chapter's claim. That is why
``PassTimes`` also carries the multiply-adds each side does (``forward_mults``,
``backprop_mults``): their ratio is the arithmetic's answer (2.01 for [784, 30, 10]).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .checks import require_finite_number, require_int


@dataclass(frozen=True)
class PassTimes:
    """One forward pass and one backprop of a network for one example, timed."""

    sizes: tuple[int, ...]
    forward_seconds: float  # one forward pass computing C_x
    backprop_seconds: float  # one forward and one backward pass, the whole gradient
    calls_per_sample: tuple[int, int]  # (forward, backprop) calls timed together per sample
    samples: int  # samples per side; the figures are their medians
    forward_mults: int  # multiply-adds of the forward pass: Σ_l n_l n_(l−1)
    backprop_mults: int  # forward + BP2 (Σ_(l≥3) n_l n_(l−1)) + BP4 (Σ_l n_l n_(l−1))

    @property
    def backprop_in_forward_passes(self) -> float:
        """Backprop's measured time in units of one forward pass (the chapter: about two)."""
        return self.backprop_seconds / self.forward_seconds

    @property
    def backprop_in_forward_mults(self) -> float:
        """The same ratio counted in multiply-adds: what the arithmetic alone would give."""
        return self.backprop_mults / self.forward_mults


def multiply_adds(sizes) -> tuple[int, int]:
    """(forward, backprop) multiply-adds for one example: the matrix products' sizes."""
    products = [sizes[i] * sizes[i - 1] for i in range(1, len(sizes))]
    forward = sum(products)
    return forward, forward + sum(products[1:]) + forward


def median_seconds(fn: Callable[[], object], samples: int = 7, sample_seconds: float = 0.004) -> tuple[float, int]:
    """(median seconds of one call of ``fn``, calls per sample): each sample loops ``fn``
    often enough to last about ``sample_seconds``, so the clock's resolution and the loop's
    own overhead are negligible even for a call of a microsecond."""
    samples = require_int(samples, "samples")
    sample_seconds = require_finite_number(sample_seconds, "sample_seconds")
    if samples < 1 or sample_seconds <= 0:
        raise ValueError(f"samples and sample_seconds: expected ≥ 1 and > 0, got {samples}, {sample_seconds}")
    fn()  # a first call pays for caches and buffers; it is not timed
    # Calibrate on a loop rather than on one call: one call interrupted by the machine's
    # other work would make every sample a single call.
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= sample_seconds / 4 or number >= 1 << 20:
            break
        number *= 2
    number = max(1, round(number * sample_seconds / max(elapsed, 1e-9)))
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - start) / number)
    return statistics.median(times), number


def forward_pass(net, x, y) -> Callable[[], float]:
    """The forward pass that is timed, as a function of nothing: C for checked (x, y).

    The same arithmetic, written the same way, as the forward half of ``backprop_pass``, so
    that their ratio compares the two algorithms and not two styles of code (the passes of
    finite differences also check each z^l for overflow; their time is measured on its own).
    """
    X, Y = net.prepare_examples(x, y)
    cost, layers = net.cost_function, net.layers
    act = {l: net.activation(l) for l in layers}  # as backprop reads them: one look-up each

    def forward() -> float:
        a = X
        with np.errstate(over="ignore"):
            for l in layers:
                z = net.weights[l] @ a + net.biases[l]
                a = act[l](z)
        return float(np.mean(cost.value_at_output(z, a, Y, act[net.L])))

    return forward


def backprop_pass(net, x, y) -> Callable[[], object]:
    """The backprop that is timed, as a function of nothing: (∂C/∂b, ∂C/∂w) for one example."""
    X, Y = net.prepare_examples(x, y)
    if X.shape[1] != 1:
        raise ValueError(f"x: backprop is timed for one example (one column), got {X.shape[1]}")

    def backprop():
        with np.errstate(over="ignore"):
            return net._backprop(X, Y)

    return backprop


def time_passes(net, x, y, rounds: int = 3, samples: int = 3, sample_seconds: float = 0.002) -> PassTimes:
    """Time one forward pass and one backprop of ``net`` for the example (x, y).

    ``rounds`` alternations of forward then backprop, each ``samples`` samples of about
    ``sample_seconds``; the figures are the medians over all rounds.
    """
    rounds = require_int(rounds, "rounds")
    if rounds < 1:
        raise ValueError(f"rounds: expected at least 1, got {rounds}")
    forward, backprop = forward_pass(net, x, y), backprop_pass(net, x, y)
    f_times, b_times, f_calls, b_calls = [], [], 0, 0
    for _ in range(rounds):  # alternated, so that a busy moment slows both alike
        seconds, f_calls = median_seconds(forward, samples, sample_seconds)
        f_times.append(seconds)
        seconds, b_calls = median_seconds(backprop, samples, sample_seconds)
        b_times.append(seconds)
    f_mults, b_mults = multiply_adds(net.sizes)
    return PassTimes(
        sizes=tuple(net.sizes),
        forward_seconds=statistics.median(f_times),
        backprop_seconds=statistics.median(b_times),
        calls_per_sample=(f_calls, b_calls),
        samples=rounds * samples,
        forward_mults=f_mults,
        backprop_mults=b_mults,
    )


def time_backprop(net, x, y, samples: int = 5, sample_seconds: float = 0.004) -> float:
    """Median seconds of one backprop of ``net`` for the example (x, y)."""
    return median_seconds(backprop_pass(net, x, y), samples, sample_seconds)[0]


__all__ = [
    "PassTimes",
    "backprop_pass",
    "forward_pass",
    "median_seconds",
    "multiply_adds",
    "time_backprop",
    "time_passes",
]
