"""The training panel driven as a student would, its numbers checked against the core and by hand."""

import asyncio
import time

import numpy as np
import pytest

from explorer import Network, load_mnist
from explorer.widgets.chapter.training import GALLERY_COLS, GALLERY_ROWS, PRESETS, TrainingPanel, parse_hidden

from helpers import sigma

(X, Y), (XT, LT) = load_mnist(format="arrays")


def make(**kwargs):
    return TrainingPanel(**kwargs)


def hand_accuracy(net):
    """Percent of the test digits a hand forward pass gets right."""
    return 100.0 * np.mean(hand_forward(net, XT)[net.L].argmax(axis=0) == LT)


def hand_forward(net, x):
    """a^l of every layer, written again with the sigmoid (eq. 25)."""
    a = {1: x}
    for l in net.layers:
        a[l] = sigma(net.weights[l] @ a[l - 1] + net.biases[l])
    return a


def max_difference(net_a, net_b):
    return max(
        max(float(np.abs(net_a.weights[l] - net_b.weights[l]).max()),
            float(np.abs(net_a.biases[l] - net_b.biases[l]).max()))
        for l in net_a.layers
    )


# ----------------------------------------------------------------------------- same as SGD


def test_training_from_the_panel_ends_with_sgds_weights():
    panel = make(seed=3, eta=3.0, batch=10)
    panel.run_epochs(2)
    core = Network([784, 30, 10], seed=3)
    core.SGD((X, Y), 2, 10, 3.0)
    assert panel.epoch == 2 and panel.digits_seen == 16000
    assert max_difference(panel.net, core) <= 1e-12


def test_other_settings_reach_the_network_and_still_match_sgd():
    # A mini-batch of 7 leaves a short last batch (8000 = 1142·7 + 6), as in SGD.
    panel = make(hidden="20, 12", eta=0.5, batch=7, weight_scale=0.3, cost="cross_entropy",
                 activation="sigmoid", seed=5)
    panel.run_epochs(1)
    core = Network([784, 20, 12, 10], cost="cross_entropy", seed=5, weight_scale=0.3)
    core.SGD((X, Y), 1, 7, 0.5)
    assert panel.net.sizes == (784, 20, 12, 10) and panel.net.cost.name == "cross_entropy"
    assert max_difference(panel.net, core) <= 1e-12


def test_the_live_run_on_an_event_loop_matches_sgd_too():
    panel = make(seed=4, batch=20, eta=2.0, epochs=2)

    async def scenario():
        assert panel.start()
        assert panel.running and panel.start_button.disabled
        await panel.wait()

    asyncio.run(scenario())
    core = Network([784, 30, 10], seed=4)
    core.SGD((X, Y), 2, 20, 2.0)
    assert panel.state == "done" and not panel.running and panel.epoch == 2
    assert max_difference(panel.net, core) <= 1e-12


# ----------------------------------------------------------------------------- the buttons


def test_step_trains_exactly_one_mini_batch_of_sgds_order():
    panel = make(seed=7, batch=10, eta=3.0)
    twin = Network([784, 30, 10], seed=7)
    order = twin.rng.permutation(8000)  # what SGD draws for its first epoch
    for i in range(2):
        panel.step_button.click()
        chosen = order[10 * i : 10 * i + 10]
        twin.update_mini_batch(X[:, chosen], Y[:, chosen], 3.0)
        assert panel.digits_seen == panel.position == 10 * (i + 1)
        assert max_difference(panel.net, twin) <= 1e-12
    assert panel.state == "paused"


