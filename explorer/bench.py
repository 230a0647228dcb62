"""Benchmarks of the core, printed as a table a person can read (``python -m explorer bench``).

Two questions from the chapter, answered by measuring, with every contender timed in the same
run and the repetitions interleaved, so that a busy machine slows all of them alike:

1. How fast is the project's training on the chapter's task, one epoch of SGD over 8,000
   digits for [784, 30, 10] (sigmoid, quadratic cost, η = 3)? Against the obvious forms in
   ``explorer.baselines``: the per-example loop (the book's ``network.py``), the fully
   matrix-based mini-batch written the obvious way in numpy, and the same formulas in torch on
   the CPU (when torch is installed). The project is timed twice: a loop over the epoch's
   mini-batches calling ``Network.update_mini_batch`` (the data kept as rows, a mini-batch
   gathered into a reused buffer and passed as ``rows.T``), and ``Network.SGD`` for one
   epoch (its ``EpochResult.seconds``: the shuffle and the steps; its one-time data check and
   layout are outside, as the baselines' data preparation is). Every contender starts from the
   same weights and draws the same permutation, so all end with the same weights: the largest
   difference from the per-example loop is printed and checked against 1e-12.
2. In what sense is backpropagation fast? One gradient by finite differences (eq. 46) against
   one by backprop, and backprop's time in forward passes (the chapter: about 2), timed by
   ``core.speed`` as the race panel times it.
"""

from __future__ import annotations

import copy
import os
import platform
import statistics
import time

import numpy as np

from . import baselines
from .core import Network, finite_difference_gradient, load_mnist
from .core.speed import time_passes
from .progress import ProgressBar

SIZES = [784, 30, 10]
ETA = 3.0
#: The project's epoch must end this close to the per-example loop's weights (float64).
TOLERANCE = 1e-12


def machine_description() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    return (
        f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()}, numpy {np.__version__}, "
        f"BLAS threads {threads}"
    )


# ----------------------------------------------------------------------------- 1. one epoch
def _start(seed: int, dtype=np.float64):
    """A fresh network, its parameters as lists and a copy of its generator (for the shuffle)."""
    net = Network(SIZES, seed=seed, dtype=dtype)
    weights = [net.weights[l].copy() for l in net.layers]
    biases = [net.biases[l].copy() for l in net.layers]
    return net, weights, biases, copy.deepcopy(net.rng)


def _baseline(epoch_fn, X, Y, batch: int, seed: int):
    _, weights, biases, rng = _start(seed)
    start = time.perf_counter()
    weights, biases = epoch_fn(weights, biases, X, Y, batch, ETA, rng)
    return time.perf_counter() - start, weights


def _project_update_loop(rows_x, rows_y, batch: int, seed: int):
    """An epoch of ``update_mini_batch`` calls, as a user who keeps the data as rows writes it."""
    net, *_ = _start(seed)
    n = rows_x.shape[0]
    start = time.perf_counter()
    order = net.rng.permutation(n)  # what SGD draws
    bx = np.empty((batch, rows_x.shape[1]))
    by = np.empty((batch, rows_y.shape[1]))
    for k in range(0, n, batch):
        chosen = order[k : k + batch]
        x = rows_x.take(chosen, axis=0, out=bx[: len(chosen)], mode="clip")  # (no hidden copy)
        y = rows_y.take(chosen, axis=0, out=by[: len(chosen)], mode="clip")
        net.update_mini_batch(x.T, y.T, ETA)
    seconds = time.perf_counter() - start
    return seconds, [net.weights[l] for l in net.layers]


def _project_sgd(X, Y, batch: int, seed: int, dtype):
    """SGD's epoch as it reports it: the shuffle and the steps (the data set is copied into rows
    once per call, before the first epoch; ``_project_sgd_call`` counts that too)."""
    net, *_ = _start(seed, dtype)
    (epoch,) = net.SGD((X, Y), 1, batch, ETA)
    return epoch.seconds, [net.weights[l] for l in net.layers]


def _project_sgd_call(X, Y, batch: int, seed: int):
    """A whole one-epoch ``SGD`` call: checking and copying the data set included."""
    net, *_ = _start(seed)
    start = time.perf_counter()
    net.SGD((X, Y), 1, batch, ETA)
    return time.perf_counter() - start, [net.weights[l] for l in net.layers]


def contenders(with_torch: bool | None = None) -> list[str]:
    """The names of the epoch table's columns, in the order they are run."""
    if with_torch is None:
        with_torch = baselines.torch_available()
    names = ["plain loop", "plain numpy matrix", "plain numpy, rows"]
    if with_torch:
        names.append("torch formulas")
    return names + ["project update_mini_batch", "project SGD", "project SGD call",
                    "project SGD float32"]


