"""Saturation, and which weights "learn slowly": the chapter's reading of BP1, BP2 and BP4.

After the four equations the chapter reads them for what they say about learning:

- BP4, ∂C/∂w^l_jk = a^(l−1)_k δ^l_j: a weight out of a low-activation neuron (a_in ≈ 0)
  learns slowly, whatever δ is.
- BP1, δ^L_j = ∂C/∂a^L_j σ'(z^L_j): an output neuron whose σ'(z) is nearly 0 is *saturated*
  (for the sigmoid, a ≈ 0 or a ≈ 1), its δ is squeezed, and the weights into it learn slowly.
- BP2, δ^l = ((w^(l+1))^T δ^(l+1)) ⊙ σ'(z^l): the same holds for a saturated hidden neuron.

"Nearly 0" needs a scale: the sigmoid's σ' never exceeds 1/4, tanh's reaches 1. So a neuron
counts as saturated when σ'(z) < ``sat_fraction`` × the largest σ' its own activation
reaches. Everything here is read from a Trace (batch traces have one column per example),
and the answers are data: boolean masks, fractions, small dataclasses.

One exception the next chapter builds on: a sigmoid output neuron with the cross-entropy cost
has δ^L = a^L − y; σ' cancels out of BP1, and a saturated output neuron does not slow down.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .activations import BUILTIN as BUILTIN_ACTIVATIONS
from .activations import Activation
from .checks import check_index, check_layer, require_finite_number
from .notation import neuron_name, number, plain_name, weight_name

if TYPE_CHECKING:
    from .trace import Trace

#: sup σ'(z) of the built-in activations (softplus' σ' is the sigmoid, which tends to 1).
KNOWN_MAX_PRIME = {
    "sigmoid": 0.25,
    "tanh": 1.0,
    "relu": 1.0,
    "leaky_relu": 1.0,
    "softplus": 1.0,
    "linear": 1.0,
}

#: Saturated when σ'(z) < this fraction of the activation's largest σ'.
DEFAULT_SAT_FRACTION = 0.1
#: A weight's input counts as small (BP4) when |a_in| < this.
DEFAULT_A_THRESHOLD = 0.05

# A user's activation is sampled once; the cache must not keep it alive after its network.
_sampled_max: "weakref.WeakKeyDictionary[Activation, float]" = weakref.WeakKeyDictionary()


def max_sigma_prime(activation: Activation) -> float:
    """The largest |σ'(z)| an activation reaches: known for built-ins, sampled for others.

    A user's own activation is sampled on z in [−20, 20]; if its σ' is 0 (or not finite)
    everywhere there, 1 is used so that a threshold relative to it still means something.
    """
    if not isinstance(activation, Activation):
        raise ValueError(f"activation: expected an Activation, got {type(activation).__name__}")
    if BUILTIN_ACTIVATIONS.get(activation.name) is activation:
        return KNOWN_MAX_PRIME[activation.name]
    cached = _sampled_max.get(activation)
    if cached is None:
        z = np.linspace(-20.0, 20.0, 4001).reshape(-1, 1)
        with np.errstate(all="ignore"):
            values = np.abs(np.asarray(activation.prime(z), dtype=float))
        values = values[np.isfinite(values)]
        cached = float(values.max()) if values.size and values.max() > 0 else 1.0
        _sampled_max[activation] = cached
    return cached


def _fraction(value, name: str) -> float:
    value = require_finite_number(value, name)
    if value < 0:
        raise ValueError(f"{name}: expected a number ≥ 0, got {value}")
    return value


def _layer(trace: "Trace", layer) -> int:
    return check_layer(layer, trace.L)


def neuron_max_prime(trace: "Trace", layer: int) -> np.ndarray:
    """max σ' of each neuron of layer l (its own activation, overrides included), shape (n_l,)."""
    layer = _layer(trace, layer)
    return np.array([max_sigma_prime(act) for act in trace.activations[layer]])


def saturation_mask(trace: "Trace", layer: int, sat_fraction: float = DEFAULT_SAT_FRACTION) -> np.ndarray:
    """True where σ'(z^l_j) < sat_fraction × (max σ' of neuron j): shape (n_l, examples)."""
    layer = _layer(trace, layer)
    limit = _fraction(sat_fraction, "sat_fraction") * neuron_max_prime(trace, layer)[:, None]
    return np.asarray(trace.sigma_prime[layer]) < limit


