"""Cost functions C and their gradients ∇_a C.

The chapter's two assumptions about a cost: it is an average C = 1/n Σ_x C_x over examples
(so a per-example gradient can be averaged), and each C_x is a function of the output
activations a^L alone. Both costs here are written per example, column by column; the
network averages them over the batch.
"""

from __future__ import annotations

import numpy as np

from .activations import Activation, sigmoid


class Cost:
    """A per-example cost C_x(a^L, y) and its gradient ∇_a C_x."""

    name = "cost"

    def value(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        """C_x for each column (example): shape (m,)."""
        raise NotImplementedError

    def gradient(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        """∇_a C_x, same shape as a."""
        raise NotImplementedError

    def value_at_output(self, z, a, y, activation: Activation) -> np.ndarray:
        """C_x given the output layer's z^L too (lets a cost use a more accurate formula)."""
        return self.value(a, y)

    def output_error(self, z, a, y, activation: Activation, sigma_prime=None) -> np.ndarray:
        """δ^L by BP1a: ∇_a C ⊙ σ'(z^L)."""
        if sigma_prime is None:
            sigma_prime = activation.prime(z)
        return self.gradient(a, y) * sigma_prime

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class QuadraticCost(Cost):
    """C_x = ½ ‖y − a^L‖² (eq. 27); ∇_a C_x = a^L − y, so δ^L = (a^L − y) ⊙ σ'(z^L) (eq. 30)."""

    name = "quadratic"

    def value(self, a, y):
        diff = a - y
        return 0.5 * np.einsum("ij,ij->j", diff, diff)

    def gradient(self, a, y):
        return a - y


class CrossEntropyCost(Cost):
    """C_x = −Σ_j [y_j ln a_j + (1 − y_j) ln(1 − a_j)], for outputs a in [0, 1].

    With a sigmoid output layer σ'(z^L) cancels from BP1 and δ^L = a^L − y exactly: that is
    how it is computed here, which also stays exact where the sigmoid saturates (a rounds to
    0 or 1 and ∇_a C alone would divide by zero).
    """

    name = "cross_entropy"
    # Keeps ln() finite when an output that is not a sigmoid sits exactly on 0 or 1.
    _TINY = 1e-300

    def value(self, a, y):
        a0 = np.clip(a, self._TINY, None)
        a1 = np.clip(1.0 - a, self._TINY, None)
        # y ln a is taken as 0 where y = 0 (its limit), even if a = 0.
        terms = np.where(y > 0, y * np.log(a0), 0.0) + np.where(y < 1, (1.0 - y) * np.log(a1), 0.0)
        return -terms.sum(axis=0)

    def value_at_output(self, z, a, y, activation):
        if activation is sigmoid:
            # ln σ(z) = −softplus(−z) and ln(1 − σ(z)) = −softplus(z): exact for any z.
            return (y * np.logaddexp(0.0, -z) + (1.0 - y) * np.logaddexp(0.0, z)).sum(axis=0)
        return self.value(a, y)

    def gradient(self, a, y):
        a0 = np.clip(a, self._TINY, 1.0 - np.finfo(np.asarray(a).dtype).epsneg)
        return (a0 - y) / (a0 * (1.0 - a0))

    def output_error(self, z, a, y, activation, sigma_prime=None):
        if activation is sigmoid:
            return a - y
        return super().output_error(z, a, y, activation, sigma_prime)


quadratic = QuadraticCost()
cross_entropy = CrossEntropyCost()

BUILTIN: dict[str, Cost] = {"quadratic": quadratic, "cross_entropy": cross_entropy}
_ALIASES = {"cross-entropy": "cross_entropy", "crossentropy": "cross_entropy", "mse": "quadratic"}


def get_cost(spec: str | Cost) -> Cost:
    """Turn a name ("quadratic", "cross_entropy") or a Cost into a Cost."""
    if isinstance(spec, Cost):
        return spec
    if isinstance(spec, str):
        key = _ALIASES.get(spec.lower(), spec.lower())
        if key in BUILTIN:
            return BUILTIN[key]
        raise KeyError(f"cost: unknown name {spec!r}; allowed: {', '.join(BUILTIN)}")
    raise ValueError(f"cost: expected a name or a Cost, got {type(spec).__name__} {spec!r}")
