"""The network of the chapter: feedforward (eq. 25), backpropagation (BP1–BP4), SGD.

Layers are numbered as in the book, l = 1 (input) … L (output); ``weights[l]`` and
``biases[l]`` exist for l = 2..L and ``weights[l][j, k]`` is w^l_jk, the weight from neuron k
of layer l − 1 to neuron j of layer l. An example is a column; a mini-batch is a matrix of
columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

import numpy as np

from .activations import Activation, get_activation
from .checks import (
    as_batch,
    check_index,
    check_layer,
    require_finite,
    require_finite_number,
    require_int,
)
from .costs import Cost, CrossEntropyCost, get_cost
from .notation import number
from .sgd import DIVERGED_MESSAGE, BatchProgress, EpochResult, SGDRun
from .trace import DemonEffect, Trace, WeightNudge, frozen, frozen_copy


class LayerArrays(Mapping):
    """{l: array} for l = 2..L that checks what is assigned: right shape, finite numbers.

    Assigning into an array (``net.weights[3][1, 0] = 0.5``) is allowed and is seen by the next
    pass; replacing a whole array goes through the same check as the network's own.
    """

    def __init__(self, name: str, shapes: dict[int, tuple[int, int]], dtype):
        self._name = name
        self._shapes = shapes
        self._dtype = dtype
        self._arrays: dict[int, np.ndarray] = {}

    def __getitem__(self, l: int) -> np.ndarray:
        try:
            return self._arrays[l]
        except KeyError:
            raise KeyError(
                f"{self._name}[{l!r}]: no such layer; layers with {self._name} are "
                f"l = {min(self._shapes)}..{max(self._shapes)} (the input layer l = 1 has none)"
            ) from None

    def __setitem__(self, l: int, value) -> None:
        if l not in self._shapes:
            self[l]  # raises the KeyError above
        arr = np.asarray(value)
        if arr.shape != self._shapes[l]:
            raise ValueError(
                f"{self._name}[{l}]: expected shape {self._shapes[l]}, got {arr.shape}"
            )
        if arr.dtype.kind not in "biuf":
            raise ValueError(f"{self._name}[{l}]: expected numbers, got dtype {arr.dtype}")
        require_finite(arr, f"{self._name}[{l}]")
        self._arrays[l] = np.array(arr, dtype=self._dtype, copy=True)

    def __iter__(self) -> Iterator[int]:
        return iter(sorted(self._arrays))

    def __len__(self) -> int:
        return len(self._arrays)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{l}: {self._arrays[l].shape}" for l in self)
        return f"{self._name}{{{shapes}}}"


class _MixedActivation(Activation):
    """A layer's activation with some neurons overridden (the "one modified neuron" exercise)."""

    def __init__(self, base: Activation, overrides: dict[int, Activation]):
        self.base = base
        self.overrides = dict(overrides)
        names = ", ".join(f"{j}: {act.name}" for j, act in sorted(self.overrides.items()))
        super().__init__(f"{base.name} ({names})", self._f, self._f_prime_z)

    def _apply(self, z, base_fn, fn_of):
        out = np.array(base_fn(z), copy=True)
        for j, act in self.overrides.items():
            out[j] = fn_of(act)(z[j])
        return out

    def _f(self, z):
        return self._apply(z, self.base, lambda act: act)

    def _f_prime_z(self, z):
        return self._apply(z, self.base.prime, lambda act: act.prime)


