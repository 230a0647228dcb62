"""The steppable SGD run: stepped to the end it is SGD, each step is one of SGD's mini-batches
(checked against update_mini_batch on a permutation drawn by a twin network), progress and
epoch results by hand, divergence reported as a state, bad arguments refused."""

import numpy as np
import pytest

from explorer import Network, toy_dataset
from explorer.core import DIVERGED_MESSAGE, BatchProgress, EpochResult, SGDRun

from helpers import sigma

X, Y = toy_dataset("circles", n=53, seed=4)  # 53 = 5·10 + 3: a short last mini-batch
LABELS = Y.argmax(axis=0)


def make(seed=3, **kw):
    return Network([2, 6, 2], seed=seed, **kw)


def same_parameters(a, b):
    return all(
        np.array_equal(a.weights[l], b.weights[l]) and np.array_equal(a.biases[l], b.biases[l])
        for l in a.layers
    )


def test_a_run_stepped_to_the_end_leaves_exactly_sgds_weights():
    stepped, chunked, core = make(), make(), make()
    history = core.SGD((X, Y), 3, 10, 2.0, test_data=(X, LABELS))
    run = stepped.sgd_run((X, Y), 10, 2.0, test_data=(X, LABELS), epochs=3)
    steps = 0
    while run.step() is not None:
        steps += 1
    assert steps == 3 * 6 and run.done and run.state == "done"
    assert same_parameters(stepped, core)  # bit for bit
    other = SGDRun(chunked, (X, Y), 10, 2.0, test_data=(X, LABELS), epochs=3)
    while not other.done:
        other.advance(max_batches=4)  # chunks that straddle the epochs' ends
    assert same_parameters(chunked, core)
    assert [r.correct for r in run.history] == [r.correct for r in other.history] == [r.correct for r in history]


def test_each_step_is_one_mini_batch_of_the_shuffled_epoch():
    net, twin = make(seed=5), make(seed=5)
    order = twin.rng.permutation(53)  # what the run draws for its first epoch
    run = net.sgd_run((X, Y), 10, 1.5)
    for i in range(6):
        progress = run.step()
        chosen = order[10 * i : 10 * i + 10]
        twin.update_mini_batch(X[:, chosen], Y[:, chosen], 1.5)
        assert same_parameters(net, twin) or max(
            float(np.abs(net.weights[l] - twin.weights[l]).max()) for l in net.layers
        ) < 1e-15
        assert progress == BatchProgress(0, i, 6, min(10 * i + 10, 53))
    # The epoch ended on the short batch of 3: the next step draws a new permutation.
    assert run.epoch == 1 and run.batch == 0 and run.position == 0 and run.examples_seen == 53
    order = twin.rng.permutation(53)
    run.step()
    twin.update_mini_batch(X[:, order[:10]], Y[:, order[:10]], 1.5)
    assert max(float(np.abs(net.weights[l] - twin.weights[l]).max()) for l in net.layers) < 1e-15


def test_eta_and_mini_batch_size_may_change_between_steps():
    net, twin = make(seed=6), make(seed=6)
    order = twin.rng.permutation(53)
    run = net.sgd_run((X, Y), 10, 1.0)
    run.step()
    run.eta, run.mini_batch_size = 0.25, 20  # the rest of the permutation is cut into 20s
    run.step()
    run.step()
    twin.update_mini_batch(X[:, order[:10]], Y[:, order[:10]], 1.0)
    twin.update_mini_batch(X[:, order[10:30]], Y[:, order[10:30]], 0.25)
    twin.update_mini_batch(X[:, order[30:50]], Y[:, order[30:50]], 0.25)
    assert max(float(np.abs(net.weights[l] - twin.weights[l]).max()) for l in net.layers) < 1e-15
    assert run.position == 50 and run.n_batches == 3
    progress = run.step()  # the last 3 examples
    assert progress.examples_seen == 53 and run.epoch == 1


def test_epoch_results_count_the_test_set_by_hand():
    net = make(seed=2)
    run = net.sgd_run((X, Y), 10, 3.0, test_data=(X, LABELS), epochs=2)
    run.run()
    assert len(run.history) == 2 and all(isinstance(r, EpochResult) for r in run.history)
    a = sigma(net.weights[3] @ sigma(net.weights[2] @ X + net.biases[2]) + net.biases[3])
    assert run.history[-1].correct == int(np.sum(a.argmax(axis=0) == LABELS))
    assert run.history[-1].total == 53 and run.history[-1].seconds > 0
    assert run.step() is None and run.advance() == 0  # done: nothing more is trained


def test_next_batch_is_what_the_next_step_trains_on():
    net, twin = make(seed=8), make(seed=8)
    order = twin.rng.permutation(53)
    run = net.sgd_run((X, Y), 10, 1.0)
    bx, by = run.next_batch()
    np.testing.assert_array_equal(bx, X[:, order[:10]])
    np.testing.assert_array_equal(by, Y[:, order[:10]])
    a = sigma(net.weights[3] @ sigma(net.weights[2] @ bx + net.biases[2]) + net.biases[3])
    assert net.cost_of(bx, by) == pytest.approx(0.5 * np.sum((a - by) ** 2) / 10, rel=1e-12)
    with pytest.raises(ValueError):
        bx[0, 0] = 1.0  # a view of the run's buffer: read-only
    run.step()
    twin.update_mini_batch(X[:, order[:10]], Y[:, order[:10]], 1.0)
    assert max(float(np.abs(net.weights[l] - twin.weights[l]).max()) for l in net.layers) < 1e-15


