"""The paths panel driven as a student would; every product and sum checked independently."""

import copy
import itertools
import math
import re

import numpy as np
import pytest

from explorer import Network
from explorer.widgets.chapter.paths import PATH_LIMIT, PathsPanel, growth_row
from explorer.widgets.state import ExplorerState

from helpers import numeric_gradient, read_number, sigma

X = np.array([0.3, -0.7, 0.5])
Y = np.array([1.0, 0.0])
NUM = re.compile(r'<span class="num" data-q="(\w+)" data-value="([^"]*)">')


def make(sizes=(3, 4, 3, 2), seed=5, cost="quadratic", x=X, y=Y, **kw):
    state = ExplorerState(Network(list(sizes), seed=seed, cost=cost), x, y)
    return state, PathsPanel(state, **kw)


def numbers(markup):
    """{name: [values…]} of the number spans in the panel's HTML."""
    out = {}
    for name, value in NUM.findall(markup):
        out.setdefault(name, []).append(float(value))
    return out


def hand_forward(net, x, y):
    w = {l: np.array(net.weights[l]) for l in net.layers}
    b = {l: np.array(net.biases[l])[:, 0] for l in net.layers}
    a, z = {1: np.asarray(x, float)}, {}
    for l in net.layers:
        z[l] = w[l] @ a[l - 1] + b[l]
        a[l] = sigma(z[l])
    sp = {l: sigma(z[l]) * (1 - sigma(z[l])) for l in z}
    return w, a, sp


def hand_factors(net, x, y, layer, j, k, neurons, variables):
    """The rates along one path, written from eq. 51 (a) or from eq. 40–45 and BP1 (z), quadratic cost."""
    w, a, sp = hand_forward(net, x, y)
    L, m = net.L, neurons[-1]
    if variables == "a":
        out = [sp[layer][j] * a[layer - 1][k]]
        out += [sp[r][q] * w[r][q, p] for r, (p, q) in enumerate(zip(neurons, neurons[1:]), start=layer + 1)]
        out.append(a[L][m] - y[m])
    else:
        out = [a[layer - 1][k]]
        out += [w[r][q, p] * sp[r - 1][p] for r, (p, q) in enumerate(zip(neurons, neurons[1:]), start=layer + 1)]
        out.append((a[L][m] - y[m]) * sp[L][m])
    return out


def all_paths(sizes, layer, j):
    """Every path from neuron j of layer l to C, by brute force over the later layers."""
    return [(j, *rest) for rest in itertools.product(*(range(n) for n in sizes[layer:]))]


# ---------------------------------------------------------------------- the paths
@pytest.mark.parametrize("variables", ["a", "z"])
def test_every_listed_path_is_the_product_of_its_factors(variables):
    state, panel = make()
    panel.variables.value = variables
    state.select_weight(2, 2, 1)
    net = copy.deepcopy(state.network)
    expected_paths = all_paths(net.sizes, 2, 2)
    assert len(panel.path_select.options) == len(expected_paths) == 3 * 2  # n_3 × n_4
    assert [p.neurons for p in panel.result.paths] == expected_paths
    for i, (label, value) in enumerate(panel.path_select.options):
        assert value == i
        path = panel.result.paths[i]
        factors = hand_factors(net, X, Y, 2, 2, 1, path.neurons, variables)
        np.testing.assert_allclose(path.factors, factors, rtol=1e-12)
        assert path.product == pytest.approx(math.prod(factors), rel=1e-12)
        # the option names the path in the book's terms and ends with its rounded product
        names = [f"{variables}{'²³⁴'[s]}{'₁₂₃₄'[n]}" for s, n in enumerate(path.neurons)]
        assert label.split(":")[0].split()[1:] == ["w²₃₂", "→", *" → ".join(names).split(), "→", "C"]
        shown = read_number(label.rsplit("= ", 1)[1])
        assert shown == pytest.approx(math.prod(factors), rel=1e-3)
        # the chosen path's detail lists the same factors and product
        panel.path_select.value = i
        detail = numbers(panel.detail.value)
        np.testing.assert_allclose(detail["factor"], factors, rtol=1e-12)
        assert detail["product"] == [pytest.approx(math.prod(factors), rel=1e-12)]


def test_the_factors_carry_the_books_names():
    state, panel = make()
    state.select_weight(2, 0, 1)
    panel.path_select.value = 5  # neurons (0, 2, 1): a^2_1 → a^3_3 → a^4_2
    text = panel.detail.value
    assert "∂a<sup>3</sup><sub>3</sub>/∂a<sup>2</sup><sub>1</sub>" in text
    assert "σ′(z<sup>3</sup><sub>3</sub>) w<sup>3</sup><sub>31</sub>" in text
    assert "∂a<sup>2</sup><sub>1</sub>/∂w<sup>2</sup><sub>12</sub>" in text
    assert "∂C/∂a<sup>4</sup><sub>2</sub>" in text
    panel.variables.value = "z"
    panel.path_select.value = 5
    text = panel.detail.value
    assert "∂z<sup>3</sup><sub>3</sub>/∂z<sup>2</sup><sub>1</sub>" in text
    assert "w<sup>3</sup><sub>31</sub> σ′(z<sup>2</sup><sub>1</sub>)" in text


