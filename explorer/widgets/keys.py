"""``Shortcuts``: the teacher drives the explorer from the keyboard (``drawing/keys.js``).

The browser listens for keys and sends a command's name (``"next_neuron"``, ``"dz_up"``…); the
kernel carries it out with the state's public methods, so a key does exactly what the matching
control does. ``run(command)`` is the same entry point for Python (and the tests).

Neurons are walked in the book's order: j = 1, 2, … down a layer, then the next layer's first
neuron; only layers 2 … L have a weighted input z, so only their neurons are selected (as a click
on the diagram does). Some keys act only when something provides the action: switching
scenario (the classroom app) and stepping the algorithm (a step-through panel); give them with
``set_action(name, callable)``. The help (``?``) lists only the keys that act.

The view also gives every control of the page a focus ring that shows on a projector
(``keys.css``), and ``scope`` says where keys count: ``"box"`` when the focus is inside the
explorer (a notebook, where other cells have their own keys), ``"page"`` also when nothing
has the focus (the classroom app).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Callable

import anywidget
import traitlets

from .dashboard.demon import DZ_RANGE
from .drawing import source
from .guard import Guarded
from .state import ExplorerState

#: Δz changes by COARSE_DZ or FINE_DZ a key press, and stays within ±DZ_RANGE (the slider's range).
COARSE_DZ = 0.5
FINE_DZ = 0.05


@dataclass(frozen=True)
class Key:
    """One shortcut: the ``KeyboardEvent.key`` values that trigger it, how the help writes them."""

    command: str
    keys: tuple[str, ...]
    shown: str
    text: str


#: Every shortcut, in the order the help lists them.
KEYS: tuple[Key, ...] = (
    Key("next_neuron", ("ArrowDown", "n"), "↓ or n", "next neuron (after a layer's last: the next layer's first)"),
    Key("previous_neuron", ("ArrowUp", "p"), "↑ or p", "previous neuron"),
    Key("next_layer", ("ArrowRight",), "→", "next layer (same j, or that layer's last neuron)"),
    Key("previous_layer", ("ArrowLeft",), "←", "previous layer"),
    Key("dz_up", ("+", "="), "+", f"Δz up by {COARSE_DZ}"),
    Key("dz_down", ("-",), "−", f"Δz down by {COARSE_DZ}"),
    Key("dz_up_fine", (".", ">"), ". (>)", f"Δz up by {FINE_DZ}"),
    Key("dz_down_fine", (",", "<"), ", (<)", f"Δz down by {FINE_DZ}"),
    Key("dz_zero", ("0",), "0", "Δz back to 0"),
    Key("reset", ("r",), "r", "reset: the scenario as it started"),
    Key("next_scenario", ("s",), "s", "next scenario"),
    Key("previous_scenario", ("S",), "Shift+S", "previous scenario"),
    Key("step_forward", ("f",), "f", "one step of the algorithm forward"),
    Key("step_back", ("b",), "b", "one step of the algorithm back"),
    Key("help", ("?",), "?", "show these keys (Esc closes)"),
)

COMMANDS = tuple(k.command for k in KEYS)
#: Commands that need an action from outside (``set_action``) before their keys act.
HOOKED = ("next_scenario", "previous_scenario", "step_forward", "step_back")


class Shortcuts(Guarded, anywidget.AnyWidget):
    """Keyboard shortcuts for one ``ExplorerState``; draws nothing but the help when asked.

    ``run(command)`` carries out a command (one of ``COMMANDS``) and returns a short sentence
    saying what it did (also shown to screen readers). ``set_action(name, f)`` provides
    ``next_scenario``, ``previous_scenario``, ``step_forward``, ``step_back`` (``f()`` with no
    argument) or replaces ``reset`` (default: the network, example, selection and Δz as they
    were when the shortcuts were made). ``bindings`` is what the browser knows: the active
    shortcuts.
    """

    _esm = source("keys.js")
    _css = source("keys.css")
    #: The page sets no trait; it sends one known command name at a time (``accepts_custom``).
    page_traits = ()
    page_noun = "the keyboard shortcuts"

    def accepts_custom(self, content) -> bool:
        return isinstance(content, dict) and set(content) == {"command"} and content["command"] in COMMANDS

    bindings = traitlets.List().tag(sync=True)
    scope = traitlets.Unicode("box").tag(sync=True)
    root = traitlets.Unicode(".backprop-explorer").tag(sync=True)
    #: The last command's sentence (the page reads it out through a live region).
    status = traitlets.Unicode("").tag(sync=True)

    def __init__(self, state: ExplorerState, *, scope: str = "box", root: str = ".backprop-explorer"):
        if scope not in ("box", "page"):
            raise ValueError(f"scope: 'box' or 'page', not {scope!r}")
        super().__init__(scope=scope, root=root)
        self.state = state
        self._actions: dict[str, Callable[[], object]] = {}
        self._start = (state.snapshot(), state.x, state.y, dict(state.selection), state.dz)
        self._publish()
        self.on_msg(self._on_view_message)

    # ------------------------------------------------------------ configuration
    def set_action(self, name: str, action: Callable[[], object] | None) -> None:
        """Provide (or with ``None`` withdraw) what a hooked command does."""
        if name not in HOOKED + ("reset",):
            raise ValueError(f"set_action: {name!r} is not one of {', '.join(HOOKED + ('reset',))}")
        if action is not None and not callable(action):
            raise TypeError(f"set_action: the action for {name!r} must be callable")
        if action is None:
            self._actions.pop(name, None)
        else:
            self._actions[name] = action
        self._publish()

    def active(self) -> list[Key]:
        """The shortcuts that act now (hooked ones only once given an action)."""
        return [k for k in KEYS if k.command not in HOOKED or k.command in self._actions]

    def _publish(self) -> None:
        self.bindings = [{"command": k.command, "keys": list(k.keys), "shown": k.shown, "text": k.text} for k in self.active()]

    # ------------------------------------------------------------ commands
    def run(self, command: str) -> str:
        """Carry out ``command``; returns (and shows) what it did, or why it could not."""
        if command not in COMMANDS:
            raise ValueError(f"unknown command {command!r}; known: {', '.join(COMMANDS)}")
        if command == "help":
            return ""
        try:
            if command in HOOKED:
                action = self._actions.get(command)
                if action is None:
                    said = "this key does nothing here"
                else:
                    action()
                    said = command.replace("_", " ")
            else:
                said = getattr(self, f"_{command}")()
        except Exception as error:  # a hook that fails must not leave a traceback on the page
            said = f"could not do that: {error}"
        self.status = said
        return said

    def _neurons(self) -> list[tuple[int, int]]:
        """(l, j) of every neuron with a z, in the book's order: layer 2's j = 0, 1, …, then layer 3…"""
        sizes = self.state.network.sizes
        return [(l, j) for l in range(2, len(sizes) + 1) for j in range(sizes[l - 1])]

    def _select(self, l: int, j: int) -> str:
        self.state.select_neuron(l, j)
        return f"neuron {j + 1} of layer {l} selected"

    def _walk(self, step: int) -> str:
        order = self._neurons()
        i = order.index(self.state.selected_neuron)
        return self._select(*order[(i + step) % len(order)])

    def _next_neuron(self) -> str:
        return self._walk(+1)

    def _previous_neuron(self) -> str:
        return self._walk(-1)

    def _layer(self, step: int) -> str:
        sizes = self.state.network.sizes
        l, j = self.state.selected_neuron
        layers = list(range(2, len(sizes) + 1))
        l = layers[(layers.index(l) + step) % len(layers)]
        return self._select(l, min(j, sizes[l - 1] - 1))

    def _next_layer(self) -> str:
        return self._layer(+1)

    def _previous_layer(self) -> str:
        return self._layer(-1)

    def _nudge(self, by: float) -> str:
        dz = min(DZ_RANGE, max(-DZ_RANGE, round(self.state.dz + by, 9)))
        self.state.dz = dz
        return f"Δz = {dz:+.2f}".replace("-", "−")

    def _dz_up(self) -> str:
        return self._nudge(COARSE_DZ)

    def _dz_down(self) -> str:
        return self._nudge(-COARSE_DZ)

    def _dz_up_fine(self) -> str:
        return self._nudge(FINE_DZ)

    def _dz_down_fine(self) -> str:
        return self._nudge(-FINE_DZ)

    def _dz_zero(self) -> str:
        self.state.dz = 0.0
        return "Δz = 0"

    def _reset(self) -> str:
        action = self._actions.get("reset")
        if action is not None:
            action()
            return "reset to the scenario's start"
        network, x, y, selection, dz = self._start
        state = self.state
        with state.hold():
            state.set_network(copy.deepcopy(network), x, y)
            state.selection = dict(selection)
            state.dz = dz
            state.dw = 0.0
        return "reset to the start"

    def _on_view_message(self, widget, content, buffers) -> None:
        if isinstance(content, dict) and content.get("command") in COMMANDS:
            self.run(content["command"])

