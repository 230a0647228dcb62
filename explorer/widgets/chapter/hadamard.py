"""The Hadamard product s ⊙ t (eq. 28): multiply two vectors entry by entry.

Two small vectors on sliders, their Hadamard product written out entry by entry and drawn as
bars, next to the two products it is easily confused with: the dot product s·t (one number)
and the matrix product diag(t) s (the same vector, the form eq. 33 uses). Bound to an
``ExplorerState`` instead, the panel shows the Hadamard products inside backpropagation:
BP1's δ^L = ∇_a C ⊙ σ'(z^L), or BP2's δ^l = ((w^(l+1))^T δ^(l+1)) ⊙ σ'(z^l), following the
network as it changes.
"""

from __future__ import annotations

import html

from .. import ui as widgets
import numpy as np

from ..panel import PanelBox
from ..drawing import Plot
from ..drawing import Formula
from ..drawing.formula import html_slot, slot
from ..markup import number
from ..state import ExplorerState

SLIDER_LIMIT = 5.0
_COLORS = ("#4c72b0", "#dd8452", "#55a868")
#: Bars of s, t and s ⊙ t side by side at each j: offsets from j and the width of one bar.
OFFSETS, BAR_WIDTH = (-0.26, 0.0, 0.26), 0.26
_MARKS = ("s", "t", "product")


def hadamard(s, t) -> np.ndarray:
    """(s ⊙ t)_j = s_j t_j for two vectors of the same length (eq. 28)."""
    s, t = np.asarray(s, dtype=float).reshape(-1), np.asarray(t, dtype=float).reshape(-1)
    if s.shape != t.shape:
        raise ValueError(f"s and t: the Hadamard product needs vectors of the same length, got {s.size} and {t.size}")
    return s * t


def backprop_factors(state: ExplorerState, equation: str, layer: int | None = None):
    """The two factors of a Hadamard product in backpropagation, and the δ the trace holds.

    ``equation="BP1"``: (∇_a C, σ'(z^L), δ^L). ``"BP2"``: ((w^(l+1))^T δ^(l+1), σ'(z^l), δ^l)
    for ``layer`` l (default L − 1). Each is a 1-D array for the state's one example.
    """
    net, t = state.network, state.trace
    L = net.L
    if equation == "BP1":
        return (np.asarray(t.cost_gradient[:, 0], float), np.asarray(t.sigma_prime[L][:, 0], float),
                np.asarray(t.delta[L][:, 0], float), L)
    if equation == "BP2":
        l = L - 1 if layer is None else int(layer)
        if not 2 <= l <= L - 1:
            raise ValueError(f"layer: BP2 gives δ^l for hidden layers l = 2..{L - 1}, got {layer!r}")
        back = net.weights[l + 1].T @ t.delta[l + 1][:, :1]
        return (np.asarray(back[:, 0], float), np.asarray(t.sigma_prime[l][:, 0], float),
                np.asarray(t.delta[l][:, 0], float), l)
    raise ValueError(f"equation: expected 'BP1' or 'BP2', got {equation!r}")