def bench_epochs(repeats: int = 5, batches=(10, 100), seed: int = 0, with_torch: bool | None = None) -> list[dict]:
    """Median epoch seconds of every contender at each mini-batch size, and the weights'
    largest difference from the per-example loop."""
    (X, Y), _ = load_mnist(format="arrays")
    rows_x, rows_y = np.ascontiguousarray(X.T), np.ascontiguousarray(Y.T)
    names = contenders(with_torch)
    if "torch formulas" in names:
        import torch

        torch.set_num_threads(1)  # as numpy's BLAS: one thread
    runs = {
        "plain loop": lambda m: _baseline(baselines.loop_epoch, X, Y, m, seed),
        "plain numpy matrix": lambda m: _baseline(baselines.matrix_epoch, X, Y, m, seed),
        "plain numpy, rows": lambda m: _baseline(baselines.matrix_rows_epoch, X, Y, m, seed),
        "torch formulas": lambda m: _baseline(baselines.torch_epoch, X, Y, m, seed),
        "project update_mini_batch": lambda m: _project_update_loop(rows_x, rows_y, m, seed),
        "project SGD": lambda m: _project_sgd(X, Y, m, seed, np.float64),
        "project SGD call": lambda m: _project_sgd_call(X, Y, m, seed),
        "project SGD float32": lambda m: _project_sgd(X, Y, m, seed, np.float32),
    }
    rows = []
    bar = ProgressBar(repeats * len(batches), "epochs")
    for b_i, batch in enumerate(batches):
        times = {name: [] for name in names}
        deviation = {name: 0.0 for name in names}
        for r in range(repeats):
            weights = {}
            for name in names:  # interleaved: each contender once, then again
                seconds, weights[name] = runs[name](batch)
                times[name].append(seconds)
            for name in names:
                for w, w_loop in zip(weights[name], weights["plain loop"]):
                    deviation[name] = max(deviation[name], float(np.abs(w - w_loop).max()))
            bar.update(b_i * repeats + r + 1)
        median = {name: statistics.median(v) for name, v in times.items()}
        base = median["plain numpy matrix"]
        rows.append(
            {
                "batch": batch,
                "seconds": median,
                "speedup": {name: base / t for name, t in median.items()},
                "deviation": deviation,
            }
        )
    bar.close()
    return rows


# ----------------------------------------------------------------------------- 2. one gradient
def bench_gradient(repeats: int = 3) -> dict:
    """One gradient of [784, 30, 10] for one digit: finite differences against backprop."""
    (X, Y), _ = load_mnist(n_train=1, n_test=0, format="arrays")
    net = Network(SIZES, seed=0)
    x, y = net.prepare_examples(X, Y)
    passes, fd_seconds = [], []
    bar = ProgressBar(repeats, "gradient")
    for r in range(repeats):
        # One forward pass computing C (what eq. 46 needs per parameter) and one backprop
        # (the chapter's algorithm for one example), then the P + 1 passes of eq. 46.
        passes.append(time_passes(net, x, y))
        start = time.perf_counter()
        fd = finite_difference_gradient(net, x, y)
        fd_seconds.append(time.perf_counter() - start)
        bar.update(r + 1)
    bar.close()
    _, nabla_w = net.backprop(x, y)
    agreement = max(
        float(np.abs(fd.nabla_w[l] - nabla_w[l]).max() / np.abs(nabla_w[l]).max()) for l in net.layers
    )
    forward = statistics.median(p.forward_seconds for p in passes)
    backprop = statistics.median(p.backprop_seconds for p in passes)
    fd_time = statistics.median(fd_seconds)
    return {
        "parameters": net.n_parameters,
        "fd_passes": fd.forward_passes,
        "fd_seconds": fd_time,
        "forward_seconds": forward,
        "backprop_seconds": backprop,
        "ratio": fd_time / backprop,
        "backprop_in_passes": backprop / forward,
        "backprop_in_mults": passes[0].backprop_in_forward_mults,
        "agreement": agreement,
    }


# ----------------------------------------------------------------------------- the table
def epoch_table(epochs: list[dict], repeats: int) -> list[str]:
    names = list(epochs[0]["seconds"])
    lines = [
        f"1. One epoch of SGD over 8,000 digits, {SIZES}, η = {ETA:g}, float64 unless said; "
        f"medians of {repeats} interleaved runs;",
        "   in brackets: speed-up against the plain numpy matrix form (higher is faster)",
        "   " + " | ".join(["batch", *names]),
    ]
    for r in epochs:
        cells = [f"{r['batch']:5d}"]
        for name in names:
            cell = f"{r['seconds'][name] * 1e3:.1f} ms ({r['speedup'][name]:.2f}×)"
            cells.append(cell.rjust(max(len(name), len(cell))))
        lines.append("   " + " | ".join(cells))
    lines.append("   largest |Δw| against the per-example loop after the epoch:")
    for r in epochs:
        d = r["deviation"]
        ok = d["project SGD"] <= TOLERANCE and d["project update_mini_batch"] <= TOLERANCE
        shown = ", ".join(f"{name} {d[name]:.1e}" for name in names if name != "plain loop")
        lines.append(
            f"   m = {r['batch']}: {shown}; project float64 within {TOLERANCE:g}: {'yes' if ok else 'NO'}"
        )
    return lines


def gradient_table(grad: dict) -> list[str]:
    return [
        f"2. One gradient of {SIZES} ({grad['parameters']:,} parameters) for one digit",
        f"   finite differences (eq. 46): {grad['fd_passes']:,} forward passes, {grad['fd_seconds']:.3f} s",
        f"   one forward pass:            {grad['forward_seconds'] * 1e6:8.1f} µs",
        f"   one backprop:                {grad['backprop_seconds'] * 1e6:8.1f} µs"
        f" = {grad['backprop_in_passes']:.2f} forward passes measured"
        f" ({grad['backprop_in_mults']:.2f} counted in multiply-adds)",
        f"   finite differences / backprop: {grad['ratio']:,.0f}×",
        f"   largest relative difference of the two gradients: {grad['agreement']:.1e}",
    ]


def run(repeats: int = 5) -> str:
    """Run both benchmarks and return the table as text."""
    epochs = bench_epochs(repeats)
    grad = bench_gradient()
    lines = ["Backprop Explorer benchmark", f"machine: {machine_description()}"]
    if not baselines.torch_available():
        lines.append("(torch is not installed: its column is left out)")
    lines += ["", *epoch_table(epochs, repeats), "", *gradient_table(grad)]
    return "\n".join(lines)


__all__ = ["SIZES", "TOLERANCE", "bench_epochs", "bench_gradient", "contenders", "machine_description", "run"]
