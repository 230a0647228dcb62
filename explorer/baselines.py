"""The obvious forms of one SGD epoch that the project's training is measured against.

``python -m explorer bench`` times the project's ``Network.update_mini_batch`` and
``Network.SGD`` against these, in the same run. They are written the way a reader of the
chapter would write them first, on purpose: no reused buffers, no tricks, the sigmoid and the
quadratic cost only (the chapter's network), weights as a list for layers 2..L.

- ``loop_epoch``: the chapter's algorithm literally, one example at a time (backprop per
  example, BP1–BP4, gradients summed over the mini-batch), as in the book's ``network.py``.
- ``matrix_epoch``: the fully matrix-based mini-batch (the chapter's closing exercise), about
  ten lines of numpy: ``a = σ(W @ X + b)``, ``δ^L = (a^L − y) ⊙ a^L(1 − a^L)``,
  ``δ^l = (W^(l+1)ᵀ δ^(l+1)) ⊙ a^l(1 − a^l)``, ``W −= η/m δ (a^(l−1))ᵀ``; mini-batches by
  fancy-indexing a shuffled permutation of the columns.
- ``matrix_rows_epoch``: the same with the data copied into rows first, so that a mini-batch is
  gathered from contiguous memory (the fairer peer of the project's own gather).
- ``torch_epoch``: the same formulas in torch on the CPU (only if torch is installed; it is not
  a dependency of the project).

Each takes the data as columns ``X`` (n_inputs, n), ``Y`` (n_outputs, n), the parameters as
lists (they are copied, not changed) and a numpy ``Generator`` for the shuffle, and returns
the trained ``(weights, biases)`` lists. Given a generator in the same state as a network's
``rng``, each draws the same permutation as ``Network.SGD``, so all end with the same weights.
"""

from __future__ import annotations

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def loop_epoch(weights, biases, X, Y, mini_batch_size, eta, rng):
    """One epoch of SGD, backprop one example at a time (the book's ``network.py`` way)."""
    weights = [w.copy() for w in weights]
    biases = [b.copy() for b in biases]
    n = X.shape[1]
    order = rng.permutation(n)
    for k in range(0, n, mini_batch_size):
        chosen = order[k : k + mini_batch_size]
        nabla_w = [np.zeros_like(w) for w in weights]
        nabla_b = [np.zeros_like(b) for b in biases]
        for i in chosen:
            x, y = X[:, i : i + 1], Y[:, i : i + 1]
            activations = [x]
            for w, b in zip(weights, biases):
                activations.append(sigmoid(w @ activations[-1] + b))
            a = activations[-1]
            delta = (a - y) * a * (1 - a)  # BP1
            for l in range(len(weights) - 1, -1, -1):
                nabla_b[l] += delta  # BP3
                nabla_w[l] += delta @ activations[l].T  # BP4
                if l > 0:
                    a = activations[l]
                    delta = (weights[l].T @ delta) * a * (1 - a)  # BP2
        for l in range(len(weights)):
            weights[l] -= (eta / len(chosen)) * nabla_w[l]
            biases[l] -= (eta / len(chosen)) * nabla_b[l]
    return weights, biases


def matrix_step(weights, biases, x, y, eta):
    """One gradient-descent step on the mini-batch of columns x, y, in place, the obvious way."""
    activations = [x]
    for w, b in zip(weights, biases):
        activations.append(sigmoid(w @ activations[-1] + b))
    a = activations[-1]
    delta = (a - y) * a * (1 - a)
    step = eta / x.shape[1]
    for l in range(len(weights) - 1, -1, -1):
        below = None
        if l > 0:
            a = activations[l]
            below = (weights[l].T @ delta) * a * (1 - a)
        weights[l] -= step * delta @ activations[l].T
        biases[l] -= step * delta.sum(axis=1, keepdims=True)
        delta = below


def matrix_epoch(weights, biases, X, Y, mini_batch_size, eta, rng):
    """One epoch of SGD, each mini-batch as one matrix of columns, written the obvious way."""
    weights = [w.copy() for w in weights]
    biases = [b.copy() for b in biases]
    n = X.shape[1]
    order = rng.permutation(n)
    for k in range(0, n, mini_batch_size):
        chosen = order[k : k + mini_batch_size]
        x, y = X[:, chosen], Y[:, chosen]
        matrix_step(weights, biases, x, y, eta)
    return weights, biases


def matrix_rows_epoch(weights, biases, X, Y, mini_batch_size, eta, rng):
    """``matrix_epoch`` with the data kept as rows, the layout a numpy user reaches for next.

    Gathering a shuffled mini-batch of columns reads 784 scattered places per example; rows
    are contiguous. The copy into rows is made inside, so it is timed too (once per epoch).
    """
    weights = [w.copy() for w in weights]
    biases = [b.copy() for b in biases]
    rows_x, rows_y = np.ascontiguousarray(X.T), np.ascontiguousarray(Y.T)
    n = rows_x.shape[0]
    order = rng.permutation(n)
    for k in range(0, n, mini_batch_size):
        chosen = order[k : k + mini_batch_size]
        x, y = rows_x[chosen].T, rows_y[chosen].T
        matrix_step(weights, biases, x, y, eta)
    return weights, biases


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def torch_epoch(weights, biases, X, Y, mini_batch_size, eta, rng):
    """``matrix_epoch``'s formulas in torch (CPU, the arrays' dtype); needs torch installed."""
    import torch

    weights = [torch.tensor(w) for w in weights]
    biases = [torch.tensor(b) for b in biases]
    X, Y = torch.from_numpy(np.ascontiguousarray(X)), torch.from_numpy(np.ascontiguousarray(Y))
    n = X.shape[1]
    order = torch.from_numpy(rng.permutation(n))
    with torch.no_grad():
        for k in range(0, n, mini_batch_size):
            chosen = order[k : k + mini_batch_size]
            x, y = X[:, chosen], Y[:, chosen]
            activations = [x]
            for w, b in zip(weights, biases):
                activations.append(torch.sigmoid(w @ activations[-1] + b))
            a = activations[-1]
            delta = (a - y) * a * (1 - a)
            step = eta / len(chosen)
            for l in range(len(weights) - 1, -1, -1):
                below = None
                if l > 0:
                    a = activations[l]
                    below = (weights[l].T @ delta) * a * (1 - a)
                weights[l] -= step * delta @ activations[l].T
                biases[l] -= step * delta.sum(dim=1, keepdim=True)
                delta = below
    return [w.numpy() for w in weights], [b.numpy() for b in biases]


__all__ = ["loop_epoch", "matrix_epoch", "matrix_rows_epoch", "matrix_step", "sigmoid", "torch_available", "torch_epoch"]
