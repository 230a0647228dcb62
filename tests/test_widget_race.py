"""The race panel: pass counts from the sizes, shown numbers consistent, a stop that stops."""

import asyncio
import copy
import re

import numpy as np
import pytest

from explorer import Network
from explorer.core.finite_differences import ForwardPass
from explorer.widgets.chapter.race import RacePanel, example_for

SPAN = re.compile(r'<span class="num" data-q="(\w+)" data-value="([^"]+)">([^<]*)</span>')
SMALL = ((2, 3, 1), (5, 4, 3), (12, 10, 6, 4))


def P_of(sizes):
    """Weights and biases counted here: n_l · n_(l−1) weights and n_l biases per layer l ≥ 2."""
    return sum(sizes[i] * sizes[i - 1] + sizes[i] for i in range(1, len(sizes)))


def numbers(markup):
    """{name: (exact value, shown text)} from the panel's number spans."""
    return {name: (float(value), shown) for name, value, shown in SPAN.findall(markup)}


def seconds_of(shown):
    value, unit = shown.split()[:2]
    return float(value.replace(",", "")) * {"s": 1.0, "ms": 1e-3, "µs": 1e-6}[unit]


def ratio_of(shown):
    return float(shown.replace("×", "").replace(",", "").strip())


def counted_forward_passes(monkeypatch):
    """Count the forward passes (cost evaluations) of finite differences from outside the panel."""
    calls = {"n": 0}
    forward = ForwardPass.cost

    def counting(self, *args, **kwargs):
        calls["n"] += 1
        return forward(self, *args, **kwargs)

    monkeypatch.setattr(ForwardPass, "cost", counting)
    return calls


@pytest.fixture(scope="module")
def measured():
    panel = RacePanel(networks=SMALL + ((784, 30, 10),))
    panel.measure(complete_seconds=0.2, sample_seconds=0.05)
    return panel


def test_sweep_counts_are_P_plus_one_and_2P(measured):
    for row, sizes in zip(measured.rows, measured.networks):
        P = P_of(sizes)
        assert row.parameters == P
        assert row.fd_passes == P + 1 and row.fd_central_passes == 2 * P
        assert row.backprop_forward_passes == 1 and row.backprop_backward_passes == 1
        assert row.fd_seconds > 0 and row.forward_seconds > 0 and row.backprop_seconds > 0
    small = measured.rows[: len(SMALL)]
    assert all(not r.extrapolated and r.fd_passes_run == r.fd_passes for r in small)


def sent(panel, mark, field="y"):
    """What the browser was sent for a mark, back from log10 (float32 on the wire)."""
    return 10.0 ** panel.plot.values(mark, field).astype(float)


def test_plot_shows_the_counts_against_P(measured):
    Ps = [P_of(s) for s in measured.networks]
    assert sent(measured, "fd_passes", "x") == pytest.approx(Ps, rel=1e-5)
    assert sent(measured, "fd_passes") == pytest.approx([P + 1 for P in Ps], rel=1e-5)
    assert sent(measured, "central_passes") == pytest.approx([2 * P for P in Ps], rel=1e-5)
    # backprop in forward passes: its measured time over one forward pass's, row by row
    assert sent(measured, "bp_passes") == pytest.approx(
        [r.backprop_seconds / r.forward_seconds for r in measured.rows], rel=1e-5)


def test_time_plot_shows_the_seconds_the_table_reports(measured):
    shown = numbers(measured.table_html.value)
    n = len(measured.rows)
    fd = [shown[f"fd_seconds{i}"][0] for i in range(n)]
    bp = [shown[f"backprop_seconds{i}"][0] for i in range(n)]
    assert sent(measured, "bp_time") == pytest.approx(bp, rel=1e-5)
    assert sent(measured, "fd_time") == pytest.approx(fd, rel=1e-5)
    # measured and extrapolated points split the finite-difference times between them
    extrapolated = ["extrapolated" in shown[f"fd_seconds{i}"][1] for i in range(n)]
    assert sent(measured, "fd_measured") == pytest.approx([t for t, e in zip(fd, extrapolated) if not e], rel=1e-5)
    assert sent(measured, "fd_extrapolated") == pytest.approx([t for t, e in zip(fd, extrapolated) if e], rel=1e-5)
    # every point is inside the seconds axes, whose ticks are whole decades
    lo, hi = measured.plot.values("@seconds", "ylim")
    logs = np.log10(fd + bp)
    assert lo <= logs.min() and logs.max() <= hi and lo == int(lo) and hi == int(hi)
    seconds_axes = measured.plot.spec["axes"][1]
    assert seconds_axes["id"] == "seconds" and seconds_axes["ylim"] == [lo, hi]
    assert [k for k, _ in seconds_axes["yticks"]][0] == lo
    # the ratio labels are the table's ratios, for the book's network and the last one
    labels = [item["text"] for item in measured.plot.values("ratios", "items")]
    expected = [shown[f"ratio{i}"][1] for i, r in enumerate(measured.rows)
                if r.sizes in ((784, 30, 10), measured.rows[-1].sizes)]
    assert labels == expected