class HadamardPanel(PanelBox):
    """s ⊙ t on sliders, or BP1's / BP2's Hadamard product from a state.

    ``HadamardPanel()`` starts from the book's example [1, 2] ⊙ [3, 4] = [3, 8]; give ``s`` and
    ``t`` (equal lengths, up to 6 entries) and ``names`` for others. ``HadamardPanel(state=s,
    equation="BP1")`` (or "BP2" with ``layer``) follows the state instead: no sliders, the
    factors come from its trace, and the result is compared with the trace's δ.

    For other code and tests: ``s_sliders``, ``t_sliders``, ``s``, ``t``, ``product`` (numpy
    arrays), ``dot`` (s·t), ``diag_product`` (diag(t) s, computed as a matrix product),
    ``delta`` (the trace's δ in state mode), ``readout`` (a ``Formula``; ``vector(key)`` gives
    the exact numbers it shows), ``plot`` (a ``Plot``: bar marks ``"s"``, ``"t"``
    and ``"product"`` at x = j + offset, axes ``"ax"``), ``summary()``.
    """

    _following = False  # observing the state's revision (only in state mode)

    def __init__(self, s=(1.0, 2.0), t=(3.0, 4.0), names=("s", "t"), *, state: ExplorerState | None = None,
                 equation: str = "BP1", layer: int | None = None, limit: float = SLIDER_LIMIT):
        super().__init__()
        self.state, self.equation, self.layer = state, equation, layer
        self.delta = None
        if state is not None:
            s, t, self.delta, l = backprop_factors(state, equation, layer)
            if equation == "BP1":
                names = ("∇<sub>a</sub>C", f"σ′(z<sup>{l}</sup>)")
                self.legend_names = ("∇_{a}C", f"σ′(z^{l})", f"δ^{l}")
                self.tex_names = (r"\nabla_a C", rf"\sigma'(z^{{{l}}})", rf"\delta^{{{l}}}")
            else:
                names = (f"(w<sup>{l + 1}</sup>)<sup>T</sup>δ<sup>{l + 1}</sup>", f"σ′(z<sup>{l}</sup>)")
                self.legend_names = (f"(w^{l + 1})^{{T}}δ^{l + 1}", f"σ′(z^{l})", f"δ^{l}")
                self.tex_names = (rf"(w^{{{l + 1}}})^T\delta^{{{l + 1}}}", rf"\sigma'(z^{{{l}}})", rf"\delta^{{{l}}}")
            self.result_name = f"δ<sup>{l}</sup>"
        else:
            self.result_name = f"{names[0]} ⊙ {names[1]}"
            self.legend_names = (_plain(names[0]), _plain(names[1]), f"{_plain(names[0])} ⊙ {_plain(names[1])}")
            a, b = (_tex_name(n) for n in names)
            self.tex_names = (a, b, rf"{a} \odot {b}")
        self.names = names
        self.s = np.asarray(s, dtype=float).reshape(-1).copy()
        self.t = np.asarray(t, dtype=float).reshape(-1).copy()
        hadamard(self.s, self.t)  # checks the lengths
        if not 1 <= self.s.size <= 10:
            raise ValueError(f"s: expected 1 to 10 entries, got {self.s.size}")
        self.s_sliders, self.t_sliders = [], []
        if state is None:
            for vec, name, sliders in ((self.s, names[0], self.s_sliders), (self.t, names[1], self.t_sliders)):
                for i, v in enumerate(vec):
                    lim = max(limit, abs(float(v)) * 1.25)
                    slider = widgets.FloatSlider(value=float(v), min=-lim, max=lim, step=0.1,
                                                 description=f"{html.unescape(_plain(name))}{_sub(i + 1)}",
                                                 continuous_update=True, readout_format=".2f",
                                                 layout=widgets.Layout(width="300px"))
                    slider.observe(self._on_slider, names="value")
                    sliders.append(slider)
        self.readout = Formula()
        self.plot = Plot(spec=self._spec())
        self.plot.show(zero={"y": [0.0]}, legend=self._legend())  # once: they never change
        controls = widgets.HBox([widgets.VBox(self.s_sliders), widgets.VBox(self.t_sliders)])
        children = ([controls] if state is None else []) + [self.plot, self.readout]
        self.widget = widgets.VBox(children)
        self.widget.add_class("hadamard-panel")
        if state is not None:
            state.observe(self._on_revision, names="revision")
            self._following = True
        self._update()

    # ------------------------------------------------------------ events
    def _on_slider(self, change) -> None:
        self.s = np.array([s.value for s in self.s_sliders])
        self.t = np.array([t.value for t in self.t_sliders])
        self._update()

    def _on_revision(self, change) -> None:
        if self.state.diverged or self.state.trace is None:
            warning = f'<div style="color:#b00020">⚠ {html.escape(self.state.diverged or "no trace")}</div>'
            self.readout.show(warning, {})
            return
        s, t, self.delta, _ = backprop_factors(self.state, self.equation, self.layer)
        resized = s.size != self.s.size
        self.s, self.t = s, t
        if resized:  # another network: other axes (rare)
            self.plot.spec = self._spec()
        self._update()

    # ------------------------------------------------------------ figure
    def _spec(self) -> dict:
        """Axes for n entries: j = 1 … n, three bars at each, a legend above."""
        n = self.s.size
        legend = [{"id": "legend", "type": "text"}]
        return {
            "name": "hadamard", "width": 480, "height": 250,
            "description": f"{self.legend_names[0]}, {self.legend_names[1]} and their Hadamard product, entry by entry",
            "axes": [{
                "id": "ax", "left": 50, "top": 34, "width": 410, "height": 180, "grid": True,
                "xlim": [0.5, n + 0.5], "ylim": [0.0, 1.0],
                "xticks": [[j, f"j = {j}"] for j in range(1, n + 1)],
                "marks": [{"id": "zero", "type": "rule", "color": "#999999", "width": 0.8}]
                + [{"id": m, "type": "bars", "barWidth": BAR_WIDTH, "color": c} for m, c in zip(_MARKS, _COLORS)]
                + legend,
            }],
        }

    def _legend(self) -> dict:
        """The legend, inside the axes (marks are clipped to them); the y range leaves it room."""
        x, items = 0, []
        for name, colour in zip(self.legend_names, _COLORS):
            items.append({"px": 8 + x, "py": 16, "text": "■ " + name, "color": colour})
            x += 24 + 8 * len(name)
        return {"items": items}

    def _update(self) -> None:
        self.product = hadamard(self.s, self.t)
        self.dot = float(self.s @ self.t)
        self.diag_product = np.diag(self.t) @ self.s
        everything = np.concatenate([self.s, self.t, self.product])
        everything = everything[np.isfinite(everything)]
        lo, hi = min(0.0, everything.min(initial=0.0)), max(0.0, everything.max(initial=0.0))
        span = (hi - lo) or 1.0
        j = np.arange(1, self.s.size + 1, dtype=float)
        bars = {m: {"x": j + off, "y": np.where(np.isfinite(v), v, 0.0)}
                for m, off, v in zip(_MARKS, OFFSETS, (self.s, self.t, self.product))}
        # One message: three bars' centres and heights (float32) and the y range.
        self.plot.show(**bars, **{"@ax": {"ylim": [lo - 0.08 * span if lo < 0 else 0.0, hi + 0.3 * span]}})
        self.readout.show(self._template(), self._numbers())

    def _template(self) -> str:
        """The equations, typeset once per shape (n entries, which names); numbers are slots."""
        n = self.s.size
        s_tex, t_tex, result_tex = self.tex_names
        vec = lambda key: r"\left(" + ", ".join(slot(f"{key}{j}") for j in range(n)) + r"\right)"
        pairs = r"\left(" + ", ".join(rf"{slot(f's{j}')}\cdot{slot(f't{j}')}" for j in range(n)) + r"\right)"
        head = result_tex if self.state is None else rf"{result_tex} = {s_tex} \odot {t_tex}"
        s_name, t_name = self.names
        lines = [
            f'<div class="tex display">{head} = {pairs} = {vec("product")}</div>',
            rf"<div style='color:#555'>not the dot product: <span class='tex'>{s_tex} \cdot {t_tex} = "
            rf"\sum_j s_j t_j = {slot('dot')}</span>, a single number</div>",
            f"<div style='color:#555'>but the same as a matrix product with {t_name} on a diagonal "
            rf"(the form of eq. 33): <span class='tex'>\operatorname{{diag}}({t_tex})\, {s_tex} = {vec('diag')}</span></div>",
        ]
        if self.delta is not None:
            lines.append(
                f"<div>the trace's {self.result_name} (computed by the core): <span class='tex'>{vec('delta')}</span>; "
                f"largest difference {html_slot('difference')}</div>"
            )
        return '<div class="hadamard-readout" style="font-size:15px;line-height:1.5">' + "".join(lines) + "</div>"

    def _numbers(self) -> dict:
        """Every slot's [shown text, exact value, None]: about 40 bytes a number."""
        out = {}
        for key, values, text in (("s", self.s, _factor), ("t", self.t, _factor), ("product", self.product, number),
                                  ("diag", self.diag_product, number)):
            for j, v in enumerate(values):
                out[f"{key}{j}"] = [text(v), float(v), None]
        out["dot"] = [number(self.dot), self.dot, None]
        if self.delta is not None:
            for j, v in enumerate(self.delta):
                out[f"delta{j}"] = [number(v), float(v), None]
            diff = float(np.max(np.abs(self.product - self.delta))) if self.delta.size else 0.0
            out["difference"] = [number(diff, 2), diff, None]
        return out

    def vector(self, key: str) -> list[float]:
        """The exact values the readout shows for ``key`` ("product", "diag", "delta", "s", "t")."""
        n = self.s.size
        return [self.readout.numbers[f"{key}{j}"][1] for j in range(n)]

    def summary(self) -> str:
        text = lambda v: "[" + ", ".join(number(x, 6) for x in v) + "]"
        out = f"{text(self.s)} ⊙ {text(self.t)} = {text(self.product)}"
        if self.delta is not None:
            out += f"; the trace's δ = {text(self.delta)}"
        return out

    def close(self) -> None:
        """Stop following the state and close (twice is harmless, as for any widget)."""
        if self._following:
            self._following = False
            self.state.unobserve(self._on_revision, names="revision")
        super().close()



def _factor(v: float) -> str:
    return f"({number(v)})" if v < 0 else number(v)


def _tex_name(name: str) -> str:
    """A plain name for TeX: a letter or two as they are (italic), anything else as text."""
    plain = html.unescape(_plain(name))
    return plain if plain.isascii() and plain.isalnum() else rf"\text{{{plain}}}"


def _plain(name: str) -> str:
    """An HTML name as plain text for a legend or a slider: '∇<sub>a</sub>C' → '∇aC'."""
    for tag in ("<sub>", "</sub>", "<sup>", "</sup>"):
        name = name.replace(tag, "")
    return name


_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _sub(i: int) -> str:
    return str(i).translate(_SUBSCRIPTS)


__all__ = ["HadamardPanel", "backprop_factors", "hadamard"]
