"""Sliders and choices: the selected neuron's bias and weights, the example, the network.

Every control writes to the shared state; the state recomputes the trace once and every panel
(this one included) follows. Sliders are rebuilt only when the selection or the network's
shape changes, and values set from elsewhere (a loaded scenario, re-initialising) flow back
into the sliders without echoing into the state again: every handler compares the control's
new value with what the state already holds and does nothing when they agree, so no guard
flag is needed while the panel itself sets a control.
"""

from __future__ import annotations

from .. import ui as widgets

from ...core.notation import neuron_name, weight_name
from ..markup import plain_name
from ..panel import Panel, close_tree
from ..state import ACTIVATIONS, COSTS, ExplorerState

PARAMETER_RANGE = 6.0
INPUT_RANGE = 3.0
MAX_SLIDERS = 12  # beyond this a layer is too wide for one slider per neuron


def _slider(description: str, value: float, limit: float, minimum: float | None = None):
    limit = max(limit, abs(value) * 1.25)
    return widgets.FloatSlider(
        value=value,
        min=-limit if minimum is None else minimum,
        max=limit,
        step=0.01,
        description=description,
        continuous_update=True,
        readout_format=".2f",
        style={"description_width": "5em"},
        layout=widgets.Layout(width="100%"),
    )


class ControlsPanel(Panel):
    """The sliders for the selection and the example, and the network's settings."""

    def __init__(self, state: ExplorerState):
        super().__init__(state)
        self.parameter_box = widgets.VBox()
        self.example_box = widgets.VBox()
        net = state.network
        wide = {"description_width": "8em"}
        self.cost_dropdown = widgets.Dropdown(
            options=[(c.replace("_", "-"), c) for c in COSTS], value=net.cost.name, description="cost", style=wide
        )
        self.cost_dropdown.observe(self._on_cost, names="value")
        self.layer_activation_box = widgets.VBox()
        self.neuron_activation = widgets.Dropdown(options=ACTIVATIONS, description="this neuron", style=wide)
        self.neuron_activation.observe(self._on_neuron_activation, names="value")
        self.seed = widgets.BoundedIntText(
            value=min(max(int(net.seed or 0), 0), 2**31 - 1), min=0, max=2**31 - 1, description="seed",
            style=wide, layout=widgets.Layout(width="16em")
        )
        self.weight_scale = widgets.BoundedFloatText(
            value=min(max(net.weight_scale, 0.0), 50.0), min=0.0, max=50.0, step=0.5, description="weight scale", style=wide,
            layout=widgets.Layout(width="16em")
        )
        self.reinit_button = widgets.Button(
            description="Re-initialise", icon="refresh", layout=widgets.Layout(width="auto")
        )
        self.reinit_button.on_click(self._on_reinit)
        self.widget = widgets.VBox(
            [
                widgets.HTML("<b>Selected</b>"),
                self.parameter_box,
                widgets.HTML("<b>Example</b>"),
                self.example_box,
                widgets.HTML("<b>Network</b>"),
                self.layer_activation_box,
                self.neuron_activation,
                self.cost_dropdown,
                self.seed,
                self.weight_scale,
                self.reinit_button,
            ],
            layout=widgets.Layout(width="380px"),
        )
        self._shape_key = None
        self._selection_key = None
        self.refresh()

    # ------------------------------------------------------------ building
    def _build_parameters(self) -> None:
        state, net = self.state, self.state.network
        sel = state.selection
        l, j = sel["layer"], sel["j"]
        self.weight_sliders: dict[tuple[int, int, int], widgets.FloatSlider] = {}
        children = []
        if sel["kind"] == "weight":
            ks = [sel["k"]]
        else:
            ks = range(min(net.sizes[l - 2], MAX_SLIDERS))
        for k in ks:
            s = _slider(plain_name(weight_name(l, j, k)), float(net.weights[l][j, k]), PARAMETER_RANGE)
            s.observe(self._on_weight(l, j, k), names="value")
            self.weight_sliders[(l, j, k)] = s
            children.append(s)
        if sel["kind"] == "neuron" and net.sizes[l - 2] > MAX_SLIDERS:
            children.append(widgets.HTML(f"(first {MAX_SLIDERS} of {net.sizes[l - 2]} incoming weights)"))
        self.bias_slider = _slider(plain_name(neuron_name("b", l, j)), float(net.biases[l][j, 0]), PARAMETER_RANGE)
        self.bias_slider.observe(self._on_bias(l, j), names="value")
        children.append(self.bias_slider)
        _close_all(self.parameter_box.children)
        self.parameter_box.children = children
        name = net.neuron_activation(l, j).name
        self.neuron_activation.description = f"neuron {j + 1}, l = {l}"
        if name in ACTIVATIONS:
            self.neuron_activation.value = name  # equal to the state's: the handler does nothing

    def _build_example(self) -> None:
        net = self.state.network
        x, y = self.state.x, self.state.y
        self.input_sliders, self.target_sliders = [], []
        children = []
        if net.sizes[0] <= MAX_SLIDERS:
            for i in range(net.sizes[0]):
                s = _slider(plain_name(f"x^_{i + 1}"), float(x[i, 0]), INPUT_RANGE)
                s.observe(self._on_input(i), names="value")
                self.input_sliders.append(s)
                children.append(s)
        else:
            children.append(widgets.HTML(f"input: {net.sizes[0]} values (set with state.set_example)"))
        if net.sizes[-1] <= MAX_SLIDERS:
            for i in range(net.sizes[-1]):
                s = _slider(plain_name(f"y^_{i + 1}"), float(y[i, 0]), 1.0, minimum=0.0)
                s.observe(self._on_target(i), names="value")
                self.target_sliders.append(s)
                children.append(s)
        _close_all(self.example_box.children)
        self.example_box.children = children

    def _build_layer_activations(self) -> None:
        net = self.state.network
        self.layer_dropdowns = {}
        children = []
        for l in net.layers:
            base = net.base_activation(l).name
            d = widgets.Dropdown(
                options=ACTIVATIONS if base in ACTIVATIONS else (*ACTIVATIONS, base),
                value=base,
                description=f"layer l = {l}",
                style={"description_width": "8em"},
            )
            d.observe(self._on_layer_activation(l), names="value")
            self.layer_dropdowns[l] = d
            children.append(d)
        _close_all(self.layer_activation_box.children)
        self.layer_activation_box.children = children

    # ------------------------------------------------------------ user → state
    @staticmethod
    def _differs(current, apply):
        """A handler that applies a choice only when it is not what the state holds already."""

        def handler(change):
            if change["new"] != current():
                apply(change["new"])

        return handler

    def _moved(self, current, apply):
        """A slider handler that ignores the browser's echo of a value it rounded to its step.

        A slider shown in a page snaps its value to the step (0.01) and sends it back; taken
        at its word, that would change the network just by opening the page. A person's
        move is at least one step; an echo is less than half of one.
        """

        def handler(change):
            new = change["new"]
            step = change["owner"].step
            if new == current():  # the panel showing the state's own value
                return
            if abs(new - current()) < step / 2 and abs(new - round(current() / step) * step) < 1e-9:
                return
            apply(new)

        return handler

    def _on_weight(self, l, j, k):
        net = lambda: self.state.network
        return self._moved(lambda: float(net().weights[l][j, k]), lambda v: self.state.set_weight(l, j, k, v))

    def _on_bias(self, l, j):
        net = lambda: self.state.network
        return self._moved(lambda: float(net().biases[l][j, 0]), lambda v: self.state.set_bias(l, j, v))

    def _on_input(self, i):
        return self._moved(lambda: float(self.state.x[i, 0]), lambda v: self.state.set_input(i, v))

    def _on_target(self, i):
        return self._moved(lambda: float(self.state.y[i, 0]), lambda v: self.state.set_target(i, v))

    def _on_layer_activation(self, l):
        return self._differs(
            lambda: self.state.network.base_activation(l).name, lambda name: self.state.set_activation(l, name)
        )

    def _on_neuron_activation(self, change):
        l, j = self.state.selected_neuron
        if change["new"] != self.state.network.neuron_activation(l, j).name:
            self.state.set_activation(l, change["new"], neuron=j)

    def _on_cost(self, change):
        if change["new"] != self.state.network.cost.name:
            self.state.set_cost(change["new"])

    def _on_reinit(self, _button=None):
        self.state.reinitialize(self.seed.value, self.weight_scale.value)

    # ------------------------------------------------------------ state → sliders
    def refresh(self) -> None:
        state, net = self.state, self.state.network
        shape_key = (id(net), net.sizes)
        sel_key = (shape_key, tuple(sorted(state.selection.items())))
        if shape_key != self._shape_key:
            self._shape_key = shape_key
            self._build_example()
            self._build_layer_activations()
        if sel_key != self._selection_key:
            self._selection_key = sel_key
            self._build_parameters()
        for (l, j, k), s in self.weight_sliders.items():
            _set(s, float(net.weights[l][j, k]))
        l, j = state.selected_neuron
        _set(self.bias_slider, float(net.biases[l][j, 0]))
        x, y = state.x, state.y
        for i, s in enumerate(self.input_sliders):
            _set(s, float(x[i, 0]))
        for i, s in enumerate(self.target_sliders):
            _set(s, float(y[i, 0]))
        if self.cost_dropdown.value != net.cost.name:
            self.cost_dropdown.value = net.cost.name
        for l, d in self.layer_dropdowns.items():
            base = net.base_activation(l).name
            if base in d.options and d.value != base:
                d.value = base


def _close_all(old_widgets) -> None:
    """Close widgets that are being replaced, with their layouts and styles, so their models do
    not pile up in the kernel and the page (every click on a neuron rebuilds the sliders; a
    widget's own close() leaves its Layout and Style models open)."""
    for w in old_widgets:
        close_tree(w)


def _set(slider: widgets.FloatSlider, value: float) -> None:
    """Show ``value`` on the slider, widening its range if needed (its handler sees the state's value)."""
    if abs(slider.value - value) < 1e-12:
        return
    if value > slider.max:
        slider.max = value * 1.25
    if value < slider.min:
        slider.min = value * 1.25
    slider.value = value
