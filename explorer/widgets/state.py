"""ExplorerState: what the user changes, and the one Trace computed from it.

Panels never call each other. They observe the state's ``revision`` trait, which goes up by
one after every change, once the new trace (and the demon's effect, and the weight nudge) are
in place; a panel then reads what it needs and updates its widgets in place. Changes made
inside ``with state.hold():`` produce a single revision. ``trace_revision`` goes up only when
a new Trace replaces the old one (a Trace is never mutated), so a panel that draws the trace
alone compares that number to know whether anything it shows changed: no fingerprints.
"""

from __future__ import annotations

import contextlib
import copy

import numpy as np
import traitlets

from ..core import DemonEffect, Network, Trace, WeightNudge
from ..core.activations import get_activation
from ..core.checks import check_index, check_layer, require_finite_number

#: The activations offered in the controls.
ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "softplus", "linear")
COSTS = ("quadratic", "cross_entropy")
BATCH_SIZE = 100


class ExplorerState(traitlets.HasTraits):
    """Holds the network, the example (x, y), the selection and the demon's Δz.

    ``selection`` is a dict: ``{"kind": "neuron", "layer": l, "j": j}`` or
    ``{"kind": "weight", "layer": l, "j": j, "k": k}`` with 0-based j, k and the book's l.
    ``trace`` is for the current example; ``batch_trace`` for a batch of examples (the
    saturation heatmaps), whose column 0 is the current example.
    """

    revision = traitlets.Int(0, help="goes up by one after each change, when all is recomputed")
    trace_revision = traitlets.Int(
        0, help="goes up by one with each new trace (parameters or example changed), not for Δz, Δw or a click"
    )
    trace = traitlets.Instance(Trace, allow_none=True)
    batch_trace = traitlets.Instance(Trace, allow_none=True)
    demon = traitlets.Instance(DemonEffect, allow_none=True)
    nudge = traitlets.Instance(WeightNudge, allow_none=True)
    selection = traitlets.Dict()
    dz = traitlets.Float(0.0, help="the demon's Δz, added to the selected neuron's z")
    dw = traitlets.Float(0.0, help="a nudge Δw of the selected weight")
    diverged = traitlets.Unicode("", help="why the numbers could not be computed, if they could not")

    def __init__(self, network: Network, x, y, batch=None, seed: int = 0):
        super().__init__()
        self._hold = 0
        self._dirty = False
        self._stale_trace = True
        self._network = network
        x, y = network.prepare_examples(x, y)
        self._x, self._y = x.copy(), y.copy()  # never write into the caller's arrays
        if self._x.shape[1] != 1:
            raise ValueError(f"x: the explorer shows one example (one column), got {self._x.shape[1]}")
        self._batch = self._make_batch(batch, seed)
        self.selection = {"kind": "neuron", "layer": network.L, "j": 0}
        # The selection, Δz and Δw change the demon and the nudge, not the trace.
        self.observe(self._on_demon_inputs, names=["selection", "dz", "dw"])
        self._recompute()

    # ------------------------------------------------------------ read access
    @property
    def network(self) -> Network:
        return self._network

    @property
    def x(self) -> np.ndarray:
        return self._x.copy()

    @property
    def y(self) -> np.ndarray:
        return self._y.copy()

    @property
    def batch(self) -> tuple[np.ndarray, np.ndarray]:
        """The examples of the heatmaps (without the current one, which is prepended)."""
        return self._batch[0].copy(), self._batch[1].copy()

    @property
    def selected_neuron(self) -> tuple[int, int]:
        """(l, j) of the selected neuron, or of the neuron a selected weight feeds."""
        return self.selection["layer"], self.selection["j"]

    # ------------------------------------------------------------ changes
    @contextlib.contextmanager
    def hold(self):
        """Group several changes into one recomputation and one revision."""
        self._hold += 1
        try:
            with self.hold_trait_notifications():
                yield self
        finally:
            self._hold -= 1
            if self._hold == 0 and self._dirty:
                self._recompute()

    def _changed(self, change=None):
        self._stale_trace = True
        if self._hold:
            self._dirty = True
        else:
            self._recompute()

    def _on_demon_inputs(self, change=None):
        if self._hold:
            self._dirty = True
        else:
            self._recompute()

    def set_weight(self, l: int, j: int, k: int, value: float) -> None:
        net = self._network
        l = check_layer(l, net.L)
        j = check_index(j, net.sizes[l - 1], "j", f"layer {l}")
        k = check_index(k, net.sizes[l - 2], "k", f"layer {l - 1}")
        net.weights[l][j, k] = require_finite_number(value, "weight")
        self._changed()

    def set_bias(self, l: int, j: int, value: float) -> None:
        net = self._network
        l = check_layer(l, net.L)
        j = check_index(j, net.sizes[l - 1], "j", f"layer {l}")
        net.biases[l][j, 0] = require_finite_number(value, "bias")
        self._changed()

    def set_input(self, i: int, value: float) -> None:
        i = check_index(i, self._network.sizes[0], "i", "the input layer")
        self._x[i, 0] = require_finite_number(value, "x")
        self._changed()

    def set_target(self, i: int, value: float) -> None:
        i = check_index(i, self._network.sizes[-1], "i", "the output layer")
        self._y[i, 0] = require_finite_number(value, "y")
        self._changed()

    def set_example(self, x, y) -> None:
        x, y = self._network.prepare_examples(x, y)
        if x.shape[1] != 1:
            raise ValueError(f"x: the explorer shows one example (one column), got {x.shape[1]}")
        self._x, self._y = x.copy(), y.copy()
        self._changed()

    def set_activation(self, layer: int, activation, neuron: int | None = None) -> None:
        """A layer's activation, or one neuron's (the "single modified neuron" exercise)."""
        self._network.set_activation(layer, neuron, get_activation(activation))
        self._changed()

    def set_cost(self, cost) -> None:
        from ..core.costs import get_cost

        self._network.cost_function = get_cost(cost)
        self._changed()

    def reinitialize(self, seed: int | None = None, weight_scale: float = 1.0) -> None:
        self._network.initialize(seed, weight_scale)
        self._changed()

    def set_network(self, network: Network, x=None, y=None) -> None:
        """Replace the network (and optionally the example): a loaded scenario."""
        x = self._x if x is None else x
        y = self._y if y is None else y
        x, y = (a.copy() for a in network.prepare_examples(x, y))
        sel = self.selection
        with self.hold():
            self._network, self._x, self._y = network, x, y
            if self._batch[0].shape[0] != network.sizes[0] or self._batch[1].shape[0] != network.sizes[-1]:
                self._batch = self._make_batch(None, 0)
            if not self._valid_selection(sel):
                self.selection = {"kind": "neuron", "layer": network.L, "j": 0}
            self._dirty = self._stale_trace = True

    def select_neuron(self, layer: int, j: int) -> None:
        layer = check_layer(layer, self._network.L)
        j = check_index(j, self._network.sizes[layer - 1], "j", f"layer {layer}")
        self.selection = {"kind": "neuron", "layer": layer, "j": j}

    def select_weight(self, layer: int, j: int, k: int) -> None:
        layer = check_layer(layer, self._network.L)
        j = check_index(j, self._network.sizes[layer - 1], "j", f"layer {layer}")
        k = check_index(k, self._network.sizes[layer - 2], "k", f"layer {layer - 1}")
        self.selection = {"kind": "weight", "layer": layer, "j": j, "k": k}

    @traitlets.validate("selection")
    def _check_selection(self, proposal):
        sel = dict(proposal["value"])
        if not self._valid_selection(sel):
            raise traitlets.TraitError(
                f"selection: {sel} is not a neuron or weight of the network {list(self._network.sizes)}"
            )
        return sel

    def _valid_selection(self, sel) -> bool:
        net = self._network
        try:
            l, j = sel["layer"], sel["j"]
            if sel["kind"] == "neuron":
                return 2 <= l <= net.L and 0 <= j < net.sizes[l - 1]
            if sel["kind"] == "weight":
                return 2 <= l <= net.L and 0 <= j < net.sizes[l - 1] and 0 <= sel["k"] < net.sizes[l - 2]
        except (KeyError, TypeError):
            return False
        return False

    def snapshot(self) -> Network:
        """A copy of the network as it is now."""
        return copy.deepcopy(self._network)

    # ------------------------------------------------------------ recomputation
    @traitlets.observe("trace")
    def _on_new_trace(self, change) -> None:
        self.trace_revision += 1

    def _make_batch(self, batch, seed: int):
        net = self._network
        if batch is not None:
            X, Y = net.prepare_examples(*batch)
            return X, Y
        rng = np.random.default_rng(seed)
        X = rng.uniform(-1.0, 1.0, (net.sizes[0], BATCH_SIZE - 1)).astype(net.dtype)
        return X, np.repeat(self._y, BATCH_SIZE - 1, axis=1)

    def _recompute(self) -> None:
        """A new trace if parameters or example changed; the demon and the nudge always.

        A Δz or a click keeps the same Trace object, so panels that only show the trace can
        tell by identity that nothing they show has changed.
        """
        self._dirty = False
        net = self._network
        try:
            with np.errstate(all="ignore"):
                if self._stale_trace or self.trace is None:
                    trace = net.trace(self._x, self._y)
                    bx = np.concatenate([self._x, self._batch[0]], axis=1)
                    by = np.concatenate([self._y, self._batch[1]], axis=1)
                    batch_trace = net.trace(bx, by)
                else:
                    trace, batch_trace = self.trace, self.batch_trace
                l, j = self.selected_neuron
                demon = net.demon(self._x, self._y, l, j, self.dz, trace=trace)
                nudge = None
                if self.selection["kind"] == "weight":
                    s = self.selection
                    nudge = net.nudge_weight(self._x, self._y, s["layer"], s["j"], s["k"], self.dw, trace=trace)
            if not (np.isfinite(demon.actual) and np.isfinite(trace.cost)):
                raise ValueError("the cost is not a finite number")
        except (ValueError, FloatingPointError) as error:
            self.diverged = f"diverged: {error}"
        else:
            self._stale_trace = False
            self.diverged = ""
            self.trace, self.batch_trace, self.demon, self.nudge = trace, batch_trace, demon, nudge
        self.revision += 1
