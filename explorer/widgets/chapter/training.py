"""Learning the MNIST digits from a panel, watching what BP1–BP4 predict about learning speed.

The chapter reads BP1–BP4 as a diagnosis: a weight learns slowly when the neuron it feeds is
saturated, σ'(z) ≈ 0 (BP1 at the output, BP2 below it). The panel trains the book's network on
the project's digits and shows, while it learns, the cost, the test accuracy, σ'(z) of a hidden
layer over a fixed batch of digits, and how large the errors δ^l and the gradients ∂C/∂w^l of
each layer are. Two presets replay the two classic slow-downs: a large initial weight scale
saturates the hidden layer; the quadratic cost on a saturated sigmoid output stalls where the
cross-entropy (δ^L = a^L − y, σ' cancels) does not.

Training runs as an asyncio task on the kernel's event loop: a chunk of mini-batches (about
``CHUNK_SECONDS``), then a short ``await asyncio.sleep``, so the kernel keeps answering other
widgets (a click waits for one chunk at most: measured 30 ms in a kernel). The figures are
``Plot`` widgets the browser draws: at most every ``REDRAW_SECONDS`` the panel sends them the
curves' numbers (a few kilobytes), the heatmap's after a new probe, the gallery's digits after
an evaluation changed them. Without a running loop (tests, scripts)
``step()``, ``run_batches(k)`` and ``run_epochs(n)`` train synchronously through the same code.
The training itself is the core's steppable run (``core.sgd.SGDRun``, ``panel.run``): the
panel advances it in stretches from one recorded sample (cost, probe, epoch's end) to the next,
so its mini-batches and weights are exactly those of ``Network.SGD`` with the same seed, and
between samples it trains as fast as ``SGD`` does.
"""

from __future__ import annotations

import asyncio
import html
import math
import time
from dataclasses import dataclass, field, replace

from .. import ui as widgets
import numpy as np

from ..panel import PanelBox
from ...core import Network, load_mnist, max_sigma_prime, one_hot
from ..markup import number
from ...core.saturation import DEFAULT_SAT_FRACTION
from ..drawing.plot import Plot, VIRIDIS
from ..state import ACTIVATIONS, COSTS

#: Train for about this long before yielding to the event loop (other widgets' messages).
CHUNK_SECONDS = 0.04
#: Then give the loop this long: a message from the browser takes several loop iterations to
#: be handled (socket, then a task, then its awaits), and a bare ``sleep(0)`` grants only one
#: each time, which tripled the time a click waited (measured: 150 ms with 40 ms chunks).
YIELD_SECONDS = 0.001
#: Redraw the figure and the progress at most this often while training.
REDRAW_SECONDS = 0.4
#: Sample the cost of a training mini-batch (one extra forward pass) and trace the fixed batch
#: of digits (σ', δ, ∂C/∂w) at intervals that start small and grow to these many digits: the
#: first hundreds of digits, where most changes, are seen in detail, and later samples are cheap.
COST_EVERY = 800
PROBE_EVERY = 2000
#: How many test digits the saturation heatmap and the δ / gradient curves use.
PROBE_SIZE = 50
#: Smoothing of the mini-batch cost: exponential moving average with this weight per sample.
SMOOTHING = 0.15
#: A neuron counts as saturated on a digit when σ'(z) < SATURATED × (max σ'): the core's rule.
SATURATED = DEFAULT_SAT_FRACTION
#: The misclassified gallery: rows × columns of test digits.
GALLERY_ROWS, GALLERY_COLS = 3, 6

#: The heatmap shows at most this many neurons of a layer (an SVG cell per neuron × digit);
#: the saturated fraction counts them all.
HEATMAP_ROWS = 100
_LAYER_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


# ----------------------------------------------------------------------------- settings
def parse_hidden(text: str) -> tuple[int, ...]:
    """"30" → (30,), "100, 30" → (100, 30), "" → () (no hidden layer)."""
    parts = [p for p in str(text).replace(";", ",").replace(" ", ",").split(",") if p]
    try:
        sizes = tuple(int(p) for p in parts)
    except ValueError:
        raise ValueError(
            f"hidden layers: expected sizes separated by commas, like 30 or 100, 30; got {text!r}"
        ) from None
    if any(n < 1 for n in sizes) or len(sizes) > 6 or any(n > 2000 for n in sizes):
        raise ValueError(
            f"hidden layers: expected up to 6 sizes between 1 and 2000, got {text!r}"
        )
    return sizes


@dataclass(frozen=True)
class Settings:
    """Everything that defines a training run (the network, its start, and SGD's numbers)."""

    hidden: tuple[int, ...] = (30,)
    eta: float = 3.0
    batch: int = 10
    epochs: int = 30
    weight_scale: float = 1.0
    activation: str = "sigmoid"
    cost: str = "quadratic"
    seed: int = 9

    @property
    def sizes(self) -> list[int]:
        return [784, *self.hidden, 10]

    def label(self) -> str:
        cost = "cross-entropy" if self.cost == "cross_entropy" else self.cost
        return (
            f"{self.sizes}, {self.activation}, {cost}, weight scale {number(self.weight_scale)}, "
            f"η = {number(self.eta)}, mini-batch {self.batch}, seed {self.seed}"
        )

    def short_label(self) -> str:
        cost = "cross-entropy" if self.cost == "cross_entropy" else self.cost
        return f"{cost}, scale {number(self.weight_scale, 3)}, η {number(self.eta)}"


#: Two-run comparisons: the first run is kept as the dashed reference while the second trains.
PRESETS: dict[str, tuple[Settings, Settings]] = {
    # N(0, 10²) weights: |z^2| of a digit is typically ~100, σ'(z^2) ≈ 0 almost everywhere, and
    # BP2 passes almost no error into layer 2. Then weights ~ N(0, 1/784): the sum of 784
    # inputs stays of order one and nothing saturates.
    "saturate the hidden layer": (
        Settings(weight_scale=10.0, epochs=3, seed=1),
        Settings(weight_scale=round(1 / math.sqrt(784), 4), epochs=3, seed=1),
    ),
    # Scale 3 saturates the output neurons too: with the quadratic cost BP1 multiplies their
    # error by σ'(z^L) ≈ 0; with the cross-entropy δ^L = a^L − y and the same η learns fast.
    "cross-entropy vs quadratic": (
        Settings(weight_scale=3.0, epochs=3, seed=1, cost="quadratic"),
        Settings(weight_scale=3.0, epochs=3, seed=1, cost="cross_entropy"),
    ),
}