@pytest.mark.parametrize("cost", ["quadratic", "cross_entropy"])
@pytest.mark.parametrize("weight", [(2, 0, 0), (2, 3, 2), (3, 1, 3), (4, 1, 2)])
def test_the_sum_equals_backprop_and_finite_differences_with_either_variables(cost, weight):
    state, panel = make(cost=cost)
    state.select_weight(*weight)
    net = copy.deepcopy(state.network)
    l, j, k = weight
    backprop = net.trace(X, Y).nabla_w[l][j, k]
    fd = numeric_gradient(net, X, Y, {l: net.weights[l]})[l][j, k]
    sums = {}
    for variables in ("a", "z"):
        panel.variables.value = variables
        n = numbers(panel.summary.value)
        sums[variables] = n["sum"][0]
        assert n["sum"][0] == pytest.approx(backprop, rel=1e-12, abs=1e-17)
        assert n["trace"][0] == backprop
        assert n["sum"][0] == pytest.approx(fd, rel=1e-6, abs=1e-10)
        assert n["fd"][0] == pytest.approx(fd, rel=1e-5, abs=1e-10)
        # the running sum ends on the trace's value, drawn as the dashed line
        # what the browser was sent (float32): the running sum ends on the trace's value, drawn
        # as the dashed line, and its steps are the products of the paths
        xs, ys = panel.plot.values("running", "x"), panel.plot.values("running", "y")
        assert list(xs) == list(range(1, math.prod(net.sizes[l:]) + 1))
        assert ys[-1] == pytest.approx(backprop, rel=1e-6, abs=1e-9)
        assert panel.plot.values("target", "y")[0] == pytest.approx(backprop, rel=1e-6, abs=1e-12)
        stems = panel.plot.values("stems", "y").astype(float)
        assert np.diff(ys.astype(float), prepend=0.0) == pytest.approx(stems, rel=1e-4, abs=1e-7)
    assert sums["a"] == pytest.approx(sums["z"], rel=1e-12, abs=1e-18)


def test_both_variable_choices_have_the_same_products_and_the_z_tail_is_delta():
    state, panel = make()
    state.select_weight(2, 1, 0)
    a_products = [p.product for p in panel.result.paths]
    a_first = panel.result.paths[0].factors
    panel.variables.value = "z"
    z_products = [p.product for p in panel.result.paths]
    np.testing.assert_allclose(z_products, a_products, rtol=1e-12)
    assert panel.result.paths[0].factors[0] != pytest.approx(a_first[0])
    # the paths from z^2_2 on sum to δ^2_2 (the panel says so with numbers)
    t = copy.deepcopy(state.network).trace(X, Y)
    n = numbers(panel.detail.value)
    assert n["tail"][0] == pytest.approx(t.delta[2][1, 0], rel=1e-12)
    assert n["delta"][0] == t.delta[2][1, 0]


# ---------------------------------------------------------------------- selection and highlight
def test_selection_changes_update_the_list_both_ways():
    state, panel = make()
    assert panel.weight == (2, 0, 0) and len(panel.path_select.options) == 6
    state.select_weight(3, 1, 2)  # e.g. a click on the diagram
    assert (panel.layer_dropdown.value, panel.j_dropdown.value, panel.k_dropdown.value) == (3, 1, 2)
    assert len(panel.path_select.options) == 2
    assert all(o.split()[1] == "w³₂₃" for o, _ in panel.path_select.options)
    assert panel.result.layer == 3 and (panel.result.j, panel.result.k) == (1, 2)
    panel.layer_dropdown.value = 4  # the dropdowns select the weight in the state
    assert state.selection == {"kind": "weight", "layer": 4, "j": 1, "k": 2}
    assert len(panel.path_select.options) == 1
    panel.k_dropdown.value = 0
    assert state.selection["k"] == 0 and panel.result.k == 0
    state.select_neuron(2, 1)  # a neuron is no weight: keep listing the last one
    assert panel.weight == (4, 1, 0)


def test_clicking_a_path_highlights_its_edges_and_its_point():
    state, panel = make()
    state.select_weight(2, 2, 0)
    panel.path_select.value = 4  # path 5: neurons (2, 2, 0)
    path = panel.result.paths[4]
    assert path.neurons == (2, 2, 0)
    # the diagram marks the weight w^2_31 and the path's neurons and weights, nothing else
    marks = {(m["kind"], m["l"], m["j"], m.get("k")) for m in panel.diagram.marks}
    assert marks == {("weight", 2, 2, 0), ("neuron", 2, 2, None), ("weight", 3, 2, 2), ("neuron", 3, 2, None),
                     ("weight", 4, 0, 2), ("neuron", 4, 0, None)}
    assert panel.diagram.view.marks_caption == "red: w²₃₁ and path 5 of 6 to C"
    products = [p.product for p in panel.result.paths]
    mx, my = panel.plot.values("marker", "x"), panel.plot.values("marker", "y")
    assert list(mx) == [5] and my[0] == pytest.approx(math.fsum(products[:5]), rel=1e-6)
    assert "Path 5 of 6" in panel.detail.value


