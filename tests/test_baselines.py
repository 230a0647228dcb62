"""The obvious forms the benchmark measures against compute what the project computes: the same
weights after an epoch as Network.SGD (per-example loop, numpy matrix, torch if installed), and
one full-batch step is w − η ∂C/∂w with the gradient by finite differences (eq. 46)."""

import copy

import numpy as np
import pytest

from explorer import Network, baselines, toy_dataset
from explorer.core import finite_difference_gradient

X, Y = toy_dataset("spirals", n=47, seed=1)  # 47 = 4·10 + 7: a short last batch
SIZES = [2, 7, 5, 2]
EPOCH_FORMS = [baselines.loop_epoch, baselines.matrix_epoch, baselines.matrix_rows_epoch]
if baselines.torch_available():
    EPOCH_FORMS.append(baselines.torch_epoch)


def start(seed=4):
    net = Network(SIZES, seed=seed)
    return net, [net.weights[l].copy() for l in net.layers], [net.biases[l].copy() for l in net.layers]


@pytest.mark.parametrize("epoch", EPOCH_FORMS, ids=lambda f: f.__name__)
def test_each_form_ends_an_epoch_with_sgds_weights(epoch):
    net, w0, b0 = start()
    rng = copy.deepcopy(net.rng)  # draws the permutation SGD draws
    weights, biases = epoch(w0, b0, X, Y, 10, 2.5, rng)
    net.SGD((X, Y), 1, 10, 2.5)
    for i, l in enumerate(net.layers):
        np.testing.assert_allclose(weights[i], net.weights[l], rtol=0, atol=1e-12)
        np.testing.assert_allclose(biases[i], net.biases[l], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(w0[0], Network(SIZES, seed=4).weights[2])  # inputs untouched


@pytest.mark.parametrize("epoch", EPOCH_FORMS, ids=lambda f: f.__name__)
def test_one_full_batch_step_follows_the_finite_difference_gradient(epoch):
    net, w0, b0 = start(seed=7)
    fd = finite_difference_gradient(net, X, Y)
    weights, biases = epoch(w0, b0, X, Y, X.shape[1], 0.5, np.random.default_rng(0))
    for i, l in enumerate(net.layers):
        np.testing.assert_allclose(weights[i], w0[i] - 0.5 * fd.nabla_w[l], atol=1e-6)
        np.testing.assert_allclose(biases[i], b0[i] - 0.5 * fd.nabla_b[l], atol=1e-6)


def test_the_benchmark_runs_every_contender_to_the_same_weights():
    from explorer.bench import TOLERANCE, bench_epochs, epoch_table

    (row,) = bench_epochs(repeats=1, batches=(100,), with_torch=False)
    names = ["plain loop", "plain numpy matrix", "plain numpy, rows", "project update_mini_batch",
             "project SGD", "project SGD call", "project SGD float32"]
    assert list(row["seconds"]) == names
    for name in names:
        assert row["speedup"][name] == row["seconds"]["plain numpy matrix"] / row["seconds"][name]
    assert row["deviation"]["project SGD"] <= TOLERANCE and row["deviation"]["project update_mini_batch"] <= TOLERANCE
    assert 1e-9 < row["deviation"]["project SGD float32"] < 1e-3  # float32 rounds, but stays close
    table = "\n".join(epoch_table([row], 1))
    assert "within 1e-12: yes" in table and f"{row['seconds']['project SGD'] * 1e3:.1f} ms" in table
