"""The proofs of BP1–BP4, checked step by step with finite differences.

The chapter proves the four equations with the chain rule (eq. 36–45) and leaves the matrix
form with Σ'(z) as an exercise (eq. 33–35). Each step of those arguments is a claim about
numbers that can be measured by nudging something a little and watching what moves. This
panel does that for the state's network and example:

- the definition (eq. 29): δ^l_j is ∂C/∂z^l_j, measured by nudging z^l_j (the demon with ±ε);
- the key step of BP1's proof (eq. 37–38): ∂a^L_k/∂z^L_j vanishes unless k = j, and is
  σ'(z^L_j) when k = j; so the chain-rule sum Σ_k ∂C/∂a^L_k ∂a^L_k/∂z^L_j is BP1;
- the key step of BP2's proof (eq. 43–44): ∂z^(l+1)_k/∂z^l_j = w^(l+1)_kj σ'(z^l_j); so
  δ^l_j = Σ_k δ^(l+1)_k ∂z^(l+1)_k/∂z^l_j (eq. 42) is BP2;
- BP3 and BP4 against ∂C/∂b and ∂C/∂w by finite differences (eq. 46);
- δ^l as the product Σ'(z^l)(w^(l+1))^T … Σ'(z^L) ∇_a C (eq. 35) against BP2's δ^l.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .. import ui as widgets
import numpy as np

from ...core import delta_via_sigma_prime
from ...core.finite_differences import (
    ForwardPass,
    agrees,
    central_step,
    delta_by_nudging,
    jacobian,
    partial_derivative,
)
from ..markup import number
from ..panel import Panel, diverged_html
from ..state import ExplorerState

#: Networks with more parameters than this are checked on a fixed random sample of them.
MAX_FD_PARAMETERS = 1500
#: Jacobians larger than this are written out only in part.
MAX_SHOWN = 6


@dataclass(frozen=True)
class Check:
    """One claim of the proofs, measured: the largest |difference| over ``count`` numbers."""

    key: str
    equation: str
    claim: str
    count: int
    max_difference: float
    ok: bool


# ---------------------------------------------------------------------- measurements
def _step(trace) -> float:
    return central_step(trace.weights[trace.L].dtype)


def output_jacobian(trace, eps: float | None = None) -> np.ndarray:
    """∂a^L_k/∂z^L_j (row k, column j), measured by nudging each z^L_j (BP1's proof, eq. 37)."""
    L, forward = trace.L, ForwardPass(trace)
    eps = _step(trace) if eps is None else eps
    return jacobian(lambda z: forward.activate(L, z.reshape(-1, 1)), trace.z[L][:, 0], eps)


def layer_jacobian(trace, l: int, eps: float | None = None) -> np.ndarray:
    """∂z^(l+1)_k/∂z^l_j (row k, column j), measured through z^(l+1) = w^(l+1) σ(z^l) + b^(l+1) (eq. 43)."""
    forward = ForwardPass(trace)
    w, b = trace.weights[l + 1], trace.biases[l + 1]
    eps = _step(trace) if eps is None else eps
    return jacobian(lambda z: w @ forward.activate(l, z.reshape(-1, 1)) + b, trace.z[l][:, 0], eps)


def fd_errors(trace) -> dict[int, np.ndarray]:
    """∂C/∂z^l_j for every neuron of layers 2..L, by central differences on z (eq. 29)."""
    return {l: np.array([delta_by_nudging(trace, l, j) for j in range(trace.sizes[l - 1])])
            for l in trace.layers}


def parameter_indices(source, limit: int = MAX_FD_PARAMETERS, seed: int = 0):
    """[(kind, l, index)] of the parameters of a trace (or a network) to check: every weight
    and every bias, or, of a kind that has more than ``limit``, a fixed random sample of ``limit``."""
    rng = np.random.default_rng(seed)
    out = []
    for kind, arrays in (("w", source.weights), ("b", source.biases)):
        every = [(kind, l, idx) for l in source.layers for idx in np.ndindex(arrays[l].shape)]
        if len(every) > limit:
            every = [every[i] for i in np.sort(rng.choice(len(every), size=limit, replace=False))]
        out += every
    return out


def _max_abs(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b))) if a.size else 0.0


def _scale(*arrays) -> float:
    return max([1.0] + [float(np.max(np.abs(a))) for a in arrays if np.size(a)])