def test_advance_stops_after_its_time_and_counts_its_batches():
    run = make().sgd_run((X, Y), 1, 1.0, epochs=1000)
    trained = run.advance(max_seconds=0.0)
    assert trained == 1 and run.examples_seen == 1  # at least one step, then the clock says stop
    assert run.advance(max_batches=7) == 7 and run.examples_seen == 8
    assert run.state == "training" and not run.done


def test_divergence_is_a_state_with_a_message_not_an_exception():
    Xd, Yd = toy_dataset("xor", n=20, seed=0)
    net = Network([2, 8, 8, 2], activation="relu", seed=0, weight_scale=30.0)
    run = net.sgd_run((Xd * 1e100, Yd), 5, 1e200, epochs=3)
    run.advance()
    assert run.state == "diverged" and run.diverged and run.done
    assert run.message == DIVERGED_MESSAGE and "smaller eta" in run.message
    assert run.history == [] and run.step() is None
    with pytest.raises(FloatingPointError, match="diverged"):
        Network([2, 8, 8, 2], activation="relu", seed=0, weight_scale=30.0).SGD((Xd * 1e100, Yd), 3, 5, 1e200)


def test_float32_runs_too():
    a, b = make(dtype=np.float32), make()
    a.sgd_run((X, Y), 10, 2.0, epochs=2).run()
    b.SGD((X, Y), 2, 10, 2.0)
    assert a.weights[2].dtype == np.float32
    assert max(float(np.abs(a.weights[l] - b.weights[l]).max()) for l in a.layers) < 1e-4


@pytest.mark.parametrize(
    "change, error, name",
    [
        (dict(mini_batch_size=0), ValueError, "mini_batch_size"),
        (dict(mini_batch_size=2.5), ValueError, "mini_batch_size"),
        (dict(eta=float("nan")), ValueError, "eta"),
        (dict(epochs=-1), ValueError, "epochs"),
        (dict(method="fast"), ValueError, "method"),
    ],
)
def test_bad_arguments_are_refused_by_name(change, error, name):
    args = dict(mini_batch_size=10, eta=1.0, epochs=1, method="matrix") | change
    with pytest.raises(error, match=name):
        make().sgd_run((X, Y), args["mini_batch_size"], args["eta"], epochs=args["epochs"], method=args["method"])


def test_bad_settings_between_steps_and_a_finished_run_are_refused():
    run = make().sgd_run((X, Y), 10, 1.0, epochs=1)
    with pytest.raises(ValueError, match="eta"):
        run.eta = float("inf")
    with pytest.raises(ValueError, match="max_seconds"):
        run.advance(max_seconds=float("nan"))
    run.run()
    with pytest.raises(ValueError, match="done"):
        run.next_batch()
    with pytest.raises(ValueError, match="epochs"):
        make().sgd_run((X, Y), 10, 1.0).run()  # no end: run() would never return


def test_the_books_pairs_and_arrays_train_the_same_weights():
    # The pairs are stacked straight into rows (one copy); the arrays are transposed: same data.
    rng = np.random.default_rng(3)
    X, Y = rng.uniform(size=(6, 40)), rng.uniform(size=(3, 40))
    pairs = [(X[:, [i]], Y[:, [i]]) for i in range(40)]
    a, b = Network([6, 5, 3], seed=2), Network([6, 5, 3], seed=2)
    a.SGD((X, Y), 2, 7, 0.8)
    b.SGD(pairs, 2, 7, 0.8)
    for l in a.layers:
        np.testing.assert_array_equal(a.weights[l], b.weights[l])
        np.testing.assert_array_equal(a.biases[l], b.biases[l])


@pytest.mark.parametrize(
    "spoil, message",
    [
        (lambda p: p.__setitem__(3, (np.full((6, 1), np.nan), p[3][1])), "x contains NaN"),
        (lambda p: p.__setitem__(5, (np.zeros((5, 1)), p[5][1])), "pair 5: x has 5 entries"),
        (lambda p: p.__setitem__(1, (p[1][0], np.array([[np.inf], [0], [0]]))), "y contains NaN or infinite"),
    ],
)
def test_bad_pairs_get_the_full_checks_message(spoil, message):
    rng = np.random.default_rng(4)
    pairs = [(rng.uniform(size=(6, 1)), rng.uniform(size=(3, 1))) for _ in range(10)]
    spoil(pairs)
    net = Network([6, 5, 3], seed=0)
    before = net.weights[2].copy()
    with pytest.raises(ValueError, match=message):
        net.SGD(pairs, 1, 5, 1.0)
    np.testing.assert_array_equal(net.weights[2], before)
