"""The four equations of backpropagation (BP1–BP4), typeset with the current numbers in.

For the selected neuron (or weight) the panel writes each equation in the book's notation,
substitutes the values of the current trace term by term, and checks the result against a
finite-difference derivative of just that one quantity (eq. 46, central differences, from
``core.finite_differences`` on the trace's own copies of the parameters, so the shared network
is never touched): a student sees both how the numbers combine and that they are right.
"""

from __future__ import annotations

import math

import ipywidgets as widgets
import numpy as np

from ...core.activations import get_activation
from ...core.finite_differences import agrees, delta_by_nudging, partial_derivative
from ...core.notation import neuron_latex, neuron_name, number, weight_latex, weight_name
from ..panel import Panel
from ..state import ExplorerState

#: One colour per kind of quantity, the same in every equation and in the key. The names are
#: both MathJax (dvips) and CSS colour names; the hex values are MathJax's, for the key.
COLORS = {
    "delta": ("Red", "#ED1B23", "δ error"),
    "sp": ("DarkOrchid", "#A4538A", "σ′(z) slope of σ"),
    "a": ("RoyalBlue", "#0071BC", "a activation"),
    "w": ("ForestGreen", "#009B55", "w weight"),
    "grad": ("Brown", "#792500", "∂C/∂a cost gradient"),
}
#: More terms than this (of a sum or a vector) are cut short with "…".
MAX_TERMS = 6

_SIGMOID = get_activation("sigmoid")


# ---------------------------------------------------------------------- LaTeX helpers
def tex_number(value: float, digits: int = 4) -> str:
    """A number for LaTeX with ``digits`` significant digits: 0.1234, -0.05, 1.2\\times10^{-5}."""
    value = float(value)
    if not math.isfinite(value):
        return r"\text{—}"
    text = f"{value:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        return rf"{mantissa}\times10^{{{int(exponent)}}}"
    return text


def colored(role: str, tex: str) -> str:
    """``{\\color{Name}{tex}}``: colours only ``tex`` in MathJax 2 and 3 alike."""
    return rf"{{\color{{{COLORS[role][0]}}}{{{tex}}}}}"


def cnum(role: str, value: float, in_product: bool = True) -> str:
    """A coloured number; ``in_product``, in parentheses when negative (so products read right)."""
    tex = colored(role, tex_number(value))
    return f"({tex})" if in_product and float(value) < 0 else tex


def factor(value: float) -> str:
    """An uncoloured number as a factor: in parentheses when negative."""
    tex = tex_number(value)
    return f"({tex})" if float(value) < 0 else tex


def tex_vector(role: str, values) -> str:
    """A column vector of coloured numbers, cut to MAX_TERMS entries with a ⋮."""
    values = np.asarray(values, dtype=float).reshape(-1)
    rows = [colored(role, tex_number(v)) for v in values[:MAX_TERMS]]
    if values.size > MAX_TERMS:
        rows.append(r"\vdots")
    return r"\begin{pmatrix}" + r"\\".join(rows) + r"\end{pmatrix}"


def name(role: str, tex: str) -> str:
    """A symbol in its role's colour."""
    return colored(role, tex)


# ---------------------------------------------------------------------- HTML helpers
def _fmt(value: float, digits: int = 6) -> str:
    return number(value, digits)


def _num(q: str, value: float) -> str:
    value = float(value)
    exact = repr(value) if math.isfinite(value) else ""
    return f'<span class="num" data-q="{q}" data-value="{exact}">{_fmt(value)}</span>'


def _vec(q: str, values) -> str:
    values = np.asarray(values, dtype=float).reshape(-1)
    shown = [_fmt(v, 5) for v in values[:MAX_TERMS]] + (["…"] if values.size > MAX_TERMS else [])
    exact = ",".join(repr(float(v)) if math.isfinite(v) else "" for v in values)
    return f'<span class="vec" data-q="{q}" data-values="{exact}">[{", ".join(shown)}]</span>'


def _mark(ok: bool, fd: float = 0.0) -> str:
    if not math.isfinite(fd):
        return '<span class="mark none" style="color:#8a6d00">? the cost could not be evaluated next to this point</span>'
    if ok:
        return '<span class="mark ok" style="color:#1a7f37;font-weight:bold">✓ agrees</span>'
    return '<span class="mark bad" style="color:#b00020;font-weight:bold">✗ differs</span>'


def _html_name(text: str) -> str:
    head, _, rest = text.partition("^")
    sup, _, sub = rest.partition("_")
    return f"{head}<sup>{sup}</sup><sub>{sub}</sub>"


def _section(eq: str, title: str, body: str) -> str:
    return (
        f'<div class="eq" data-eq="{eq}" style="margin:6px 0 10px 0">'
        f'<div><b>{eq}</b> <span style="color:#555">{title}</span></div>{body}</div>'
    )


def _check(eq: str, what: str, on: str, value: float, fd: float, ok: bool) -> str:
    return (
        f'<div class="check" data-eq="{eq}">{what} = {_num(eq, value)}; '
        f"finite differences on {on}: {_num(eq + '_fd', fd)} {_mark(ok, fd)}</div>"
    )


