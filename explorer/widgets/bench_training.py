"""Does drawing slow training down? The training panel's epoch against ``Network.SGD``'s.

Both train the same network from the same seed on the same 8,000 digits with the same
mini-batches (the panel ends with the same weights, checked here). The core's epoch is
``SGD``'s own per-epoch time; the panel's is the wall time of its live run on an asyncio loop,
as in a notebook: chunks of mini-batches, a yield to the loop after each, the test set after
each epoch, the probe traces, and the figures' numbers sent (the browser draws them) every
``REDRAW_SECONDS``. Repetitions are interleaved; medians are printed.
"""

from __future__ import annotations

import asyncio
import statistics
import time

import numpy as np

from ..core import Network, load_mnist
from ..progress import ProgressBar
from .chapter.training import REDRAW_SECONDS, TrainingPanel

EPOCHS = 10  # the panel's default run
BATCHES = (10, 100)


def _core_epochs(training, batch: int, epochs: int, seed: int, test) -> tuple[float, float, Network]:
    """(median seconds per epoch as SGD reports it, wall seconds per epoch with the test set, net)."""
    net = Network([784, 30, 10], seed=seed)
    start = time.perf_counter()
    history = net.SGD(training, epochs, batch, 3.0, test_data=test)
    wall = (time.perf_counter() - start) / epochs
    return statistics.median(r.seconds for r in history), wall, net


def _panel_epochs(panel: TrainingPanel, batch: int, epochs: int, seed: int) -> tuple[float, int]:
    """Seconds per epoch of the panel's live run, and how many redraws it made."""
    panel.batch_text.value = batch
    panel.epochs_text.value = epochs
    panel.seed_text.value = seed  # a changed setting resets the network
    panel.reset(keep_reference=False)
    redraws_before = panel.redraws

    async def live():
        start = time.perf_counter()
        panel.start()
        await panel.wait()
        return time.perf_counter() - start

    seconds = asyncio.run(live())
    return seconds / epochs, panel.redraws - redraws_before


def measure(repeats: int = 5, epochs: int = EPOCHS, batches=BATCHES, seed: int = 0) -> list[dict]:
    training, test = load_mnist(format="arrays")
    panel = TrainingPanel(seed=seed)
    rows = []
    bar = ProgressBar(repeats * len(batches), "training panel")
    for b_i, batch in enumerate(batches):
        core, core_wall, ours, redraws = [], [], [], []
        deviation = 0.0
        for r in range(repeats):
            t_core, t_wall, net = _core_epochs(training, batch, epochs, seed, test)
            t_panel, n_draws = _panel_epochs(panel, batch, epochs, seed)
            core.append(t_core)
            core_wall.append(t_wall)
            ours.append(t_panel)
            redraws.append(n_draws)
            for l in net.layers:
                deviation = max(deviation, float(np.abs(net.weights[l] - panel.net.weights[l]).max()))
            bar.update(b_i * repeats + r + 1)
        med_core, med_panel = statistics.median(core), statistics.median(ours)
        rows.append(
            {
                "batch": batch,
                "core": med_core,
                "core_with_test": statistics.median(core_wall),
                "panel": med_panel,
                "ratio": med_panel / med_core,
                "redraws": statistics.median(redraws),
                "deviation": deviation,
            }
        )
    bar.close()
    panel.close()
    return rows


def run(repeats: int = 5) -> str:
    """The table: SGD's epoch, the panel's epoch, their ratio. The panel's epoch also holds
    the test set (SGD's with it is the third column) and its share of the redraws."""
    from ..bench import machine_description

    rows = measure(repeats)
    lines = [
        "Training panel against the core: one epoch of [784, 30, 10] on 8,000 digits, η = 3, seed 0",
        f"machine: {machine_description()}",
        f"medians of {repeats} interleaved runs of {EPOCHS} epochs each; the panel redraws every "
        f"{REDRAW_SECONDS:g} s while it trains",
        "",
        "   batch | SGD epoch | SGD + test set | panel epoch (live, sending)  | panel / SGD | redraws per run | max |Δw|",
    ]
    for r in rows:
        lines.append(
            f"   {r['batch']:5d} | {r['core'] * 1e3:6.1f} ms | {r['core_with_test'] * 1e3:11.1f} ms | "
            f"{r['panel'] * 1e3:24.1f} ms | {r['ratio']:10.2f}× | {r['redraws']:15.0f} | {r['deviation']:.1e}"
        )
    return "\n".join(lines)


__all__ = ["measure", "run"]