def preset_text(name: str, first: Settings, second: Settings) -> str:
    """What a preset does, in one sentence: run 1's settings, then what run 2 changes, and that
    run 1 stays on the plots as the dashed line to compare with."""
    changed = []
    if second.cost != first.cost:
        changed.append("the cross-entropy cost" if second.cost == "cross_entropy" else f"the {second.cost} cost")
    if second.weight_scale != first.weight_scale:
        changed.append(f"initial weight scale {number(second.weight_scale)}")
    if second.eta != first.eta:
        changed.append(f"η = {number(second.eta)}")
    cost = "cross-entropy" if first.cost == "cross_entropy" else first.cost
    return (
        f"<b>{html.escape(name)}</b>: run 1 trains {first.epochs} epochs with the {cost} cost, initial "
        f"weight scale {number(first.weight_scale)} and η = {number(first.eta)}; then run 2 trains the same "
        f"network from the same seed with {html.escape(' and '.join(changed) or 'the same settings')}, "
        "and run 1 stays on the plots as a dashed line."
    )


# ----------------------------------------------------------------------------- records
@dataclass
class RunRecord:
    """The curves of one run; x values are in epochs (digits seen / training digits)."""

    settings: Settings
    layers: tuple[int, ...]
    cost_x: list = field(default_factory=list)
    cost_raw: list = field(default_factory=list)
    cost_smooth: list = field(default_factory=list)
    accuracy_x: list = field(default_factory=list)
    accuracy: list = field(default_factory=list)  # percent
    probe_x: list = field(default_factory=list)
    delta: dict = field(default_factory=dict)  # {l: [mean |δ^l|]}
    gradient: dict = field(default_factory=dict)  # {l: [‖∂C/∂w^l‖ / √(#weights)]}
    digits_trained: int = 0

    def __post_init__(self):
        for l in self.layers:
            self.delta.setdefault(l, [])
            self.gradient.setdefault(l, [])