@dataclass(frozen=True)
class LayerSaturation:
    """Saturation of layer l over a batch: which neuron is saturated on which example.

    ``sigma_prime`` (n_l, m) is σ'(z^l) from the trace; ``max_prime`` (n_l,) each neuron's
    largest σ'; ``threshold`` (n_l,) = sat_fraction × max_prime; ``saturated`` (n_l, m) the
    mask σ' < threshold; ``fraction`` (n_l,) the share of the examples on which each neuron
    is saturated.
    """

    layer: int
    sat_fraction: float
    sigma_prime: np.ndarray
    max_prime: np.ndarray
    threshold: np.ndarray
    saturated: np.ndarray
    fraction: np.ndarray


def layer_saturation(
    trace: "Trace", layer: int, sat_fraction: float = DEFAULT_SAT_FRACTION
) -> LayerSaturation:
    """Saturation of one layer over the trace's examples (see ``LayerSaturation``)."""
    layer = _layer(trace, layer)
    sat_fraction = _fraction(sat_fraction, "sat_fraction")
    sp = np.asarray(trace.sigma_prime[layer])
    peak = neuron_max_prime(trace, layer)
    threshold = sat_fraction * peak
    mask = sp < threshold[:, None]
    for arr in (peak, threshold, mask):
        arr.flags.writeable = False
    fraction = mask.mean(axis=1)
    fraction.flags.writeable = False
    return LayerSaturation(layer, sat_fraction, sp, peak, threshold, mask, fraction)


def saturation_by_layer(trace: "Trace", sat_fraction: float = DEFAULT_SAT_FRACTION) -> dict[int, LayerSaturation]:
    """``{l: LayerSaturation}`` for every layer l = 2..L."""
    return {l: layer_saturation(trace, l, sat_fraction) for l in trace.layers}


def _cancels(trace: "Trace", layer: int, j: int) -> bool:
    """Does σ' drop out of δ^L_j? Yes for a sigmoid output with the cross-entropy cost."""
    return (
        layer == trace.L
        and trace.cost_function.name == "cross_entropy"
        and trace.activation(layer, j) is BUILTIN_ACTIVATIONS["sigmoid"]
    )


def _example(trace: "Trace", example) -> int:
    return check_index(example, trace.n_examples, "example", "this trace")


@dataclass(frozen=True)
class NeuronSaturation:
    """Is neuron j of layer l saturated on one example, and what that does to δ^l_j.

    δ^l_j = ``upstream`` × σ'(z^l_j), where ``upstream`` is ∂C/∂a^L_j for the output layer
    (BP1) and ((w^(l+1))^T δ^(l+1))_j below it (BP2). ``share`` = σ'/max σ'; ``saturated``
    when share < sat_fraction; ``cancelled`` when σ' drops out of δ (sigmoid output,
    cross-entropy cost), so the saturation does not slow learning.
    """

    layer: int
    j: int
    example: int
    activation: Activation
    z: float
    a: float
    sigma_prime: float
    max_prime: float
    share: float
    sat_fraction: float
    saturated: bool
    cancelled: bool
    rule: str
    upstream: float
    delta: float


def neuron_saturation(
    trace: "Trace", layer: int, j: int, example: int = 0, sat_fraction: float = DEFAULT_SAT_FRACTION
) -> NeuronSaturation:
    """Saturation of one neuron on one example of the trace (see ``NeuronSaturation``)."""
    layer = _layer(trace, layer)
    j = check_index(j, trace.sizes[layer - 1], "j", f"layer {layer}")
    x = _example(trace, example)
    sat_fraction = _fraction(sat_fraction, "sat_fraction")
    act = trace.activation(layer, j)
    peak = max_sigma_prime(act)
    sp = float(trace.sigma_prime[layer][j, x])
    if layer == trace.L:
        rule, upstream = "BP1", float(trace.cost_gradient[j, x])
    else:
        rule = "BP2"
        upstream = float(np.asarray(trace.weights[layer + 1])[:, j] @ trace.delta[layer + 1][:, x])
    share = sp / peak
    saturated = bool(share < sat_fraction)
    return NeuronSaturation(
        layer=layer, j=j, example=x, activation=act,
        z=float(trace.z[layer][j, x]), a=float(trace.a[layer][j, x]),
        sigma_prime=sp, max_prime=peak, share=share, sat_fraction=sat_fraction,
        saturated=saturated, cancelled=saturated and _cancels(trace, layer, j),
        rule=rule, upstream=upstream, delta=float(trace.delta[layer][j, x]),
    )


