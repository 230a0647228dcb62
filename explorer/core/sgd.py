"""Stochastic gradient descent as a run that advances one mini-batch at a time.

The book's SGD (chapter 1, used again in chapter 2): each epoch shuffles the training data,
cuts it into mini-batches of m examples, and for each takes one gradient-descent step
w^l → w^l − η/m Σ_x δ^(x,l) (a^(x,l−1))ᵀ, b^l → b^l − η/m Σ_x δ^(x,l) (BP3, BP4 and eq. 20–21
of chapter 1 averaged over the mini-batch). ``Network.SGD`` runs this to the end in one call;
an ``SGDRun`` holds the same loop as state, so a panel on an event loop can advance it in
chunks (``advance(max_seconds=...)``), a student can take one step (``step()``), and both end
with exactly SGD's weights for the same seed: one ``net.rng.permutation(n)`` per epoch, cut
into consecutive mini-batches.

Divergence (weights that became infinite or NaN) ends the run with ``state == "diverged"``
and a ``message`` saying what to do; the run does not raise. ``Network.SGD`` raises it as a
``FloatingPointError``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import numpy as np

from .checks import require_finite_number, require_int

if TYPE_CHECKING:  # pragma: no cover
    from .network import Network

DIVERGED_MESSAGE = "training diverged: the weights became infinite or NaN; use a smaller eta"


@dataclass(frozen=True)
class EpochResult:
    """What a run reports after each epoch (``Network.SGD`` returns one per epoch)."""

    epoch: int
    correct: int | None
    total: int | None
    seconds: float

    @property
    def accuracy(self) -> float | None:
        return None if not self.total else self.correct / self.total


@dataclass(frozen=True)
class BatchProgress:
    """After a mini-batch: it was number ``batch`` (0-based) of ``n_batches`` in ``epoch``, and
    ``examples_seen`` examples of that epoch are now trained (what ``on_batch`` receives)."""

    epoch: int
    batch: int
    n_batches: int
    examples_seen: int


class SGDRun:
    """Mini-batch SGD on ``net``, advanced by hand: ``step()`` trains one mini-batch.

    ``training_data`` and ``test_data`` are as for ``Network.SGD`` (the book's lists of pairs,
    or arrays of columns). ``epochs`` is where the run ends (None: it never ends by itself).
    ``eta``, ``mini_batch_size`` and ``epochs`` may be changed between steps; a new mini-batch
    size acts from the next mini-batch (the rest of the epoch's permutation is cut into the
    new size).

    State for a reader: ``epoch`` (epochs completed), ``batch`` (mini-batches done in this
    epoch), ``n_batches`` (per epoch at the current size), ``position`` (examples of this epoch
    done), ``examples_seen`` (in all), ``history`` (one ``EpochResult`` per epoch), ``state``
    ("ready", "training", "done", "diverged"), ``done``, ``diverged``, ``message``; ``n`` (the
    number of training examples), ``test_set`` ((X, labels) as checked, or None).
    """

    def __init__(
        self,
        net: Network,
        training_data,
        mini_batch_size: int,
        eta: float,
        test_data=None,
        epochs: int | None = None,
        method: str = "matrix",
    ):
        if method not in ("matrix", "loop"):
            raise ValueError(f"method: expected 'matrix' or 'loop', got {method!r}")
        self.net = net
        self.method = method
        self.mini_batch_size = mini_batch_size
        self.eta = eta
        self.epochs = epochs
        # Rows are examples here, so that gathering a shuffled mini-batch copies whole rows
        # (contiguous memory) into a reused buffer, and its transpose is the book's matrix of
        # columns without a copy; the products then use BLAS' transposed flag.
        self._rows_x, self._rows_y = net._training_rows(training_data)
        self.test_set = net._test_set(test_data) if test_data is not None else None
        self.n = self._rows_x.shape[0]
        self._buffers = None
        self._order = None
        self._epoch_seconds = 0.0
        self.epoch = 0
        self.batch = 0
        self.position = 0
        self.examples_seen = 0
        self.history: list[EpochResult] = []
        self.message: str | None = None
        self._diverged = False

    # ------------------------------------------------------------------ settings
    @property
    def eta(self) -> float:
        """The learning rate η of the next steps."""
        return self._eta

    @eta.setter
    def eta(self, value) -> None:
        self._eta = require_finite_number(value, "eta")

    @property
    def mini_batch_size(self) -> int:
        """m, the number of examples per mini-batch from the next step on."""
        return self._m

    @mini_batch_size.setter
    def mini_batch_size(self, value) -> None:
        m = require_int(value, "mini_batch_size")
        if m < 1:
            raise ValueError(f"mini_batch_size: expected at least 1, got {m}")
        self._m = m

    @property
    def epochs(self) -> int | None:
        """The epoch count at which the run is done (None: never by itself)."""
        return self._epochs

    @epochs.setter
    def epochs(self, value) -> None:
        if value is not None:
            value = require_int(value, "epochs")
            if value < 0:
                raise ValueError(f"epochs: expected at least 0, got {value}")
        self._epochs = value

    # ------------------------------------------------------------------ where the run is
    @property
    def n_batches(self) -> int:
        """Mini-batches per epoch at the current mini-batch size."""
        return -(-self.n // self._m)

    @property
    def diverged(self) -> bool:
        return self._diverged

    @property
    def done(self) -> bool:
        """True once the epochs are trained or training diverged."""
        return self._diverged or (self._epochs is not None and self.epoch >= self._epochs)

    @property
    def state(self) -> str:
        if self._diverged:
            return "diverged"
        if self.done:
            return "done"
        return "ready" if self.examples_seen == 0 else "training"

    def __repr__(self) -> str:
        return (
            f"SGDRun(epoch {self.epoch}/{self._epochs}, batch {self.batch}/{self.n_batches}, "
            f"m = {self._m}, eta = {self._eta:g}, {self.state})"
        )

    # ------------------------------------------------------------------ training
    def next_batch(self) -> tuple[np.ndarray, np.ndarray]:
        """(X, Y), the columns the next ``step()`` trains on (read-only views; the epoch's
        permutation is drawn here if the epoch has not begun). For a cost sampled before the
        step: ``net.cost_of(*run.next_batch())``."""
        if self.done:
            raise ValueError(f"this run is {self.state}: there is no next mini-batch")
        bx, by = self._gather()
        bx, by = bx.T, by.T
        bx.flags.writeable = False
        by.flags.writeable = False
        return bx, by

    def _gather(self):
        if self._order is None:
            self._order = self.net.rng.permutation(self.n)  # the book: shuffle each epoch
        k, m = self.position, min(self._m, self.n)
        if self._buffers is None or self._buffers[0].shape[0] != m:
            dtype = self.net.dtype
            self._buffers = (
                np.empty((m, self._rows_x.shape[1]), dtype),
                np.empty((m, self._rows_y.shape[1]), dtype),
            )
        chosen = self._order[k : k + m]
        # The indices come from a permutation, so they are valid; the default mode="raise"
        # would gather into a hidden temporary first (measured 3× slower than "clip").
        bx = self._rows_x.take(chosen, axis=0, out=self._buffers[0][: len(chosen)], mode="clip")
        by = self._rows_y.take(chosen, axis=0, out=self._buffers[1][: len(chosen)], mode="clip")
        return bx, by

    def _train_one(self, bound=None) -> bool:
        """One mini-batch, with the network's arrays ``bound`` if given; True if it ended the
        epoch (then ``_end_epoch`` follows)."""
        bx, by = self._gather()
        self.net._train_step(bx.T, by.T, self._eta, self.method, bound)
        self.position += bx.shape[0]
        self.examples_seen += bx.shape[0]
        self.batch += 1
        return self.position >= self.n

    def _last_batch(self) -> BatchProgress:
        """What the mini-batch just trained was (before an epoch's end resets the counters)."""
        still_to_come = -(-(self.n - self.position) // self._m)  # if m stays as it is
        return BatchProgress(self.epoch, self.batch - 1, self.batch + still_to_come, self.position)

    def _end_epoch(self) -> EpochResult | None:
        """The divergence check, then the test set and the epoch's result (None if diverged)."""
        if self.check_divergence():
            return None
        correct = total = None
        if self.test_set is not None:
            correct, total = self.net._count_correct(*self.test_set), self.test_set[0].shape[1]
        result = EpochResult(self.epoch, correct, total, self._epoch_seconds)
        self.history.append(result)
        self.epoch += 1
        self.batch = 0
        self.position = 0
        self._order = None
        self._epoch_seconds = 0.0
        return result

    def step(self) -> BatchProgress | None:
        """Train one mini-batch; returns what it was (None, and no training, once done).

        The weights are checked for divergence at the end of each epoch, as ``Network.SGD``
        does (a full check costs as much as a small step), and by ``check_divergence()``.
        """
        if self.done:
            return None
        start = time.perf_counter()
        # Overflow on the way to divergence is expected: it is reported, not warned about.
        with np.errstate(over="ignore", invalid="ignore"):
            ended = self._train_one()
        self._epoch_seconds += time.perf_counter() - start
        progress = self._last_batch()
        if ended:
            self._end_epoch()
        return progress

    def advance(
        self,
        max_batches: int | None = None,
        max_seconds: float | None = None,
        *,
        on_batch: Callable[[BatchProgress], object] | None = None,
        on_epoch: Callable[[EpochResult], object] | None = None,
    ) -> int:
        """Train until ``max_batches`` mini-batches or ``max_seconds`` have passed, or the run is
        done (an event loop calls this with a short ``max_seconds``, then yields). ``on_batch``
        and ``on_epoch`` are called after each mini-batch and epoch. Returns the number of
        mini-batches trained; the weights are checked for divergence before it returns."""
        if max_batches is not None:
            max_batches = require_int(max_batches, "max_batches")
        if max_seconds is not None:
            max_seconds = require_finite_number(max_seconds, "max_seconds")
        clock = time.perf_counter
        deadline = None if max_seconds is None else clock() + max_seconds
        trained = 0
        # The network's arrays as lists, bound once for the stretch rather than once per step
        # (at m = 10 the look-ups show); again after a callback, which may replace them.
        bound = self.net._bound_parameters()
        # The epoch's time: the shuffle, the gathering and the steps (and any on_batch), not
        # the test set, nor the pauses between the calls of a run driven by hand.
        start = clock()
        with np.errstate(over="ignore", invalid="ignore"):  # once here, not once per step
            while not self.done and (max_batches is None or trained < max_batches):
                ended = self._train_one(bound)
                trained += 1
                if on_batch is not None:
                    on_batch(self._last_batch())
                    bound = self.net._bound_parameters()
                if ended:
                    self._epoch_seconds += clock() - start
                    result = self._end_epoch()
                    if on_epoch is not None and result is not None:
                        on_epoch(result)
                        bound = self.net._bound_parameters()
                    start = clock()
                if deadline is not None and clock() >= deadline:
                    break
        self._epoch_seconds += clock() - start
        if trained and self.position:  # (at an epoch's end the step has just checked)
            self.check_divergence()
        return trained

    def run(self) -> list[EpochResult]:
        """Train to the end (``epochs`` must be set); returns the history."""
        if self._epochs is None:
            raise ValueError("epochs: this run has no end (epochs=None); use advance() or step()")
        self.advance()
        return self.history

    def check_divergence(self) -> bool:
        """True (and the run ends as "diverged") if any weight or bias is infinite or NaN."""
        if not self._diverged and not self.net._parameters_finite():
            self._diverged = True
            self.message = DIVERGED_MESSAGE
        return self._diverged


__all__ = ["BatchProgress", "DIVERGED_MESSAGE", "EpochResult", "SGDRun"]