def test_a_changed_parameter_recomputes_the_paths():
    state, panel = make()
    state.select_weight(3, 0, 1)
    state.set_weight(4, 1, 0, 3.0)
    net = copy.deepcopy(state.network)
    n = numbers(panel.summary.value)
    assert n["sum"][0] == pytest.approx(net.trace(X, Y).nabla_w[3][0, 1], rel=1e-12)
    factors = hand_factors(net, X, Y, 3, 0, 1, (0, 1), "a")
    assert panel.result.paths[1].product == pytest.approx(math.prod(factors), rel=1e-12)


def test_big_networks_are_refused_with_the_count():
    x = np.linspace(-1, 1, 4)
    state, panel = make(sizes=(4, 30, 30, 30, 2), seed=0, x=x, y=[1.0, 0.0])
    assert panel.weight == (2, 0, 0)
    assert 30 * 30 * 2 > PATH_LIMIT
    assert panel.result is None and "1,800 paths" in panel.refused
    assert panel.path_select.options == ()
    assert "1,800" in panel.summary.value and "more than this panel lists" in panel.summary.value
    n = numbers(panel.summary.value)
    assert n["trace"][0] == copy.deepcopy(state.network).trace(x, [1.0, 0.0]).nabla_w[2][0, 0]
    assert "too many" in panel.plot.values("note", "items")[0]["text"]
    assert [(m["kind"], m["l"], m["j"], m["k"]) for m in panel.diagram.marks] == [("weight", 2, 0, 0)]
    state.select_weight(4, 1, 7)  # 2 paths: listed again
    assert panel.result is not None and len(panel.path_select.options) == 2
    assert panel.plot.values("note", "items") == []
    state.select_weight(3, 0, 0)  # 60 paths
    assert len(panel.path_select.options) == 60


# ---------------------------------------------------------------------- growth
def brute_force_paths(sizes, layer):
    """Count the paths from one weight of layer l by walking the graph layer by layer."""
    ways = {0: 1}  # from neuron j = 0 of layer l
    for n in sizes[layer:]:
        ways = {q: sum(ways.values()) for q in range(n)}
    return sum(ways.values())


def test_the_growth_table_counts_are_products_of_the_widths():
    state, panel = make()
    rows = re.findall(r'data-sizes="([\d,]+)" data-paths-one="(\d+)" data-paths-all="(\d+)" '
                      r'data-weights="(\d+)" data-work="(\d+)"', panel.growth.value)
    assert len(rows) >= 6
    assert rows[0][0] == "3,4,3,2"  # the current network first
    depths = set()
    for sizes_text, one, every, weights, work in rows:
        sizes = tuple(int(s) for s in sizes_text.split(","))
        depths.add(len(sizes))
        assert int(one) == math.prod(sizes[2:])
        if math.prod(sizes[2:]) < 10_000:
            assert int(one) == brute_force_paths(sizes, 2)
        assert int(weights) == sum(a * b for a, b in zip(sizes[1:], sizes[:-1]))
        assert int(every) == sum(sizes[l - 1] * sizes[l - 2] * math.prod(sizes[l:]) for l in range(2, len(sizes) + 1))
        # backprop: one multiply-add per weight forward, and BP2 + BP4 backward
        assert int(weights) < int(work) < 3 * int(weights)
    assert len(depths) >= 3  # depth varies, and so does width
    deep = growth_row((784, 30, 30, 30, 30, 10))
    assert deep.paths_one == 30**3 * 10 and deep.paths_one > deep.weights


def test_a_refresh_never_writes_into_the_network_and_a_dz_recomputes_nothing():
    state, panel = make()
    net = state.network
    before = [net.weights[l].tobytes() + net.biases[l].tobytes() for l in net.layers]
    for l in net.layers:  # any write during a refresh would now raise
        net.weights[l].flags.writeable = False
        net.biases[l].flags.writeable = False
    state.select_weight(3, 1, 2)
    result = panel.result
    state.dz = 0.4  # the demon moves; the paths of w^3_23 do not
    state.select_neuron(2, 0)  # a neuron is no weight: the listed weight stays
    assert panel.result is result
    assert [net.weights[l].tobytes() + net.biases[l].tobytes() for l in net.layers] == before


def test_a_click_on_the_diagram_lists_that_weights_paths_and_the_dropdowns_push_nothing_back():
    state, panel = make()
    revisions = []
    state.observe(lambda c: revisions.append(c["new"]), names="revision")
    panel.diagram.view.selection = {"kind": "weight", "layer": 3, "j": 1, "k": 0}  # what a click sends
    assert state.selection == {"kind": "weight", "layer": 3, "j": 1, "k": 0} and len(revisions) == 1
    assert panel.weight == (3, 1, 0) and panel.result.n_paths == 2
    assert (panel.layer_dropdown.value, panel.j_dropdown.value, panel.k_dropdown.value) == (3, 1, 0)
    assert panel.controls.children[:3] == (panel.layer_dropdown, panel.j_dropdown, panel.k_dropdown)
    panel.close()
    assert panel.diagram.view.comm is None and panel.plot.comm is None