# ---------------------------------------------------------------------- the panel
class ProofsPanel(Panel):
    """Every step of the proofs of BP1–BP4 (and eq. 33–35), measured on the state's network.

    For other code and tests: ``checks`` (a list of ``Check``, also by key in ``by_key``),
    ``J_output`` (∂a^L/∂z^L measured), ``J_layer`` (∂z^(l+1)/∂z^l measured for the layer
    ``jacobian_layer``), ``fd_delta`` {l: ∂C/∂z^l measured}, ``html`` and ``summary()``.
    """

    def __init__(self, state: ExplorerState):
        self.html = widgets.HTML(layout=widgets.Layout(width="100%"))
        self.widget = widgets.VBox([self.html], layout=widgets.Layout(min_width="520px", max_width="900px"))
        self.widget.add_class("proofs-panel")
        self.checks: list[Check] = []
        self.by_key: dict[str, Check] = {}
        self._key = None
        super().__init__(state)
        self.refresh()

    def refresh(self) -> None:
        state = self.state
        if state.diverged or state.trace is None:
            self.html.value = diverged_html(state.diverged or "no trace yet")
            self._key = None
            return
        # The measurements depend on the trace (a new one, with a new trace_revision, whenever
        # the parameters or the example change) and on the layer in view, not on Δz or the neuron.
        l_sel, _ = state.selected_neuron
        key = (l_sel, state.trace_revision)
        if key == self._key:
            return
        self._key = key
        with np.errstate(all="ignore"):
            self._measure()
            self.html.value = self._html()

    # ------------------------------------------------------------ measuring
    def _measure(self) -> None:
        state, t = self.state, self.state.trace
        L = t.L
        l_sel, _ = state.selected_neuron
        cost, dtype = t.cost, t.weights[L].dtype
        tol = lambda value, measured: bool(np.all([agrees(v, m, cost, dtype)
                                                   for v, m in zip(np.ravel(value), np.ravel(measured))]))
        checks = []

        # eq. 29: δ is ∂C/∂z, every neuron
        self.fd_delta = fd_errors(t)
        bp = {l: np.asarray(t.delta[l][:, 0], float) for l in t.layers}
        checks.append(Check("delta_L", "BP1", f"δ<sup>{L}</sup> = ∂C/∂z<sup>{L}</sup> (eq. 29), z nudged by ±ε",
                            bp[L].size, _max_abs(bp[L], self.fd_delta[L]), tol(bp[L], self.fd_delta[L])))
        hidden = [l for l in t.layers if l < L]
        if hidden:
            got = np.concatenate([bp[l] for l in hidden])
            want = np.concatenate([self.fd_delta[l] for l in hidden])
            names = ", ".join(f"δ<sup>{l}</sup>" for l in hidden)
            checks.append(Check("delta_hidden", "BP2", f"{names} = ∂C/∂z (eq. 29), z nudged by ±ε",
                                got.size, _max_abs(got, want), tol(got, want)))

        # BP1's proof: the Jacobian ∂a^L/∂z^L is diagonal, with σ'(z^L) on it
        J = self.J_output = output_jacobian(t)
        off = J - np.diag(np.diag(J))
        sp_L = np.asarray(t.sigma_prime[L][:, 0], float)
        checks.append(Check("bp1_off_diagonal", "eq. 37", "∂a<sup>L</sup><sub>k</sub>/∂z<sup>L</sup><sub>j</sub> = 0 for k ≠ j",
                            off.size - J.shape[0], float(np.max(np.abs(off))) if off.size else 0.0,
                            bool(np.max(np.abs(off), initial=0.0) <= 1e-9 * _scale(J))))
        checks.append(Check("bp1_diagonal", "eq. 38–39", "∂a<sup>L</sup><sub>j</sub>/∂z<sup>L</sup><sub>j</sub> = σ′(z<sup>L</sup><sub>j</sub>)",
                            sp_L.size, _max_abs(np.diag(J), sp_L), tol(np.diag(J), sp_L)))
        grad = np.asarray(t.cost_gradient[:, 0], float)
        chain = grad @ J  # Σ_k ∂C/∂a^L_k ∂a^L_k/∂z^L_j
        checks.append(Check("bp1_chain", "eq. 36", "Σ<sub>k</sub> ∂C/∂a<sup>L</sup><sub>k</sub> · ∂a<sup>L</sup><sub>k</sub>/∂z<sup>L</sup><sub>j</sub> "
                            "(measured Jacobian) = δ<sup>L</sup><sub>j</sub> of BP1",
                            chain.size, _max_abs(chain, bp[L]), tol(chain, bp[L])))

        # BP2's proof: ∂z^(l+1)_k/∂z^l_j = w^(l+1)_kj σ'(z^l_j), for the layer in view
        self.J_layer = None
        if hidden:
            l = l_sel if l_sel < L else L - 1
            self.jacobian_layer = l
            Jl = self.J_layer = layer_jacobian(t, l)
            formula = t.weights[l + 1] * np.asarray(t.sigma_prime[l][:, 0], float)[None, :]
            checks.append(Check("bp2_jacobian", "eq. 43–44",
                                f"∂z<sup>{l + 1}</sup><sub>k</sub>/∂z<sup>{l}</sup><sub>j</sub> = w<sup>{l + 1}</sup><sub>kj</sub> σ′(z<sup>{l}</sup><sub>j</sub>)",
                                Jl.size, _max_abs(Jl, formula), tol(formula, Jl)))
            chain = np.asarray(t.delta[l + 1][:, 0], float) @ Jl
            checks.append(Check("bp2_chain", "eq. 42", f"Σ<sub>k</sub> δ<sup>{l + 1}</sup><sub>k</sub> ∂z<sup>{l + 1}</sup><sub>k</sub>/∂z<sup>{l}</sup><sub>j</sub> "
                                f"(measured Jacobian) = δ<sup>{l}</sup><sub>j</sub> of BP2",
                                chain.size, _max_abs(chain, bp[l]), tol(chain, bp[l])))
        else:
            self.jacobian_layer = None

        # BP3 and BP4: the gradient against finite differences of C (eq. 46)
        indices = parameter_indices(t)
        self.n_checked = len(indices)
        self.n_parameters = sum(t.weights[l].size + t.biases[l].size for l in t.layers)
        got_b, fd_b, got_w, fd_w = [], [], [], []
        for kind, l, idx in indices:
            if kind == "b":
                got_b.append(float(t.nabla_b[l][idx]))
                fd_b.append(partial_derivative(t, "b", l, idx[0]))
            else:
                got_w.append(float(t.nabla_w[l][idx]))
                fd_w.append(partial_derivative(t, "w", l, *idx))
        sample = "" if self.n_checked == self.n_parameters else " (a fixed random sample)"
        checks.append(Check("bp3", "BP3", f"∂C/∂b<sup>l</sup><sub>j</sub> = δ<sup>l</sup><sub>j</sub>, every layer{sample}",
                            len(got_b), _max_abs(got_b, fd_b), tol(got_b, fd_b)))
        checks.append(Check("bp4", "BP4", f"∂C/∂w<sup>l</sup><sub>jk</sub> = a<sup>l−1</sup><sub>k</sub> δ<sup>l</sup><sub>j</sub>, every layer{sample}",
                            len(got_w), _max_abs(got_w, fd_w), tol(got_w, fd_w)))

        # eq. 33–35: the same δ as one long matrix product with Σ'(z) on the diagonals
        got, want = [], []
        for l in t.layers:
            got.append(delta_via_sigma_prime(state.network, t, l)[:, 0])
            want.append(bp[l])
        got, want = np.concatenate(got), np.concatenate(want)
        checks.append(Check("sigma_prime_form", "eq. 33–35",
                            "δ<sup>l</sup> = Σ′(z<sup>l</sup>)(w<sup>l+1</sup>)<sup>T</sup> ⋯ Σ′(z<sup>L</sup>) ∇<sub>a</sub>C, every layer, against BP1/BP2",
                            got.size, _max_abs(got, want), bool(_max_abs(got, want) <= 1e-12 * _scale(want))))
        self.checks = checks
        self.by_key = {c.key: c for c in checks}

    # ------------------------------------------------------------ text
    def _html(self) -> str:
        rows = "".join(
            f'<tr class="check" data-key="{c.key}"><td style="padding:2px 8px"><b>{c.equation}</b></td>'
            f'<td style="padding:2px 8px">{c.claim}</td><td style="padding:2px 8px;text-align:right">{c.count}</td>'
            f'<td style="padding:2px 8px;text-align:right" data-value="{c.max_difference!r}">{number(c.max_difference, 2)}</td>'
            f'<td style="padding:2px 8px">{_mark(c.ok)}</td></tr>'
            for c in self.checks
        )
        t = self.state.trace
        sample = (f"all {self.n_parameters} parameters" if self.n_checked == self.n_parameters
                  else f"{self.n_checked} of the {self.n_parameters} parameters")
        table = (
            '<table class="proof-checks" style="border-collapse:collapse">'
            '<tr style="border-bottom:1px solid #999"><th style="text-align:left;padding:2px 8px">step</th>'
            '<th style="text-align:left;padding:2px 8px">claim, measured by finite differences</th>'
            '<th style="padding:2px 8px">numbers</th><th style="padding:2px 8px">largest |difference|</th><th></th></tr>'
            f"{rows}</table>"
        )
        L = t.L
        jac = (
            f'<div style="margin-top:8px"><b>∂a<sup>{L}</sup><sub>k</sub>/∂z<sup>{L}</sup><sub>j</sub></b>, measured '
            f"(row k, column j): only the diagonal survives, so BP1 needs no sum</div>{_matrix(self.J_output, 'J_output')}"
        )
        if self.J_layer is not None:
            l = self.jacobian_layer
            jac += (
                f'<div style="margin-top:8px"><b>∂z<sup>{l + 1}</sup><sub>k</sub>/∂z<sup>{l}</sup><sub>j</sub></b>, measured '
                f"(row k, column j): column j is w<sup>{l + 1}</sup>'s column j times σ′(z<sup>{l}</sup><sub>j</sub>); "
                f"BP2 sums it against δ<sup>{l + 1}</sup>, which is the transpose (w<sup>{l + 1}</sup>)<sup>T</sup></div>"
                f"{_matrix(self.J_layer, 'J_layer', diagonal=False)}"
            )
        return (
            '<div class="proofs" style="font-size:15px;line-height:1.45">'
            f"<div style='color:#555'>Network {list(t.sizes)}, {t.cost_function.name.replace('_', '-')} cost; "
            f"central differences with ε = {number(_step(t))} on the state's example; {sample} checked.</div>"
            f"{table}{jac}</div>"
        )

    def summary(self) -> str:
        """One line per check: equation, count, largest difference, verdict (plain text)."""
        strip = lambda s: (s.replace("<sup>", "^").replace("</sup>", "").replace("<sub>", "_")
                           .replace("</sub>", "").replace("<b>", "").replace("</b>", ""))
        return "\n".join(
            f"{c.equation:<10} {strip(c.claim)}: {c.count} numbers, largest difference {number(c.max_difference, 2)} "
            f"{'ok' if c.ok else 'DIFFERS'}"
            for c in self.checks
        )