@dataclass(frozen=True)
class WeightVerdict:
    """Does w^l_jk learn slowly on this example, and why (BP4, and BP1/BP2 through σ').

    ``gradient`` is this example's ∂C_x/∂w^l_jk = a_in δ (BP4); ``input_small`` when
    |a_in| < a_threshold; ``saturated`` when σ'(z^l_j) < sat_fraction × ``sigma_prime_max``;
    ``cancelled`` when that saturation does not matter (σ' cancels in δ^L); ``slow`` when
    either rule holds; ``rule`` is "BP1" (output layer) or "BP2"; ``reason`` says it in words.
    """

    layer: int
    j: int
    k: int
    name: str
    a_in: float
    sigma_prime: float
    sigma_prime_max: float
    delta: float
    gradient: float
    input_small: bool
    saturated: bool
    cancelled: bool
    slow: bool
    rule: str
    reason: str


def _reason(layer: int, j: int, k: int, input_small: bool, slow_saturated: bool,
            cancelled: bool, sp: float, rule: str) -> str:
    sp_name = f"σ′({plain_name(neuron_name('z', layer, j))})"
    shown = number(sp, 3)
    reasons = []
    if input_small:
        reasons.append(f"input {plain_name(neuron_name('a', layer - 1, k))} ≈ 0 (BP4)")
    if slow_saturated:
        reasons.append(f"neuron saturated, {sp_name} = {shown} ({rule})")
    if reasons:
        return "slow: " + "; ".join(reasons)
    if cancelled:
        return (f"ok: {sp_name} = {shown} is small, but with the cross-entropy cost "
                "δ^L = a^L − y, so σ' cancels")
    return "ok"


def slow_learning_verdicts(
    trace: "Trace",
    layer: int,
    j: int,
    sat_fraction: float = DEFAULT_SAT_FRACTION,
    a_threshold: float = DEFAULT_A_THRESHOLD,
    example: int = 0,
) -> list[WeightVerdict]:
    """The chapter's "learns slowly" verdict for each weight w^l_jk into neuron j of layer l.

    Slow when |a^(l−1)_k| < a_threshold (BP4) or when σ'(z^l_j) < sat_fraction × max σ'
    (BP1 for the output layer, BP2 for a hidden one), on example ``example`` of the trace;
    a saturation that cancels (sigmoid output, cross-entropy cost) does not slow it.
    """
    a_threshold = _fraction(a_threshold, "a_threshold")
    neuron = neuron_saturation(trace, layer, j, example, sat_fraction)
    layer, j, x = neuron.layer, neuron.j, neuron.example
    verdicts = []
    for k in range(trace.sizes[layer - 2]):
        a_in = float(trace.a[layer - 1][k, x])
        input_small = abs(a_in) < a_threshold
        slow_saturated = neuron.saturated and not neuron.cancelled
        verdicts.append(
            WeightVerdict(
                layer=layer, j=j, k=k, name=weight_name(layer, j, k),
                a_in=a_in, sigma_prime=neuron.sigma_prime, sigma_prime_max=neuron.max_prime,
                delta=neuron.delta, gradient=a_in * neuron.delta,  # BP4 for this one example
                input_small=input_small, saturated=neuron.saturated, cancelled=neuron.cancelled,
                slow=input_small or slow_saturated, rule=neuron.rule,
                reason=_reason(layer, j, k, input_small, slow_saturated, neuron.cancelled,
                               neuron.sigma_prime, neuron.rule),
            )
        )
    return verdicts


def sigma_prime_of_builtins(z: float) -> dict[str, float]:
    """σ'(z) at one z for every built-in activation: which of them would still learn there."""
    z = require_finite_number(z, "z")
    point = np.array([[z]])
    with np.errstate(all="ignore"):
        return {name: float(act.prime(point)[0, 0]) for name, act in BUILTIN_ACTIVATIONS.items()}


__all__ = [
    "DEFAULT_A_THRESHOLD",
    "DEFAULT_SAT_FRACTION",
    "KNOWN_MAX_PRIME",
    "LayerSaturation",
    "NeuronSaturation",
    "WeightVerdict",
    "layer_saturation",
    "max_sigma_prime",
    "neuron_max_prime",
    "neuron_saturation",
    "saturation_by_layer",
    "saturation_mask",
    "sigma_prime_of_builtins",
    "slow_learning_verdicts",
]
