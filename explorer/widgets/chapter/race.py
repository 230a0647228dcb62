"""The race: finite differences (eq. 46) against backpropagation, for one gradient.

The chapter's section "In what sense is backpropagation a fast algorithm?": nudging each of P
parameters and re-running the network costs P + 1 forward passes (2P for central differences),
while backpropagation gets all P derivatives from one forward and one backward pass, about the
price of two forward passes. The panel measures both on networks from a dozen parameters to a
few hundred thousand, plots passes and seconds against P on log axes and states the ratio; then
it lets a student start finite differences on a large network and watch the pass counter climb
long after backprop has finished.

Both plots are a ``Plot`` drawn by the browser. Its axes are linear, so the log axes are
made here: every mark's numbers are log10 of P, of passes and of seconds, and the ticks are
labelled 10^k. A sweep sends the curves once; during a race each refresh sends only the
marker's two numbers and its label.

The finite-difference run is ``core.finite_differences.FiniteDifferenceRun``, advanced in chunks of
about ``CHUNK_SECONDS`` on the kernel's event loop; between chunks the loop handles other
messages, so the stop button is honoured within one chunk. ``begin_race`` and ``run_chunk``
drive the same steps by hand where no loop runs (tests, scripts).
"""

from __future__ import annotations

import asyncio
import html
import math
import statistics
import time
from dataclasses import dataclass

from .. import ui as widgets
import numpy as np

from ..panel import PanelBox
from ...core import Network, load_mnist
from ...core.finite_differences import FiniteDifferenceRun
from ...core.speed import multiply_adds, time_backprop, time_passes
from ..drawing import Plot
from ..markup import num_span, number

#: The networks of the sweep: from a dozen parameters to beyond the book's [784, 30, 10].
NETWORKS = (
    (2, 3, 1),
    (4, 8, 2),
    (16, 16, 10),
    (64, 30, 10),
    (196, 30, 10),
    (784, 30, 10),
    (784, 100, 10),
    (784, 300, 100, 10),
)
#: The network the summary sentence is about (the book's).
HEADLINE = (784, 30, 10)
#: Run finite differences to the end when that is expected to take at most this long;
#: otherwise run them this long and extrapolate from the passes done (shown hollow).
FD_COMPLETE_SECONDS = 1.0
FD_SAMPLE_SECONDS = 0.2
#: The live race advances in chunks of about this long, then yields to the event loop.
CHUNK_SECONDS = 0.04
YIELD_SECONDS = 0.001
#: Progress widgets and the live marker are refreshed at most this often.
REFRESH_SECONDS = 0.15

_FD_COLOUR, _CENTRAL_COLOUR, _BP_COLOUR = "#d62728", "#ff9896", "#1f77b4"

#: A forward pass shorter than this is mostly Python's fixed cost per call (checks, dictionary
#: look-ups, small numpy calls), not arithmetic: a ratio of two such timings measures the
#: interpreter, and can even put backprop, which contains a forward pass, under one pass.
TIMING_FLOOR_SECONDS = 1e-4


def n_parameters(sizes) -> int:
    return sum(sizes[i + 1] * (sizes[i] + 1) for i in range(len(sizes) - 1))


def example_for(sizes, seed: int = 0):
    """(x, y) for a network: a real digit for 784 inputs, else a random point; target class 0."""
    if sizes[0] == 784:
        (X, _), _ = load_mnist(n_train=1, n_test=0, format="arrays")
        x = X[:, :1]
    else:
        x = np.random.default_rng(seed).uniform(0.0, 1.0, (sizes[0], 1))
    y = np.zeros((sizes[-1], 1))
    y[0, 0] = 1.0
    return x, y