def _mark(ok: bool) -> str:
    if ok:
        return '<span class="mark ok" style="color:#1a7f37;font-weight:bold">✓</span>'
    return '<span class="mark bad" style="color:#b00020;font-weight:bold">✗</span>'


def _matrix(M: np.ndarray, q: str, diagonal: bool = True) -> str:
    n_rows, n_cols = M.shape
    rows = []
    for r in range(min(n_rows, MAX_SHOWN)):
        cells = "".join(
            f'<td style="padding:1px 8px;text-align:right;{"background:#e8f0fe" if diagonal and r == c else ""}" '
            f'data-value="{float(M[r, c])!r}">{_g(M[r, c])}</td>'
            for c in range(min(n_cols, MAX_SHOWN))
        )
        rows.append(f"<tr>{cells}{'<td>⋯</td>' if n_cols > MAX_SHOWN else ''}</tr>")
    if n_rows > MAX_SHOWN:
        rows.append("<tr><td>⋮</td></tr>")
    return (f'<table class="{q}" style="border-left:2px solid #444;border-right:2px solid #444;'
            f'font-family:monospace">{"".join(rows)}</table>')


def _g(v: float) -> str:
    v = float(v)
    if not math.isfinite(v):
        return "—"
    return number(v)


__all__ = ["Check", "ProofsPanel", "fd_errors", "layer_jacobian", "output_jacobian", "parameter_indices"]