class Network:
    """A feedforward network as in the book, with a backpropagation that keeps a Trace.

    ``Network([784, 30, 10])`` has L = 3 layers. ``activation`` is a name ("sigmoid", "tanh",
    "relu", "leaky_relu", "softplus", "linear"), an ``Activation``, or a list with one entry per
    layer 2..L. ``cost`` is "quadratic" or "cross_entropy" (or a ``Cost``). Weights and biases
    are drawn from N(0, 1) as in the book's chapter 1 (weights scaled by ``weight_scale``).
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str | Activation | Sequence[str | Activation] = "sigmoid",
        cost: str | Cost = "quadratic",
        seed: int | None = None,
        dtype=np.float64,
        weight_scale: float = 1.0,
    ):
        try:
            sizes = tuple(require_int(n, "sizes") for n in sizes)
        except TypeError:
            raise ValueError(f"sizes: expected a list of layer sizes, got {sizes!r}") from None
        if len(sizes) < 2 or any(n < 1 for n in sizes):
            raise ValueError(
                f"sizes: expected at least two layers of at least one neuron each, got {list(sizes)}"
            )
        dtype = np.dtype(dtype)
        if dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype: expected float32 or float64, got {dtype}")
        self.sizes = sizes
        self.L = len(sizes)
        self.dtype = dtype
        self.cost_function = get_cost(cost)
        if isinstance(activation, (str, Activation)):
            activation = [activation] * (self.L - 1)
        activation = list(activation)
        if len(activation) != self.L - 1:
            raise ValueError(
                f"activation: a list needs one entry per layer l = 2..{self.L} "
                f"({self.L - 1} entries), got {len(activation)}"
            )
        self._base_activation = {l: get_activation(a) for l, a in zip(self.layers, activation)}
        self._overrides: dict[int, dict[int, Activation]] = {l: {} for l in self.layers}
        self._layer_activation = dict(self._base_activation)
        self.weights = LayerArrays(
            "weights", {l: (sizes[l - 1], sizes[l - 2]) for l in self.layers}, dtype
        )
        self.biases = LayerArrays("biases", {l: (sizes[l - 1], 1) for l in self.layers}, dtype)
        self._workspaces: dict[int, dict] = {}
        self.initialize(seed, weight_scale)

    # ----------------------------------------------------------------- structure
    @property
    def layers(self) -> range:
        """The book's numbers of the layers that have weights: 2..L."""
        return range(2, self.L + 1)

    @property
    def n_parameters(self) -> int:
        """How many weights and biases the network has."""
        return sum(self.sizes[l - 1] * (self.sizes[l - 2] + 1) for l in self.layers)

    @property
    def cost(self) -> Cost:
        return self.cost_function

    def initialize(self, seed: int | None = None, weight_scale: float = 1.0) -> None:
        """Fresh weights ~ N(0, weight_scale²) and biases ~ N(0, 1), reproducible by ``seed``."""
        weight_scale = require_finite_number(weight_scale, "weight_scale")
        self.seed, self.weight_scale = seed, weight_scale  # how these parameters were drawn
        self.rng = np.random.default_rng(seed)
        for l in self.layers:
            n_out, n_in = self.sizes[l - 1], self.sizes[l - 2]
            self.biases[l] = self.rng.standard_normal((n_out, 1))
            self.weights[l] = weight_scale * self.rng.standard_normal((n_out, n_in))

    def activation(self, layer: int) -> Activation:
        """The activation of layer l (with any per-neuron overrides folded in)."""
        return self._layer_activation[check_layer(layer, self.L)]

    def neuron_activation(self, layer: int, neuron: int) -> Activation:
        """The activation neuron j of layer l uses: its own override, or its layer's."""
        layer = check_layer(layer, self.L)
        neuron = check_index(neuron, self.sizes[layer - 1], "neuron", f"layer {layer}")
        return self._overrides[layer].get(neuron, self._base_activation[layer])

    def base_activation(self, layer: int) -> Activation:
        """The activation of layer l itself, which every neuron without an override uses."""
        return self._base_activation[check_layer(layer, self.L)]

    def activation_overrides(self, layer: int) -> dict[int, Activation]:
        """{j: activation} for the neurons of layer l that use their own (0-based j)."""
        return dict(self._overrides[check_layer(layer, self.L)])

    def set_activation(self, layer: int, neuron: int | None, activation) -> None:
        """Use ``activation`` for one neuron of a layer (or the whole layer if neuron is None).

        The chapter's exercise "backpropagation with a single modified neuron": one neuron of
        layer l computes f(z) instead of σ(z); BP1/BP2 then use f'(z) for that neuron alone.
        """
        layer = check_layer(layer, self.L)
        act = get_activation(activation)
        if neuron is None:
            self._base_activation[layer] = act
            self._overrides[layer] = {}
        else:
            neuron = check_index(neuron, self.sizes[layer - 1], "neuron", f"layer {layer}")
            if act is self._base_activation[layer]:
                self._overrides[layer].pop(neuron, None)
            else:
                self._overrides[layer][neuron] = act
        base, over = self._base_activation[layer], self._overrides[layer]
        self._layer_activation[layer] = _MixedActivation(base, over) if over else base

    def __repr__(self) -> str:
        acts = sorted({self._layer_activation[l].name for l in self.layers})
        return (
            f"Network({list(self.sizes)}, activation={', '.join(acts)}, "
            f"cost={self.cost_function.name}, dtype={self.dtype.name})"
        )

    # ----------------------------------------------------------------- inputs
    def prepare_examples(self, x, y=None) -> tuple[np.ndarray, np.ndarray | None]:
        """``(X, Y)``: x (and y) checked and shaped as every method here takes them.

        X has one column per example (a 1-D x of the input size is one example), in the
        network's dtype; y may also be a class label (an int, made one-hot). Wrong shapes,
        NaN or ±inf, and targets the cost cannot take raise a ValueError naming the argument.
        Y is None when y is.
        """
        return self._inputs(x, y)

    def _inputs(self, x, y=None):
        X = as_batch(x, self.sizes[0], "x", self.dtype)
        if y is None:
            return X, None
        n_out = self.sizes[-1]
        if isinstance(y, (int, np.integer)) and not isinstance(y, bool):
            label = check_index(y, n_out, "y", f"the output layer of {n_out} neurons")
            y = np.zeros(n_out)
            y[label] = 1.0
        Y = as_batch(y, n_out, "y", self.dtype)
        if Y.shape[1] != X.shape[1]:
            raise ValueError(
                f"x and y: x has {X.shape[1]} example(s) (columns) but y has {Y.shape[1]}"
            )
        if isinstance(self.cost_function, CrossEntropyCost) and ((Y < 0) | (Y > 1)).any():
            raise ValueError("y: the cross-entropy cost needs targets in [0, 1]")
        return X, Y

    def _check_parameters(self) -> None:
        for l in self.layers:
            require_finite(self.weights[l], f"weights[{l}]")
            require_finite(self.biases[l], f"biases[{l}]")

    # ----------------------------------------------------------------- forward
    def _weighted_input(self, l: int, a_prev: np.ndarray) -> np.ndarray:
        """z^l = w^l a^(l−1) + b^l (eq. 25)."""
        with np.errstate(over="ignore", invalid="ignore"):
            z = self.weights[l] @ a_prev + self.biases[l]
        if not np.isfinite(z).all():
            raise ValueError(
                f"z^{l} overflowed to infinity or NaN: the weights or inputs are too large "
                "for floating point"
            )
        return z

    def feedforward(self, x) -> np.ndarray:
        """a^L for input x (a column, or a matrix of columns)."""
        a, _ = self._inputs(x)
        self._check_parameters()
        for l in self.layers:
            a = self._layer_activation[l](self._weighted_input(l, a))
        return a

    def _output_cost(self, zL, aL, Y) -> np.ndarray:
        """C_x for each example, checking the cross-entropy's domain."""
        act = self._layer_activation[self.L]
        if isinstance(self.cost_function, CrossEntropyCost) and ((aL < 0) | (aL > 1)).any():
            raise ValueError(
                f"the cross-entropy cost needs outputs in [0, 1], but the output activation "
                f"{act.name} gave values from {number(aL.min())} to {number(aL.max())}; use a sigmoid output"
            )
        return self.cost_function.value_at_output(zL, aL, Y, act)

    def cost_of(self, x, y) -> float:
        """C = 1/n Σ_x C_x for the batch (a forward pass only: what eq. 46 needs)."""
        X, Y = self._inputs(x, y)
        self._check_parameters()
        return self._cost_unchecked(X, Y)

    def _cost_unchecked(self, X, Y) -> float:
        a = X
        for l in self.layers:
            z = self._weighted_input(l, a)
            a = self._layer_activation[l](z)
        return float(np.mean(self._output_cost(z, a, Y)))

    # ----------------------------------------------------------------- backward
    def trace(self, x, y) -> Trace:
        """One forward and one backward pass, every quantity kept (see ``Trace``)."""
        X, Y = self._inputs(x, y)
        self._check_parameters()
        L, m = self.L, X.shape[1]
        z, a, sp = {}, {1: X.copy()}, {}
        for l in self.layers:
            act = self._layer_activation[l]
            z[l] = self._weighted_input(l, a[l - 1])
            a[l] = act(z[l])
            sp[l] = act.prime(z[l])
        out = self._layer_activation[L]
        costs = self._output_cost(z[L], a[L], Y)
        grad_a = self.cost_function.gradient(a[L], Y)
        delta = {L: self.cost_function.output_error(z[L], a[L], Y, out, sp[L])}  # BP1
        for l in range(L - 1, 1, -1):
            delta[l] = (self.weights[l + 1].T @ delta[l + 1]) * sp[l]  # BP2
        nabla_b = {l: delta[l].mean(axis=1, keepdims=True) for l in self.layers}  # BP3
        nabla_w = {l: (delta[l] @ a[l - 1].T) / m for l in self.layers}  # BP4
        Y = Y.copy()
        Y.flags.writeable = False
        grad_a.flags.writeable = False
        costs.flags.writeable = False
        return Trace(
            sizes=self.sizes,
            weights=frozen_copy(self.weights),
            biases=frozen_copy(self.biases),
            activations=MappingProxyType(
                {l: tuple(self.neuron_activation(l, j) for j in range(self.sizes[l - 1]))
                 for l in self.layers}
            ),
            cost_function=self.cost_function,
            z=frozen(z),
            a=frozen(a),
            sigma_prime=frozen(sp),
            delta=frozen(delta),
            nabla_w=frozen(nabla_w),
            nabla_b=frozen(nabla_b),
            y=Y,
            cost_gradient=grad_a,
            costs=costs,
            cost=float(np.mean(costs)),
        )

    def backprop(self, x, y) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
        """(∂C_x/∂b, ∂C_x/∂w) for one example, written as the chapter's algorithm.

        Input a^1; feedforward z^l, a^l; output error δ^L (BP1); backpropagate δ^l (BP2);
        output the gradient (BP3, BP4). This is the per-example reference that the
        matrix-based mini-batch is checked and timed against.
        """
        X, Y = self._inputs(x, y)
        if X.shape[1] != 1:
            raise ValueError(f"x: backprop takes one example (one column), got {X.shape[1]}")
        self._check_parameters()
        with np.errstate(over="ignore"):
            return self._backprop(X, Y)

    def _backprop(self, x, y):
        activation = [x]
        zs = []
        for l in self.layers:
            z = self.weights[l] @ activation[-1] + self.biases[l]
            zs.append(z)
            activation.append(self._layer_activation[l](z))
        out = self._layer_activation[self.L]
        # σ'(z) from a = σ(z) where the activation allows it (for the sigmoid a(1 − a)):
        # the forward pass already paid for the exponential.
        sp = out.prime_given_output(zs[-1], activation[-1])
        delta = self.cost_function.output_error(zs[-1], activation[-1], y, out, sp)
        nabla_b = {self.L: delta}
        nabla_w = {self.L: _outer(delta, activation[-2])}
        for l in range(self.L - 1, 1, -1):
            sp = self._layer_activation[l].prime_given_output(zs[l - 2], activation[l - 1])
            delta = (self.weights[l + 1].T @ delta) * sp
            nabla_b[l] = delta
            nabla_w[l] = _outer(delta, activation[l - 2])
        return nabla_b, nabla_w

    # ----------------------------------------------------------------- the demon
    def _forward_from(self, trace: Trace, layer: int, z_new: np.ndarray):
        """Re-run the forward pass from layer l with z^l replaced; returns (C, {l': Δa^l'})."""
        z, a = z_new, self._layer_activation[layer](z_new)
        delta_a = {layer: a - trace.a[layer]}
        for l in range(layer + 1, self.L + 1):
            z = self._weighted_input(l, a)
            a = self._layer_activation[l](z)
            delta_a[l] = a - trace.a[l]
        cost_after = float(np.mean(self._output_cost(z, a, trace.y)))
        return cost_after, frozen(delta_a)

    def demon(self, x, y, layer: int, neuron: int, dz: float, trace: Trace | None = None):
        """The chapter's demon: add Δz to z^l_j (of every example) and see what C does.

        Returns a ``DemonEffect`` with the first-order prediction (δ^l_j Δz, averaged over
        the batch as C is) and the actual change of C.
        """
        layer = check_layer(layer, self.L)
        neuron = check_index(neuron, self.sizes[layer - 1], "neuron", f"layer {layer}")
        dz = require_finite_number(dz, "dz")
        trace = trace if trace is not None else self.trace(x, y)
        z_new = trace.z[layer].copy()
        z_new[neuron] += dz
        cost_after, delta_a = self._forward_from(trace, layer, z_new)
        return DemonEffect(
            layer=layer,
            neuron=neuron,
            dz=dz,
            predicted=float(np.mean(trace.delta[layer][neuron]) * dz),
            actual=cost_after - trace.cost,
            cost_before=trace.cost,
            cost_after=cost_after,
            delta_a=delta_a,
        )

    def demon_curve(self, trace: Trace, layer: int, neuron: int, dzs) -> np.ndarray:
        """The actual ΔC for each Δz in ``dzs`` (the demon's curve), all in one pass.

        Every (example, Δz) pair becomes a column, so the forward pass from layer l runs once.
        """
        layer = check_layer(layer, self.L)
        neuron = check_index(neuron, self.sizes[layer - 1], "neuron", f"layer {layer}")
        dzs = np.asarray(dzs, dtype=self.dtype).reshape(-1)
        require_finite(dzs, "dzs")
        m, n = trace.n_examples, dzs.size
        z = np.tile(trace.z[layer], n)  # columns: Δz-major, example-minor
        z[neuron] += np.repeat(dzs, m)
        with np.errstate(over="ignore"):
            a = self._layer_activation[layer](z)
            for l in range(layer + 1, self.L + 1):
                z = self.weights[l] @ a + self.biases[l]
                a = self._layer_activation[l](z)
        costs = self._output_cost(z, a, np.tile(trace.y, n))
        return costs.reshape(n, m).mean(axis=1) - trace.cost

    def nudge_weight(self, x, y, layer: int, j: int, k: int, dw: float, trace=None):
        """Change w^l_jk by Δw: ΔC ≈ ∂C/∂w^l_jk Δw (eq. 47) against the actual ΔC."""
        layer = check_layer(layer, self.L)
        j = check_index(j, self.sizes[layer - 1], "j", f"layer {layer}")
        k = check_index(k, self.sizes[layer - 2], "k", f"layer {layer - 1}")
        dw = require_finite_number(dw, "dw")
        trace = trace if trace is not None else self.trace(x, y)
        # Only z^l_j depends on w^l_jk: it moves by Δw · a^(l−1)_k in each example.
        z_new = trace.z[layer].copy()
        z_new[j] += dw * trace.a[layer - 1][k]
        cost_after, delta_a = self._forward_from(trace, layer, z_new)
        return WeightNudge(
            layer=layer,
            j=j,
            k=k,
            dw=dw,
            predicted=float(trace.nabla_w[layer][j, k] * dw),
            actual=cost_after - trace.cost,
            cost_before=trace.cost,
            cost_after=cost_after,
            delta_a=delta_a,
        )

    # ----------------------------------------------------------------- learning
    def update_mini_batch(self, X, Y, eta: float) -> None:
        """One gradient-descent step on a mini-batch, fully matrix-based.

        X has one column per example. All examples go through each layer at once, so the
        per-example loop of the chapter's algorithm becomes one matrix product per layer:
        w^l → w^l − η/m δ^l (a^(l−1))^T, b^l → b^l − η/m Σ_x δ^(x,l). X may be the transpose
        of a C-ordered array of rows (``rows[chosen].T``): the products then read it as it is.
        """
        X, Y = self._training_batch(X, Y)
        eta = require_finite_number(eta, "eta")
        bound = self._bound_parameters()
        with np.errstate(over="ignore", invalid="ignore"):
            self._update_matrix(X, Y, eta, bound)
        self._check_diverged(bound)

    def _training_batch(self, X, Y):
        """(X, Y) as ``prepare_examples`` gives them, with a shortcut for a training loop.

        Arrays already of the network's dtype and shape need only the finiteness test;
        anything else, and any batch that fails it, goes through the full check and its
        messages. At m = 10 the full check costs a tenth of the step.
        """
        if type(X) is np.ndarray and type(Y) is np.ndarray and self._passes_quick_check(X, Y):
            return X, Y
        return self._inputs(X, Y)

    def _passes_quick_check(self, X: np.ndarray, Y: np.ndarray) -> bool:
        """Columns already in the network's dtype and shape, finite, for a cost that takes any
        target: what ``_inputs`` would accept unchanged, found without its messages."""
        return (
            X.dtype == Y.dtype == self.dtype
            and X.ndim == Y.ndim == 2
            and X.shape[0] == self.sizes[0]
            and Y.shape[0] == self.sizes[-1]
            and X.shape[1] == Y.shape[1] > 0
            and not isinstance(self.cost_function, CrossEntropyCost)  # (its targets' range)
            and _all_finite(X)
            and _all_finite(Y)
        )

    def _workspace(self, m: int) -> "_Workspace":
        """Arrays reused from one mini-batch to the next (allocation is slow at small m)."""
        ws = self._workspaces.get(m)
        if ws is None:
            outs = self.sizes[1:]
            ws = _Workspace(
                z=[np.empty((n, m), self.dtype) for n in outs],
                a=[np.empty((n, m), self.dtype) for n in outs],
                delta=[np.empty((n, m), self.dtype) for n in outs[:-1]],
                step_w=[np.empty((n, k), self.dtype) for n, k in zip(outs, self.sizes[:-1])],
                step_b=[np.empty((n, 1), self.dtype) for n in outs],
            )
            if len(self._workspaces) > 4:
                self._workspaces.clear()
            self._workspaces[m] = ws
        return ws

    def _bound_parameters(self) -> tuple[list, list, list]:
        """(weights, biases, activations) as lists by position i = l − 2.

        At m = 10 a step is short enough that a mapping look-up per layer and array shows in
        its time, so a run binds these once for a stretch of steps; they stay valid while no
        array is replaced (``net.weights[l] = ...``) and no activation is changed.
        """
        return (
            [self.weights[l] for l in self.layers],
            [self.biases[l] for l in self.layers],
            [self._layer_activation[l] for l in self.layers],
        )

    def _update_matrix(self, X, Y, eta: float, bound=None) -> None:
        """One step on checked columns: eq. 25 forward, BP1, BP2 down, BP3/BP4 as the step."""
        m = X.shape[1]
        ws = self._workspace(m)
        W, b, act = bound if bound is not None else self._bound_parameters()
        z, a, out = ws.z, ws.a, len(W) - 1
        # The caller holds np.errstate(over="ignore", invalid="ignore") (once per run, not
        # per step): overflow is harmless in σ, and divergence is caught after the step or
        # the epoch.
        a_prev = X
        for i in range(out + 1):
            np.matmul(W[i], a_prev, out=z[i])  # eq. 25, written into the reused buffer
            z[i] += b[i]
            a_prev = act[i].into(z[i], a[i])
        sp = act[out].prime_given_output(z[out], a[out])
        delta = self.cost_function.output_error(z[out], a[out], Y, act[out], sp)  # BP1
        # Scaled once here by η/m: BP2 is linear in δ, so every δ below comes scaled too,
        # and BP3/BP4 give the step itself, summed over the batch by the products.
        delta *= eta / m
        for i in range(out, -1, -1):
            if i > 0:  # BP2, with w^l before this step changes it
                below = np.matmul(W[i].T, delta, out=ws.delta[i - 1])
                below *= act[i - 1].prime_given_output(z[i - 1], a[i - 1])
            a_in = a[i - 1] if i > 0 else X
            W[i] -= np.matmul(delta, a_in.T, out=ws.step_w[i])  # BP4
            b[i] -= np.add.reduce(delta, axis=1, keepdims=True, out=ws.step_b[i])  # BP3
            if i > 0:
                delta = below

    def _train_step(self, X, Y, eta: float, method: str = "matrix", bound=None) -> None:
        """One step of SGD on checked columns (X may be a transposed view of rows)."""
        if method == "matrix":
            self._update_matrix(X, Y, eta, bound)
        else:
            self._update_loop(X, Y, eta)

    def _parameters_finite(self, bound=None) -> bool:
        weights, biases, _ = bound if bound is not None else self._bound_parameters()
        return all(_all_finite(p) for p in weights + biases)

    def _check_diverged(self, bound=None) -> None:
        if not self._parameters_finite(bound):
            raise FloatingPointError(DIVERGED_MESSAGE)

    def update_mini_batch_loop(self, X, Y, eta: float) -> None:
        """The same step as ``update_mini_batch``, one example at a time (the reference)."""
        X, Y = self._inputs(X, Y)
        eta = require_finite_number(eta, "eta")
        self._update_loop(X, Y, eta)
        self._check_diverged()

    def _update_loop(self, X, Y, eta: float) -> None:
        m = X.shape[1]
        nabla_b = {l: np.zeros_like(self.biases[l]) for l in self.layers}
        nabla_w = {l: np.zeros_like(self.weights[l]) for l in self.layers}
        with np.errstate(over="ignore", invalid="ignore"):
            for i in range(m):
                delta_b, delta_w = self._backprop(X[:, i : i + 1], Y[:, i : i + 1])
                for l in self.layers:
                    nabla_b[l] += delta_b[l]
                    nabla_w[l] += delta_w[l]
        for l in self.layers:
            w, b = self.weights[l], self.biases[l]
            w -= (eta / m) * nabla_w[l]
            b -= (eta / m) * nabla_b[l]

    def sgd_run(
        self,
        training_data,
        mini_batch_size: int,
        eta: float,
        test_data=None,
        epochs: int | None = None,
        method: str = "matrix",
    ) -> SGDRun:
        """A run of SGD to advance by hand (``run.step()``, ``run.advance(max_seconds=...)``).

        The same mini-batches and steps as ``SGD`` with this network's seed: stepped to the
        end, it leaves exactly SGD's weights. See ``explorer.core.sgd.SGDRun``.
        """
        return SGDRun(self, training_data, mini_batch_size, eta, test_data, epochs, method)

    def SGD(
        self,
        training_data,
        epochs: int,
        mini_batch_size: int,
        eta: float,
        test_data=None,
        *,
        method: str = "matrix",
        on_batch: Callable[[BatchProgress], object] | None = None,
        on_epoch: Callable[[EpochResult], object] | None = None,
        verbose: bool = False,
    ) -> list[EpochResult]:
        """Mini-batch stochastic gradient descent, called as in the book's chapter 1.

        ``training_data`` is the book's list of (x, y) column pairs, or a pair of arrays
        (X, Y) with one column per example. ``test_data`` is a list of (x, label) pairs, or
        (X, labels); after each epoch the number of correct test answers is reported.
        ``method`` is "matrix" (the fully matrix-based mini-batch) or "loop" (one example at a
        time). ``on_batch`` and ``on_epoch`` are called after each mini-batch and epoch, so a
        panel can follow training; ``verbose`` prints one line per epoch like the book.
        Returns one ``EpochResult`` per epoch (its ``seconds``: the shuffle and the steps,
        not the test set). Divergence raises ``FloatingPointError`` after the epoch.
        """
        epochs = require_int(epochs, "epochs")
        if epochs < 0:
            raise ValueError(f"epochs: expected epochs ≥ 0, got {epochs}")
        run = self.sgd_run(training_data, mini_batch_size, eta, test_data, epochs, method)

        def epoch_done(result: EpochResult) -> None:
            if verbose:
                if result.total is not None:
                    print(f"Epoch {result.epoch}: {result.correct} / {result.total}")
                else:
                    print(f"Epoch {result.epoch} complete")
            if on_epoch is not None:
                on_epoch(result)

        run.advance(on_batch=on_batch, on_epoch=epoch_done)
        if run.diverged:
            raise FloatingPointError(run.message)
        return run.history

    def _training_rows(self, data) -> tuple[np.ndarray, np.ndarray]:
        """Training data as (rows_x, rows_y), one C-contiguous row per example, checked.

        SGD gathers shuffled mini-batches row by row (see ``SGDRun``). The book's list of
        pairs is stacked straight into rows: one copy of the data set instead of two (columns,
        then their transpose), which is most of the cost of a one-epoch ``SGD`` call. Anything
        the shortcut cannot vouch for goes through ``_dataset`` and its messages.
        """
        if not _is_array_pair(data):
            pairs = list(data)
            if not pairs:
                raise ValueError("training_data: empty; expected (x, y) pairs or (X, Y) arrays")
            try:
                rows_x = np.concatenate([np.reshape(x, (1, -1)) for x, _ in pairs], dtype=self.dtype)
                rows_y = np.concatenate([np.reshape(y, (1, -1)) for _, y in pairs], dtype=self.dtype)
            except (ValueError, TypeError):
                rows_x = rows_y = None
            if rows_x is not None and self._passes_quick_check(rows_x.T, rows_y.T):
                return rows_x, rows_y
            data = pairs
        X, Y = self._dataset(data)
        return np.ascontiguousarray(X.T), np.ascontiguousarray(Y.T)

    def _dataset(self, data) -> tuple[np.ndarray, np.ndarray]:
        """Training data as (X, Y) matrices of columns, from pairs or from arrays."""
        if _is_array_pair(data):
            X, Y = data
        else:
            pairs = list(data)
            if not pairs:
                raise ValueError("training_data: empty; expected (x, y) pairs or (X, Y) arrays")
            for what, side, size in (("x", 0, self.sizes[0]), ("y", 1, self.sizes[-1])):
                for i, pair in enumerate(pairs):
                    if np.size(pair[side]) != size:
                        raise ValueError(
                            f"training_data: pair {i}: {what} has {np.size(pair[side])} entries "
                            f"(shape {np.shape(pair[side])}), expected {size} as a ({size}, 1) column"
                        )
            X = np.hstack([np.reshape(x, (-1, 1)) for x, _ in pairs])
            Y = np.hstack([np.reshape(y, (-1, 1)) for _, y in pairs])
        return self._inputs(X, Y)

    def _test_set(self, data) -> tuple[np.ndarray, np.ndarray]:
        """Test data as (X, labels): labels are ints, or one-hot columns turned into ints."""
        if _is_array_pair(data):
            X, labels = data
        else:
            pairs = list(data)
            if not pairs:
                raise ValueError("test_data: empty; expected (x, label) pairs or (X, labels) arrays")
            X = np.hstack([np.reshape(x, (-1, 1)) for x, _ in pairs])
            labels = [y for _, y in pairs]
        X, _ = self._inputs(X)
        labels = np.asarray(labels)
        if labels.ndim == 2 and labels.shape[0] == self.sizes[-1]:
            labels = labels.argmax(axis=0)  # one-hot columns
        elif labels.ndim == 3:
            labels = labels.reshape(len(labels), -1).argmax(axis=1)  # list of one-hot columns
        labels = labels.reshape(-1)
        if labels.shape[0] != X.shape[1] or labels.dtype.kind not in "iu":
            raise ValueError(
                f"test_data: expected one integer label per example ({X.shape[1]}), "
                f"got {labels.shape[0]} of dtype {labels.dtype}"
            )
        return X, labels

    def _count_correct(self, X, labels) -> int:
        return int(np.sum(self.feedforward(X).argmax(axis=0) == labels))

    def evaluate(self, test_data) -> int:
        """How many test inputs the network classifies right (its answer: the largest a^L_j)."""
        return self._count_correct(*self._test_set(test_data))


def _is_array_pair(data) -> bool:
    """Is ``data`` the (X, Y) form of a data set (matrices of columns) rather than pairs?"""
    return isinstance(data, tuple) and len(data) == 2 and isinstance(data[0], np.ndarray) and np.ndim(data[0]) == 2


def _all_finite(arr: np.ndarray) -> bool:
    # The reduction called on the ufunc itself: ndarray.all() goes through a Python wrapper,
    # and update_mini_batch checks its batch and the weights at every step.
    return bool(np.logical_and.reduce(np.isfinite(arr), axis=None))


def _outer(delta: np.ndarray, a: np.ndarray) -> np.ndarray:
    """δ aᵀ for one example (BP4), as a broadcast product of a column and a row: for one
    column, BLAS' matrix product is slower (measured 31 µs against 14 µs at 30 × 784)."""
    return delta * a.reshape(1, -1)


@dataclass
class _Workspace:
    """A network's buffers for one mini-batch size, by position i = l − 2."""

    z: list
    a: list
    delta: list  # δ^l of the hidden layers (BP2)
    step_w: list  # η/m ∂C/∂w^l, the step taken (BP4)
    step_b: list  # η/m ∂C/∂b^l (BP3)
