"""The demon panel driven as a student would, its numbers checked against the core and by hand."""

import copy
import html
import re

import numpy as np
import pytest

from explorer import Network
from explorer.widgets.dashboard.demon import DZ_RANGE, N_CURVE, DemonPanel, nice_ceil, y_limits
from explorer.widgets.state import ExplorerState

from helpers import cost_from_layer, read_number

X = np.array([0.3, -0.7, 0.5, 0.1])
Y = np.array([1.0, 0.0, 0.0])


def make(sizes=(4, 6, 6, 3), seed=3, cost="quadratic", x=X, y=Y):
    state = ExplorerState(Network(list(sizes), seed=seed, cost=cost), x, y)
    return state, DemonPanel(state)


def twin(state):
    """An independent network with the same parameters (the test's own reference)."""
    return copy.deepcopy(state.network)


SPAN = re.compile(r'<span class="num" data-q="(\w+)" data-value="([^"]+)">([^<]*)</span>')
VEC = re.compile(r'<span class="vec" data-q="(\w+)" data-values="([^"]*)">\[([^\]]*)\]</span>')


def numbers(markup):
    """{name: (exact value, shown text as a float or None)} from the panel's number spans."""
    out = {}
    for name, exact, shown in SPAN.findall(markup):
        out[name] = (float(exact), None if shown == "—" else read_number(shown))
    return out


def vectors(markup):
    out = {}
    for name, exact, shown in VEC.findall(markup):
        values = [float(v) for v in exact.split(",")] if exact else []
        texts = [s.strip() for s in shown.split(",")]
        out[name] = (np.array(values), texts)
    return out


def assert_shown(pair, expected, digits):
    """The exact value equals ``expected``; the shown text is it rounded to ``digits`` significant digits."""
    exact, shown = pair
    assert exact == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert shown == pytest.approx(expected, rel=0.6 * 10 ** (1 - digits), abs=1e-300)


# ---------------------------------------------------------------------- readouts
def test_dz_slider_moves_the_demon_and_the_readouts_match_a_hand_computation():
    state, panel = make()
    panel.layer_dropdown.value = 3
    panel.neuron_dropdown.value = 1
    assert state.selected_neuron == (3, 1)
    panel.dz_slider.value = 0.7
    assert state.dz == 0.7

    net = twin(state)
    t = net.trace(state.x, state.y)
    z_after = np.array(t.z[3])
    z_after[1, 0] += 0.7
    actual = cost_from_layer(net, 3, z_after, t.y) - cost_from_layer(net, 3, np.array(t.z[3]), t.y)
    predicted = t.delta[3][1, 0] * 0.7

    n = numbers(panel.readout.filled())
    assert_shown(n["delta"], t.delta[3][1, 0], 6)
    assert_shown(n["predicted"], predicted, 6)
    assert n["actual"][0] == pytest.approx(actual, rel=1e-9)
    assert n["actual"][1] == pytest.approx(actual, rel=1e-5)
    assert n["difference"][0] == pytest.approx(actual - predicted, rel=1e-8, abs=1e-14)
    assert n["ratio"][0] == pytest.approx(actual / predicted, rel=1e-8)
    assert n["dz"][0] == 0.7
    # labelled with the book's names
    assert "δ<sup>3</sup><sub>2</sub>" in panel.readout.filled()
    assert "z<sup>3</sup><sub>2</sub>" in panel.readout.filled()


def test_how_the_change_travels_lists_delta_a_of_each_later_layer():
    state, panel = make()
    state.select_neuron(2, 4)
    panel.dz_slider.value = -1.3
    net = twin(state)
    t = net.trace(state.x, state.y)
    a = net.activation(2)(t.z[2] + np.eye(6)[:, [4]] * -1.3)
    expected = {2: a - t.a[2]}
    for l in (3, 4):
        a = net.activation(l)(net.weights[l] @ a + net.biases[l])
        expected[l] = a - t.a[l]
    v = vectors(panel.readout.filled())
    assert sorted(v) == ["da2", "da3", "da4"]
    for l, exp in expected.items():
        exact, texts = v[f"da{l}"]
        np.testing.assert_allclose(exact, exp[:, 0], rtol=1e-12, atol=1e-15)
        shown = [read_number(s) for s in texts]
        np.testing.assert_allclose(shown, exp[:, 0], rtol=6e-3, atol=1e-12)
    # only neuron 5 of layer 2 is moved by the demon
    assert np.count_nonzero(v["da2"][0]) == 1 and v["da2"][0][4] != 0


