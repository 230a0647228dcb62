"""The network diagram's JSON: book labels, the core's numbers, colours, selection both ways."""

import pathlib
import re
import shutil
import subprocess

import numpy as np
import pytest

from explorer.core import Network
from explorer.core.data import load_mnist, load_mnist_raw
from explorer.widgets.dashboard.diagram import NetworkDiagram, scale_colors
from explorer.widgets.state import ExplorerState

from helpers import book_plain, numeric_dC_dz, read_number

ORANGE_END, BLUE_END, WHITE = "#b35806", "#2166ac", "#ffffff"
PURPLE_END = "#3f007d"


def rgb(color):
    return tuple(int(color[i : i + 2], 16) for i in (1, 3, 5))


def number_after(label, name):
    """The number printed after 'name = ' in a label, read back by hand (helpers.read_number)."""
    match = re.search(re.escape(name) + r" = ([−\-0-9.×⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+)", label)
    assert match, f"{name!r} not in {label!r}"
    return read_number(match.group(1))


@pytest.fixture
def setup():
    net = Network([4, 6, 6, 3], seed=1)
    x = np.array([[0.2], [0.0], [0.9], [0.4]])  # x_2 = 0 makes ∂C/∂w^2_j2 = δ^2_j · 0 = 0
    y = np.array([[1.0], [0.0], [0.0]])
    state = ExplorerState(net, x, y)
    return net, x, y, state, NetworkDiagram(state)


def node(data, l, j):
    found = [n for n in data["nodes"] if n["l"] == l and n["j"] == j]
    assert len(found) == 1
    return found[0]


def edge(data, l, j, k):
    found = [e for e in data["edges"] if (e["l"], e["j"], e["k"]) == (l, j, k)]
    assert len(found) == 1
    return found[0]


def test_one_node_per_neuron_with_book_labels(setup):
    net, x, y, state, diagram = setup
    data = diagram.scene()
    assert sorted((n["l"], n["j"]) for n in data["nodes"]) == [
        (l, j) for l in range(1, 5) for j in range(net.sizes[l - 1])
    ]
    label = node(data, 3, 1)["label"]
    assert label.startswith("neuron 2 of layer 3:")
    for name in ("z³₂", "a³₂", "σ′(z³₂)", "δ³₂", "b³₂"):
        assert name in label
    assert [ly["label"] for ly in data["layers"]] == ["l = 1", "l = 2", "l = 3", "l = 4"]
    # the input layer's neurons are shown but cannot be selected as neurons
    assert [n["selectable"] for n in data["nodes"]] == [n["l"] >= 2 for n in data["nodes"]]


def test_node_values_are_the_cores(setup):
    net, x, y, state, diagram = setup
    trace = net.trace(x, y)  # independently of the state
    numeric_delta = {l: numeric_dC_dz(net, trace, l) for l in net.layers}  # eq. 29 by finite differences
    data = diagram.scene()
    for l in net.layers:
        for j in range(net.sizes[l - 1]):
            n = node(data, l, j)
            expected = {
                "z": trace.z[l][j, 0], "a": trace.a[l][j, 0], "sp": trace.sigma_prime[l][j, 0],
                "delta": numeric_delta[l][j, 0], "b": net.biases[l][j, 0],
            }
            for key, value in expected.items():
                assert n[key] == pytest.approx(value, rel=1e-3, abs=1e-7), (l, j, key)
            for name, value in [(book_plain("z", l, j + 1), expected["z"]), (book_plain("δ", l, j + 1), expected["delta"]),
                                (book_plain("b", l, j + 1), expected["b"])]:
                assert number_after(n["label"], name) == pytest.approx(value, rel=1e-3, abs=1e-7)
    assert node(data, 1, 2)["a"] == pytest.approx(0.9)
    assert data["cost"] == pytest.approx(0.5 * float(((trace.a[4] - y) ** 2).sum()), rel=1e-3)


def test_weight_tooltip_names_w_and_its_gradient(setup):
    net, x, y, state, diagram = setup
    diagram.view.edge_by = "nabla_w"
    label = edge(diagram.scene(), 3, 1, 3)["label"]
    assert "w³₂₄" in label and "∂C/∂w³₂₄" in label
    assert number_after(label, "w³₂₄") == pytest.approx(net.weights[3][1, 3], rel=1e-3)
    h, w0 = 1e-6, net.weights[3][1, 3]
    net.weights[3][1, 3] = w0 + h
    up = net.cost_of(x, y)
    net.weights[3][1, 3] = w0 - h
    down = net.cost_of(x, y)
    net.weights[3][1, 3] = w0
    assert number_after(label, "∂C/∂w³₂₄") == pytest.approx((up - down) / (2 * h), rel=1e-3)


