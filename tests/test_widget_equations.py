"""The equations panel: BP1–BP4 with numbers that match hand calculations and finite differences."""

import copy
import dataclasses
import re
from types import MappingProxyType

import numpy as np
import pytest

from explorer import Network
from explorer.core.activations import Activation
from explorer.widgets.dashboard.demon import DemonPanel
from explorer.widgets.dashboard.equations import COLORS, EquationsPanel
from explorer.widgets.state import ExplorerState

from helpers import hand_forward, numeric_dC_dz, numeric_gradient, sigma

X = np.array([0.3, -0.7, 0.5, 0.1])
Y = np.array([1.0, 0.0, 0.0])


def make(sizes=(4, 6, 6, 3), seed=3, cost="quadratic", activation="sigmoid", x=X, y=Y):
    state = ExplorerState(Network(list(sizes), activation=activation, seed=seed, cost=cost), x, y)
    return state, EquationsPanel(state)


# ---------------------------------------------------------------------- parsing the markup
SPAN = re.compile(r'<span class="num" data-q="(\w+)" data-value="([^"]+)">([^<]*)</span>')
COLORED = re.compile(r"\\color\{(#?\w+)\}\{((?:[^{}]|\{[^{}]*\})*)\}")
SLOT = re.compile(r"^\\htmlData\{q=\w+\}\{(.*)\}$")
SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")


def section(markup, eq):
    start = markup.index(f'<div class="eq" data-eq="{eq}"')
    end = markup.find('<div class="eq"', start + 1)
    return markup[start : end if end > 0 else len(markup)]


def spans(markup):
    return {q: (float(v), float(t.replace("−", "-"))) for q, v, t in SPAN.findall(markup)}


def shown_float(text):
    """A number as a formula shows it: 0.1234, (−0.05), 1.2×10⁻⁵."""
    text = text.strip("()").replace("−", "-")
    if "×10" in text:
        mantissa, exponent = text.split("×10")
        return float(f"{mantissa}e{exponent.translate(SUPERSCRIPTS)}")
    return float(text)


def colored_numbers(tex, color):
    """The numbers shown in ``color``, in order (symbols in that colour are skipped)."""
    out = []
    for name, body in COLORED.findall(tex):
        slot = SLOT.match(body)
        if name == color and slot:
            out.append(shown_float(slot.group(1)))
    return out


def entries(markup, key):
    """A vector shown as [q_1, q_2, …]: the exact values of its entries, in order."""
    s = spans(markup)
    return [s[f"{key}_{i}"][0] for i in range(1, len(s) + 1) if f"{key}_{i}" in s]


def approx4(values):
    """Equal to what the panel shows with 4 significant digits."""
    return pytest.approx(list(np.ravel(values)), rel=6e-4, abs=1e-12)


def check_mark(sec):
    ok, bad = "✓" in sec, "✗" in sec
    assert ok != bad, "each check shows exactly one mark"
    return ok


# ---------------------------------------------------------------------- BP1
def test_bp1_for_an_output_neuron_with_the_quadratic_cost():
    state, panel = make()
    state.select_neuron(4, 1)
    net = copy.deepcopy(state.network)
    z, a = hand_forward(net, X)
    y = Y.reshape(-1, 1)
    sp = sigma(z[4]) * (1 - sigma(z[4]))
    delta = (a[4] - y) * sp  # eq. 30

    sec = section(panel.markup, "BP1")
    s = spans(sec)
    assert s["BP1"][0] == pytest.approx(delta[1, 0], rel=1e-12)
    assert s["BP1"][1] == pytest.approx(delta[1, 0], rel=1e-5)  # shown with 6 digits
    fd = numeric_dC_dz(net, net.trace(X, Y), 4)[1, 0]  # the test's own finite differences
    assert s["BP1_fd"][0] == pytest.approx(fd, rel=1e-7)
    assert check_mark(sec)
    # the substituted terms, coloured by kind: a (blue), σ' (purple), a − y (brown), δ (red)
    aligned = sec[sec.index(r"\begin{aligned}") : sec.index(r"\end{aligned}")]
    assert colored_numbers(aligned, "RoyalBlue") == approx4(a[4][1])
    assert colored_numbers(aligned, "DarkOrchid") == approx4([sp[1, 0], sp[1, 0]])
    assert colored_numbers(aligned, "Brown") == approx4(a[4][1] - y[1])
    assert colored_numbers(aligned, COLORS["delta"][0]) == approx4(delta[1])
    assert "cancels" not in sec


