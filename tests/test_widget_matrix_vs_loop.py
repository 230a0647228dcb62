"""Matrix-based mini-batches against the loop: the same weights as the book's own code, and faster."""

import re
import statistics

import numpy as np
import pytest

from explorer import load_mnist
from explorer.widgets.chapter.matrix_vs_loop import MatrixVsLoopPanel, mini_batches

from helpers import read_number, sigma


def book_sgd_pass(weights, biases, X, Y, size, eta):
    """One pass of Nielsen's update_mini_batch + backprop over consecutive mini-batches, written out here."""
    W = [np.array(w) for w in weights]
    B = [np.array(b) for b in biases]
    n = X.shape[1]
    for k in range(0, n, size):
        xs, ys = X[:, k:k + size], Y[:, k:k + size]
        nabla_w = [np.zeros_like(w) for w in W]
        nabla_b = [np.zeros_like(b) for b in B]
        for i in range(xs.shape[1]):
            activation = xs[:, i:i + 1]
            activations, zs = [activation], []
            for w, b in zip(W, B):
                z = w @ activation + b
                zs.append(z)
                activation = sigma(z)
                activations.append(activation)
            delta = (activations[-1] - ys[:, i:i + 1]) * sigma(zs[-1]) * (1 - sigma(zs[-1]))
            grads_w, grads_b = [None] * len(W), [None] * len(W)
            grads_w[-1], grads_b[-1] = delta @ activations[-2].T, delta
            for l in range(2, len(W) + 1):
                s = sigma(zs[-l])
                delta = (W[-l + 1].T @ delta) * s * (1 - s)
                grads_w[-l], grads_b[-l] = delta @ activations[-l - 1].T, delta
            nabla_w = [nw + g for nw, g in zip(nabla_w, grads_w)]
            nabla_b = [nb + g for nb, g in zip(nabla_b, grads_b)]
        m = xs.shape[1]
        W = [w - (eta / m) * nw for w, nw in zip(W, nabla_w)]
        B = [b - (eta / m) * nb for b, nb in zip(B, nabla_b)]
    return W, B


@pytest.fixture(scope="module")
def ran():
    panel = MatrixVsLoopPanel(n_digits=500, mini_batch_size=10, repeats=1)
    panel.button.click()
    return panel


def test_both_methods_end_where_the_books_code_ends(ran):
    start = ran.start_net
    (X, Y), _ = load_mnist(n_train=500, n_test=0, format="arrays")
    W, B = book_sgd_pass([start.weights[l] for l in start.layers], [start.biases[l] for l in start.layers],
                         X, Y, 10, 3.0)
    for net in (ran.loop_net, ran.matrix_net):
        for i, l in enumerate(start.layers):
            assert np.abs(net.weights[l] - W[i]).max() < 1e-12
            assert np.abs(net.biases[l] - B[i]).max() < 1e-12
    # and they really moved: one pass changes the weights by far more than that
    assert np.abs(ran.loop_net.weights[2] - start.weights[2]).max() > 1e-3


