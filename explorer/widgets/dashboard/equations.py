"""The four equations of backpropagation (BP1–BP4), typeset with the current numbers in.

For the selected neuron (or weight) the panel writes each equation in the book's notation,
substitutes the values of the current trace term by term, and checks the result against a
finite-difference derivative of just that one quantity (eq. 46, central differences, from
``core.finite_differences`` on the trace's own copies of the parameters, so the shared network
is never touched): a student sees both how the numbers combine and that they are right.

The equations are a ``Formula`` (``explorer.widgets.drawing``): KaTeX typesets them in the
browser when the selection or the kind of equation changes, and every other event only writes
the new numbers into their places. The template is the same for the same selection, cost and
activations, so the kernel sends just the numbers (about 2 KiB) on a slider's move.
"""

from __future__ import annotations

import html
import itertools

from .. import ui as widgets
import numpy as np

from ...core.activations import get_activation
from ...core.finite_differences import agrees, delta_by_nudging, partial_derivative
from ...core.notation import neuron_latex, neuron_name, weight_latex, weight_name
from ..drawing import Formula
from ..drawing.formula import display, html_slot, inline, slot
from ..markup import formula_number, html_name, number
from ..panel import Panel
from ..state import ExplorerState

#: One colour per kind of quantity, the same in every equation and in the key: (the name TeX
#: gets, the same colour as CSS hex, the key's words). Each is dark enough on white for small
#: text (contrast at least 4.5:1, WCAG AA; plain red and forest green were not).
COLORS = {
    "delta": ("#C00000", "#C00000", "δ error"),
    "sp": ("DarkOrchid", "#9932CC", "σ′(z) slope of σ"),
    "a": ("RoyalBlue", "#4169E1", "a activation"),
    "w": ("#1B7A1B", "#1B7A1B", "w weight"),
    "grad": ("Brown", "#A52A2A", "∂C/∂a cost gradient"),
}
#: More terms than this (of a sum or a vector) are cut short with "…".
MAX_TERMS = 6

_SIGMOID = get_activation("sigmoid")

_MARKS = {
    "ok": "✓ agrees",
    "bad": "✗ differs",
    "none": "? the cost could not be evaluated next to this point",
}


def colored(role: str, tex: str) -> str:
    r"""``{\color{Name}{tex}}``: colours only ``tex``."""
    return rf"{{\color{{{COLORS[role][0]}}}{{{tex}}}}}"


def name(role: str, tex: str) -> str:
    """A symbol in its role's colour."""
    return colored(role, tex)


class Page:
    """The template being written and the numbers that go into its slots.

    ``tex(value, role)`` returns a slot for a number in an equation (a new key each time, in
    order, so the same structure gives the same template); ``html(key, value)`` a slot in the
    text; ``mark(key, state)`` a check mark.
    """

    def __init__(self):
        self.numbers: dict[str, list] = {}
        self._keys = itertools.count(1)

    def tex(self, value: float, role: str | None = None, paren: bool = True) -> str:
        key = f"t{next(self._keys)}"
        self.numbers[key] = [formula_number(value, 4, paren), float(value)]
        return colored(role, slot(key)) if role else slot(key)

    def html(self, key: str, value: float, digits: int = 6) -> str:
        self.numbers[key] = [number(value, digits), float(value)]
        return html_slot(key)

    def vector_html(self, key: str, values, digits: int = 5) -> str:
        values = np.asarray(values, dtype=float).reshape(-1)
        shown = [self.html(f"{key}_{i + 1}", v, digits) for i, v in enumerate(values[:MAX_TERMS])]
        more = ", …" if values.size > MAX_TERMS else ""
        return f'<span class="vec" data-vec="{key}">[{", ".join(shown)}{more}]</span>'

    def mark(self, key: str, ok: bool, computable: bool = True) -> str:
        state = "none" if not computable else ("ok" if ok else "bad")
        self.numbers[key] = [_MARKS[state], None, state]
        return html_slot(key)

    def tex_vector(self, role: str | None, values) -> str:
        values = np.asarray(values, dtype=float).reshape(-1)
        rows = [self.tex(v, role, paren=False) for v in values[:MAX_TERMS]]
        if values.size > MAX_TERMS:
            rows.append(r"\vdots")
        return r"\begin{pmatrix}" + r"\\".join(rows) + r"\end{pmatrix}"