# ---------------------------------------------------------------------- the panel
class EquationsPanel(Panel):
    """BP1–BP4 for the selected neuron or weight, with numbers substituted and checked.

    ``html`` (an ipywidgets.HTMLMath) holds the text; ``checks`` maps "BP1".."BP4" to
    (backprop value, finite-difference value, agrees) for what was checked last; ``builds``
    counts how often the text was rebuilt (it is rebuilt only when the trace's contents or
    the selection change, not when the demon's Δz moves).
    """

    def __init__(self, state: ExplorerState):
        self.html = widgets.HTMLMath(layout=widgets.Layout(width="100%"))
        self.widget = widgets.VBox(
            [self.html], layout=widgets.Layout(min_width="460px", max_width="720px", flex="1 1 auto")
        )
        self.widget.add_class("equations-panel")
        self.checks: dict[str, tuple] = {}
        self.builds = 0
        self._key = None
        super().__init__(state)
        self.refresh()

    def refresh(self) -> None:
        state = self.state
        if state.diverged or state.trace is None:
            key = ("diverged", state.diverged)
            if key != self._key:
                self._key = key
                self.checks = {}
                message = state.diverged or "no trace yet"
                self.html.value = (
                    f'<div class="diverged" style="color:#b00020;font-size:15px">⚠ {message}: '
                    "the equations need finite numbers.</div>"
                )
            return
        # A new trace (parameters, example, an activation or the cost changed) comes with a
        # new trace_revision; a Δz or Δw keeps it, so only the selection can also matter.
        key = (tuple(sorted(state.selection.items())), state.trace_revision)
        if key == self._key:
            return
        self._key = key
        with np.errstate(all="ignore"):  # extreme parameters: non-finite numbers show as "—"
            self.html.value = self._build()
        self.builds += 1

    # ------------------------------------------------------------ the text
    def _build(self) -> str:
        state = self.state
        sel = state.selection
        l, j = sel["layer"], sel["j"]
        k = sel.get("k", 0)
        self.checks = {}
        parts = [
            '<div class="equations" style="font-size:15px;line-height:1.4;padding-right:12px">',
            self._header(sel),
            self._key_html(),
            self._bp1(l, j),
            self._bp2(l, j, k if sel["kind"] == "weight" else 0),
            self._bp3(l, j),
            self._bp4(l, j, k, sel["kind"] == "weight"),
            "</div>",
        ]
        return "".join(parts)

    def _header(self, sel) -> str:
        t = self.state.trace
        l, j = sel["layer"], sel["j"]
        if sel["kind"] == "weight":
            k = sel["k"]
            what = (
                f"weight {_html_name(weight_name(l, j, k))}, from neuron {k + 1} of layer {l - 1} "
                f"to neuron {j + 1} of layer {l}"
            )
        else:
            what = f"neuron {j + 1} of layer {l} ({_html_name(neuron_name('δ', l, j))})"
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

    def _delta_check(self, eq: str, layer: int, j: int) -> str:
        state, t = self.state, self.state.trace
        value = float(t.delta[layer][j, 0])
        fd = delta_by_nudging(t, layer, j)
        ok = agrees(value, fd, *self._cost_tol())
        self.checks[eq] = (value, fd, ok)
        what = _html_name(neuron_name("δ", layer, j))
        return _check(eq, what, _html_name(neuron_name("z", layer, j)), value, fd, ok)

    def _bp1(self, l: int, j: int) -> str:
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
                    rf"&= {aj} - {yj} = {cnum('a', a[j])} - {factor(y[j])} = {cnum('delta', delta[j], False)}",
                ]
            elif cost_name == "quadratic":
                a_num = colored("a", tex_number(a[j]))
                lines = [
                    rf"{dj} &= {dCda}\,{spj} = ({aj} - {yj})\,{spj}",
                    rf"&= ({a_num} - {factor(y[j])})\cdot {cnum('sp', sp[j])}"
                    rf" = {cnum('grad', grad[j])}\cdot {cnum('sp', sp[j])} = {cnum('delta', delta[j], False)}",
                ]
            else:
                lines = [
                    rf"{dj} &= {dCda}\,{spj}",
                    rf"&= {cnum('grad', grad[j])}\cdot {cnum('sp', sp[j])} = {cnum('delta', delta[j], False)}",
                ]
            body.append(r"$$\begin{aligned}" + r"\\".join(lines) + r"\end{aligned}$$")
        if cancels:
            body.append(
                '<div class="cancel-note">With the cross-entropy cost and a sigmoid output layer, '
                "σ′(z<sup>L</sup>) cancels out of BP1: δ<sup>L</sup> = a<sup>L</sup> − y, so a saturated "
                "output neuron still learns quickly.</div>"
            )
            aL = name("a", "a^{L}")
            vector = (
                rf"$${dL} = {nabla} \odot {spL} = {aL} - y = "
                rf"{tex_vector('a', a)} - {tex_vector_plain(y)} = {tex_vector('delta', delta)}$$"
            )
        else:
            vector = (
                rf"$${dL} = {nabla} \odot {spL} = "
                rf"{tex_vector('grad', grad)} \odot {tex_vector('sp', sp)} = {tex_vector('delta', delta)}$$"
            )
        body.append(f'<div class="vector-form">In vector form (⊙ multiplies entry by entry): {vector}</div>')
        if l == L:
            body.append(self._delta_check("BP1", L, j))
        else:
            fds = np.array([delta_by_nudging(t, L, q) for q in range(t.sizes[-1])])
            oks = [agrees(float(v), float(f), *self._cost_tol()) for v, f in zip(delta, fds)]
            worst = int(np.argmax(np.abs(delta - fds)))
            self.checks["BP1"] = (float(delta[worst]), float(fds[worst]), all(oks))
            body.append(
                f'<div class="check" data-eq="BP1">δ<sup>L</sup> = {_vec("BP1", delta)}; '
                f'finite differences on z<sup>L</sup>: {_vec("BP1_fd", fds)} {_mark(all(oks))}</div>'
            )
        return _section("BP1", "the error of the output layer", "".join(body))

    def _bp2(self, l: int, j: int, k: int) -> str:
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
                f"{_html_name(neuron_name('δ', l, j))}, one layer back (select a hidden neuron to choose).</div>"
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
        sp_num = cnum("sp", sp)
        general = rf"{dj} &= \Big(\sum_{{q}} {w_q}\,{d_q}\Big)\,{spj}"
        shown = n if n <= MAX_TERMS else MAX_TERMS - 1
        terms = [rf"{cnum('w', w[q])}\cdot {cnum('delta', d_next[q])}" for q in range(shown)]
        if n > shown:
            terms.append(r"\cdots\ (\text{%d terms})" % n)
        rows = [" + ".join(terms[i : i + 3]) for i in range(0, len(terms), 3)]
        expanded = []
        for i, row in enumerate(rows):
            start = r"&= \Big(" if i == 0 else r"&\qquad + "
            end = rf"\Big)\cdot {sp_num}" if i == len(rows) - 1 else ""
            expanded.append(start + row + end)
        final = rf"&= {tex_number(total)}\cdot {sp_num} = {cnum('delta', delta, False)}"
        vector = r"$\delta^{%d} = \big((w^{%d})^T \delta^{%d}\big) \odot \sigma'(z^{%d})$" % (l, l + 1, l + 1, l)
        body = (
            note
            + r"$$\begin{aligned}" + r"\\".join([general, *expanded, final]) + r"\end{aligned}$$"
            + f'<div class="vector-form">In vector form: {vector}</div>'
            + self._delta_check("BP2", l, j)
        )
        return _section("BP2", title, body)

    def _bp3(self, l: int, j: int) -> str:
        t = self.state.trace
        value = float(t.nabla_b[l][j, 0])
        fd = partial_derivative(t, "b", l, j)
        ok = agrees(value, fd, *self._cost_tol())
        self.checks["BP3"] = (value, fd, ok)
        b = neuron_latex("b", l, j)
        dj = name("delta", neuron_latex(r"\delta", l, j))
        eq = r"$$\frac{\partial C}{\partial %s} = %s = %s$$" % (b, dj, cnum("delta", float(t.delta[l][j, 0]), False))
        b_html = _html_name(neuron_name("b", l, j))
        check = _check("BP3", f"∂C/∂{b_html}", b_html, value, fd, ok)
        return _section("BP3", "the gradient for a bias", eq + check)

    def _bp4(self, l: int, j: int, k: int, chosen: bool) -> str:
        t = self.state.trace
        value = float(t.nabla_w[l][j, k])
        fd = partial_derivative(t, "w", l, j, k)
        ok = agrees(value, fd, *self._cost_tol())
        self.checks["BP4"] = (value, fd, ok)
        a_in = float(t.a[l - 1][k, 0])
        d = float(t.delta[l][j, 0])
        note = "" if chosen else (
            f'<div style="color:#555">Shown for {_html_name(weight_name(l, j, k))}, the first weight into '
            "the selected neuron (select a weight to choose another).</div>"
        )
        w = name("w", weight_latex(l, j, k))
        a_k = name("a", neuron_latex("a", l - 1, k))
        dj = name("delta", neuron_latex(r"\delta", l, j))
        eq = r"$$\frac{\partial C}{\partial %s} = %s\,%s = %s\cdot %s = %s$$" % (
            w, a_k, dj, cnum("a", a_in), cnum("delta", d), tex_number(value),
        )
        w_html = _html_name(weight_name(l, j, k))
        check = _check("BP4", f"∂C/∂{w_html}", w_html, value, fd, ok)
        return _section("BP4", "the gradient for a weight", note + eq + check)


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


def tex_vector_plain(values) -> str:
    """A column vector of uncoloured numbers (the target y)."""
    values = np.asarray(values, dtype=float).reshape(-1)
    rows = [tex_number(v) for v in values[:MAX_TERMS]]
    if values.size > MAX_TERMS:
        rows.append(r"\vdots")
    return r"\begin{pmatrix}" + r"\\".join(rows) + r"\end{pmatrix}"


__all__ = ["COLORS", "EquationsPanel", "tex_number"]