def test_reset_gives_fresh_weights_and_keeps_the_run_for_comparison():
    panel = make(seed=2)
    panel.run_batches(50)
    trained = panel.record
    panel.reset_button.click()
    fresh = Network([784, 30, 10], seed=2)
    assert max_difference(panel.net, fresh) == 0.0
    assert panel.digits_seen == 0 and panel.epoch == 0 and panel.state == "ready"
    assert panel.reference is trained and trained.digits_trained == 500
    assert panel.correct == fresh.evaluate((XT, LT))
    # The dashed reference curve is that run's accuracy: at the start and after 500 digits.
    twin = Network([784, 30, 10], seed=2)
    start = hand_accuracy(twin)
    twin.SGD((X[:, :500], Y[:, :500]), 1, 10, 3.0)  # not the same digits: only the start agrees
    accuracy_marks = [m for a in panel.plot.spec["axes"] if a["id"] == "accuracy" for m in a["marks"]]
    assert [m["id"] for m in accuracy_marks if m.get("dash")] == ["ref_accuracy"]
    dashed = panel.plot.values("ref_accuracy", "y")
    assert dashed[0] == pytest.approx(start, abs=1e-4) and len(dashed) == 2
    np.testing.assert_allclose(panel.plot.values("ref_accuracy", "x"), [0, 500 / 8000], rtol=1e-6)
    # and the solid curve restarts from the fresh network's accuracy
    np.testing.assert_allclose(panel.plot.values("accuracy", "y"), [start], rtol=1e-6)
    panel.clear_button.click()
    assert panel.reference is None
    assert not any(m["id"].startswith("ref_") for a in panel.plot.spec["axes"] for m in a["marks"])


def test_pause_stops_the_live_run_and_the_loop_keeps_answering():
    panel = make(seed=1, epochs=50)  # far more than the test lets it train
    gaps = []

    async def ticker():
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.002)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    async def scenario():
        tick = asyncio.get_running_loop().create_task(ticker())
        panel.start_button.click()
        await asyncio.sleep(0.4)
        assert panel.state == "running" and panel.digits_seen > 0
        clicked = time.perf_counter()
        panel.pause_button.click()
        await panel.wait()
        stopped = time.perf_counter() - clicked
        seen, weights = panel.digits_seen, panel.net.weights[2].copy()
        await asyncio.sleep(0.2)
        tick.cancel()
        return stopped, seen, weights

    stopped, seen, weights = asyncio.run(scenario())
    assert stopped < 0.5
    assert panel.state == "paused" and not panel.running and not panel.start_button.disabled
    assert panel.digits_seen == seen < 50 * 8000
    np.testing.assert_array_equal(panel.net.weights[2], weights)  # nothing trains after pause
    # Other tasks ran all along: the longest wait was a chunk (plus a redraw), not the run.
    assert len(gaps) > 10 and max(gaps) < 0.5
    # Pausing mid-epoch re-evaluates the test set: the shown accuracy is the current network's.
    assert panel.correct == panel.net.evaluate((XT, LT))


def test_start_without_an_event_loop_says_what_to_do_instead():
    panel = make()
    assert panel.start() is False
    assert "run_epochs" in panel.status.value and panel.digits_seen == 0


# ----------------------------------------------------------------------------- what is shown


def test_accuracy_shown_is_what_evaluate_and_a_hand_forward_pass_give():
    panel = make(seed=0)
    panel.run_batches(150)
    a = hand_forward(panel.net, XT)
    correct = int(np.sum(a[panel.net.L].argmax(axis=0) == LT))
    assert correct == panel.net.evaluate((XT, LT)) == panel.correct
    assert f"{correct:,} / 2,000 = {100 * correct / 2000:.2f}%" in panel.accuracy_label.value
    x, y = panel.plot.values("accuracy", "x"), panel.plot.values("accuracy", "y")
    assert x[-1] == pytest.approx(1500 / 8000) and y[-1] == pytest.approx(100 * correct / 2000)
    assert y[0] == pytest.approx(hand_accuracy(Network([784, 30, 10], seed=0)))