def test_bp1_vector_form_shows_the_hadamard_product_entry_by_entry():
    state, panel = make()
    state.select_neuron(2, 0)  # a hidden neuron: BP1 is checked for the whole output layer
    net = copy.deepcopy(state.network)
    z, a = hand_forward(net, X)
    grad = a[4][:, 0] - Y
    sp = sigma(z[4][:, 0]) * (1 - sigma(z[4][:, 0]))
    sec = section(panel.markup, "BP1")
    vector = sec[sec.index('class="vector-form"') :]
    assert r"\odot" in vector
    assert colored_numbers(vector, "Brown") == approx4(grad)
    assert colored_numbers(vector, "DarkOrchid") == approx4(sp)
    assert colored_numbers(vector, COLORS["delta"][0]) == approx4(grad * sp)
    np.testing.assert_allclose(entries(sec, "BP1"), grad * sp, rtol=1e-12)
    fds = numeric_dC_dz(net, net.trace(X, Y), 4)[:, 0]
    np.testing.assert_allclose(entries(sec, "BP1_fd"), fds, rtol=1e-7)
    assert check_mark(sec)


def test_cross_entropy_with_sigmoid_output_shows_sigma_prime_cancelling():
    state, panel = make(cost="cross_entropy")
    state.select_neuron(4, 0)
    net = copy.deepcopy(state.network)
    _, a = hand_forward(net, X)
    sec = section(panel.markup, "BP1")
    assert "cancels" in sec and "δ<sup>L</sup> = a<sup>L</sup> − y" in sec
    assert spans(sec)["BP1"][0] == pytest.approx(a[4][0, 0] - Y[0], rel=1e-12)
    assert check_mark(sec)


def test_no_cancellation_text_for_other_costs_or_output_activations():
    _, quadratic = make(cost="quadratic")
    assert "cancels" not in quadratic.markup
    # The same sigmoid under another name: the core uses the general BP1 for it, and so must
    # the panel (no cancellation claimed), while the numbers still agree with finite differences.
    lookalike = Activation("my_sigmoid", sigma, lambda z: sigma(z) * (1 - sigma(z)))
    state, panel = make(cost="cross_entropy", activation=["sigmoid", "sigmoid", lookalike])
    state.select_neuron(4, 2)
    sec = section(panel.markup, "BP1")
    assert "cancels" not in sec
    net = copy.deepcopy(state.network)
    _, a = hand_forward(net, X)
    assert spans(sec)["BP1"][0] == pytest.approx(a[4][2, 0] - Y[2], rel=1e-9)  # the same value
    assert check_mark(sec)


# ---------------------------------------------------------------------- BP2
def test_bp2_for_a_hidden_neuron_written_term_by_term():
    state, panel = make()
    state.select_neuron(2, 3)
    net = copy.deepcopy(state.network)
    t = net.trace(X, Y)
    sec = section(panel.markup, "BP2")
    aligned = sec[sec.index(r"\begin{aligned}") : sec.index(r"\end{aligned}")]
    # the sum Σ_q w^3_q4 δ^3_q, all six terms: weights in green, errors of layer 3 in red
    assert colored_numbers(aligned, COLORS["w"][0]) == approx4(net.weights[3][:, 3])
    reds = colored_numbers(aligned, COLORS["delta"][0])
    assert reds[:6] == approx4(t.delta[3][:, 0])
    assert r"\cdots" not in aligned
    # and the result against the test's own finite differences
    fd = numeric_dC_dz(net, t, 2)[3, 0]
    s = spans(sec)
    assert s["BP2"][0] == pytest.approx(t.delta[2][3, 0], rel=1e-12)
    assert s["BP2"][0] == pytest.approx(fd, rel=1e-6)
    assert s["BP2_fd"][0] == pytest.approx(fd, rel=1e-7)
    assert check_mark(sec)


def test_bp2_cuts_a_long_sum_short():
    state, panel = make(sizes=(3, 4, 8, 2), x=[0.1, 0.2, 0.3], y=[0.0, 1.0])
    state.select_neuron(2, 1)
    sec = section(panel.markup, "BP2")
    assert r"\cdots" in sec and "8 terms" in sec
    assert colored_numbers(sec, COLORS["w"][0]) == approx4(state.network.weights[3][:5, 1])