def test_table_ratio_matches_the_numbers_shown(measured):
    shown = numbers(measured.table_html.value)
    for i, row in enumerate(measured.rows):
        fd_exact, fd_text = shown[f"fd_seconds{i}"]
        bp_exact, bp_text = shown[f"backprop_seconds{i}"]
        ratio_exact, ratio_text = shown[f"ratio{i}"]
        assert ratio_exact == pytest.approx(fd_exact / bp_exact, rel=1e-12)
        # The rounded numbers a student reads agree with each other (3 significant digits each).
        assert ratio_of(ratio_text) == pytest.approx(seconds_of(fd_text) / seconds_of(bp_text), rel=0.012)
        assert shown[f"fd_passes{i}"][0] == P_of(row.sizes) + 1
        assert shown[f"fd_passes{i}"][1] == f"{P_of(row.sizes) + 1:,}"
        assert ("extrapolated" in fd_text) == row.extrapolated


def test_summary_states_the_measured_ratio_of_the_books_network(measured):
    shown = numbers(measured.summary_html.value)
    P = P_of((784, 30, 10))
    assert shown["summary_P"] == (P, f"{P:,}")
    assert shown["summary_fd_passes"][0] == P + 1
    fd, bp = shown["summary_fd_seconds"], shown["summary_bp_seconds"]
    ratio = shown["summary_ratio"]
    assert ratio[0] == pytest.approx(fd[0] / bp[0], rel=1e-12)
    assert ratio_of(ratio[1]) == pytest.approx(seconds_of(fd[1]) / seconds_of(bp[1]), rel=0.012)
    # Backprop's time in forward passes: the measured backprop time over one forward pass's.
    row = measured.rows[-1]
    assert shown["summary_bp_passes"][0] == pytest.approx(row.backprop_seconds / row.forward_seconds, rel=1e-12)
    assert shown["summary_bp_seconds"][0] == row.backprop_seconds


@pytest.mark.parametrize("method, total", [("forward", lambda P: P + 1), ("central", lambda P: 2 * P)])
def test_a_race_run_to_the_end_counts_every_pass(method, total, monkeypatch):
    sizes = (5, 4, 3)
    panel = RacePanel(networks=(sizes,), race_sizes=sizes)
    panel.method_buttons.value = method
    panel.begin_race()
    calls = counted_forward_passes(monkeypatch)
    assert "backprop: finished" in panel.backprop_label.value and panel.race_backprop_seconds > 0
    while not panel.run_chunk(0.01):
        pass
    P = P_of(sizes)
    assert panel.race_state == "done"
    assert panel.race_passes == panel.race_total == calls["n"] == total(P)
    assert panel.progress.value == panel.progress.max == total(P)
    shown = numbers(panel.progress_label.value)
    assert shown["race_passes"][0] == total(P) and shown["race_total"][0] == total(P)
    ratio = shown["race_ratio"][0]
    assert ratio == pytest.approx(panel.race_seconds / panel.race_backprop_seconds, rel=1e-12)
    assert ratio == pytest.approx(shown["race_seconds"][0] / numbers(panel.backprop_label.value)["race_bp_seconds"][0])
    assert panel.race_agreement < 1e-4  # finite differences and backprop give the same gradient


def test_race_driven_by_hand_stops_where_it_is_and_leaves_the_network_alone():
    panel = RacePanel(networks=((784, 30, 10),))
    panel.begin_race()
    before = copy.deepcopy(panel.race_net)
    for _ in range(3):
        panel.run_chunk(0.02)
    panel.stop()
    passes = panel.race_passes
    assert 0 < passes < panel.race_total == P_of((784, 30, 10)) + 1
    assert panel.race_state == "stopped" and "stopped" in panel.progress_label.value
    assert panel.run_chunk(0.02) is False and panel.race_passes == passes
    for l in before.layers:
        np.testing.assert_array_equal(panel.race_net.weights[l], before.weights[l])
        np.testing.assert_array_equal(panel.race_net.biases[l], before.biases[l])


def test_stop_button_stops_a_long_live_race():
    big = (784, 100, 10)
    panel = RacePanel(networks=(big,), race_sizes=big)

    async def scenario():
        panel.start_button.click()
        assert panel.running and panel.race_state == "running" and not panel.stop_button.disabled
        await asyncio.sleep(0.3)
        during = panel.race_passes
        panel.stop_button.click()
        await panel.wait()
        passes = panel.race_passes
        await asyncio.sleep(0.1)
        return during, passes

    during, passes = asyncio.run(scenario())
    assert 0 < during <= passes < panel.race_total == P_of(big) + 1
    assert panel.race_passes == passes  # nothing ran after the stop
    assert panel.race_state == "stopped" and not panel.running
    assert panel.stop_button.disabled and not panel.start_button.disabled
    fresh = Network(list(big), seed=0)
    for l in fresh.layers:  # finite differences put every parameter back
        np.testing.assert_array_equal(panel.race_net.weights[l], fresh.weights[l])
    # The star on the time plot sits at this network's P and the time spent so far.
    assert sent(panel, "race", "x") == pytest.approx([P_of(big)], rel=1e-5)
    assert sent(panel, "race") == pytest.approx([panel.race_seconds], rel=1e-5)
    assert panel.plot.values("race_text", "items")[0]["text"] == f"{passes:,} passes"


