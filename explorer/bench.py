"""Benchmarks of the core, printed as a table a person can read (``python -m explorer bench``).

Two questions from the chapter, answered by measuring, with baselines timed in the same run
and the repetitions interleaved so that a busy machine slows both sides alike:

1. How much faster is the fully matrix-based mini-batch than the per-example loop? (The
   chapter reports about 2×.) One training epoch over 8,000 digits of [784, 30, 10].
2. In what sense is backpropagation fast? One gradient by finite differences (eq. 46) against
   one by backprop, and the cost of backprop expressed in forward passes (the chapter: about 2).
"""

from __future__ import annotations

import os
import platform
import statistics
import time

import numpy as np

from .core import Network, finite_difference_gradient, load_mnist
from .progress import ProgressBar

SIZES = [784, 30, 10]


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


def _epoch_seconds(training, batch: int, method: str, dtype, seed: int = 0):
    net = Network(SIZES, seed=seed, dtype=dtype)
    # The epoch's own time: SGD's one-time checks and data layout are not part of it.
    (epoch,) = net.SGD(training, 1, batch, 3.0, method=method)
    return epoch.seconds, net


def bench_epochs(repeats: int = 5, batches=(10, 100)) -> list[dict]:
    """Median epoch times: matrix (float64, float32) against the per-example loop (float64)."""
    (X, Y), _ = load_mnist(format="arrays")
    rows = []
    bar = ProgressBar(repeats * len(batches), "epochs")
    for b_i, batch in enumerate(batches):
        times = {"loop": [], "matrix": [], "matrix32": []}
        deviation = deviation32 = 0.0
        for r in range(repeats):
            # Interleaved: loop, matrix, float32 matrix, then again.
            t_loop, net_loop = _epoch_seconds((X, Y), batch, "loop", np.float64)
            t_mat, net_mat = _epoch_seconds((X, Y), batch, "matrix", np.float64)
            t_32, net_32 = _epoch_seconds((X, Y), batch, "matrix", np.float32)
            times["loop"].append(t_loop)
            times["matrix"].append(t_mat)
            times["matrix32"].append(t_32)
            for l in net_loop.layers:
                deviation = max(deviation, float(np.abs(net_loop.weights[l] - net_mat.weights[l]).max()))
                deviation32 = max(deviation32, float(np.abs(net_loop.weights[l] - net_32.weights[l]).max()))
            bar.update(b_i * repeats + r + 1)
        med = {k: statistics.median(v) for k, v in times.items()}
        rows.append(
            {
                "batch": batch,
                "loop": med["loop"],
                "matrix": med["matrix"],
                "matrix32": med["matrix32"],
                "speedup": med["loop"] / med["matrix"],
                "speedup32": med["loop"] / med["matrix32"],
                "deviation": deviation,
                "deviation32": deviation32,
            }
        )
    bar.close()
    return rows


def _median_time(fn, repeats: int, number: int) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples)


def bench_gradient(repeats: int = 3) -> dict:
    """One gradient of [784, 30, 10] for one digit: finite differences against backprop."""
    (X, Y), _ = load_mnist(n_train=1, n_test=0, format="arrays")
    net = Network(SIZES, seed=0)
    x, y = net.prepare_examples(X, Y)
    forward = backprop = 0.0
    fd_seconds = []
    bar = ProgressBar(repeats, "gradient")
    for r in range(repeats):
        # One forward pass computing C (what eq. 46 needs per parameter) and one backprop
        # (the chapter's algorithm for one example), timed alternately.
        forward = _median_time(lambda: net._cost_unchecked(x, y), 5, 200)
        backprop = _median_time(lambda: net._backprop(x, y), 5, 200)
        start = time.perf_counter()
        fd = finite_difference_gradient(net, x, y)
        fd_seconds.append(time.perf_counter() - start)
        bar.update(r + 1)
    bar.close()
    _, nabla_w = net._backprop(x, y)
    agreement = max(
        float(np.abs(fd.nabla_w[l] - nabla_w[l]).max() / np.abs(nabla_w[l]).max()) for l in net.layers
    )
    fd_time = statistics.median(fd_seconds)
    return {
        "parameters": net.n_parameters,
        "fd_passes": fd.forward_passes,
        "fd_seconds": fd_time,
        "forward_seconds": forward,
        "backprop_seconds": backprop,
        "ratio": fd_time / backprop,
        "backprop_in_passes": backprop / forward,
        "agreement": agreement,
    }


def run(repeats: int = 5) -> str:
    """Run both benchmarks and return the table as text."""
    epochs = bench_epochs(repeats)
    grad = bench_gradient()
    lines = [
        "Backprop Explorer benchmark",
        f"machine: {machine_description()}",
        "",
        f"1. One training epoch over 8,000 digits, {SIZES}, medians of {repeats} interleaved runs",
        "   batch | per-example loop | matrix float64 | speed-up | matrix float32 | speed-up | max |Δw| vs loop (f64, f32)",
    ]
    for r in epochs:
        lines.append(
            f"   {r['batch']:5d} | {r['loop'] * 1e3:13.1f} ms | {r['matrix'] * 1e3:11.1f} ms | "
            f"{r['speedup']:7.1f}× | {r['matrix32'] * 1e3:11.1f} ms | {r['speedup32']:7.1f}× | "
            f"{r['deviation']:.1e}, {r['deviation32']:.1e}"
        )
    lines += [
        "",
        f"2. One gradient of {SIZES} ({grad['parameters']:,} parameters) for one digit",
        f"   finite differences (eq. 46): {grad['fd_passes']:,} forward passes, {grad['fd_seconds']:.3f} s",
        f"   one forward pass:            {grad['forward_seconds'] * 1e6:8.1f} µs",
        f"   one backprop:                {grad['backprop_seconds'] * 1e6:8.1f} µs"
        f" = {grad['backprop_in_passes']:.2f} forward passes",
        f"   finite differences / backprop: {grad['ratio']:,.0f}×",
        f"   largest relative difference of the two gradients: {grad['agreement']:.1e}",
    ]
    return "\n".join(lines)