def test_accuracy_curve_is_each_epochs_accuracy_computed_by_hand():
    panel = make(seed=5, epochs=3)
    panel.run_epochs(3)
    twin = Network([784, 30, 10], seed=5)
    expected = [hand_accuracy(twin)]
    for _ in range(3):
        twin.SGD((X, Y), 1, 10, 3.0)  # one epoch at a time: SGD's shuffles go on from its rng
        expected.append(hand_accuracy(twin))
    np.testing.assert_allclose(panel.plot.values("accuracy", "y"), expected, rtol=1e-6)
    np.testing.assert_allclose(panel.plot.values("accuracy_line", "y"), expected, rtol=1e-6)
    np.testing.assert_array_equal(panel.plot.values("accuracy", "x"), [0, 1, 2, 3])
    assert panel.plot.data["@accuracy"] == {"xlim": [0, 3.0], "ylim": [0, 100]}


def test_gallery_shows_misclassified_digits_with_their_labels():
    panel = make(seed=0)
    panel.run_batches(100)
    predicted = hand_forward(panel.net, XT)[panel.net.L].argmax(axis=0)
    wrong = np.flatnonzero(predicted != LT)
    shown = panel.gallery_indices
    assert len(shown) == GALLERY_ROWS * GALLERY_COLS <= len(wrong)
    np.testing.assert_array_equal(shown, wrong[: len(shown)])  # the first ones, in test order
    labels = panel.gallery_plot.values("gallery_labels", "items")
    for i, index in enumerate(shown):
        assert predicted[index] != LT[index]
        assert panel.gallery_predicted[i] == predicted[index]
        assert labels[i]["text"] == f"{LT[index]} → {predicted[index]}"
        assert panel.gallery_plot.data[f"digit_{i}"]["shape"] == [28, 28]
        np.testing.assert_array_equal(  # the digit's pixels, row by row (row 0 at the top)
            panel.gallery_plot.values(f"digit_{i}", "values"), XT[:, index].astype(np.float32))
    # Each label sits above its own digit's axes, in the band of its row.
    tiles = {a["id"]: a for a in panel.gallery_plot.spec["axes"]}
    for i, item in enumerate(labels):
        tile, band = tiles[f"tile_{i}"], tiles["labels"]
        assert tile["left"] <= item["px"] <= tile["left"] + tile["width"]
        assert tile["top"] - 16 <= band["top"] + item["py"] <= tile["top"]
    # A training step that leaves the gallery as it is sends it nothing new.
    revision = panel.gallery_plot.revision
    panel.layer_dropdown.value = 3  # a redraw of the other figures
    assert panel.gallery_plot.revision == revision


def test_saturation_heatmap_is_sigma_prime_of_the_fixed_digits():
    panel = make(seed=0, weight_scale=1.0)
    panel.run_batches(30)
    idx = panel.probe_indices
    assert len(idx) == 50 and np.all(np.diff(panel.probe_labels) >= 0)
    np.testing.assert_array_equal(panel.probe_x, XT[:, idx])
    net = panel.net
    z2 = net.weights[2] @ XT[:, idx] + net.biases[2]
    sp = sigma(z2) * (1 - sigma(z2))
    assert panel.heatmap_plot.data["sigma_prime"]["shape"] == [30, 50]
    sent = panel.heatmap_plot.values("sigma_prime", "values").reshape(30, 50)
    np.testing.assert_allclose(sent, sp, rtol=1e-6, atol=1e-9)  # float32 on the wire
    np.testing.assert_allclose(panel.heatmap_values, sp, rtol=1e-10, atol=1e-15)
    # The white line of the colour bar is the saturation threshold 0.1 × max σ' = 0.025.
    assert panel.heatmap_plot.values("threshold", "y") == pytest.approx([0.025])
    fraction = float(np.mean(sp < 0.1 * 0.25))
    assert panel.saturated_fraction == pytest.approx(fraction)
    assert f"<b>{100 * fraction:.0f}%</b>" in panel.saturation_label.value
    # Another layer from the dropdown: the output layer's σ'(z^3).
    panel.layer_dropdown.value = 3
    z3 = net.weights[3] @ sigma(z2) + net.biases[3]
    sent = panel.heatmap_plot.values("sigma_prime", "values").reshape(10, 50)
    np.testing.assert_allclose(sent, sigma(z3) * (1 - sigma(z3)), rtol=1e-6, atol=1e-9)


