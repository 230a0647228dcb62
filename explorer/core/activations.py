"""Activation functions σ and their derivatives σ'.

The chapter uses the sigmoid throughout, and asks what changes with other choices (the
exercise on a σ whose derivative never vanishes, the linear σ(z) = z, "one modified neuron").
Every built-in here is safe for any finite float input: no overflow, no RuntimeWarning,
results in the function's true range (sigmoid(±1e308) is exactly 1 or 0).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

ArrayFn = Callable[[np.ndarray], np.ndarray]


class Activation:
    """An activation function σ with its derivative σ'.

    ``Activation(name, f, f_prime)`` makes your own; both take and return arrays of the same
    shape. ``prime_from_output`` optionally computes σ'(z) from a = σ(z) (cheaper during
    training: for the sigmoid σ' = a(1 − a)); when it is missing σ'(z) is computed from z.
    """

    def __init__(
        self,
        name: str,
        f: ArrayFn,
        f_prime: ArrayFn,
        prime_from_output: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
        output_range: tuple[float, float] = (-np.inf, np.inf),
        f_into: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    ):
        if not isinstance(name, str) or not name:
            raise ValueError(f"Activation name must be a non-empty string, got {name!r}")
        if not callable(f) or not callable(f_prime):
            raise ValueError(f"Activation {name!r}: f and f_prime must be callable")
        self.name = name
        self._f = f
        self._f_prime = f_prime
        self._prime_from_output = prime_from_output
        self._f_into = f_into
        self.output_range = output_range

    def __call__(self, z: np.ndarray) -> np.ndarray:
        """σ(z), element-wise (eq. 24: a vectorised function)."""
        return self._f(z)

    def into(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        """σ(z) written into ``out`` (training reuses buffers); returns ``out``."""
        if self._f_into is not None:
            return self._f_into(z, out)
        out[...] = self._f(z)
        return out

    def prime(self, z: np.ndarray) -> np.ndarray:
        """σ'(z), element-wise, computed from z."""
        return self._f_prime(z)

    def prime_given_output(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        """σ'(z) when a = σ(z) is already known; falls back to σ'(z) from z."""
        if self._prime_from_output is None:
            return self._f_prime(z)
        return self._prime_from_output(z, a)

    def __repr__(self) -> str:
        return f"Activation({self.name!r})"

    def __reduce__(self):
        # Built-ins pickle (and copy) by name, so a copied network still shares them.
        if BUILTIN.get(self.name) is self:
            return (get_activation, (self.name,))
        return object.__reduce__(self)


def _sigmoid(z):
    # 1 / (1 + e^-z): e^-z overflows to inf for z < -709, and 1 / inf is the right answer 0.
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def _sigmoid_into(z, out):
    # The same formula as _sigmoid, in place: four ufunc calls and no temporaries.
    with np.errstate(over="ignore"):
        np.negative(z, out=out)
        np.exp(out, out=out)
    out += 1.0
    return np.reciprocal(out, out=out)


def _sigmoid_prime(z):
    # σ'(z) = e^-|z| / (1 + e^-|z|)^2 is symmetric and keeps full relative precision deep in
    # saturation (σ(1 − σ) would round to 0 for z > 37 because σ rounds to 1).
    e = np.exp(-np.abs(z))
    return e / (1.0 + e) ** 2


def _tanh_prime(z):
    # 1 − tanh² loses everything for |z| > 19; 4 e^-2|z| / (1 + e^-2|z|)^2 does not.
    # (e^-|z| squared rather than e^(-2|z|): doubling |z| = 1e308 would overflow.)
    e = np.exp(-np.abs(z)) ** 2
    return 4.0 * e / (1.0 + e) ** 2


def _relu(z):
    return np.maximum(z, 0.0)


def _relu_prime(z):
    return (z > 0).astype(np.result_type(z, np.float32))


LEAKY_SLOPE = 0.01


def _leaky_relu(z):
    return np.where(z > 0, z, LEAKY_SLOPE * z)


def _leaky_relu_prime(z):
    return np.where(z > 0, 1.0, LEAKY_SLOPE).astype(np.result_type(z, np.float32))


def _softplus(z):
    # ln(1 + e^z) written as max(z, 0) + ln(1 + e^-|z|): no overflow for any z.
    return np.logaddexp(0.0, z)


def _linear(z):
    return np.array(z, copy=True)


def _ones(z):
    return np.ones_like(z)


sigmoid = Activation(
    "sigmoid",
    _sigmoid,
    _sigmoid_prime,
    prime_from_output=lambda z, a: a * (1.0 - a),
    output_range=(0.0, 1.0),
    f_into=_sigmoid_into,
)
tanh = Activation(
    "tanh", np.tanh, _tanh_prime, prime_from_output=lambda z, a: 1.0 - a * a,
    output_range=(-1.0, 1.0),
)
relu = Activation(
    "relu", _relu, _relu_prime, prime_from_output=lambda z, a: _relu_prime(z),
    output_range=(0.0, np.inf),
)
leaky_relu = Activation("leaky_relu", _leaky_relu, _leaky_relu_prime)
# softplus' derivative is the sigmoid: positive for every z, though it still tends to 0 as
# z → −∞ (for a derivative bounded away from 0, see leaky_relu and linear).
softplus = Activation("softplus", _softplus, _sigmoid, output_range=(0.0, np.inf))
linear = Activation("linear", _linear, _ones, prime_from_output=lambda z, a: _ones(z))

BUILTIN: dict[str, Activation] = {
    act.name: act for act in (sigmoid, tanh, relu, leaky_relu, softplus, linear)
}


def get_activation(spec: str | Activation) -> Activation:
    """Turn a name ("sigmoid", "tanh", ...) or an Activation into an Activation."""
    if isinstance(spec, Activation):
        return spec
    if isinstance(spec, str):
        try:
            return BUILTIN[spec]
        except KeyError:
            raise KeyError(
                f"activation: unknown name {spec!r}; allowed: {', '.join(sorted(BUILTIN))} "
                "or an Activation(name, f, f_prime)"
            ) from None
    raise ValueError(
        f"activation: expected a name or an Activation, got {type(spec).__name__} {spec!r}"
    )