def test_slider_and_state_are_bound_both_ways():
    state, panel = make()
    panel.dz_slider.value = 2.25
    assert state.dz == 2.25
    state.dz = -1.25
    assert panel.dz_slider.value == -1.25
    assert numbers(panel.readout.filled())["dz"][0] == -1.25
    assert state.demon.dz == -1.25
    assert (panel.dz_slider.min, panel.dz_slider.max, panel.dz_slider.step) == (-5, 5, 0.05)  # 200 presses end to end, not 1000
    assert panel.dz_slider.continuous_update


def test_dropdowns_use_book_labels_and_follow_the_selection():
    state, panel = make()
    assert [label for label, _ in panel.layer_dropdown.options] == ["l = 2", "l = 3", "l = 4"]
    state.select_neuron(2, 4)
    assert panel.layer_dropdown.value == 2 and panel.neuron_dropdown.value == 4
    assert [label for label, _ in panel.neuron_dropdown.options] == [f"j = {i}" for i in range(1, 7)]
    assert panel.neuron_dropdown.label == "j = 5"
    # changing the layer keeps j where it can, clamps it where the layer is smaller
    panel.layer_dropdown.value = 4
    assert state.selected_neuron == (4, 2)
    assert [label for label, _ in panel.neuron_dropdown.options] == ["j = 1", "j = 2", "j = 3"]
    # a selected weight: the demon sits at the neuron it feeds
    state.select_weight(3, 1, 5)
    assert (panel.layer_dropdown.value, panel.neuron_dropdown.value) == (3, 1)
    assert state.demon.layer == 3 and state.demon.neuron == 1


def test_dropdowns_rebuild_when_the_network_changes_shape():
    state, panel = make()
    state.set_network(Network([2, 5, 2], seed=1), x=[0.1, 0.2], y=[1, 0])
    assert [label for label, _ in panel.layer_dropdown.options] == ["l = 2", "l = 3"]
    panel.layer_dropdown.value = 2
    assert len(panel.neuron_dropdown.options) == 5