def test_scale_ends_and_zero():
    fills, inks = scale_colors([0.0, 2.0, -2.0, 1.0, -1.0], 2.0, signed=True)
    assert fills[:3] == [WHITE, ORANGE_END, BLUE_END]
    # sign respected, and half the value is lighter than the full one
    r, g, b = rgb(fills[3])
    assert r > b and sum(rgb(fills[3])) > sum(rgb(ORANGE_END))
    r, g, b = rgb(fills[4])
    assert b > r and sum(rgb(fills[4])) > sum(rgb(BLUE_END))
    assert inks[0] == "#111111" and inks[1] == "#ffffff"  # dark text on white, white on dark orange
    seq, _ = scale_colors([0.0, 0.5, 1.0], 1.0, signed=False)
    assert seq[0] == WHITE and seq[2] == PURPLE_END


def luminance(color):
    """WCAG 2 relative luminance of an sRGB colour, written out by hand."""
    def linear(c):
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (linear(c) for c in rgb(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b):
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_signed_colours_are_readable_on_the_page_and_apart_for_colour_blind_eyes():
    fills, _ = scale_colors([-1.0, 1.0], 1.0, signed=True)
    assert fills == [BLUE_END, ORANGE_END]
    # by hand: #2166ac has L = 0.2126·0.0152 + 0.7152·0.1329 + 0.0722·0.4125 = 0.128, 1.05 / 0.178 = 5.9;
    # #b35806 has L = 0.2126·0.4508 + 0.7152·0.0976 + 0.0722·0.0018 = 0.166, 1.05 / 0.216 = 4.9
    assert contrast(BLUE_END, WHITE) == pytest.approx(5.9, abs=0.05)
    assert contrast(ORANGE_END, WHITE) == pytest.approx(4.86, abs=0.05)
    assert min(contrast(BLUE_END, WHITE), contrast(ORANGE_END, WHITE)) >= 3.0
    # No red against green any more: simulated deuteranopia and protanopia (Viénot, Brettel and
    # Mollon 1999, on linear RGB) keep blue bluish and orange yellowish, the two told apart.
    def linear(color):
        return np.array([((c / 255 + 0.055) / 1.055) ** 2.4 if c / 255 > 0.04045 else c / 255 / 12.92 for c in rgb(color)])
    deutan = np.array([[0.29275, 0.70725, 0.0], [0.29275, 0.70725, 0.0], [-0.02234, 0.02234, 1.0]])
    protan = np.array([[0.11238, 0.88762, 0.0], [0.11238, 0.88762, 0.0], [0.00401, -0.00401, 1.0]])
    for seen in (deutan, protan):
        blue, orange = seen @ linear(BLUE_END), seen @ linear(ORANGE_END)
        assert blue[2] > 2 * blue[0] and orange[0] > 10 * orange[2]


def test_the_sign_has_a_second_cue_dashed_negative_edges_and_neurons(setup):
    net, x, y, state, diagram = setup
    diagram.view.color_by = "delta"
    trace = net.trace(x, y)
    data = diagram.scene()
    edges = data["edges"]
    assert any(e["dashed"] for e in edges) and not all(e["dashed"] for e in edges)
    for e in edges:
        assert e["dashed"] == (net.weights[e["l"]][e["j"], e["k"]] < 0), e
    for n in data["nodes"]:
        if n["l"] >= 2:
            assert n["dashed"] == (trace.delta[n["l"]][n["j"], 0] < 0)
            assert n["text"] == "" or n["text"].startswith("−") == n["dashed"]  # and the minus sign
        else:
            assert not n["dashed"]  # an input has no δ
    diagram.view.edge_by = "nabla_w"
    for e in diagram.scene()["edges"]:
        assert e["dashed"] == (trace.nabla_w[e["l"]][e["j"], e["k"]] < 0)
    diagram.view.color_by = "a"  # never negative for the sigmoid: an unsigned scale, nothing dashed
    assert not any(n["dashed"] for n in diagram.scene()["nodes"])


def test_delta_colours_follow_sign_and_largest_magnitude(setup):
    net, x, y, state, diagram = setup
    diagram.view.color_by = "delta"  # as the toolbar's choice does
    trace = net.trace(x, y)
    data = diagram.scene()
    deltas = {(l, j): trace.delta[l][j, 0] for l in net.layers for j in range(net.sizes[l - 1])}
    biggest = max(abs(v) for v in deltas.values())
    for (l, j), d in deltas.items():
        n = node(data, l, j)
        assert n["value"] == pytest.approx(d, rel=1e-3, abs=1e-9)
        r, g, b = rgb(n["color"])
        if abs(d) == biggest:
            assert n["color"] == (ORANGE_END if d > 0 else BLUE_END)
        elif abs(d) > 0.02 * biggest:
            assert (r > b) == (d > 0)
    # input neurons have no δ: neutral grey
    assert len({*rgb(node(data, 1, 0)["color"])}) == 1
    legend = data["legend"]["nodes"]
    assert legend["title"] == "δ" and legend["signed"]
    assert float(legend["hi"].lstrip("+")) == pytest.approx(biggest, rel=1e-3)


def test_changing_color_by_recolours_by_that_quantity(setup):
    net, x, y, state, diagram = setup
    trace = net.trace(x, y)
    before = [n["color"] for n in diagram.scene()["nodes"]]
    for choice, source in [("z", trace.z), ("sigma_prime", trace.sigma_prime), ("a", trace.a)]:
        diagram.view.color_by = choice
        data = diagram.scene()
        assert data["color_by"] == choice
        values = {(l, j): source[l][j, 0] for l in net.layers for j in range(net.sizes[l - 1])}
        if choice == "a":  # the (non-negative) input is coloured too
            values.update({(1, j): x[j, 0] for j in range(4)})
        for (l, j), v in values.items():
            assert node(data, l, j)["value"] == pytest.approx(v, rel=1e-3, abs=1e-9)
        top = max(values, key=lambda key: abs(values[key]))
        if choice == "z":
            assert node(data, *top)["color"] == (ORANGE_END if values[top] > 0 else BLUE_END)
        else:  # σ' and a ≥ 0 here: sequential scale, the largest is the darkest end
            assert node(data, *top)["color"] == PURPLE_END
            lightest = min(values, key=lambda key: values[key])
            assert sum(rgb(node(data, *lightest)["color"])) > sum(rgb(PURPLE_END))
    assert [n["color"] for n in diagram.scene()["nodes"]] == before  # back to a: same colours


def test_edges_follow_w_or_gradient(setup):
    net, x, y, state, diagram = setup
    data = diagram.scene()
    weights = {(l, j, k): net.weights[l][j, k] for l in net.layers
               for j in range(net.sizes[l - 1]) for k in range(net.sizes[l - 2])}
    top = max(weights, key=lambda key: abs(weights[key]))
    assert edge(data, *top)["color"] == (ORANGE_END if weights[top] > 0 else BLUE_END)
    assert edge(data, *top)["width"] == max(e["width"] for e in data["edges"])
    diagram.view.edge_by = "nabla_w"
    data = diagram.scene()
    # ∂C/∂w^2_j2 = δ^2_j · x_2 = 0 (BP4): neutral grey and the thinnest width
    for j in range(6):
        e = edge(data, 2, j, 1)
        assert e["g"] == 0 and len(set(rgb(e["color"]))) == 1 and e["width"] == 1.0
    trace = net.trace(x, y)
    grads = {key: trace.nabla_w[key[0]][key[1], key[2]] for key in weights}
    for key, g in grads.items():
        assert edge(data, *key)["g"] == pytest.approx(g, rel=1e-3, abs=1e-12)
        assert edge(data, *key)["w"] == pytest.approx(weights[key], rel=1e-3)
    top = max(grads, key=lambda key: abs(grads[key]))
    assert edge(data, *top)["color"] == (ORANGE_END if grads[top] > 0 else BLUE_END)
    # widths grow with |∂C/∂w|
    order = sorted(grads, key=lambda key: abs(grads[key]))
    widths = [edge(data, *key)["width"] for key in order]
    assert widths == sorted(widths) and widths[-1] > widths[0]


def test_click_in_the_browser_selects_in_the_state(setup):
    net, x, y, state, diagram = setup
    diagram.view.selection = {"kind": "neuron", "layer": 2, "j": 4}  # what diagram.js sends
    assert state.selection == {"kind": "neuron", "layer": 2, "j": 4}
    assert node(diagram.scene(), 2, 4)["selected"]
    diagram.view.selection = {"kind": "weight", "layer": 4, "j": 2, "k": 5}
    assert state.selection == {"kind": "weight", "layer": 4, "j": 2, "k": 5}
    assert state.nudge is not None and (state.nudge.layer, state.nudge.j, state.nudge.k) == (4, 2, 5)
    # an input neuron is not selectable: the state keeps its selection and the view follows it
    diagram.view.selection = {"kind": "neuron", "layer": 1, "j": 0}
    assert state.selection == {"kind": "weight", "layer": 4, "j": 2, "k": 5}
    assert diagram.view.selection == state.selection


def test_selection_in_python_moves_the_highlight(setup):
    net, x, y, state, diagram = setup
    state.select_weight(3, 1, 3)
    data = diagram.scene()
    assert [(e["l"], e["j"], e["k"]) for e in data["edges"] if e["selected"]] == [(3, 1, 3)]
    assert not any(n["selected"] for n in data["nodes"])
    assert data["selection"] == diagram.view.selection == {"kind": "weight", "layer": 3, "j": 1, "k": 3}
    state.select_neuron(4, 0)
    data = diagram.scene()
    assert [(n["l"], n["j"]) for n in data["nodes"] if n["selected"]] == [(4, 0)]
    assert not any(e["selected"] for e in data["edges"])


def test_refresh_rebuilds_only_on_change_and_sends_once(setup):
    net, x, y, state, diagram = setup
    sent = []
    diagram.view.observe(sent.append, names="frame")
    builds = diagram.builds
    state.dz = 0.3  # the demon moves: nothing the diagram shows changes
    assert diagram.builds == builds and sent == []
    state.set_input(0, 0.7)
    assert diagram.builds == builds + 1 and len(sent) == 1
    assert node(diagram.scene(), 1, 0)["a"] == pytest.approx(0.7)
    diagram.refresh()
    assert diagram.builds == builds + 1


def test_mnist_input_is_one_image_of_784_ints():
    (X, Y), _ = load_mnist(3, 0, format="arrays")
    net = Network([784, 10, 10], seed=0)
    state = ExplorerState(net, X[:, :1], Y[:, :1])
    diagram = NetworkDiagram(state)
    image = diagram.view.image
    assert (image["width"], image["height"]) == (28, 28)
    assert list(image["pixels"]) == load_mnist_raw()[0][0].astype(int).tolist()  # the stored digit itself
    assert list(image["pixels"]) == np.rint(255 * X[:, 0]).astype(int).tolist()
    data = diagram.scene()
    assert data["input"] == "image" and data["layers"][0]["kind"] == "image"
    assert {n["l"] for n in data["nodes"]} == {2, 3} and len(data["nodes"]) == 20
    assert {e["l"] for e in data["edges"]} == {3} and len(data["edges"]) == 100
    sent = []
    diagram.view.observe(sent.append, names="image")
    state.set_weight(3, 0, 0, 0.5)  # same x: the image is not sent again
    assert sent == []
    state.set_example(X[:, 1:2], Y[:, 1:2])
    assert len(sent) == 1 and list(diagram.view.image["pixels"]) == load_mnist_raw()[0][1].astype(int).tolist()
    state.select_weight(2, 3, 300)  # a weight from a pixel: its neuron is still highlighted via selection
    assert diagram.view.selection == {"kind": "weight", "layer": 2, "j": 3, "k": 300}


def test_wide_input_is_a_bar():
    net = Network([30, 4, 2], activation="tanh", seed=0)
    x = np.linspace(-1, 1, 30)
    state = ExplorerState(net, x, np.array([0.0, 1.0]))
    data = NetworkDiagram(state).scene()
    assert data["input"] == "bar" and len(data["bar"]["colors"]) == 30
    assert data["bar"]["colors"][0] == BLUE_END and data["bar"]["colors"][-1] == ORANGE_END
    assert number_after(data["bar"]["labels"][29], "x₃₀") == pytest.approx(1.0)
    assert {n["l"] for n in data["nodes"]} == {2, 3} and {e["l"] for e in data["edges"]} == {3}
    # tanh: a is signed here, so its scale is the diverging one
    assert data["legend"]["nodes"]["signed"]


def test_diverged_state_is_shown(setup):
    net, x, y, state, diagram = setup
    with state.hold():
        for k in range(4):
            state.set_weight(2, 0, k, 1e308)
    assert state.diverged
    data = diagram.scene()
    assert data["diverged"] == state.diverged and data["diverged"].startswith("diverged")
    assert data["cost_text"] == "C = ?"
    with state.hold():
        for k in range(4):
            state.set_weight(2, 0, k, 0.1)
    assert diagram.scene()["diverged"] == "" and diagram.scene()["cost"] == pytest.approx(
        net.cost_of(x, y), rel=1e-3
    )


def test_javascript_parses(tmp_path):
    """Every ES module of the drawing layer is valid JavaScript (node --check)."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    from importlib.resources import files

    modules = [f for f in files("explorer.widgets.drawing").iterdir() if f.name.endswith(".js")]
    assert any(f.name == "diagram.js" for f in modules)
    for source in modules:
        module = tmp_path / (source.name[:-3] + ".mjs")
        module.write_text(source.read_text(encoding="utf-8"))
        result = subprocess.run([node, "--check", str(module)], capture_output=True, text=True)
        assert result.returncode == 0, f"{source.name}: {result.stderr}"