@dataclass(frozen=True)
class RaceRow:
    """One network of the sweep: what one gradient costs both ways."""

    sizes: tuple[int, ...]
    parameters: int
    fd_passes: int  # P + 1 forward passes (eq. 46)
    fd_central_passes: int  # 2P
    fd_passes_run: int  # passes actually run and timed
    fd_seconds: float  # all P + 1 passes (median time per pass × P + 1); see ``extrapolated``
    forward_seconds: float  # one forward pass computing C (core.speed.forward_pass)
    backprop_seconds: float  # one forward + one backward pass (core.speed.backprop_pass)
    backprop_forward_passes: int = 1
    backprop_backward_passes: int = 1

    @property
    def extrapolated(self) -> bool:
        return self.fd_passes_run < self.fd_passes

    @property
    def backprop_in_forward_passes(self) -> float:
        """Backprop's time in units of one forward pass (the chapter: about two)."""
        return self.backprop_seconds / self.forward_seconds

    @property
    def backprop_in_forward_mults(self) -> float:
        """The same ratio counted in multiply-adds: the arithmetic's answer, on any machine."""
        forward, backprop = multiply_adds(self.sizes)
        return backprop / forward

    @property
    def at_timing_floor(self) -> bool:
        """The timed ratio is not the arithmetic: one forward pass took under
        ``TIMING_FLOOR_SECONDS`` (mostly overhead), or backprop, which contains a forward pass,
        timed under one (the clock caught overhead or a busy moment, not work)."""
        return self.forward_seconds < TIMING_FLOOR_SECONDS or self.backprop_in_forward_passes < 1

    @property
    def ratio(self) -> float:
        """How many times longer finite differences take than backprop."""
        return self.fd_seconds / self.backprop_seconds


def measure_network(sizes, seed: int = 0, complete_seconds: float = FD_COMPLETE_SECONDS,
                    sample_seconds: float = FD_SAMPLE_SECONDS) -> RaceRow:
    """Time one forward pass, one backprop and finite differences for one network."""
    sizes = tuple(int(n) for n in sizes)
    net = Network(list(sizes), seed=seed)
    x, y = example_for(sizes, seed)
    X, Y = net.prepare_examples(x, y)
    # The same timing as ``python -m explorer bench``: alternated, medians of short loops.
    passes = time_passes(net, X, Y, rounds=3, samples=3, sample_seconds=0.002)
    forward_s, backprop_s = passes.forward_seconds, passes.backprop_seconds
    run = FiniteDifferenceRun(net, X, Y)
    # Small enough: every pass, however long a busy machine makes it. Else a sample. The time
    # per pass is the median over short stretches (about 2 ms), the statistic the forward pass
    # and backprop get too: on a shared machine one long run collects every interruption and
    # a median of short ones does not, which would skew the comparison. A tiny network's
    # gradient is over in one stretch, so it is computed again until there are five.
    complete = forward_s * run.total <= complete_seconds
    stretch = max(1, round(0.002 / forward_s))
    deadline = time.perf_counter() + sample_seconds
    per_pass, current = [], run
    while True:
        if current.done:
            if not complete or len(per_pass) >= 5:
                break
            current = FiniteDifferenceRun(net, X, Y)
        if not complete and time.perf_counter() >= deadline:
            break
        before, start = current.passes, time.perf_counter()
        current.advance(max_parameters=stretch)
        per_pass.append((time.perf_counter() - start) / (current.passes - before))
    fd_seconds = statistics.median(per_pass) * run.total
    return RaceRow(
        sizes=sizes,
        parameters=net.n_parameters,
        fd_passes=run.total,
        fd_central_passes=2 * net.n_parameters,
        fd_passes_run=run.passes,
        fd_seconds=fd_seconds,
        forward_seconds=forward_s,
        backprop_seconds=backprop_s,
    )


# ----------------------------------------------------------------------------- formatting
def fmt_seconds(seconds: float) -> str:
    if seconds >= 1:
        return f"{number(seconds, 3)} s"
    if seconds >= 1e-3:
        return f"{number(seconds * 1e3, 3)} ms"
    return f"{number(seconds * 1e6, 3)} µs"


