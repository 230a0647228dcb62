"""δ^l the chapter's other way: a product of matrices with Σ'(z) on the diagonal (eq. 33–35).

BP1 and BP2 use the Hadamard product; written with the diagonal matrix Σ'(z) = diag(σ'(z))
instead, the whole backward pass is one long matrix product,
δ^l = Σ'(z^l)(w^(l+1))^T Σ'(z^(l+1)) … (w^L)^T Σ'(z^L) ∇_a C   (eq. 35).
"""

from __future__ import annotations

import numpy as np

from .checks import check_index, check_layer
from .trace import Trace


def sigma_prime_matrix(net, trace: Trace, l: int, example: int = 0) -> np.ndarray:
    """Σ'(z^l): the diagonal matrix of σ'(z^l_j) for one example, computed from z^l."""
    sp = net.activation(l).prime(trace.z[l][:, example])
    return np.diag(sp)


def delta_via_sigma_prime(net, trace: Trace, l: int, example: int | None = None) -> np.ndarray:
    """δ^l for one example by eq. (35), as an (n_l, 1) column.

    Independent of the Hadamard-product code: σ'(z) is recomputed from z^l and ∇_a C from
    a^L and y, and the product is taken right to left as the equation is written. A trace of
    several examples needs ``example`` (0-based column) to say which.
    """
    L = trace.L
    l = check_layer(l, L, "l")
    if example is None:
        if trace.n_examples != 1:
            raise ValueError(
                f"example: the trace has {trace.n_examples} examples; say which one (0-based)"
            )
        example = 0
    example = check_index(example, trace.n_examples, "example", "the trace's batch")
    grad = net.cost.gradient(trace.a[L][:, [example]], trace.y[:, [example]])
    if net.cost.name == "cross_entropy" and net.activation(L).name == "sigmoid":
        # Σ'(z^L) ∇_a C with both factors written out would divide 0 by 0 where the sigmoid
        # saturates; their product is exactly a^L − y, which is what eq. (33) gives then.
        vector = trace.a[L][:, [example]] - trace.y[:, [example]]
    else:
        vector = sigma_prime_matrix(net, trace, L, example) @ grad  # eq. (33)
    for k in range(L - 1, l - 1, -1):  # eq. (34), applied until layer l
        vector = sigma_prime_matrix(net, trace, k, example) @ (net.weights[k + 1].T @ vector)
    return vector