def test_delta_and_gradient_curves_are_the_probe_traces_numbers():
    panel = make(seed=6)
    panel.run_batches(40)
    net = panel.net
    xs, Ys = panel.probe_x, np.eye(10)[:, panel.probe_labels]
    a = hand_forward(net, xs)
    # BP1 (quadratic) and BP2 by hand, per example; ∂C/∂w^l = mean over examples of δ a^T (BP4).
    d3 = (a[3] - Ys) * a[3] * (1 - a[3])
    d2 = (net.weights[3].T @ d3) * a[2] * (1 - a[2])
    g3, g2 = d3 @ a[2].T / 50, d2 @ a[1].T / 50
    # The curves are sent as log10 of the values (the axes are logarithmic).
    last = lambda mark: 10.0 ** float(panel.plot.values(mark, "y")[-1])  # noqa: E731
    assert last("delta_3") == pytest.approx(np.abs(d3).mean(), rel=1e-5)
    assert last("delta_2") == pytest.approx(np.abs(d2).mean(), rel=1e-5)
    assert last("gradient_3") == pytest.approx(np.linalg.norm(g3) / np.sqrt(300), rel=1e-5)
    assert last("gradient_2") == pytest.approx(np.linalg.norm(g2) / np.sqrt(784 * 30), rel=1e-5)
    assert panel.record.delta[2][-1] == pytest.approx(np.abs(d2).mean(), rel=1e-9)
    # The log axis spans whole decades holding every value, with a tick at each.
    lo, hi = panel.plot.data["@delta"]["ylim"]
    every = np.log10([v for vs in panel.record.delta.values() for v in vs])
    assert lo <= every.min() and every.max() <= hi and lo == int(lo) and hi == int(hi)
    delta_axes = next(a for a in panel.plot.spec["axes"] if a["id"] == "delta")
    assert [k for k, _ in delta_axes["yticks"]][0] == lo


def test_cost_curve_samples_are_mini_batch_costs_before_the_step():
    panel = make(seed=8, batch=10)
    twin = Network([784, 30, 10], seed=8)
    order = twin.rng.permutation(8000)
    panel.run_batches(1)
    first = order[:10]
    a = hand_forward(twin, X[:, first])[3]
    cost = 0.5 * np.sum((a - Y[:, first]) ** 2) / 10  # eq. 26 over the mini-batch
    assert panel.record.cost_x[0] == 0.0
    assert panel.record.cost_raw[0] == pytest.approx(cost, rel=1e-12)
    assert panel.plot.values("cost", "y")[0] == pytest.approx(cost, rel=1e-6)
    assert panel.plot.values("cost_raw", "y")[0] == pytest.approx(cost, rel=1e-6)


def test_progress_and_readouts_follow_training():
    panel = make(seed=0, batch=10, epochs=3)
    panel.run_batches(25)
    assert panel.progress.max == 3 * 8000 and panel.progress.value == 250
    assert "epoch 1 of 3, batch 25 of 800" in panel.progress_label.value
    assert "digits/s" not in panel.progress_label.value  # 250 digits: too few for a rate
    start = time.perf_counter()
    panel.run_epochs(1)  # finishes the epoch in progress
    seconds = time.perf_counter() - start
    assert panel.epoch == 1 and panel.position == 0 and panel.digits_seen == 8000
    assert "1 of 3 epochs done" in panel.progress_label.value
    rate = float(panel.progress_label.value.split("·")[-1].split()[0].replace(",", ""))
    # The rate of this stretch, timed by the panel inside the test's own interval.
    assert 7750 / seconds <= rate < 3 * 7750 / seconds
    panel.run_epochs(2)
    panel.step()
    assert "epoch 4 (past the 3 set), batch 1 of 800" in panel.progress_label.value


# ----------------------------------------------------------------------------- settings and presets


