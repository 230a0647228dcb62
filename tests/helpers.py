"""Independent re-computations for the tests: plain formulas written again, not the core's code."""

import math

import numpy as np


def sigma(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigma_prime(z):
    """σ'(z) = σ(z)(1 − σ(z)), written again."""
    s = sigma(z)
    return s * (1.0 - s)


def saturation_net(w3, b3, cost="quadratic"):
    """[2, 3, 2] with fixed moderate layer-2 numbers and the given layer 3 (the saturation tests)."""
    from explorer import Network

    net = Network([2, 3, 2], cost=cost, seed=0)
    net.weights[2] = np.array([[0.6, -0.4], [-0.3, 0.8], [0.5, 0.5]])
    net.biases[2] = np.array([[0.1], [-0.2], [0.0]])
    net.weights[3] = np.array(w3, dtype=float)
    net.biases[3] = np.array(b3, dtype=float).reshape(-1, 1)
    return net


def hand_forward(net, x):
    """z^l and a^l of every layer by eq. 25 with the sigmoid written again; x a column or columns."""
    x = np.asarray(x, float)
    a = {1: x.reshape(-1, 1) if x.ndim == 1 else x}
    z = {}
    for l in net.layers:
        z[l] = np.array(net.weights[l]) @ a[l - 1] + np.array(net.biases[l])
        a[l] = sigma(z[l])
    return z, a


def cost_from_layer(net, layer, z, y):
    """C (batch mean) recomputed by hand from a given z^l onward (eq. 25 and eq. 26 / CE)."""
    a = net.activation(layer)(z)
    for l in range(layer + 1, net.L + 1):
        a = net.activation(l)(net.weights[l] @ a + net.biases[l])
    if net.cost.name == "quadratic":
        per_example = 0.5 * ((a - y) ** 2).sum(axis=0)
    else:
        per_example = -(y * np.log(a) + (1 - y) * np.log(1 - a)).sum(axis=0)
    return float(per_example.mean())


def numeric_dC_dz(net, trace, layer, h=1e-6):
    """∂C_x/∂z^l_j by central differences on z^l, per example (the definition of δ, eq. 29).

    C is the batch mean, so ∂C/∂z^(x,l)_j = ∂C_x/∂z^(x,l)_j / n: multiply back by n.
    """
    z = np.array(trace.z[layer])
    n = z.shape[1]
    out = np.zeros_like(z)
    for idx in np.ndindex(z.shape):
        up, down = z.copy(), z.copy()
        up[idx] += h
        down[idx] -= h
        out[idx] = (cost_from_layer(net, layer, up, trace.y) - cost_from_layer(net, layer, down, trace.y)) / (2 * h) * n
    return out


def numeric_gradient(net, x, y, params, h=1e-6):
    """∂C/∂p for every entry of each array in ``params`` {l: array}, by central differences."""
    grads = {}
    for l, p in params.items():
        g = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + h
            up = net.cost_of(x, y)
            p[idx] = old - h
            down = net.cost_of(x, y)
            p[idx] = old
            g[idx] = (up - down) / (2 * h)
        grads[l] = g
    return grads


def close(actual, expected, rel=1e-6, floor=1e-9):
    """max |actual − expected| ≤ rel · max |expected| + floor."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    return float(np.max(np.abs(actual - expected))) <= rel * float(np.max(np.abs(expected))) + floor


__all__ = ["sigma", "hand_forward", "cost_from_layer", "numeric_dC_dz", "numeric_gradient", "close", "math"]


_POWER = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")


def read_number(text: str) -> float:
    """A shown number read back by hand: "−0.05", "5×10⁻⁴", "1,234", "—" (NaN); the README's
    one number format parsed independently of the code that writes it."""
    text = text.strip().replace("−", "-").replace(",", "")
    if text == "—":
        return math.nan
    if "×10" in text:
        mantissa, power = text.split("×10")
        return float(mantissa) * 10.0 ** int(power.translate(_POWER))
    return float(text)


def book_plain(symbol: str, layer, *indices) -> str:
    """The book's name as plain text, written by hand: book_plain("w", 3, 2, 4) == "w³₂₄"."""
    up = dict(zip("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))
    down = dict(zip("0123456789,", "₀₁₂₃₄₅₆₇₈₉,"))
    sub = "".join(map(str, indices)) if all(i < 10 for i in indices) else ",".join(map(str, indices))
    return symbol + "".join(up[c] for c in str(layer)) + "".join(down[c] for c in sub)