def _section(eq: str, title: str, body: str, heading: bool = True) -> str:
    head = f'<div><b>{eq}</b> <span style="color:#555">{title}</span></div>' if heading else ""
    return f'<div class="eq" data-eq="{eq}" style="margin:6px 0 10px 0">{head}{body}</div>'


#: The live equation's heading (presenter): what each equation gives, in a few words.
_LIVE_TITLES = {"BP1": "the output error", "BP2": "the error moves back", "BP4": "a weight's gradient"}


def _check(page: Page, eq: str, what: str, on: str, value: float, fd: float, ok: bool, short: bool = False) -> str:
    if short:  # the value is the equation's last number already
        return (
            f'<div class="check" data-eq="{eq}">Finite differences on {on}: '
            f"{page.html(eq + '_fd', fd)} {page.mark(eq + '_mark', ok, np.isfinite(fd))}</div>"
        )
    return (
        f'<div class="check" data-eq="{eq}">{what} = {page.html(eq, value)}; '
        f"finite differences on {on}: {page.html(eq + '_fd', fd)} {page.mark(eq + '_mark', ok, np.isfinite(fd))}</div>"
    )


# ---------------------------------------------------------------------- the panel
class EquationsPanel(Panel):
    """BP1–BP4 for the selected neuron or weight, with numbers substituted and checked.

    ``formula`` (a ``Formula``) is what the page shows; ``markup`` is its template with the
    numbers written in (what a reader sees, as text: tests read it). ``checks`` maps
    "BP1".."BP4" to (backprop value, finite-difference value, agrees) for what was checked
    last; ``builds`` counts how often the numbers were computed (only when the trace or the
    selection changes, not when the demon's Δz moves) and ``typesets`` how often the template
    itself changed (a new selection or a new kind of equation: the browser typesets again).

    ``live_only=True`` (the presenter layout) shows just the selected neuron's own equation with
    its numbers and its check: BP1 for an output neuron, BP2 for a hidden one, and BP4 when a
    weight is selected.
    """

    def __init__(self, state: ExplorerState, live_only: bool = False):
        self.live_only = live_only
        self.formula = Formula(layout=widgets.Layout(width="100%"))
        self.widget = widgets.VBox(
            [self.formula], layout=widgets.Layout(min_width="460px", max_width="720px", flex="1 1 auto")
        )
        self.widget.add_class("equations-panel")
        self.checks: dict[str, tuple] = {}
        self.builds = 0
        self.typesets = 0
        self._key = None
        super().__init__(state)
        self.refresh()

    @property
    def markup(self) -> str:
        """The equations as the page shows them, numbers in place (HTML with TeX inside)."""
        return self.formula.filled()

    def _show(self, template: str, numbers: dict) -> None:
        if template != self.formula.template:
            self.typesets += 1
        self.formula.show(template, numbers)

    def refresh(self) -> None:
        state = self.state
        if state.diverged or state.trace is None:
            key = ("diverged", state.diverged)
            if key != self._key:
                self._key = key
                self.checks = {}
                message = html.escape(state.diverged or "no trace yet")
                self._show(
                    f'<div class="diverged" style="color:#b00020;font-size:15px">⚠ {message}: '
                    "the equations need finite numbers.</div>",
                    {},
                )
            return
        # A new trace (parameters, example, an activation or the cost changed) comes with a
        # new trace_revision; a Δz or Δw keeps it, so only the selection can also matter.
        key = (tuple(sorted(state.selection.items())), state.trace_revision)
        if key == self._key:
            return
        self._key = key
        with np.errstate(all="ignore"):  # extreme parameters: non-finite numbers show as "—"
            page = Page()
            template = self._build(page)
        self._show(template, page.numbers)
        self.builds += 1

    # ------------------------------------------------------------ the text
    def _build(self, page: Page) -> str:
        state = self.state
        sel = state.selection
        l, j = sel["layer"], sel["j"]
        k = sel.get("k", 0)
        self.checks = {}
        if self.live_only:
            if sel["kind"] == "weight":
                eq, live = "BP4", self._bp4(page, l, j, k, True)
                what = html_name(weight_name(l, j, k))
            else:
                eq = "BP1" if l == self.state.trace.L else "BP2"
                live = self._bp1(page, l, j, vector=False) if eq == "BP1" else self._bp2(page, l, j, 0)
                what = f"neuron {j + 1} of layer {l}"
            heading = (
                f'<div class="selected"><b>{eq}</b> for {what} '
                f'<span style="color:#555">· {_LIVE_TITLES[eq]}</span></div>'
            )
            return f'<div class="equations live">{heading}{live}</div>'
        parts = [
            '<div class="equations" style="padding-right:12px">',
            self._header(sel),
            self._key_html(),
            self._bp1(page, l, j),
            self._bp2(page, l, j, k if sel["kind"] == "weight" else 0),
            self._bp3(page, l, j),
            self._bp4(page, l, j, k, sel["kind"] == "weight"),
            "</div>",
        ]
        return "".join(parts)

    def _header(self, sel) -> str:
        t = self.state.trace
        l, j = sel["layer"], sel["j"]
        if sel["kind"] == "weight":
            k = sel["k"]
            what = (
                f"weight {html_name(weight_name(l, j, k))}, from neuron {k + 1} of layer {l - 1} "
                f"to neuron {j + 1} of layer {l}"
            )
        else:
            what = f"neuron {j + 1} of layer {l} ({html_name(neuron_name('δ', l, j))})"
        acts = ", ".join(f"l = {m}: {layer_activation_name(t.activations[m])}" for m in t.layers)
        return (
            f'<div class="selected"><b>Selected:</b> {what}. '
            f'<span style="color:#555">Cost: {t.cost_function.name.replace("_", "-")}; σ by layer: {acts}.</span></div>'
        )

    @staticmethod
    def _key_html() -> str:
        items = " ".join(
            f'<span style="color:{hexcode};margin-right:10px">■ {label}</span>'
            for _, hexcode, label in COLORS.values()
        )
        return f'<div class="color-key" style="font-size:14px;margin:2px 0 4px 0">Colours: {items}</div>'

    def _cost_tol(self) -> tuple[float, np.dtype]:
        t = self.state.trace
        return t.cost, t.weights[t.L].dtype

    def _delta_check(self, page: Page, eq: str, layer: int, j: int) -> str:
        t = self.state.trace
        value = float(t.delta[layer][j, 0])
        fd = delta_by_nudging(t, layer, j)
        ok = agrees(value, fd, *self._cost_tol())
        self.checks[eq] = (value, fd, ok)
        what = html_name(neuron_name("δ", layer, j))
        return _check(page, eq, what, html_name(neuron_name("z", layer, j)), value, fd, ok, short=self.live_only)

    def _bp1(self, page: Page, l: int, j: int, vector: bool = True) -> str:
        t = self.state.trace
        L = t.L
        a, y = t.a[L][:, 0], t.y[:, 0]
        sp, grad, delta = t.sigma_prime[L][:, 0], t.cost_gradient[:, 0], t.delta[L][:, 0]
        cost_name = t.cost_function.name
        cancels = cost_name == "cross_entropy" and all(act is _SIGMOID for act in t.activations[L])
        dL = name("delta", r"\delta^{L}")
        spL = name("sp", r"\sigma'(z^{L})")
        nabla = name("grad", r"\nabla_a C")
        body = []
        if l == L:
            dj = name("delta", neuron_latex(r"\delta", L, j))
            aj_plain = neuron_latex("a", L, j)
            dCda = name("grad", r"\frac{\partial C}{\partial %s}" % aj_plain)
            spj = name("sp", r"\sigma'(%s)" % neuron_latex("z", L, j))
            aj = name("a", aj_plain)
            yj = "y_{%d}" % (j + 1)
            if cancels:
                # a stays uncoloured here, so the two factors that cancel show their own colours
                ratio = name("grad", r"\frac{%s - %s}{%s(1-%s)}" % (aj_plain, yj, aj_plain, aj_plain))
                slope = name("sp", "%s(1-%s)" % (aj_plain, aj_plain))
                lines = [
                    rf"{dj} &= {dCda}\,{spj}",
                    rf"&= {ratio}\cdot {slope} \qquad \text{{the }}\sigma'(z) = a(1-a)\text{{ cancels}}",
                    rf"&= {aj} - {yj} = {page.tex(a[j], 'a')} - {page.tex(y[j])} = {page.tex(delta[j], 'delta', False)}",
                ]
            elif cost_name == "quadratic":
                a_num = page.tex(a[j], "a", False)
                # the live equation alone (presenter) is narrower: one product a line
                joint = r"\\&" if not vector else " "
                lines = [
                    rf"{dj} &= {dCda}\,{spj} = ({aj} - {yj})\,{spj}",
                    rf"&= ({a_num} - {page.tex(y[j])})\cdot {page.tex(sp[j], 'sp')}"
                    rf"{joint}= {page.tex(grad[j], 'grad')}\cdot {page.tex(sp[j], 'sp')} = {page.tex(delta[j], 'delta', False)}",
                ]
            else:
                lines = [
                    rf"{dj} &= {dCda}\,{spj}",
                    rf"&= {page.tex(grad[j], 'grad')}\cdot {page.tex(sp[j], 'sp')} = {page.tex(delta[j], 'delta', False)}",
                ]
            body.append(display(r"\begin{aligned}" + r"\\".join(lines) + r"\end{aligned}"))
        if not vector:  # the selected output neuron's line alone, and its check
            body.append(self._delta_check(page, "BP1", L, j))
            return _section("BP1", "the error of the output layer", "".join(body), heading=False)
        if cancels:
            body.append(
                '<div class="cancel-note">With the cross-entropy cost and a sigmoid output layer, '
                "σ′(z<sup>L</sup>) cancels out of BP1: δ<sup>L</sup> = a<sup>L</sup> − y, so a saturated "
                "output neuron still learns quickly.</div>"
            )
            aL = name("a", "a^{L}")
            vector = (
                rf"{dL} = {nabla} \odot {spL} = {aL} - y = "
                rf"{page.tex_vector('a', a)} - {page.tex_vector(None, y)} = {page.tex_vector('delta', delta)}"
            )
        else:
            vector = (
                rf"{dL} = {nabla} \odot {spL} = "
                rf"{page.tex_vector('grad', grad)} \odot {page.tex_vector('sp', sp)} = {page.tex_vector('delta', delta)}"
            )
        body.append(f'<div class="vector-form">In vector form (⊙ multiplies entry by entry): {display(vector)}</div>')
        if l == L:
            body.append(self._delta_check(page, "BP1", L, j))
        else:
            fds = np.array([delta_by_nudging(t, L, q) for q in range(t.sizes[-1])])
            oks = [agrees(float(v), float(f), *self._cost_tol()) for v, f in zip(delta, fds)]
            worst = int(np.argmax(np.abs(delta - fds)))
            self.checks["BP1"] = (float(delta[worst]), float(fds[worst]), all(oks))
            body.append(
                f'<div class="check" data-eq="BP1">δ<sup>L</sup> = {page.vector_html("BP1", delta)}; '
                f'finite differences on z<sup>L</sup>: {page.vector_html("BP1_fd", fds)} {page.mark("BP1_mark", all(oks), bool(np.isfinite(fds).all()))}</div>'
            )
        return _section("BP1", "the error of the output layer", "".join(body))

    def _bp2(self, page: Page, l: int, j: int, k: int) -> str:
        t = self.state.trace
        L = t.L
        title = "the error moves back a layer"
        if L < 3:
            return _section("BP2", title, "<div>This network has no hidden layer, so BP2 is not needed.</div>")
        note = ""
        if l == L:
            # The output neuron's error feeds back into layer L − 1: show one neuron there.
            l, j = L - 1, k
            note = (
                '<div style="color:#555">The selected neuron is in the output layer; BP2 is shown for '
                f"{html_name(neuron_name('δ', l, j))}, one layer back (select a hidden neuron to choose).</div>"
            )
        w = t.weights[l + 1][:, j]
        d_next = t.delta[l + 1][:, 0]
        sp = float(t.sigma_prime[l][j, 0])
        delta = float(t.delta[l][j, 0])
        total = float(w @ d_next)
        n = w.size
        dj = name("delta", neuron_latex(r"\delta", l, j))
        spj = name("sp", r"\sigma'(%s)" % neuron_latex("z", l, j))
        sub = _one_based(j)
        w_q = name("w", "w^{%d}_{q%s}" % (l + 1, sub if len(sub) == 1 else "," + sub))
        d_q = name("delta", r"\delta^{%d}_{q}" % (l + 1))
        # the live equation alone (presenter) keeps the sum on one line of text height
        opening, closing = (r"\big(", r"\big)") if self.live_only else (r"\Big(", r"\Big)")
        sum_q = r"\textstyle\sum_{q}" if self.live_only else r"\sum_{q}"
        general = rf"{dj} &= {opening}{sum_q} {w_q}\,{d_q}{closing}\,{spj}"
        shown = n if n <= MAX_TERMS else MAX_TERMS - 1
        terms = [rf"{page.tex(w[q], 'w')}\cdot {page.tex(d_next[q], 'delta')}" for q in range(shown)]
        if n > shown:
            terms.append(r"\cdots\ (\text{%d terms})" % n)
        per_row = 2 if self.live_only else 3  # the live equation's column is narrower
        rows = [" + ".join(terms[i : i + per_row]) for i in range(0, len(terms), per_row)]
        expanded = []
        for i, row in enumerate(rows):
            start = rf"&= {opening}" if i == 0 else r"&\qquad + "
            end = rf"{closing}\cdot {page.tex(sp, 'sp')}" if i == len(rows) - 1 else ""
            expanded.append(start + row + end)
        final = rf"&= {page.tex(total)}\cdot {page.tex(sp, 'sp')} = {page.tex(delta, 'delta', False)}"
        vector = inline(r"\delta^{%d} = \big((w^{%d})^T \delta^{%d}\big) \odot \sigma'(z^{%d})" % (l, l + 1, l + 1, l))
        body = (
            note
            + display(r"\begin{aligned}" + r"\\".join([general, *expanded, final]) + r"\end{aligned}")
            + ("" if self.live_only else f'<div class="vector-form">In vector form: {vector}</div>')
            + self._delta_check(page, "BP2", l, j)
        )
        return _section("BP2", title, body, heading=not self.live_only)

    def _bp3(self, page: Page, l: int, j: int) -> str:
        t = self.state.trace
        value = float(t.nabla_b[l][j, 0])
        fd = partial_derivative(t, "b", l, j)
        ok = agrees(value, fd, *self._cost_tol())
        self.checks["BP3"] = (value, fd, ok)
        b = neuron_latex("b", l, j)
        dj = name("delta", neuron_latex(r"\delta", l, j))
        eq = display(r"\frac{\partial C}{\partial %s} = %s = %s" % (b, dj, page.tex(float(t.delta[l][j, 0]), "delta", False)))
        b_html = html_name(neuron_name("b", l, j))
        check = _check(page, "BP3", f"∂C/∂{b_html}", b_html, value, fd, ok)
        return _section("BP3", "the gradient for a bias", eq + check)

    def _bp4(self, page: Page, l: int, j: int, k: int, chosen: bool) -> str:
        t = self.state.trace
        value = float(t.nabla_w[l][j, k])
        fd = partial_derivative(t, "w", l, j, k)
        ok = agrees(value, fd, *self._cost_tol())
        self.checks["BP4"] = (value, fd, ok)
        a_in = float(t.a[l - 1][k, 0])
        d = float(t.delta[l][j, 0])
        note = "" if chosen else (
            f'<div style="color:#555">Shown for {html_name(weight_name(l, j, k))}, the first weight into '
            "the selected neuron (select a weight to choose another).</div>"
        )
        w = name("w", weight_latex(l, j, k))
        a_k = name("a", neuron_latex("a", l - 1, k))
        dj = name("delta", neuron_latex(r"\delta", l, j))
        eq = display(r"\frac{\partial C}{\partial %s} = %s\,%s = %s\cdot %s = %s" % (
            w, a_k, dj, page.tex(a_in, "a"), page.tex(d, "delta"), page.tex(value, paren=False),
        ))
        w_html = html_name(weight_name(l, j, k))
        check = _check(page, "BP4", f"∂C/∂{w_html}", w_html, value, fd, ok, short=self.live_only)
        return _section("BP4", "the gradient for a weight", note + eq + check, heading=not self.live_only)


def layer_activation_name(activations) -> str:
    """One layer's activation by name: "sigmoid", or "sigmoid (2: tanh)" when neuron j = 2
    (0-based, as the network names it) uses its own (the "one modified neuron" exercise)."""
    names = [act.name for act in activations]
    base = max(dict.fromkeys(names), key=names.count)  # ties: the first neuron's
    others = ", ".join(f"{j}: {n}" for j, n in enumerate(names) if n != base)
    return f"{base} ({others})" if others else base


def _one_based(j: int) -> str:
    """j + 1 as the book writes a subscript (via the notation module, so w^3_{q,12} stays clear)."""
    return neuron_name("", 0, j).split("_", 1)[1]


__all__ = ["COLORS", "EquationsPanel"]