def test_the_readout_reports_the_measured_numbers(ran):
    r = ran.result
    assert (r.n_examples, r.mini_batch_size, r.n_updates, r.repeats) == (500, 10, 50, 1)
    dw = max(np.abs(ran.loop_net.weights[l] - ran.matrix_net.weights[l]).max() for l in ran.start_net.layers)
    assert r.max_weight_difference == dw and dw < 1e-12
    assert r.loop_seconds == ran.times["loop"][0] and r.matrix_seconds == ran.times["matrix"][0]
    shown = dict(re.findall(r'data-q="(\w+)" data-value="([^"]+)"', ran.readout.value))
    assert float(shown["loop"]) == r.loop_seconds and float(shown["matrix"]) == r.matrix_seconds
    assert float(shown["speedup"]) == pytest.approx(r.loop_seconds / r.matrix_seconds)
    assert float(shown["dw"]) == dw
    assert ran.progress.value == ran.progress.max == 2 * 50
    assert ran.status.value == "done" and not ran.button.disabled
    # the bars the browser draws: the two medians in milliseconds, loop at x = 0, matrix at x = 1
    loop_ms, matrix_ms = statistics.median(ran.times["loop"]) * 1e3, statistics.median(ran.times["matrix"]) * 1e3
    assert ran.plot.values("bars", "x").tolist() == [0.0, 1.0]
    assert ran.plot.values("bars", "y") == pytest.approx([loop_ms, matrix_ms], rel=1e-6)  # float32
    assert ran.plot.values("@ax", "ylim") == pytest.approx([0.0, 1.3 * max(loop_ms, matrix_ms)])
    title = ran.plot.values("title", "items")[0]["text"]
    assert title.startswith("matrix-based: ") and title.endswith("× faster")
    assert read_number(title.split(": ")[1][:-len("× faster")]) == pytest.approx(loop_ms / matrix_ms, rel=0.05)  # 2 figures
    labels = [item["text"] for item in ran.plot.values("labels", "items")]
    assert all(t.endswith(" ms") for t in labels)
    assert [read_number(t[:-3]) for t in labels] == pytest.approx([loop_ms, matrix_ms], rel=5e-3)  # 3 figures
    shown_dw = read_number(ran.summary().split("differ by at most ")[1].split(",")[0])
    assert "speed-up" in ran.summary() and shown_dw == pytest.approx(dw, rel=0.05)


def test_one_update_apart_they_agree_to_rounding(ran):
    r = ran.result
    assert r.first_step_difference < 1e-14
    assert "diverged-note" not in ran.readout.value  # 50 updates of 10: still together


def test_single_example_steps_drift_apart_and_the_panel_says_why():
    # η = 3 with mini-batches of 1 is chaotic: the last-bit difference of one step grows
    # exponentially over hundreds of steps. The panel shows both numbers and explains.
    panel = MatrixVsLoopPanel(n_digits=500, mini_batch_size=1, repeats=1)
    panel.button.click()
    r = panel.result
    assert r.first_step_difference < 1e-14
    assert r.max_weight_difference > 1e-9
    assert "diverged-note" in panel.readout.value
    # the first step, recomputed here from the same start with the book's code
    start = panel.start_net
    (X, Y), _ = load_mnist(n_train=1, n_test=0, format="arrays")
    W, B = book_sgd_pass([start.weights[l] for l in start.layers], [start.biases[l] for l in start.layers],
                         X, Y, 1, 3.0)
    one = start.__class__(list(start.sizes), seed=0)
    for i, l in enumerate(start.layers):
        one.weights[l], one.biases[l] = start.weights[l], start.biases[l]
    one.update_mini_batch(X, Y, 3.0)
    assert max(np.abs(one.weights[l] - W[i]).max() for i, l in enumerate(start.layers)) < 1e-14


def test_the_speedup_is_the_quotient_of_the_two_times(ran):
    # Times are noisy, so no threshold: the ratio shown is the quotient of the two medians shown.
    r = ran.result
    assert r.speedup == r.loop_seconds / r.matrix_seconds
    assert r.loop_seconds > 0 and r.matrix_seconds > 0


def test_dropdowns_choose_what_is_run():
    panel = MatrixVsLoopPanel(n_digits=500, mini_batch_size=10, repeats=1)
    panel.batch_dropdown.value = 100
    panel.repeats_dropdown.value = 3
    panel.button.click()
    r = panel.result
    assert (r.n_examples, r.mini_batch_size, r.n_updates, r.repeats) == (500, 100, 5, 3)
    assert len(panel.times["loop"]) == len(panel.times["matrix"]) == 3
    assert r.loop_seconds == sorted(panel.times["loop"])[1]  # the median of three
    assert r.max_weight_difference < 1e-12


def test_mini_batches_cover_every_column_once():
    X = np.arange(14.0).reshape(2, 7)
    Y = -X
    batches = mini_batches(X, Y, 3)
    assert [bx.shape[1] for bx, _ in batches] == [3, 3, 1]
    assert np.array_equal(np.hstack([bx for bx, _ in batches]), X)
    assert np.array_equal(np.hstack([by for _, by in batches]), Y)
    assert all(bx.flags.c_contiguous for bx, _ in batches)
