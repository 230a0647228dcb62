"""Learning: the matrix-based mini-batch against the per-example loop, SGD's book-style call,
and real learning on the MNIST digits."""

import numpy as np
import pytest

from explorer import Network, load_mnist, toy_dataset


def twin_networks(**kw):
    return Network([5, 7, 4, 3], seed=11, **kw), Network([5, 7, 4, 3], seed=11, **kw)


@pytest.mark.parametrize("cost", ["quadratic", "cross_entropy"])
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "softplus"])
def test_matrix_update_equals_loop_update(cost, activation):
    acts = [activation, activation, "sigmoid"]
    a, b = twin_networks(cost=cost, activation=acts)
    rng = np.random.default_rng(5)
    for m in (1, 3, 10):
        X, Y = rng.normal(size=(5, m)), rng.uniform(0, 1, size=(3, m))
        a.update_mini_batch(X, Y, 0.7)
        b.update_mini_batch_loop(X, Y, 0.7)
    for l in a.layers:
        np.testing.assert_allclose(a.weights[l], b.weights[l], rtol=0, atol=1e-12)
        np.testing.assert_allclose(a.biases[l], b.biases[l], rtol=0, atol=1e-12)


def test_one_step_moves_against_the_gradient():
    net = Network([5, 7, 4, 3], seed=11)
    rng = np.random.default_rng(6)
    X, Y = rng.normal(size=(5, 8)), rng.uniform(0, 1, size=(3, 8))
    t = net.trace(X, Y)
    before = {l: net.weights[l].copy() for l in net.layers}
    net.update_mini_batch(X, Y, 0.5)
    for l in net.layers:
        np.testing.assert_allclose(net.weights[l], before[l] - 0.5 * t.nabla_w[l], atol=1e-14)
    assert net.cost_of(X, Y) < t.cost


def test_sgd_accepts_book_pairs_and_arrays_alike():
    X, Y = toy_dataset("circles", n=60, seed=1)
    pairs = [(X[:, [i]], Y[:, [i]]) for i in range(60)]
    test_pairs = [(X[:, [i]], int(Y[:, i].argmax())) for i in range(60)]
    a, b = Network([2, 5, 2], seed=3), Network([2, 5, 2], seed=3)
    ha = a.SGD(pairs, 3, 10, 2.0, test_data=test_pairs)
    hb = b.SGD((X, Y), 3, 10, 2.0, test_data=(X, Y.argmax(axis=0)))
    for l in a.layers:
        np.testing.assert_array_equal(a.weights[l], b.weights[l])
    assert [r.correct for r in ha] == [r.correct for r in hb]
    assert a.evaluate(test_pairs) == ha[-1].correct == int(np.sum(a.feedforward(X).argmax(0) == Y.argmax(0)))


def test_sgd_matrix_and_loop_methods_train_identically():
    X, Y = toy_dataset("xor", n=50, seed=2)
    a, b = Network([2, 4, 2], seed=9), Network([2, 4, 2], seed=9)
    a.SGD((X, Y), 2, 7, 1.5)
    b.SGD((X, Y), 2, 7, 1.5, method="loop")  # 50 = 7·7 + 1: a short last batch too
    for l in a.layers:
        np.testing.assert_allclose(a.weights[l], b.weights[l], atol=1e-12)


def test_callbacks_follow_training():
    X, Y = toy_dataset("spirals", n=45, seed=0)
    batches, epochs = [], []
    Network([2, 6, 2], seed=1).SGD(
        (X, Y), 2, 10, 1.0, test_data=(X, Y.argmax(0)), on_batch=batches.append, on_epoch=epochs.append
    )
    assert len(batches) == 2 * 5 and batches[4].examples_seen == 45 and batches[4].n_batches == 5
    assert [e.epoch for e in epochs] == [0, 1] and epochs[1].total == 45


def test_verbose_prints_like_the_book(capsys):
    X, Y = toy_dataset("xor", n=20, seed=0)
    Network([2, 3, 2], seed=0).SGD((X, Y), 2, 5, 1.0, test_data=(X, Y.argmax(0)), verbose=True)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[0].startswith("Epoch 0: ") and lines[0].endswith(" / 20")


def test_training_is_reproducible_by_seed():
    X, Y = toy_dataset("circles", n=40, seed=0)
    a, b, c = (Network([2, 4, 2], seed=s) for s in (1, 1, 2))
    for net in (a, b, c):
        net.SGD((X, Y), 2, 8, 1.0)
    np.testing.assert_array_equal(a.weights[2], b.weights[2])
    assert not np.array_equal(a.weights[2], c.weights[2])


def test_divergence_is_reported_clearly():
    X, Y = toy_dataset("xor", n=20, seed=0)
    net = Network([2, 8, 8, 2], activation="relu", seed=0, weight_scale=30.0)
    with pytest.raises(FloatingPointError, match="diverged.*smaller eta"):
        net.SGD((X * 1e100, Y), 3, 5, 1e200)


def test_learns_real_digits():
    # The book's setup on 8,000 of the shipped digits: [784, 30, 10], sigmoid, quadratic cost,
    # mini-batches of 10, η = 3.0. README quotes the full 30-epoch run (`python -m explorer
    # train`); here 10 epochs must already pass 90% on the 2,000 held-out digits.
    training, test = load_mnist(format="arrays")
    net = Network([784, 30, 10], seed=9)
    history = net.SGD(training, 10, 10, 3.0, test_data=test)
    assert history[-1].total == 2000
    assert history[-1].accuracy >= 0.90, [r.correct for r in history]
    assert history[0].accuracy < history[-1].accuracy


@pytest.mark.parametrize("where", ["x", "y"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_update_mini_batch_refuses_non_finite_batches_in_the_training_layout(where, bad):
    # Arrays already of the network's dtype and shape take update_mini_batch's shortcut check;
    # it must refuse what the full check refuses, naming the argument, and change nothing.
    net = Network([4, 3, 2], seed=0)
    rows_x, rows_y = np.random.default_rng(0).uniform(size=(5, 4)), np.full((5, 2), 0.5)
    (rows_x if where == "x" else rows_y)[2, 1] = bad
    before = net.weights[2].copy()
    with pytest.raises(ValueError, match=rf"^{where}\b.*NaN or infinite"):
        net.update_mini_batch(rows_x.T, rows_y.T, 1.0)
    np.testing.assert_array_equal(net.weights[2], before)


def test_update_mini_batch_takes_finite_inputs_whose_sum_overflows():
    net, twin = Network([2, 3, 2], seed=1), Network([2, 3, 2], seed=1)
    X = np.full((2, 3), 1e308)  # finite, but their sum is inf: the full check decides
    Y = np.full((2, 3), 0.5)
    net.update_mini_batch(X, Y, 1e-3)
    twin.update_mini_batch_loop(X, Y, 1e-3)
    for l in net.layers:
        np.testing.assert_allclose(net.weights[l], twin.weights[l], rtol=1e-12)


def test_cross_entropy_targets_outside_zero_one_are_refused_in_any_layout():
    net = Network([2, 2], cost="cross_entropy", seed=0)
    with pytest.raises(ValueError, match="cross-entropy"):
        net.update_mini_batch(np.ones((2, 3)), np.full((2, 3), 1.5), 0.1)