def test_changing_the_hidden_layers_resets_with_the_new_shape():
    panel = make(seed=0)
    panel.hidden_text.value = "40, 20"
    assert panel.net.sizes == (784, 40, 20, 10)
    assert max_difference(panel.net, Network([784, 40, 20, 10], seed=0)) == 0.0
    curves = {m["id"] for a in panel.plot.spec["axes"] for m in a["marks"]}
    assert {"delta_2", "delta_3", "delta_4", "gradient_2", "gradient_3", "gradient_4"} <= curves
    assert "delta_5" not in curves
    assert [v for _, v in panel.layer_dropdown.options] == [2, 3, 4]
    assert panel.heatmap_plot.data["sigma_prime"]["shape"] == [40, 50]
    panel.hidden_text.value = "forty"
    assert "hidden layers" in panel.status.value and panel.net.sizes == (784, 40, 20, 10)
    with pytest.raises(ValueError):
        parse_hidden("0")
    assert parse_hidden("100 30") == (100, 30) and parse_hidden("") == ()


def test_weight_scale_and_seed_controls_make_the_network():
    panel = make()
    panel.scale_text.value = 2.5
    panel.seed_text.value = 11
    fresh = Network([784, 30, 10], seed=11, weight_scale=2.5)
    assert max_difference(panel.net, fresh) == 0.0


def test_preset_saturate_the_hidden_layer():
    panel = make()
    panel.preset_buttons["saturate the hidden layer"].click()
    first, second = PRESETS["saturate the hidden layer"]
    assert max_difference(panel.net, Network([784, 30, 10], seed=first.seed, weight_scale=first.weight_scale)) == 0.0
    z2 = panel.net.weights[2] @ panel.probe_x + panel.net.biases[2]
    assert np.mean(sigma(z2) * (1 - sigma(z2)) < 0.025) > 0.9  # saturated, computed here
    panel.run_epochs(1)
    slow = panel.correct
    assert panel.next_run()
    assert panel.reference.settings == first and panel.net.weights[2].std() == pytest.approx(
        second.weight_scale, rel=0.05)
    # The same seed and digits with weights of scale 1/√784: nothing starts saturated ...
    z2 = panel.net.weights[2] @ panel.probe_x + panel.net.biases[2]
    assert np.mean(sigma(z2) * (1 - sigma(z2)) < 0.025) < 0.05
    assert panel.saturated_fraction == pytest.approx(np.mean(sigma(z2) * (1 - sigma(z2)) < 0.025))
    panel.run_epochs(1)
    # ... and it learns.
    assert panel.correct > slow + 600  # 30 percentage points more after one epoch
    core = Network([784, 30, 10], seed=first.seed, weight_scale=first.weight_scale)
    core.SGD((X, Y), 1, first.batch, first.eta)
    assert 20 * panel.reference.accuracy[-1] == pytest.approx(core.evaluate((XT, LT)))


def test_preset_cross_entropy_against_quadratic_runs_both_live():
    panel = make()

    async def scenario():
        panel.preset_buttons["cross-entropy vs quadratic"].click()  # starts at once on a loop
        assert panel.running
        await panel.wait()

    asyncio.run(scenario())
    first, second = PRESETS["cross-entropy vs quadratic"]
    assert panel.state == "done" and panel.reference.settings == first
    assert panel.net.cost.name == "cross_entropy" and panel.epoch == second.epochs
    quadratic = Network([784, 30, 10], seed=first.seed, weight_scale=first.weight_scale)
    quadratic.SGD((X, Y), first.epochs, first.batch, first.eta)
    cross = Network([784, 30, 10], seed=second.seed, weight_scale=second.weight_scale, cost="cross_entropy")
    cross.SGD((X, Y), second.epochs, second.batch, second.eta)
    assert max_difference(panel.net, cross) <= 1e-12
    assert 20 * panel.reference.accuracy[-1] == pytest.approx(quadratic.evaluate((XT, LT)))
    # The chapter's point, measured: same η, same start; the cross-entropy learns much faster.
    assert panel.correct > quadratic.evaluate((XT, LT)) + 400