def fmt_ratio(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else number(value, 3)


def num(name: str, value: float, shown: str) -> str:
    """A number shown as ``shown`` (seconds with their unit, counts with thousands separators),
    its exact value in a data attribute (tests read both): ``markup.num_span``'s hook."""
    span = num_span(name, value)
    return span[: span.index(">") + 1] + html.escape(shown) + "</span>"


def decade_ticks(lo: int, hi: int) -> list:
    """Ticks of a log10 axis from 10^lo to 10^hi: [k, "10^k"] (the browser raises the k)."""
    step = 1 if hi - lo <= 7 else 2
    return [[k, f"10^{k}" if k not in (0, 1) else str(10 ** k)] for k in range(lo, hi + 1, step)]


def log10(values) -> np.ndarray:
    return np.log10(np.asarray(values, dtype=float))


def sizes_label(sizes) -> str:
    return "[" + ", ".join(str(n) for n in sizes) + "]"


# ----------------------------------------------------------------------------- the panel
class RacePanel(PanelBox):
    """Finite differences against backprop: a measured sweep, then a live race.

    For tests and other code: ``rows`` (``RaceRow`` per network, after ``measure()``),
    ``table_html`` and ``summary_html`` (HTML widgets whose numbers are spans with the exact
    value in ``data-value``), ``plot`` (a ``Plot`` with axes ``"passes"`` and ``"seconds"``;
    every number in it is log10 of the value: marks ``fd_passes``, ``central_passes``,
    ``bp_passes``, ``fd_time``, ``fd_measured``, ``fd_extrapolated``, ``bp_time``, ``ratios``
    (labels), ``race`` (the live marker) and ``race_text``); for the race:
    ``network_dropdown``, ``method_buttons`` ("forward" / "central"), ``start_button``,
    ``stop_button``, ``progress``, ``progress_label``, ``backprop_label``, ``race_state``
    ("idle", "running", "stopped", "done"), ``race_net``, ``race_passes``, ``race_total``,
    ``race_seconds`` (finite differences' compute time so far), ``race_backprop_seconds``.
    """

    def __init__(self, networks=NETWORKS, race_sizes=HEADLINE, seed: int = 0):
        super().__init__()
        self.networks = tuple(tuple(int(n) for n in s) for s in networks)
        self.seed = seed
        self.rows: list[RaceRow] = []
        self.race_state = "idle"
        self.race_net = None
        self.race_passes = 0
        self.race_total = 0
        self.race_seconds = 0.0
        self.race_backprop_seconds = math.nan
        self._run: FiniteDifferenceRun | None = None
        self._task = None
        self._token = None
        #: The sweep started by the "measure again" button on a running loop (an asyncio task).
        self.measure_task = None

        self.measure_button = widgets.Button(
            description="measure again", icon="stopwatch", layout=widgets.Layout(width="160px")
        )
        self.table_html = widgets.HTML()
        self.summary_html = widgets.HTML()
        labels = [(f"{sizes_label(s)}: {n_parameters(s):,} parameters", s) for s in self.networks]
        if tuple(race_sizes) not in self.networks:
            labels.append((f"{sizes_label(race_sizes)}: {n_parameters(race_sizes):,} parameters", tuple(race_sizes)))
        self.network_dropdown = widgets.Dropdown(
            options=labels, value=tuple(race_sizes), description="race on",
            layout=widgets.Layout(width="380px"),
        )
        self.method_buttons = widgets.ToggleButtons(
            options=[("forward difference, eq. 46 (P + 1 passes)", "forward"), ("central (2P passes)", "central")],
            value="forward", style={"button_width": "270px"},
        )
        self.start_button = widgets.Button(description="race!", icon="flag-checkered", button_style="danger")
        self.stop_button = widgets.Button(description="stop", icon="stop", disabled=True)
        self.progress = widgets.IntProgress(value=0, min=0, max=1, layout=widgets.Layout(width="420px"))
        self.progress_label = widgets.HTML()
        self.backprop_label = widgets.HTML()
        self.measure_button.on_click(lambda _: self._measure_clicked())
        self.start_button.on_click(lambda _: self.start())
        self.stop_button.on_click(lambda _: self.stop())

        self.race_sizes = tuple(race_sizes)
        self._seconds_decades = (-6, 1)
        self.plot = Plot(spec=self._spec())
        # What never changes: the chapter's "about 2" and the legends, sent once.
        self.plot.show(chapter_rule={"y": [math.log10(2.0)]},
                       chapter_text={"items": [{"px": 6, "y": math.log10(2.0) + 0.08, "text": "the chapter: about 2"}]},
                       **self._legends)
        self.widget = widgets.VBox([
            self.summary_html,
            self.plot,
            self.table_html,
            self.measure_button,
            widgets.HTML("<b>Race</b>: backprop first, then finite differences, one forward pass after another."),
            widgets.HBox([self.network_dropdown, self.start_button, self.stop_button]),
            self.method_buttons,
            self.backprop_label,
            widgets.HBox([self.progress, self.progress_label]),
        ])

    # ------------------------------------------------------------------ the sweep
    def measure(self, complete_seconds: float = FD_COMPLETE_SECONDS,
                sample_seconds: float = FD_SAMPLE_SECONDS) -> list[RaceRow]:
        """Measure every network (a second or two in all) and show the results."""
        self.rows = [
            measure_network(s, self.seed, complete_seconds, sample_seconds) for s in self.networks
        ]
        self.show_rows()
        return self.rows

    def _measure_clicked(self) -> None:
        """On a live loop, one network at a time with a yield between: the kernel stays responsive
        and the points appear one by one. Without a loop, all at once."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.measure()
            return

        async def sweep():
            try:
                rows = []
                for sizes in self.networks:
                    rows.append(measure_network(sizes, self.seed))
                    self.rows = list(rows)
                    self.show_rows()
                    await asyncio.sleep(YIELD_SECONDS)
            finally:
                self.measure_button.disabled = False

        self.measure_button.disabled = True
        self.measure_task = loop.create_task(sweep())

    def show_rows(self) -> None:
        """Draw ``rows`` (the measured networks) as the plot, the table and the summary."""
        rows = self.rows
        P = np.array([r.parameters for r in rows], dtype=float)
        measured = np.array([not r.extrapolated for r in rows])
        fd_s = np.array([r.fd_seconds for r in rows])
        bp_s = np.array([r.backprop_seconds for r in rows])
        t_lo = min(bp_s.min(), fd_s.min())
        t_hi = max(fd_s.max(), 10.0)
        decades = (math.floor(math.log10(t_lo)), math.ceil(math.log10(t_hi)))
        if decades != self._seconds_decades:  # other ticks: a new spec (rare: the sweep's first rows)
            self._seconds_decades = decades
            self.plot.spec = self._spec()
        x = log10(P)
        ratio_items, arrows_x, arrows_y = [], [], []
        for r in rows:
            if r.sizes in (HEADLINE, rows[-1].sizes):
                xr = math.log10(r.parameters)
                ratio_items.append({"x": xr - 0.08, "y": math.log10(math.sqrt(r.fd_seconds * r.backprop_seconds)),
                                    "text": f"× {fmt_ratio(r.ratio)}", "anchor": "end", "color": "#333333"})
                arrows_x += [xr, xr, math.nan]
                arrows_y += [math.log10(r.backprop_seconds * 1.3), math.log10(r.fd_seconds / 1.3), math.nan]
        # One message with every curve (a few hundred bytes for eight networks).
        self.plot.show(
            fd_passes={"x": x, "y": log10([r.fd_passes for r in rows])},
            fd_passes_points={"x": x, "y": log10([r.fd_passes for r in rows])},
            central_passes={"x": x, "y": log10([r.fd_central_passes for r in rows])},
            central_passes_points={"x": x, "y": log10([r.fd_central_passes for r in rows])},
            bp_passes={"x": x, "y": log10([r.backprop_in_forward_passes for r in rows])},
            bp_passes_points={"x": x, "y": log10([r.backprop_in_forward_passes for r in rows])},
            fd_time={"x": x, "y": log10(fd_s)},
            fd_measured={"x": x[measured], "y": log10(fd_s[measured])},
            fd_extrapolated={"x": x[~measured], "y": log10(fd_s[~measured])},
            bp_time={"x": x, "y": log10(bp_s)},
            bp_time_points={"x": x, "y": log10(bp_s)},
            ratios={"items": ratio_items},
            ratio_arrows={"x": arrows_x, "y": arrows_y},
            **{"@seconds": {"ylim": list(decades)}},
        )
        self.table_html.value = self._table()
        self.summary_html.value = self._summary()

    def _table(self) -> str:
        cell = "padding:2px 9px;text-align:right;white-space:nowrap"
        head = "".join(
            f"<th style='{cell}'>{h}</th>"
            for h in ("network", "P", "FD passes<br>(P + 1)", "central<br>(2P)", "FD time",
                      "one forward<br>pass", "backprop<br>(1 forward + 1 backward)",
                      "backprop in forward<br>passes, counted", "… timed<br>here", "FD / backprop")
        )
        rows = []
        for i, r in enumerate(self.rows):
            fd_time = fmt_seconds(r.fd_seconds) + (" (extrapolated)" if r.extrapolated else "")
            cells = [
                sizes_label(r.sizes),
                num(f"P{i}", r.parameters, f"{r.parameters:,}"),
                num(f"fd_passes{i}", r.fd_passes, f"{r.fd_passes:,}"),
                num(f"central_passes{i}", r.fd_central_passes, f"{r.fd_central_passes:,}"),
                num(f"fd_seconds{i}", r.fd_seconds, fd_time),
                num(f"forward_seconds{i}", r.forward_seconds, fmt_seconds(r.forward_seconds)),
                num(f"backprop_seconds{i}", r.backprop_seconds, fmt_seconds(r.backprop_seconds)),
                num(f"bp_mults{i}", r.backprop_in_forward_mults, number(r.backprop_in_forward_mults, 3)),
                num(f"bp_passes{i}", r.backprop_in_forward_passes, number(r.backprop_in_forward_passes, 2))
                + ("<sup>†</sup>" if r.at_timing_floor else ""),
                "<b>" + num(f"ratio{i}", r.ratio, "× " + fmt_ratio(r.ratio)) + "</b>",
            ]
            rows.append("<tr>" + "".join(f"<td style='{cell}'>{c}</td>" for c in cells) + "</tr>")
        return (
            "<table style='border-collapse:collapse;font-size:13px'>"
            f"<tr style='background:#eee'>{head}</tr>{''.join(rows)}</table>"
            "<div style='font-size:12px;color:#555'>P: weights and biases; FD: finite differences "
            "(eq. 46). Times are medians on this machine; for finite differences, the median time "
            "of one pass over stretches of about 2 ms, times P + 1, so that a busy moment of a "
            "shared machine does not count against one side only. Finite differences run to the "
            "end where that should take under a second, on bigger networks for a fifth of a "
            "second (hollow markers: extrapolated). Backprop in forward passes: counted in "
            "multiply-adds (the arithmetic: a little over two, as the chapter says) and timed here. "
            f"† Not the arithmetic: a forward pass under {number(TIMING_FLOOR_SECONDS * 1e6)} µs is mostly "
            "Python's fixed cost per call, and a busy moment of the machine can slow either side, so "
            "such a timed ratio can even fall under one pass, although backprop contains a whole "
            "forward pass. The counted column is the fact.</div>"
        )

    def _summary(self) -> str:
        row = next((r for r in self.rows if r.sizes == HEADLINE), self.rows[-1])
        how = "extrapolated" if row.extrapolated else "measured"
        return (
            f"<div style='font-size:15px;line-height:1.5'>For {sizes_label(row.sizes)} "
            f"({num('summary_P', row.parameters, f'{row.parameters:,}')} parameters), finite "
            f"differences (eq. 46) need {num('summary_fd_passes', row.fd_passes, f'{row.fd_passes:,}')} "
            f"forward passes: {num('summary_fd_seconds', row.fd_seconds, fmt_seconds(row.fd_seconds))} ({how}). "
            f"Backprop needs one forward and one backward pass: "
            f"{num('summary_bp_seconds', row.backprop_seconds, fmt_seconds(row.backprop_seconds))}, the time of "
            f"{num('summary_bp_passes', row.backprop_in_forward_passes, number(row.backprop_in_forward_passes, 2))} "
            f"forward passes here ({num('summary_bp_mults', row.backprop_in_forward_mults, number(row.backprop_in_forward_mults, 3))} "
            f"counted in multiply-adds). <b>Backprop is {num('summary_ratio', row.ratio, fmt_ratio(row.ratio))} times "
            f"faster</b>, and the gap grows in proportion to P.</div>"
        )

    # ------------------------------------------------------------------ figure
    def _spec(self) -> dict:
        """Two log-log axes (log10 done here, ticks 10^k). P's range is known before measuring."""
        Ps = [n_parameters(s) for s in self.networks + (self.race_sizes,)]
        x_lo, x_hi = math.log10(min(Ps) / 2), math.log10(max(Ps) * 2)
        x_ticks = decade_ticks(math.ceil(x_lo), math.floor(x_hi))
        p_hi = math.ceil(math.log10(2 * max(Ps)))
        t_lo, t_hi = self._seconds_decades
        common = {"top": 30, "width": 390, "height": 260, "grid": True, "xlim": [x_lo, x_hi],
                  "xticks": x_ticks, "xlabel": "parameters P (weights and biases)"}

        def legend(entries):
            return {"items": [{"px": 8, "py": 16 + 16 * i, "text": text, "color": colour}
                              for i, (text, colour) in enumerate(entries)]}

        def curve(id_, colour, dash=None, r=4, stroke=None):
            line = {"id": id_, "type": "line", "color": colour, "width": 1.5}
            if dash:
                line["dash"] = dash
            points = {"id": f"{id_}_points", "type": "points", "color": colour, "r": r}
            return [line, points]

        self._legends = {
            "passes_legend": legend([("● finite differences: P + 1", _FD_COLOUR),
                                     ("■ central differences: 2P", _CENTRAL_COLOUR),
                                     ("● backprop (its time in forward passes)", _BP_COLOUR)]),
            "seconds_legend": legend([("● finite differences, measured", _FD_COLOUR),
                                      ("○ … extrapolated", _FD_COLOUR), ("● backprop", _BP_COLOUR),
                                      ("● the race, so far", "#ff7f0e")]),
        }
        return {
            "name": "backprop-race", "width": 940, "height": 350,
            "description": "forward passes and seconds for one gradient against P, finite differences and backprop",
            "axes": [
                {**common, "id": "passes", "left": 60, "ylim": [math.log10(0.5), p_hi],
                 "yticks": decade_ticks(0, p_hi), "title": "forward passes for one gradient",
                 "marks": curve("fd_passes", _FD_COLOUR) + curve("central_passes", _CENTRAL_COLOUR, "5,3", r=3)
                 + curve("bp_passes", _BP_COLOUR)
                 + [{"id": "chapter_rule", "type": "rule", "color": _BP_COLOUR, "width": 0.8, "dash": "2,3"},
                    {"id": "chapter_text", "type": "text", "color": _BP_COLOUR},
                    {"id": "passes_legend", "type": "text"}]},
                {**common, "id": "seconds", "left": 530, "ylim": [t_lo, t_hi],
                 "yticks": decade_ticks(t_lo, t_hi), "title": "seconds for one gradient (this machine)",
                 "marks": [{"id": "fd_time", "type": "line", "color": _FD_COLOUR, "width": 1.2},
                           {"id": "fd_measured", "type": "points", "color": _FD_COLOUR, "r": 4},
                           {"id": "fd_extrapolated", "type": "points", "color": "#ffffff", "stroke": _FD_COLOUR, "r": 4}]
                 + curve("bp_time", _BP_COLOUR)
                 + [{"id": "ratio_arrows", "type": "line", "color": "#666666", "width": 1},
                    {"id": "ratios", "type": "text"},
                    {"id": "race", "type": "points", "color": "#ff7f0e", "stroke": "#a04000", "r": 8},
                    {"id": "race_text", "type": "text", "color": "#c25e00"},
                    {"id": "seconds_legend", "type": "text"}]},
            ],
        }

    def _show_race_marker(self) -> None:
        """The race's star: two numbers (log10 P, log10 seconds so far) and its label."""
        if self.race_net is None or self.race_seconds <= 0:
            self.plot.show(race={"x": [], "y": []}, race_text={"items": []})
        else:
            x, y = math.log10(self.race_net.n_parameters), math.log10(self.race_seconds)
            self.plot.show(race={"x": [x], "y": [y]}, race_text={"items": [self.race_label(x, y)]})

    def race_label(self, x: float, y: float) -> dict:
        """The star's "N passes", kept inside the axes (their marks are clipped to them): on the
        star's left when it is in the right half, under it near the top."""
        Ps = [n_parameters(s) for s in self.networks + (self.race_sizes,)]
        x_lo, x_hi = math.log10(min(Ps) / 2), math.log10(max(Ps) * 2)  # as _spec sets them
        t_lo, t_hi = self._seconds_decades
        right = x > (x_lo + x_hi) / 2
        above = y + 0.3 < t_hi - 0.35
        return {"x": x + (-0.12 if right else 0.12), "y": y + 0.3 if above else y - 0.55,
                "text": f"{self.race_passes:,} passes", "anchor": "end" if right else "start"}

    # ------------------------------------------------------------------ the race
    def begin_race(self) -> None:
        """Backprop on the chosen network (timed), then a finite-difference run ready to go."""
        self._token = None
        sizes = self.network_dropdown.value
        net = Network(list(sizes), seed=self.seed)
        x, y = example_for(sizes, self.seed)
        X, Y = net.prepare_examples(x, y)
        self.race_net, self._race_example = net, (X, Y)
        self.race_backprop_seconds = time_backprop(net, X, Y, samples=5)
        self._race_backprop = net.backprop(X, Y)
        self._run = FiniteDifferenceRun(net, X, Y, central=self.method_buttons.value == "central")
        self.race_total = self._run.total
        self.race_passes = 0
        self.race_seconds = 0.0
        self.race_state = "running"
        self.progress.max = self.race_total
        self.progress.value = 0
        self.backprop_label.value = (
            f"<span style='color:{_BP_COLOUR};font-size:15px'><b>backprop: finished</b> in "
            f"{num('race_bp_seconds', self.race_backprop_seconds, fmt_seconds(self.race_backprop_seconds))}"
            f" (one forward pass and one backward pass), all {net.n_parameters:,} derivatives at once.</span>"
        )
        self._last_refresh = 0.0
        self._refresh(force=True)

    def run_chunk(self, seconds: float = CHUNK_SECONDS) -> bool:
        """Advance finite differences for about ``seconds``; True once the gradient is complete."""
        if self._run is None or self.race_state != "running":
            return self.race_state == "done"
        start = time.perf_counter()
        self._run.advance(max_seconds=seconds)
        self.race_seconds += time.perf_counter() - start
        self.race_passes = self._run.passes
        if self._run.done:
            self._finish()
            return True
        self._refresh()
        return False

    def _finish(self) -> None:
        self.race_state = "done"
        fd = self._run.result()
        nabla_b, nabla_w = self._race_backprop
        scale = max(float(np.abs(nabla_w[l]).max()) for l in self.race_net.layers)
        self.race_agreement = max(
            float(np.abs(fd.nabla_w[l] - nabla_w[l]).max()) for l in self.race_net.layers
        ) / scale
        self._token = None
        self._refresh(force=True)

    def stop(self) -> None:
        """Stop finite differences where they are (the network is left as it was)."""
        if self.race_state == "running":
            self._token = None
            self.race_state = "stopped"
            self._refresh(force=True)

    def start(self) -> bool:
        """Begin a race and run finite differences on the event loop, chunk by chunk."""
        if self.race_state == "running" and self._token is not None:
            return True
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.progress_label.value = (
                "<span style='color:#b00'>no running event loop here: use begin_race() and run_chunk()</span>"
            )
            return False
        self.begin_race()
        token = object()
        self._token = token
        self._task = loop.create_task(self._race(token))
        self._sync_buttons()
        return True

    async def _race(self, token) -> None:
        try:
            while self._token is token and self.race_state == "running":
                if self.run_chunk(CHUNK_SECONDS):
                    break
                await asyncio.sleep(YIELD_SECONDS)
        except Exception as error:  # shown, not lost in a task nobody awaits
            self.race_state = "stopped"
            self.progress_label.value = f"<span style='color:#b00'>{html.escape(str(error))}</span>"
        finally:
            if self._token is token:
                self._token = None
            self._sync_buttons()

    async def wait(self) -> None:
        if self._task is not None:
            await asyncio.shield(self._task)

    @property
    def running(self) -> bool:
        return self._token is not None and self._task is not None and not self._task.done()

    def _sync_buttons(self) -> None:
        running = self.race_state == "running"
        self.start_button.disabled = running
        self.stop_button.disabled = not running

    def _refresh(self, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - self._last_refresh < REFRESH_SECONDS:
            return
        self._last_refresh = now
        self.progress.value = min(self.race_passes, self.progress.max)
        passes, total, seconds = self.race_passes, self.race_total, self.race_seconds
        shown = (
            f"{num('race_passes', passes, f'{passes:,}')} of {num('race_total', total, f'{total:,}')} "
            f"forward passes · {num('race_seconds', seconds, fmt_seconds(seconds))}"
        )
        bp = self.race_backprop_seconds
        if self.race_state == "running":
            if passes:
                left = seconds / passes * (total - passes)
                shown += f" · about {fmt_seconds(left)} to go"
            shown += f" · already {fmt_ratio(seconds / bp)} × backprop's time" if seconds else ""
        elif self.race_state == "stopped":
            shown = f"<b>stopped</b> after {shown}"
        elif self.race_state == "done":
            shown = (
                f"<b>finished</b>: {shown} = <b>{num('race_ratio', seconds / bp, fmt_ratio(seconds / bp))} × "
                f"backprop</b>; the two gradients agree to {number(self.race_agreement, 2)} (relative)"
            )
        self.progress_label.value = f"<span style='font-size:14px'>&nbsp;{shown}</span>"
        self._sync_buttons()
        self._show_race_marker()

    # ------------------------------------------------------------------ display
    def close(self) -> None:
        self._token = None
        super().close()



__all__ = ["HEADLINE", "NETWORKS", "RacePanel", "RaceRow", "measure_network", "n_parameters"]