# ---------------------------------------------------------------------- figure data
def test_curve_is_the_demons_actual_change_and_the_tangent_has_slope_delta():
    state, panel = make()
    state.select_neuron(3, 2)
    panel.dz_slider.value = 1.1
    net = twin(state)
    t = net.trace(state.x, state.y)
    xs, ys = panel.plot.values("curve", "x"), panel.plot.values("curve", "y")
    assert len(xs) == N_CURVE and xs[0] == -DZ_RANGE and xs[-1] == DZ_RANGE
    # what was sent is float32 (the browser draws with it); panel.curve holds float64
    np.testing.assert_allclose(ys, panel.curve, rtol=1e-6, atol=1e-12)
    xs, ys = np.linspace(-DZ_RANGE, DZ_RANGE, N_CURVE), panel.curve
    for i in (0, 17, N_CURVE // 2, 80, N_CURVE - 1):
        expected = net.demon(state.x, state.y, 3, 2, float(xs[i])).actual
        assert ys[i] == pytest.approx(expected, rel=1e-10, abs=1e-15)
    # and by hand for one point
    z = np.array(t.z[3])
    z[2, 0] += xs[80]
    by_hand = cost_from_layer(net, 3, z, t.y) - t.cost
    assert ys[80] == pytest.approx(by_hand, rel=1e-9)
    assert ys[N_CURVE // 2] == pytest.approx(0.0, abs=1e-15)  # Δz = 0 (up to summation order)

    (x0, x1), (y0, y1) = panel.plot.values("tangent", "x"), panel.plot.values("tangent", "y")
    assert (y1 - y0) / (x1 - x0) == pytest.approx(t.delta[3][2, 0], rel=1e-6)
    assert y0 == pytest.approx(t.delta[3][2, 0] * x0, rel=1e-6)  # through the origin

    (px,), (py,) = panel.plot.values("point", "x"), panel.plot.values("point", "y")
    assert px == pytest.approx(1.1, rel=1e-7)
    assert py == pytest.approx(net.demon(state.x, state.y, 3, 2, 1.1).actual, rel=1e-6)
    gx, gy = panel.plot.values("gap", "x"), panel.plot.values("gap", "y")
    np.testing.assert_allclose(gx, [1.1, 1.1], rtol=1e-7)
    assert gy[0] == pytest.approx(t.delta[3][2, 0] * 1.1, rel=1e-6) and gy[1] == py


def test_the_axis_holds_the_whole_curve():
    state, panel = make()
    for sel in [(2, 0), (3, 5), (4, 0), (4, 2)]:
        state.select_neuron(*sel)
        lo, hi = panel.plot.values("@demon", "ylim")
        ys = panel.plot.values("curve", "y")
        assert (lo, hi) == panel.ylim
        assert lo <= np.nanmin(ys) and np.nanmax(ys) <= hi
        assert lo < 0 < hi


def test_y_limits_stay_put_for_small_changes_and_sit_on_nice_numbers():
    rng = np.random.default_rng(0)
    curve = np.tanh(np.linspace(-5, 5, 101)) * 0.17
    lo, hi = y_limits(curve, 1e-3)
    assert lo <= curve.min() and curve.max() <= hi
    for _ in range(50):
        assert y_limits(curve * (1 + rng.uniform(-0.02, 0.02)), 1e-3) == (lo, hi)
    assert y_limits(curve * 3, 1e-3) != (lo, hi)
    assert nice_ceil(0.17 * 1.08) == pytest.approx(0.2)
    assert nice_ceil(0.0031) == pytest.approx(0.004)
    # a flat curve is not magnified: the floor keeps it flat-looking
    assert y_limits(np.zeros(11), 0.01) == (-0.01, 0.01)


def test_a_slider_drag_sends_the_point_only_and_never_recomputes_the_curve(monkeypatch):
    state, panel = make()
    curves = []
    real_curve = Network.demon_curve
    monkeypatch.setattr(Network, "demon_curve", lambda *a, **k: curves.append(1) or real_curve(*a, **k))
    sent = []  # what goes over the wire: the custom messages of the plot's comm
    send = panel.plot.comm.send
    panel.plot.comm.send = lambda data=None, buffers=None, **kw: (sent.append((data, buffers)), send(data=data, buffers=buffers, **kw))
    for value in np.linspace(-2, 2, 9):
        panel.dz_slider.value = float(value)
    assert curves == [] and len(sent) == 9  # one message per move
    for data, buffers in sent:  # each carries the new point and gap, not the curve again
        assert set(data["content"]["marks"]) == {"point", "gap"}
        assert sum(memoryview(b).nbytes for b in buffers) == 4 * (1 + 1 + 2 + 2)  # float32 x, y
    assert np.frombuffer(sent[-1][1][0], np.float32).tolist() == pytest.approx([2.0])
    state.set_weight(4, 0, 1, state.network.weights[4][0, 1] + 1e-4)  # the trace changes a little
    assert curves == [1]
    state.select_neuron(4, 0)
    labels = [item["text"] for item in panel.plot.values("labels", "items")]
    assert labels[0] == "The demon at z^4_1"


# ---------------------------------------------------------------------- weight nudge
def test_weight_nudge_row_shows_eq_47_against_the_actual_change():
    state, panel = make()
    assert panel.weight_box.layout.display == "none"
    state.select_weight(3, 1, 4)
    assert panel.weight_box.layout.display != "none"
    panel.dw_slider.value = 0.8
    assert state.dw == 0.8

    net = twin(state)
    t = net.trace(state.x, state.y)
    before = net.cost_of(state.x, state.y)
    net.weights[3][1, 4] += 0.8
    actual = net.cost_of(state.x, state.y) - before
    predicted = t.nabla_w[3][1, 4] * 0.8

    n = numbers(panel.weight_readout.filled())
    assert_shown(n["dC_dw"], t.nabla_w[3][1, 4], 6)
    assert_shown(n["w_predicted"], predicted, 6)
    assert n["w_actual"][0] == pytest.approx(actual, rel=1e-9)
    assert n["w_difference"][0] == pytest.approx(actual - predicted, rel=1e-7, abs=1e-14)
    assert "w<sup>3</sup><sub>25</sub>" in panel.weight_readout.filled()
    state.dw = -0.3
    assert panel.dw_slider.value == -0.3
    state.select_neuron(3, 1)
    assert panel.weight_box.layout.display == "none"


# ---------------------------------------------------------------------- the figure
def test_a_panel_updated_in_place_sends_what_a_fresh_panel_sends():
    state, panel = make()
    for value in (0.4, 1.9, -3.3):
        panel.dz_slider.value = value
    state.select_neuron(2, 3)
    for value in (-0.5, 2.7):
        panel.dz_slider.value = value
    state.set_weight(3, 0, 3, 1.5)
    state.set_input(0, -0.2)
    panel.dz_slider.value = 1.35
    fresh = DemonPanel(state)
    assert panel.plot.spec == fresh.plot.spec
    for mark in ("curve", "tangent", "point", "gap"):
        for field in ("x", "y"):
            np.testing.assert_array_equal(panel.plot.values(mark, field), fresh.plot.values(mark, field))
    assert panel.plot.values("@demon", "ylim") == fresh.plot.values("@demon", "ylim")
    assert panel.plot.values("labels", "items") == fresh.plot.values("labels", "items")
    # and the comparison can fail: another Δz moves the point (the fresh panel, closed, stays)
    fresh.close()
    before = fresh.plot.values("point", "x")[0]
    panel.dz_slider.value = 1.0
    assert panel.plot.values("point", "x")[0] != before


# ---------------------------------------------------------------------- divergence
def test_diverged_state_shows_the_message_and_recovers():
    state, panel = make(cost="cross_entropy")
    state.set_activation(4, "linear")  # outputs leave [0, 1]: the cross-entropy is undefined
    state.set_bias(4, 0, 40.0)
    assert state.diverged
    text = html.unescape(panel.readout.filled())
    assert "diverged" in text and not SPAN.findall(text)
    assert panel.plot.values("curve", "hidden") is True
    state.set_activation(4, "sigmoid")
    assert not state.diverged
    assert "predicted" in numbers(panel.readout.filled())
    assert panel.plot.values("curve", "hidden") is False


# ---------------------------------------------------------------------- what a change recomputes
def test_a_dz_or_a_click_keeps_the_trace_and_no_panel_writes_into_the_network(monkeypatch):
    from explorer.widgets.chapter.cost_assumptions import CostAssumptionsPanel
    from explorer.widgets.dashboard.diagram import NetworkDiagram
    from explorer.widgets.dashboard.equations import EquationsPanel
    from explorer.widgets.chapter.forward import ForwardPanel
    from explorer.widgets.chapter.paths import PathsPanel
    from explorer.widgets.chapter.proofs import ProofsPanel

    state, demon = make()
    panels = [demon, NetworkDiagram(state), EquationsPanel(state), ForwardPanel(state), PathsPanel(state),
              ProofsPanel(state), CostAssumptionsPanel(state)]
    net = state.network
    before = [net.weights[l].tobytes() + net.biases[l].tobytes() for l in net.layers]
    for l in net.layers:  # a write into the shared network during any refresh would raise
        net.weights[l].flags.writeable = False
        net.biases[l].flags.writeable = False
    traces = []
    real_trace = Network.trace
    monkeypatch.setattr(Network, "trace", lambda *a, **k: traces.append(1) or real_trace(*a, **k))
    trace, revision = state.trace, state.trace_revision
    for value in (0.5, -1.0, 2.0):
        demon.dz_slider.value = value
    assert traces == [] and state.trace is trace and state.trace_revision == revision
    state.select_weight(3, 2, 1)
    state.select_neuron(2, 4)
    assert state.trace is trace and state.trace_revision == revision
    assert [net.weights[l].tobytes() + net.biases[l].tobytes() for l in net.layers] == before
    equations, proofs, assumptions = panels[2], panels[5], panels[6]
    # the finite-difference checks were made (on the trace's copies) and hold
    assert equations.checks and all(check[2] for check in equations.checks.values())
    assert all(check.ok for check in proofs.checks) and assumptions.agrees
    for l in net.layers:
        net.weights[l].flags.writeable = True
    state.set_weight(3, 0, 0, 0.25)  # a parameter: one new trace, one new trace_revision
    assert state.trace is not trace and state.trace_revision == revision + 1
    assert state.trace.weights[3][0, 0] == 0.25
    assert [p.state is state for p in panels] == [True] * len(panels)