def test_diverging_training_stops_with_a_message():
    panel = make(activation="linear", eta=50.0, seed=0)
    panel.run_epochs(1)
    assert panel.state == "failed"
    assert "stopped: training diverged" in panel.status.value and "smaller eta" in panel.status.value
    assert panel.run.state == "diverged" and panel.epoch == 0  # caught within the first epoch
    assert not all(np.isfinite(panel.net.weights[l]).all() for l in panel.net.layers)
    panel.reset_button.click()
    assert panel.state == "ready" and np.isfinite(panel.net.weights[2]).all()


# ----------------------------------------------------------------------------- in a real kernel


def test_in_a_kernel_other_messages_are_answered_while_it_trains_and_a_click_pauses():
    """A Jupyter kernel (ipykernel) as a notebook runs it; widget clicks sent as a browser does."""
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3")

    def run(code):
        start = time.perf_counter()
        msg_id = kc.execute(code)
        text = []
        while True:
            msg = kc.get_iopub_msg(timeout=60)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "stream":
                text.append(msg["content"]["text"])
            assert msg["msg_type"] != "error", msg["content"]
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return "".join(text), time.perf_counter() - start

    def click(comm_id):
        content = {"comm_id": comm_id, "data": {"method": "custom", "content": {"event": "click"}}}
        kc.shell_channel.send(kc.session.msg("comm_msg", content))

    try:
        out, _ = run(
            "from explorer.widgets.chapter.training import TrainingPanel\n"
            "p = TrainingPanel(epochs=200)\n"
            "print(p.start_button.comm.comm_id, p.pause_button.comm.comm_id)"
        )
        start_id, pause_id = out.split()
        click(start_id)
        time.sleep(0.5)
        waits = []
        for _ in range(5):
            out, seconds = run("print(p.state, p.digits_seen)")
            waits.append(seconds)
            assert out.split()[0] == "running"
        assert max(waits) < 0.5  # a cell runs between two chunks of training, not after them
        click(pause_id)
        out, _ = run("print(p.state, p.running, p.digits_seen)")
        state, running, seen = out.split()
        assert state == "paused" and running == "False" and 0 < int(seen) < 200 * 8000
        time.sleep(0.2)
        out, _ = run("print(p.digits_seen)")
        assert out.split() == [seen]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_the_panel_steps_the_cores_run_and_counts_its_redraws():
    from explorer.core import SGDRun

    panel = make(seed=1, batch=50)
    assert isinstance(panel.run, SGDRun) and panel.run.net is panel.net
    before = panel.redraws
    panel.run_batches(3)
    assert panel.run.examples_seen == panel.digits_seen == 150 and panel.run.batch == 3
    assert panel.redraws > before


def test_bench_training_measures_the_panel_against_sgd_with_the_same_weights():
    from explorer.widgets.bench_training import measure

    (row,) = measure(repeats=1, epochs=1, batches=(100,))
    assert row["batch"] == 100 and row["deviation"] == 0.0  # the panel ends with SGD's weights
    assert row["redraws"] >= 1 and row["ratio"] == row["panel"] / row["core"]


def test_a_preset_says_what_each_run_does():
    from explorer.widgets.chapter.training import PRESETS, preset_text

    assert preset_text("saturate the hidden layer", *PRESETS["saturate the hidden layer"]) == (
        "<b>saturate the hidden layer</b>: run 1 trains 3 epochs with the quadratic cost, initial weight "
        "scale 10 and η = 3; then run 2 trains the same network from the same seed with initial weight "
        "scale 0.0357, and run 1 stays on the plots as a dashed line.")  # 1/√784 = 1/28 = 0.0357
    assert preset_text("cross-entropy vs quadratic", *PRESETS["cross-entropy vs quadratic"]) == (
        "<b>cross-entropy vs quadratic</b>: run 1 trains 3 epochs with the quadratic cost, initial weight "
        "scale 3 and η = 3; then run 2 trains the same network from the same seed with the cross-entropy "
        "cost, and run 1 stays on the plots as a dashed line.")