def test_start_without_a_loop_says_what_to_do():
    panel = RacePanel(networks=((2, 3, 1),), race_sizes=(2, 3, 1))
    assert panel.start() is False and "begin_race" in panel.progress_label.value


def test_example_for_uses_a_real_digit_for_784_inputs():
    x, y = example_for((784, 30, 10))
    assert x.shape == (784, 1) and 0 <= x.min() and x.max() <= 1 and x.max() > 0.9
    assert y.shape == (10, 1) and y.sum() == 1


def test_measure_button_on_a_loop_adds_one_network_at_a_time():
    panel = RacePanel(networks=SMALL, race_sizes=SMALL[0])
    seen = []

    async def scenario():
        panel.measure_button.click()
        assert panel.measure_button.disabled
        while not panel.measure_task.done():
            seen.append(len(panel.rows))
            await asyncio.sleep(0)
        await panel.measure_task

    asyncio.run(scenario())
    assert [r.parameters for r in panel.rows] == [P_of(s) for s in SMALL]
    assert set(seen) >= {1, 2}  # the table grew while other tasks ran
    assert not panel.measure_button.disabled


def test_backprop_in_forward_passes_counted_by_hand_beside_the_timing(measured):
    # [2, 3, 1]: the forward pass does 2·3 + 3·1 = 9 multiply-adds; backprop does those 9, BP2's
    # (w³)ᵀδ³ (3) and BP4's δ aᵀ (2·3 + 3·1 = 9): 21, so 21 / 9 = 2.333 forward passes.
    # [784, 30, 10]: 23,520 + 300 = 23,820 forward, + 300 (BP2) + 23,820 (BP4) = 47,940: 2.013.
    shown = numbers(measured.table_html.value)
    assert shown["bp_mults0"] == (pytest.approx(21 / 9), "2.33")
    assert shown["bp_mults3"] == (pytest.approx(47940 / 23820), "2.01")
    summary = numbers(measured.summary_html.value)
    assert summary["summary_bp_mults"] == (pytest.approx(47940 / 23820), "2.01")


def test_a_timing_at_the_floor_is_marked_and_explained():
    from explorer.widgets.chapter.race import RaceRow

    def row(forward, backprop):
        return RaceRow(sizes=(2, 3, 1), parameters=13, fd_passes=14, fd_central_passes=26, fd_passes_run=14,
                       fd_seconds=14 * forward, forward_seconds=forward, backprop_seconds=backprop)

    panel = RacePanel(networks=((2, 3, 1), (4, 8, 2), (16, 16, 10)))
    # 0.5 pass at 20 µs a pass (overhead), 2.1 passes at 2 ms, 0.8 pass at 2 ms (under one: not work)
    panel.rows = [row(20e-6, 10e-6), row(2e-3, 4.2e-3), row(2e-3, 1.6e-3)]
    panel.show_rows()
    table = panel.table_html.value
    cells = re.findall(r'data-q="bp_passes(\d)"[^>]*>([^<]*)</span>(<sup>†</sup>)?', table)
    assert cells == [("0", "0.5", "<sup>†</sup>"), ("1", "2.1", ""), ("2", "0.8", "<sup>†</sup>")]
    assert "† Not the arithmetic: a forward pass under 100 µs is mostly Python's fixed cost per call" in table


def test_therace_label_stays_inside_the_axes():
    small, big = (2, 3, 1), (784, 300, 100, 10)
    panel = RacePanel(networks=(small, big), race_sizes=big)
    x_lo, x_hi = np.log10(13 / 2), np.log10(2 * P_of(big))  # the axis: half the smallest P to twice the largest
    panel.race_passes = 1234
    right = panel.race_label(np.log10(P_of(big)), -3.0)
    assert right["anchor"] == "end" and right["x"] < np.log10(P_of(big)) < x_hi  # ends left of the star
    left = panel.race_label(np.log10(13), -3.0)
    assert left["anchor"] == "start" and left["x"] > x_lo
    t_hi = panel.plot.spec["axes"][1]["ylim"][1]  # the time axis' top, in decades
    assert panel.race_label(np.log10(13), t_hi - 0.1)["y"] < t_hi - 0.1  # near the top: below the star
    assert right["text"] == "1,234 passes"
