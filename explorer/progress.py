"""A small text progress bar for long work started from a terminal (training, benchmarks)."""

from __future__ import annotations

import sys
import time


class ProgressBar:
    """``bar = ProgressBar(total, "epoch 1")``; ``bar.update(done)``; ``bar.close()``.

    Draws on a terminal only (a log file gets no carriage-return clutter); redraws at most
    ten times a second so it costs nothing next to the work it reports.
    """

    def __init__(self, total: int, label: str = "", stream=None, width: int = 30):
        self.total = max(int(total), 1)
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.enabled = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._last = 0.0
        self._start = time.perf_counter()

    def render(self, done: int) -> str:
        frac = min(max(done / self.total, 0.0), 1.0)
        filled = round(frac * self.width)
        elapsed = time.perf_counter() - self._start
        return (
            f"{self.label} [{'#' * filled}{'.' * (self.width - filled)}] "
            f"{100 * frac:5.1f}% {done}/{self.total} {elapsed:5.1f}s"
        )

    def update(self, done: int) -> None:
        now = time.perf_counter()
        if self.enabled and (now - self._last > 0.1 or done >= self.total):
            self._last = now
            self.stream.write("\r" + self.render(done))
            self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * (len(self.render(self.total)) + 2) + "\r")
            self.stream.flush()