def _next_sample(digits: int, step: int, most: int) -> int:
    """When to sample next: after ``step`` digits at first, then half the digits seen so far,
    at most ``most`` apart."""
    return digits + min(most, max(step, digits // 2))


def _decade_limits(values, old=None) -> tuple[float, float]:
    """Whole decades holding every positive finite value, and ``old`` limits if given.

    Limits only grow, and when the lower one must move it moves a decade further (errors and
    gradients mostly shrink as a network learns): every move costs a full redraw.
    """
    arr = np.asarray([v for v in values if np.isfinite(v) and v > 0], dtype=float)
    if arr.size == 0:
        return old if old is not None else (1e-3, 1.0)
    lo = 10.0 ** math.floor(math.log10(max(arr.min(), 1e-300)))
    hi = 10.0 ** math.ceil(math.log10(arr.max()))
    if hi <= lo:
        hi = lo * 10
    if old is None:
        return lo / 10, hi
    return (old[0] if lo >= old[0] else lo / 10), max(hi, old[1])


def _nice_top(value: float) -> float:
    """The smallest of 1, 1.5, 2, 3, 5, 7.5 × 10^n at least ``value`` (> 0)."""
    if not np.isfinite(value) or value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    for step in (1.0, 1.5, 2.0, 3.0, 5.0, 7.5, 10.0):
        if step * 10.0**exponent >= value:
            return step * 10.0**exponent
    return 10.0 ** (exponent + 1)


# ----------------------------------------------------------------------------- the panel
class TrainingPanel(PanelBox):
    """Train [784, 30, 10] on the project's digits from a panel, live.

    ``TrainingPanel()`` alone in a cell shows it. Controls: hidden sizes ("30", "100, 30"),
    η, mini-batch size, epochs, initial weight scale, activation, cost, seed (a change of the
    network's settings resets it; η and the mini-batch size act from the next mini-batch);
    buttons start, pause, step (one mini-batch), reset; presets that run a two-run comparison.

    Driving it from code: ``start()`` / ``pause()`` / ``await wait()`` on a running event
    loop; ``step()``, ``run_batches(k)``, ``run_epochs(n)`` synchronously; ``reset()``,
    ``apply_preset(name)``, ``next_run()``, ``forget_reference()``.

    For tests and other code: ``net``, ``run`` (the core's ``SGDRun`` the panel steps),
    ``settings``, ``epoch`` (completed epochs of this run),
    ``position`` (digits of the current epoch done), ``digits_seen``, ``state`` ("ready",
    "running", "paused", "done", "failed"), ``record`` and ``reference`` (``RunRecord``),
    ``correct`` (test digits right at the last evaluation), ``gallery_indices`` /
    ``gallery_predicted`` (the misclassified test digits shown), ``heatmap_layer``,
    ``heatmap_values`` (σ'(z^l) over ``probe_x``) and ``saturated_fraction``,
    ``probe_x``/``probe_labels``/``probe_indices``; the test set ``test_x``/``test_labels``;
    widgets ``start_button``, ``pause_button``, ``step_button``, ``reset_button``,
    ``clear_button``, ``preset_buttons``, ``hidden_text``, ``eta_text``, ``batch_text``,
    ``epochs_text``, ``scale_text``, ``activation_dropdown``, ``cost_dropdown``, ``seed_text``,
    ``layer_dropdown``, ``progress``, ``progress_label``, ``accuracy_label``, ``redraws`` (a counter),
    ``saturation_label``, ``status``; the figures ``plot`` (marks ``cost``, ``cost_raw``,
    ``accuracy``, ``delta_<l>``, ``gradient_<l>`` and, with a reference, ``ref_…``; the δ and
    gradient curves are sent as log10 of the values, on log axes), ``heatmap_plot`` (mark
    ``sigma_prime``: σ'(z^l), neurons × probe digits) and ``gallery_plot`` (marks
    ``digit_<i>``, 28 × 28 pixels, and ``gallery_labels``); ``plot.values(mark, field)`` gives
    back what was sent.
    """

    def __init__(
        self,
        hidden="30",
        eta: float = 3.0,
        batch: int = 10,
        epochs: int = 10,
        weight_scale: float = 1.0,
        activation: str = "sigmoid",
        cost: str = "quadratic",
        seed: int = 9,
        n_train: int = 8000,
        n_test: int = 2000,
    ):
        super().__init__()
        #: How many times the figures and readouts were brought up to date (the benchmark counts).
        self.redraws = 0
        (X, Y), (Xt, labels) = load_mnist(n_train=n_train, n_test=n_test, format="arrays")
        self.n_train, self.n_test = X.shape[1], Xt.shape[1]
        self._training = (X, Y)
        self.test_x, self.test_labels = Xt, labels
        # The probe: the first PROBE_SIZE test digits, sorted by label so classes group.
        first = np.arange(min(PROBE_SIZE, self.n_test))
        self.probe_indices = first[np.argsort(labels[first], kind="stable")]
        self.probe_x = np.ascontiguousarray(Xt[:, self.probe_indices])
        self.probe_labels = labels[self.probe_indices]
        self._probe_y = one_hot(self.probe_labels, 10)

        self._build_controls(hidden, eta, batch, epochs, weight_scale, activation, cost, seed)
        self.reference: RunRecord | None = None
        self._queue: list[Settings] = []
        self._task: asyncio.Task | None = None
        self._token = None
        self.state = "ready"
        self.plot, self.heatmap_plot, self.gallery_plot = Plot(), Plot(), Plot()
        self._heat_layer = None
        self._new_network(self._read_settings())
        figures = widgets.HBox([self.plot, widgets.VBox([self.heatmap_plot, self.gallery_plot])])
        self.widget = widgets.VBox(
            [self._controls_box, figures, self._progress_box, self.status],
            layout=widgets.Layout(width="1010px"),
        )

    # ------------------------------------------------------------------ controls
    def _build_controls(self, hidden, eta, batch, epochs, scale, activation, cost, seed):
        short = {"description_width": "initial"}
        self.hidden_text = widgets.Text(
            value=hidden if isinstance(hidden, str) else ", ".join(map(str, hidden)),
            description="hidden layers", style=short, layout=widgets.Layout(width="190px"),
            continuous_update=False,
        )
        self.eta_text = widgets.BoundedFloatText(
            value=eta, min=1e-4, max=100.0, step=0.1, description="η", style=short,
            layout=widgets.Layout(width="110px"),
        )
        self.batch_text = widgets.BoundedIntText(
            value=batch, min=1, max=self.n_train, description="mini-batch", style=short,
            layout=widgets.Layout(width="150px"),
        )
        self.epochs_text = widgets.BoundedIntText(
            value=epochs, min=1, max=1000, description="epochs", style=short,
            layout=widgets.Layout(width="130px"),
        )
        self.scale_text = widgets.BoundedFloatText(
            value=scale, min=0.0, max=100.0, step=0.1, description="initial weight scale",
            style=short, layout=widgets.Layout(width="220px"),
        )
        self.activation_dropdown = widgets.Dropdown(
            options=list(ACTIVATIONS), value=activation, description="activation", style=short,
            layout=widgets.Layout(width="190px"),
        )
        self.cost_dropdown = widgets.Dropdown(
            options=[("quadratic", "quadratic"), ("cross-entropy", "cross_entropy")],
            value=cost, description="cost", style=short, layout=widgets.Layout(width="190px"),
        )
        assert set(COSTS) == {"quadratic", "cross_entropy"}
        self.seed_text = widgets.IntText(
            value=seed, description="seed", style=short, layout=widgets.Layout(width="110px")
        )
        self.layer_dropdown = widgets.Dropdown(
            description="heatmap of layer", style=short, layout=widgets.Layout(width="270px")
        )
        button = widgets.Layout(width="95px")
        self.start_button = widgets.Button(description="start", icon="play", button_style="success", layout=button)
        self.pause_button = widgets.Button(description="pause", icon="pause", layout=button)
        self.step_button = widgets.Button(
            description="step", icon="step-forward", tooltip="train one mini-batch", layout=button
        )
        self.reset_button = widgets.Button(
            description="reset", icon="undo", tooltip="fresh weights from the seed", layout=button
        )
        self.clear_button = widgets.Button(
            description="forget the dashed run", layout=widgets.Layout(width="180px")
        )
        self.preset_buttons = {
            name: widgets.Button(description=name, button_style="info", layout=widgets.Layout(width="230px"))
            for name in PRESETS
        }
        self.progress = widgets.IntProgress(value=0, min=0, max=1, layout=widgets.Layout(width="300px"))
        self.progress_label = widgets.HTML()
        self.accuracy_label = widgets.HTML()
        self.saturation_label = widgets.HTML()
        self.status = widgets.HTML()

        self.start_button.on_click(lambda _: self.start())
        self.pause_button.on_click(lambda _: self.pause())
        self.step_button.on_click(lambda _: self.step())
        self.reset_button.on_click(lambda _: self.reset())
        self.clear_button.on_click(lambda _: self.forget_reference())
        for name, b in self.preset_buttons.items():
            b.on_click(lambda _, name=name: self.apply_preset(name))
        for w in (self.hidden_text, self.scale_text, self.activation_dropdown,
                  self.cost_dropdown, self.seed_text):
            w.observe(self._on_network_setting, names="value")
        self.epochs_text.observe(self._on_epochs, names="value")
        self.layer_dropdown.observe(self._on_layer, names="value")

        row1 = widgets.HBox([self.hidden_text, self.activation_dropdown, self.cost_dropdown,
                             self.scale_text, self.seed_text])
        row2 = widgets.HBox([self.eta_text, self.batch_text, self.epochs_text,
                             self.start_button, self.pause_button, self.step_button, self.reset_button])
        row3 = widgets.HBox([widgets.HTML("<b>presets:</b>&nbsp;"), *self.preset_buttons.values(),
                             self.clear_button, self.layer_dropdown])
        self._controls_box = widgets.VBox([row1, row2, row3])
        self._progress_box = widgets.VBox([
            widgets.HBox([self.progress, self.progress_label]),
            widgets.HBox([self.accuracy_label, self.saturation_label]),
        ])

    def _read_settings(self) -> Settings:
        return Settings(
            hidden=parse_hidden(self.hidden_text.value),
            eta=float(self.eta_text.value),
            batch=int(self.batch_text.value),
            epochs=int(self.epochs_text.value),
            weight_scale=float(self.scale_text.value),
            activation=self.activation_dropdown.value,
            cost=self.cost_dropdown.value,
            seed=int(self.seed_text.value),
        )

    @property
    def settings(self) -> Settings:
        """The settings as the controls show them now (η and mini-batch act from the next batch)."""
        return replace(self._settings, eta=float(self.eta_text.value), batch=int(self.batch_text.value),
                       epochs=int(self.epochs_text.value))

    def _set_controls(self, s: Settings) -> None:
        """Show ``s`` in the controls; the caller makes the network (``reset``, ``_new_network``).

        The panel's settings become ``s`` first, so the controls' handlers find nothing changed.
        """
        self._settings = s
        self.hidden_text.value = ", ".join(map(str, s.hidden))
        self.eta_text.value = s.eta
        self.batch_text.value = s.batch
        self.epochs_text.value = s.epochs
        self.scale_text.value = s.weight_scale
        self.activation_dropdown.value = s.activation
        self.cost_dropdown.value = s.cost
        self.seed_text.value = s.seed

    def _on_network_setting(self, change) -> None:
        """A control that defines the network: reset, unless it shows what the network has."""
        try:
            wanted = self._read_settings()
        except ValueError:
            wanted = None  # reset says what is wrong
        if wanted is None or _network_part(wanted) != _network_part(self._settings):
            self.reset()

    def _on_epochs(self, change) -> None:
        if self.state == "done" and self.epoch < self.epochs_text.value:
            self.state = "paused"
        self._redraw()

    def _on_layer(self, change) -> None:
        if change["new"] is not None and change["new"] != self._heat_layer:
            self._heat_layer = change["new"]
            self._build_heatmap()
            self._redraw()

    # ------------------------------------------------------------------ runs
    def _new_network(self, settings: Settings) -> None:
        """Fresh weights for ``settings``; the figure rebuilt for the new network."""
        self._settings = settings
        self.net = Network(
            settings.sizes, activation=settings.activation, cost=settings.cost,
            seed=settings.seed, weight_scale=settings.weight_scale,
        )
        # The run has no end of its own: the panel stops at the epochs its control shows (and
        # "run_epochs" may go past them).
        self.run = self.net.sgd_run(self._training, settings.batch, settings.eta)
        self._next_cost = 0
        self._next_probe = 0
        self._smooth = None
        self._n_smooth = 0
        self._interval_start = None
        self.record = RunRecord(settings, tuple(self.net.layers))
        self.correct = None
        self.gallery_indices = np.zeros(0, dtype=int)
        self.gallery_predicted = np.zeros(0, dtype=int)
        self._probe()
        self._initial_cost = self._probe_trace.cost
        self._evaluate()
        # The first hidden layer; the heatmap is built below, so the dropdown's handler has
        # nothing to do (a new list of options first selects the first layer: that one).
        self._heat_layer = ([l for l in self.net.layers if l < self.net.L] or [self.net.L])[0]
        options = [(f"{l} ({'output' if l == self.net.L else 'hidden'})", l) for l in self.net.layers]
        self.layer_dropdown.options = options
        self.layer_dropdown.value = self._heat_layer
        self._build_figure()
        self._redraw(full=True)

    def reset(self, keep_reference: bool = True) -> None:
        """Stop training and start again from fresh weights (settings as the controls show).

        A run that trained becomes the dashed reference curve (unless ``keep_reference`` is False).
        """
        self._stop_task()
        try:
            settings = self._read_settings()
        except ValueError as error:
            self._say(str(error), error=True)
            return
        if keep_reference and self.record.digits_trained > 0:
            self.reference = self.record
        self.state = "ready"
        self._new_network(settings)
        self._say(f"fresh weights: {html.escape(settings.label())}")

    def forget_reference(self) -> None:
        self.reference = None
        self._queue = []
        self._build_figure()
        self._redraw(full=True)

    def apply_preset(self, name: str) -> None:
        """Set up a two-run comparison: the first run now; the second follows when it ends.

        With a running event loop (a notebook) the first run starts at once.
        """
        first, second = PRESETS[name]
        self._stop_task()
        self.reference = None
        self._set_controls(first)
        self.reset(keep_reference=False)
        self._queue = [second]
        self._say(preset_text(name, first, second))
        if _running_loop() is not None:
            self.start()

    def next_run(self) -> bool:
        """Switch to the queued comparison run (the current one becomes the reference)."""
        if not self._queue:
            return False
        settings = self._queue.pop(0)
        self._stop_task()
        self._set_controls(settings)
        self.reset()
        return True

    # ------------------------------------------------------------------ training, one batch
    @property
    def epoch(self) -> int:
        """Epochs completed in this run."""
        return self.run.epoch

    @property
    def position(self) -> int:
        """Digits of the current epoch trained."""
        return self.run.position

    @property
    def digits_seen(self) -> int:
        """Digits trained in this run, over all epochs."""
        return self.run.examples_seen

    def _train_stretch(self, max_batches: int | None = None, deadline: float | None = None) -> int:
        """Advance the run up to the next thing the panel records, at most ``max_batches``
        mini-batches or until ``deadline`` (a ``time.perf_counter()`` value); returns how many
        mini-batches it trained (at least one).

        η and the mini-batch size are read from the controls at the start of each stretch.
        The stretch begins with the cost sample if one is due (the cost of the coming
        mini-batch before its step: the training cost as SGD sees it) and ends at the next
        sample, probe or epoch end, where the test set is evaluated. In between, the core's
        run trains on its own, as fast as ``Network.SGD``.
        """
        run = self.run
        run.mini_batch_size = int(self.batch_text.value)
        run.eta = float(self.eta_text.value)
        m = run.mini_batch_size
        if self.digits_seen >= self._next_cost:
            # Samples are rare, so each may first check the weights for divergence: a clear
            # message rather than the cost's complaint about NaN weights.
            self._check_divergence()
            X, Y = run.next_batch()
            self._record_cost(self.net.cost_of(X, Y))
            self._next_cost = _next_sample(self.digits_seen, X.shape[1], COST_EVERY)
        until_sample = min(self._next_cost, self._next_probe) - self.digits_seen
        batches = min(-(-until_sample // m), -(-(run.n - run.position) // m))
        if max_batches is not None:
            batches = min(batches, max_batches)
        seconds = None if deadline is None else max(0.0, deadline - time.perf_counter())
        epoch = run.epoch
        trained = run.advance(max_batches=max(1, batches), max_seconds=seconds)
        self.record.digits_trained = self.digits_seen
        if run.diverged:
            raise FloatingPointError(run.message)
        if run.epoch > epoch:
            self._evaluate()
        if self.digits_seen >= self._next_probe:
            self._check_divergence()
            self._probe()
        return trained

    def _x_now(self) -> float:
        return self.digits_seen / self.n_train

    def _record_cost(self, cost: float) -> None:
        self._n_smooth += 1
        self._smooth = cost if self._smooth is None else (1 - SMOOTHING) * self._smooth + SMOOTHING * cost
        r = self.record
        r.cost_x.append(self._x_now())
        r.cost_raw.append(cost)
        r.cost_smooth.append(self._smooth)

    def _probe(self) -> None:
        """σ', mean |δ^l| and the per-weight gradient size of each layer on the fixed digits."""
        trace = self.net.trace(self.probe_x, self._probe_y)
        self._probe_trace = trace
        r = self.record
        r.probe_x.append(self._x_now())
        self._next_probe = _next_sample(self.digits_seen, 100, PROBE_EVERY)
        for l in self.net.layers:
            r.delta[l].append(float(np.abs(trace.delta[l]).mean()))
            g = trace.nabla_w[l]
            r.gradient[l].append(float(np.linalg.norm(g) / math.sqrt(g.size)))

    def _evaluate(self) -> None:
        """Test accuracy and the misclassified digits, for the network as it is now."""
        predicted = self.net.feedforward(self.test_x).argmax(axis=0)
        right = predicted == self.test_labels
        self.correct = int(right.sum())
        wrong = np.flatnonzero(~right)[: GALLERY_ROWS * GALLERY_COLS]
        self.gallery_indices = wrong
        self.gallery_predicted = predicted[wrong]
        r = self.record
        x = self._x_now()
        if r.accuracy_x and r.accuracy_x[-1] == x:
            r.accuracy[-1] = 100.0 * self.correct / self.n_test
        else:
            r.accuracy_x.append(x)
            r.accuracy.append(100.0 * self.correct / self.n_test)
        self._evaluated_at = self.digits_seen

    @property
    def heatmap_layer(self) -> int:
        return int(self.layer_dropdown.value)

    @property
    def heatmap_values(self) -> np.ndarray:
        """σ'(z^l) of the heatmap's layer over the probe digits (neurons × digits)."""
        return np.asarray(self._probe_trace.sigma_prime[self.heatmap_layer])

    @property
    def accuracy(self) -> float:
        """Test accuracy (fraction) at the last evaluation."""
        return self.correct / self.n_test

    def _target_reached(self) -> bool:
        return self.epoch >= int(self.epochs_text.value)

    # ------------------------------------------------------------------ synchronous driving
    def _finish_interval(self) -> None:
        """After training stops: the displays describe the network as it is now."""
        if self.state != "failed":
            try:
                if self._evaluated_at != self.digits_seen:
                    self._evaluate()
                if self.record.probe_x and self.record.probe_x[-1] != self._x_now():
                    self._probe()
            except (FloatingPointError, ValueError) as error:
                self._fail(error)
        self._redraw()

    def _fail(self, error: Exception) -> None:
        self.state = "failed"
        self._token = None
        self._say(f"stopped: {html.escape(str(error))}", error=True)

    def _guarded(self, work) -> bool:
        self._interval_start = (time.perf_counter(), self.digits_seen)
        try:
            work()
            self._check_divergence()
        except (FloatingPointError, ValueError) as error:
            self._fail(error)
            self._redraw()
            return False
        return True

    def _check_divergence(self) -> None:
        """After a stretch of training (the run itself checks at each epoch's end)."""
        if self.run.check_divergence():
            raise FloatingPointError(self.run.message)

    def step(self) -> None:
        """Train one mini-batch (pauses a running training first)."""
        self._pause_task()
        if self._guarded(lambda: self._train_stretch(max_batches=1)):
            self.state = "done" if self._target_reached() else "paused"
            self._finish_interval()

    def run_batches(self, k: int) -> None:
        """Train k mini-batches now, synchronously (a fraction of an epoch for a notebook cell)."""
        self._pause_task()

        def work():
            done, goal = 0, int(k)
            while done < goal:
                done += self._train_stretch(max_batches=goal - done)

        if self._guarded(work):
            self.state = "done" if self._target_reached() else "paused"
            self._finish_interval()

    def run_epochs(self, n: int) -> None:
        """Train until the epoch count has gone up by n (an epoch in progress is finished first
        and counts), synchronously, through the same code as the live run."""
        self._pause_task()
        goal = self.epoch + int(n)

        def work():
            while self.epoch < goal:
                self._train_stretch()  # (a stretch never passes an epoch's end)

        if self._guarded(work):
            self.state = "done" if self._target_reached() else "paused"
            self._finish_interval()

    # ------------------------------------------------------------------ live training
    def start(self) -> bool:
        """Train on the running event loop until the epochs are done or pause is pressed.

        Returns False (and says why) when there is no running loop or nothing to do.
        """
        if self.running:
            return True
        if self.state == "failed":
            self._say("training diverged: press reset (and perhaps lower η)", error=True)
            return False
        loop = _running_loop()
        if loop is None:
            self._say("no running event loop here (not a notebook?): use run_epochs(n) or step()", error=True)
            return False
        if self._target_reached():
            if not self.next_run():
                self._say(
                    f"done: {self.epoch} epochs trained; raise “epochs” to go on, or reset", error=False
                )
                return False
        token = object()
        self._token = token
        self.state = "running"
        self._interval_start = (time.perf_counter(), self.digits_seen)
        self._task = loop.create_task(self._run(token))
        self._sync_buttons()
        return True

    @property
    def running(self) -> bool:
        return self._token is not None and self._task is not None and not self._task.done()

    async def wait(self) -> None:
        """Until the current live run has stopped (for tests and the benchmark)."""
        if self._task is not None:
            await asyncio.shield(self._task)

    async def _run(self, token) -> None:
        net = self.net
        last_draw = time.perf_counter()
        try:
            while self._token is token:
                if self._target_reached():
                    if self._queue:
                        # The comparison's second run: the first becomes the reference.
                        self._say(f"now: {html.escape(self._queue[0].short_label())}")
                        settings = self._queue.pop(0)
                        self._set_controls(settings)
                        if self.record.digits_trained > 0:
                            self.reference = self.record
                        self._new_network(self._read_settings())
                        net = self.net
                        self._interval_start = (time.perf_counter(), 0)
                        last_draw = time.perf_counter()
                        await asyncio.sleep(0)
                        continue
                    self.state = "done"
                    break
                end = time.perf_counter() + CHUNK_SECONDS
                while self._token is token and not self._target_reached() and time.perf_counter() < end:
                    self._train_stretch(deadline=end)
                self._check_divergence()
                if time.perf_counter() - last_draw >= REDRAW_SECONDS:
                    self._redraw()
                    last_draw = time.perf_counter()
                await asyncio.sleep(YIELD_SECONDS)
        except Exception as error:  # shown in the panel: a task's error would go unseen
            if self.net is net:
                self._fail(error)
        finally:
            # Only the run that still owns the panel tidies up (not one superseded by reset).
            if self.net is net and self._token in (token, None):
                self._token = None
                if self.state == "running":
                    self.state = "paused"
                self._finish_interval()
                self._sync_buttons()

    def pause(self) -> None:
        """Stop the live training after the mini-batch in progress (within one chunk)."""
        if self.running:
            self._token = None
            self.state = "paused"
            self._say("paused")
            self._sync_buttons()

    def _pause_task(self) -> None:
        if self.running:
            self._token = None
            self.state = "paused"

    def _stop_task(self) -> None:
        self._token = None
        self._task = None

    # ------------------------------------------------------------------ figures
    def _build_figure(self) -> None:
        """The figures' structure (axes and marks) for the current network and reference.

        Three ``Plot`` widgets, each sent numbers only when its own numbers change: the curves
        on every redraw, the σ' heatmap after each probe, the gallery after each evaluation.
        """
        net, rec, ref = self.net, self.record, self.reference
        W, H, left, top, gap_x, gap_y = 300, 190, 62, 30, 345, 272
        frames = {"cost": (left, top), "accuracy": (left + gap_x, top),
                  "delta": (left, top + gap_y), "gradient": (left + gap_x, top + gap_y)}
        titles = {"cost": "training cost (mini-batches, smoothed)",
                  "accuracy": f"test accuracy (%), {self.n_test:,} digits",
                  "delta": f"mean |δ^{{l}}| over {len(self.probe_labels)} digits (log scale)",
                  "gradient": "‖∂C/∂w^{l}‖ / √#weights (log scale)"}
        marks = {name: [] for name in frames}
        legend_right = lambda i: {"px": W - 6, "py": 16 + 15 * i, "anchor": "end"}  # noqa: E731
        grey = "#8c8c8c"
        if ref is not None:  # dashed first, so the current run draws on top
            marks["cost"].append({"id": "ref_cost", "type": "line", "color": grey, "width": 1.6, "dash": "6,4"})
            marks["accuracy"] += [
                {"id": "ref_accuracy", "type": "line", "color": grey, "width": 1.4, "dash": "6,4"},
                {"id": "ref_accuracy_points", "type": "points", "color": grey, "r": 2.5},
            ]
        marks["cost"] += [{"id": "cost_raw", "type": "line", "color": "#9ecae1", "width": 0.8},
                          {"id": "cost", "type": "line", "color": "#08519c", "width": 2}]
        marks["accuracy"] += [{"id": "accuracy_line", "type": "line", "color": "#08519c", "width": 1.8},
                              {"id": "accuracy", "type": "points", "color": "#08519c", "r": 3}]
        legend = [{**legend_right(0), "text": rec.settings.short_label(), "color": "#08519c"}]
        if ref is not None:
            legend.append({**legend_right(1), "text": ref.settings.short_label(), "color": grey})
        layer_legend = []
        for i, l in enumerate(net.layers):
            colour = _LAYER_COLOURS[i % len(_LAYER_COLOURS)]
            for name in ("delta", "gradient"):
                if ref is not None and l in ref.layers:
                    marks[name].append({"id": f"ref_{name}_{l}", "type": "line", "color": colour,
                                        "width": 1.2, "dash": "6,4"})
                marks[name].append({"id": f"{name}_{l}", "type": "line", "color": colour, "width": 1.8})
            layer_legend.append({"px": 6 + 92 * (i % 3), "py": H - 8 - 15 * (i // 3), "color": colour,
                                 "text": f"l = {l}" + (" (output)" if l == net.L else "")})
        if ref is not None:
            layer_legend.append({"px": 6, "py": 16, "color": grey, "text": "dashed: the earlier run"})
        self._legends = {"cost_legend": legend, "accuracy_legend": legend, "delta_legend": layer_legend}
        for name in ("cost", "accuracy", "delta"):
            marks[name].append({"id": f"{name}_legend", "type": "text"})
        axes = [
            {"id": name, "left": x, "top": y, "width": W, "height": H, "title": titles[name],
             "xlabel": "epoch", "grid": True, "marks": marks[name],
             **({"ylim": [0, 100]} if name == "accuracy" else {})}
            for name, (x, y) in frames.items()
        ]
        self.plot.spec = {"name": "training-curves", "width": 2 * gap_x + 20, "height": 2 * gap_y + 20,
                          "description": "training cost, test accuracy, |δ^l| and ∂C/∂w^l per epoch",
                          "axes": axes}
        self.plot.data = {}
        self._limits = None
        self._build_heatmap()
        self._build_gallery()

    def _build_heatmap(self) -> None:
        """σ'(z^l): neurons (rows, at most ``HEATMAP_ROWS``) × the probe digits, grouped by label,
        and a colour bar with the saturation threshold."""
        net, l = self.net, self.heatmap_layer
        self._heat_vmax = vmax = max_sigma_prime(net.activation(l))
        n_l = net.sizes[l - 1]
        rows = min(n_l, HEATMAP_ROWS)
        n = len(self.probe_labels)
        labels = self.probe_labels
        starts = [int(np.searchsorted(labels, d)) for d in range(10)]
        ends = [int(np.searchsorted(labels, d, side="right")) for d in range(10)]
        xticks = [[(s + e) / 2, str(d)] for d, s, e in zip(range(10), starts, ends) if e > s]
        yrows = sorted({0, rows - 1, *range(4, rows - 1, 5 if rows <= 40 else 10)})
        shown = f"neuron j of layer {l}" + ("" if rows == n_l else f" (first {rows} of {n_l})")
        self._separators = np.array([s for s in starts[1:] if 0 < s < n], dtype=float)
        self.heatmap_plot.spec = {
            "name": "training-saturation", "width": 370, "height": 272,
            "description": f"σ'(z^{l}) of layer {l} over the probe digits",
            "axes": [
                {"id": "heat", "left": 50, "top": 30, "width": 250, "height": 190, "xlim": [0, n],
                 "ylim": [rows, 0], "xticks": xticks, "yticks": [[r + 0.5, str(r + 1)] for r in yrows],
                 "title": f"σ'(z^{l}): saturated below the white line",
                 "xlabel": f"{n} test digits, by label", "ylabel": shown, "ylabelOffset": 34,
                 "marks": [{"id": "sigma_prime", "type": "heatmap", "stops": list(VIRIDIS), "domain": [0, vmax],
                            "rowNames": [f"σ'(z^{l}_{j + 1})" for j in range(rows)], "columnName": "digit"},
                           {"id": "separators", "type": "rule", "color": "#ffffff", "width": 1}]},
                # the colour bar's tick labels are on its left, in the gap after the heatmap
                {"id": "colourbar", "left": 345, "top": 30, "width": 12, "height": 190, "ylim": [0, vmax],
                 "xticks": False, "frame": False, "yticks": [[v, number(v, 2)] for v in
                                                             np.linspace(0, vmax, 5)],
                 "marks": [{"id": "colours", "type": "heatmap", "stops": list(VIRIDIS), "domain": [0, vmax]},
                           {"id": "threshold", "type": "rule", "color": "#ffffff", "width": 2}]},
            ],
        }
        steps = np.linspace(vmax, 0, 64)
        self.heatmap_plot.reset(colours={"shape": [64, 1], "values": steps},
                                threshold={"y": [SATURATED * vmax]},
                                separators={"x": self._separators})
        self._heat_shown = None

    def _build_gallery(self) -> None:
        """The misclassified test digits: one small axes per digit, a label band above each."""
        side, gap, band = 42, 6, 16  # pixels: a digit at 1.5×, the gap between, the label band
        axes = [{"id": "labels", "left": 0, "top": 24, "width": GALLERY_COLS * (side + gap),
                 "height": GALLERY_ROWS * (side + band), "frame": False, "xticks": False, "yticks": False,
                 "title": "misclassified test digits (true → said)",
                 "marks": [{"id": "gallery_labels", "type": "text", "color": "#bb0000"}]}]
        for i in range(GALLERY_ROWS * GALLERY_COLS):
            r, c = divmod(i, GALLERY_COLS)
            axes.append({"id": f"tile_{i}", "left": c * (side + gap) + gap / 2,
                         "top": 24 + r * (side + band) + band, "width": side, "height": side,
                         "xticks": False, "yticks": False,
                         "marks": [{"id": f"digit_{i}", "type": "heatmap", "stops": ["#ffffff", "#000000"],
                                    "domain": [0, 1], "columnName": "pixel column"}]})
        self._gallery_geometry = (side, gap, band)
        self.gallery_plot.spec = {"name": "training-misclassified", "width": GALLERY_COLS * (side + gap),
                                  "height": 24 + GALLERY_ROWS * (side + band) + 4,
                                  "description": "test digits the network gets wrong", "axes": axes}
        self.gallery_plot.data = {}
        self._gallery_shown = None

    def _wanted_limits(self) -> tuple:
        """Axis limits for the data so far: the epoch axis spans the whole run, the cost axis
        starts from the initial cost with room above, and the log axes' decades only grow, so
        curves do not jump about while the network learns."""
        rec, ref, old = self.record, self.reference, self._limits
        reach = self._x_now()
        costs = [self._initial_cost, *rec.cost_smooth]
        deltas = [v for vs in rec.delta.values() for v in vs]
        grads = [v for vs in rec.gradient.values() for v in vs]
        if ref is not None:
            reach = max(reach, ref.accuracy_x[-1] if ref.accuracy_x else 0.0)
            costs += ref.cost_smooth
            deltas += [v for vs in ref.delta.values() for v in vs]
            grads += [v for vs in ref.gradient.values() for v in vs]
        x_max = float(max(int(self.epochs_text.value), math.ceil(reach - 1e-9), 1))
        finite = [c for c in costs if np.isfinite(c)]
        cost_top = _nice_top(1.5 * max(finite)) if finite else 1.0
        if old is not None:
            cost_top = max(cost_top, old[1])
        return (
            x_max,
            cost_top,
            _decade_limits(deltas, None if old is None else old[2]),
            _decade_limits(grads, None if old is None else old[3]),
        )

    def _redraw(self, full: bool = False) -> None:
        """Send the numbers of every figure whose numbers changed, and update the readouts.

        The curves go on every redraw; the heatmap when there is a new probe trace (or
        layer), the gallery when an evaluation changed the digits shown. ``full`` sends all.
        """
        self.redraws += 1
        rec, ref = self.record, self.reference
        x_max, cost_top, d_lim, g_lim = self._limits = self._wanted_limits()
        marks = {
            "cost_raw": {"x": rec.cost_x, "y": _float32(rec.cost_raw)},
            "cost": {"x": rec.cost_x, "y": _float32(rec.cost_smooth)},
            "accuracy_line": {"x": rec.accuracy_x, "y": rec.accuracy},
            "accuracy": {"x": rec.accuracy_x, "y": rec.accuracy},
            **{k: {"items": v} for k, v in self._legends.items()},
            "@cost": {"xlim": [0, x_max], "ylim": [0, cost_top]},
            "@accuracy": {"xlim": [0, x_max], "ylim": [0, 100]},
            "@delta": {"xlim": [0, x_max], "ylim": _decades(d_lim)},
            "@gradient": {"xlim": [0, x_max], "ylim": _decades(g_lim)},
        }
        self._set_log_ticks({"delta": _decades(d_lim), "gradient": _decades(g_lim)})
        for l in self.net.layers:
            marks[f"delta_{l}"] = {"x": rec.probe_x, "y": _log10(rec.delta[l])}
            marks[f"gradient_{l}"] = {"x": rec.probe_x, "y": _log10(rec.gradient[l])}
        if ref is not None:
            marks["ref_cost"] = {"x": ref.cost_x, "y": _float32(ref.cost_smooth)}
            marks["ref_accuracy"] = marks["ref_accuracy_points"] = {"x": ref.accuracy_x, "y": ref.accuracy}
            for l in set(ref.layers) & set(self.net.layers):
                marks[f"ref_delta_{l}"] = {"x": ref.probe_x, "y": _log10(ref.delta[l])}
                marks[f"ref_gradient_{l}"] = {"x": ref.probe_x, "y": _log10(ref.gradient[l])}
        self.plot.show(**marks)

        sp = self.heatmap_values
        self.saturated_fraction = float(np.mean(sp < SATURATED * self._heat_vmax))
        # A trace is never changed once made: a new probe is a new object.
        if full or self._heat_shown is not self._probe_trace:
            self._heat_shown = self._probe_trace
            rows = sp[:HEATMAP_ROWS]
            self.heatmap_plot.show(sigma_prime={"shape": list(rows.shape), "values": rows})

        shown = (self.gallery_indices.tolist(), self.gallery_predicted.tolist())
        if full or shown != self._gallery_shown:
            self._gallery_shown = shown
            self._show_gallery()
        self._update_readouts()

    def _set_log_ticks(self, exponents: dict) -> None:
        """Ticks are part of the figure's structure: a log axis that gained a decade (rare,
        limits only grow) gets a new spec with ticks at its decades."""
        spec = self.plot.spec
        axes = [dict(a, yticks=_decade_ticks(exponents[a["id"]])) if a["id"] in exponents else a
                for a in spec["axes"]]
        if axes != spec["axes"]:
            self.plot.spec = {**spec, "axes": axes}

    def _show_gallery(self) -> None:
        side, gap, band = self._gallery_geometry
        tiles, items = {}, []
        for i in range(GALLERY_ROWS * GALLERY_COLS):
            if i < len(self.gallery_indices):
                index, said = int(self.gallery_indices[i]), int(self.gallery_predicted[i])
                tiles[f"digit_{i}"] = {"shape": [28, 28], "values": self.test_x[:, index]}
                r, c = divmod(i, GALLERY_COLS)
                items.append({"px": c * (side + gap) + (side + gap) / 2, "py": r * (side + band) + band - 4,
                              "anchor": "middle", "text": f"{int(self.test_labels[index])} → {said}"})
            else:
                tiles[f"digit_{i}"] = {"shape": [28, 28], "values": np.zeros(784), "hidden": True}
        self.gallery_plot.show(gallery_labels={"items": items}, **tiles)

    def _update_readouts(self) -> None:
        n_batches = -(-self.n_train // int(self.batch_text.value))
        epochs = int(self.epochs_text.value)
        self.progress.max = max(epochs * self.n_train, 1)
        self.progress.value = min(self.digits_seen, self.progress.max)
        batch_now = -(-self.position // int(self.batch_text.value))
        rate = ""
        if self._interval_start is not None:
            started, digits = self._interval_start
            seconds = time.perf_counter() - started
            # A rate over a step or two would mostly time the redraw: only for real stretches.
            if seconds > 0 and self.digits_seen - digits >= 1000:
                rate = f" · {(self.digits_seen - digits) / seconds:,.0f} digits/s"
        if self.position == 0:
            where = f"{self.epoch} of {epochs} epochs done"
        elif self.epoch >= epochs:
            where = f"epoch {self.epoch + 1} (past the {epochs} set), batch {batch_now} of {n_batches}"
        else:
            where = f"epoch {self.epoch + 1} of {epochs}, batch {batch_now} of {n_batches}"
        self.progress_label.value = f"&nbsp;{where} · {self.state}{rate}"
        
        self.accuracy_label.value = (
            f"&nbsp;&nbsp;<b>test accuracy {self.correct:,} / {self.n_test:,} = "
            f"{100 * self.correct / self.n_test:.2f}%</b> (after {self.digits_seen:,} digits)"
        )
        self.saturation_label.value = (
            f"&nbsp;&nbsp;·&nbsp;&nbsp;layer {self.heatmap_layer}: σ'(z) saturated in "
            f"<b>{100 * self.saturated_fraction:.0f}%</b> of neuron × digit cells "
            f"(σ' &lt; {SATURATED:g} × max σ')"
        )
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        running = self.running
        self.start_button.disabled = running
        self.pause_button.disabled = not running

    def _say(self, text: str, error: bool = False) -> None:
        colour = "#b00" if error else "#333"
        self.status.value = f"<span style='color:{colour}'>{text}</span>"

    # ------------------------------------------------------------------ display
    def close(self) -> None:
        self._stop_task()
        super().close()



def _network_part(s: Settings) -> tuple:
    """What makes the network (a change resets it); η, mini-batch and epochs act on the run."""
    return s.hidden, s.weight_scale, s.activation, s.cost, s.seed


def _float32(values) -> np.ndarray:
    """Values as float32 can carry them: beyond its range (a diverging cost) they are ±inf,
    which a line leaves out."""
    v = np.asarray(values, dtype=float)
    return np.where(np.abs(v) > np.finfo(np.float32).max, np.copysign(np.inf, v), v).astype(np.float32)


def _log10(values) -> np.ndarray:
    """Values for a log axis (plot.js draws linear axes): log10, NaN where not positive."""
    v = np.asarray(values, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(v > 0, np.log10(np.where(v > 0, v, 1.0)), np.nan)


def _decades(limits: tuple[float, float]) -> list[int]:
    """A log axis's limits (whole decades) as exponents: [lo, hi]."""
    return [round(math.log10(v)) for v in limits]


def _decade_ticks(exponents: list[int]) -> list:
    """A tick at each decade (every other one or more when there are many), labelled 10^k."""
    lo, hi = exponents
    step = max(1, math.ceil((hi - lo) / 6))
    return [[k, "10^{" + str(k).replace("-", "−") + "}"] for k in range(lo, hi + 1, step)]


def _running_loop():
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


__all__ = ["PRESETS", "RunRecord", "Settings", "TrainingPanel", "parse_hidden"]