def test_bp2_for_an_output_selection_shows_the_layer_before():
    state, panel = make()
    state.select_weight(4, 0, 2)  # feeds from neuron 3 of layer 3
    sec = section(panel.markup, "BP2")
    assert "δ<sup>3</sup><sub>3</sub>" in sec
    assert spans(sec)["BP2"][0] == pytest.approx(state.network.trace(X, Y).delta[3][2, 0], rel=1e-12)


# ---------------------------------------------------------------------- BP3, BP4
def test_bp3_and_bp4_for_a_selected_weight():
    state, panel = make()
    state.select_weight(3, 1, 4)
    net = copy.deepcopy(state.network)
    t = net.trace(X, Y)
    grads_w = numeric_gradient(net, X, Y, {3: net.weights[3]})[3]
    grads_b = numeric_gradient(net, X, Y, {3: net.biases[3]})[3]
    _, a = hand_forward(net, X)

    bp3 = section(panel.markup, "BP3")
    s3 = spans(bp3)
    assert s3["BP3"][0] == pytest.approx(t.delta[3][1, 0], rel=1e-12)
    assert s3["BP3_fd"][0] == pytest.approx(grads_b[1, 0], rel=1e-7)
    assert check_mark(bp3)

    bp4 = section(panel.markup, "BP4")
    s4 = spans(bp4)
    assert s4["BP4"][0] == pytest.approx(a[2][4, 0] * t.delta[3][1, 0], rel=1e-12)  # a^2_5 δ^3_2
    assert s4["BP4_fd"][0] == pytest.approx(grads_w[1, 4], rel=1e-7)
    assert check_mark(bp4)
    assert colored_numbers(bp4, "RoyalBlue") == approx4(a[2][4])
    assert "w^{3}_{25}" in bp4 and "first weight" not in bp4


def test_for_a_selected_neuron_bp4_says_which_weight_it_shows():
    state, panel = make()
    state.select_neuron(3, 4)
    bp4 = section(panel.markup, "BP4")
    assert "first weight" in bp4 and "w<sup>3</sup><sub>51</sub>" in bp4
    assert spans(bp4)["BP4"][0] == pytest.approx(state.network.trace(X, Y).nabla_w[3][4, 0], rel=1e-12)


# ---------------------------------------------------------------------- the checks
def test_a_wrong_displayed_value_gets_a_cross():
    state, panel = make()
    state.select_neuron(4, 1)
    assert all(ok for _, _, ok in panel.checks.values())
    t = state.trace
    wrong = {l: np.array(d) for l, d in t.delta.items()}
    wrong[4][1, 0] += 1e-3
    state.trace = dataclasses.replace(t, delta=MappingProxyType(wrong))
    state.revision += 1  # what the state does after a change
    sec = section(panel.markup, "BP1")
    assert "✗" in sec and "✓" not in sec
    assert panel.checks["BP1"][2] is False


def test_a_refresh_never_writes_into_the_shared_network():
    state, panel = make()
    net = state.network
    before = {l: net.weights[l].tobytes() + net.biases[l].tobytes() for l in net.layers}
    for l in net.layers:  # any write during a refresh would now raise
        net.weights[l].flags.writeable = False
        net.biases[l].flags.writeable = False
    for sel in [(2, 0), (3, 5), (4, 2)]:
        state.select_neuron(*sel)
    state.select_weight(2, 3, 1)
    assert all(check[2] for check in panel.checks.values())
    after = {l: net.weights[l].tobytes() + net.biases[l].tobytes() for l in net.layers}
    assert before == after


# ---------------------------------------------------------------------- updating
def test_rebuilt_only_when_the_trace_or_the_selection_changes():
    state, panel = make()
    demon = DemonPanel(state)
    builds = panel.builds
    for value in (0.3, 1.2, -2.0):
        demon.dz_slider.value = value
    state.dw = 0.4
    assert panel.builds == builds
    state.set_weight(3, 0, 0, 0.25)
    assert panel.builds == builds + 1
    state.select_neuron(2, 2)
    assert panel.builds == builds + 2
    assert spans(section(panel.markup, "BP3"))["BP3"][0] == pytest.approx(
        copy.deepcopy(state.network).trace(X, Y).delta[2][2, 0], rel=1e-12
    )


def test_diverged_state_shows_the_message_instead_of_numbers():
    state, panel = make(cost="cross_entropy")
    state.set_activation(4, "linear")
    state.set_bias(4, 0, 40.0)
    assert state.diverged
    assert "diverged" in panel.markup and not SPAN.findall(panel.markup)
    state.set_activation(4, "sigmoid")
    assert all(ok for _, _, ok in panel.checks.values()) and len(panel.checks) == 4
