"""The diagram in a real browser, from the structure and frame Python sends: its colours are
the frame's bytes, and its tooltips, written in JavaScript from the frame's numbers, say exactly
what ``NetworkDiagram.scene()`` says in Python (the same number format, ties included)."""

from __future__ import annotations

import math
from importlib.resources import files

import numpy as np
import pytest

from explorer.core import Network
from explorer.widgets.dashboard.diagram import NetworkDiagram
from explorer.widgets.markup import number
from explorer.widgets.state import ExplorerState

from harness import change, mount, wire

# Values where a formatter goes wrong: exact ties at the 4th digit (Python keeps an even digit,
# JavaScript's toPrecision rounds up), powers of ten at the switch to exponents, −0, tiny, huge.
AWKWARD = [0.0, -0.0, 1.0, -1.0, 0.125, 1.03125, 1.04375, 2.0625, 12345.0, 12355.0, 99995.0, 9999.5,
           0.00012345, 0.0001, 0.00009999, 1e-5, -2.5e-7, 1234.0, 1234.5, 1235.5, 0.1 + 0.2, 1 / 3,
           -2 / 3, 123456789.0, 1e21, 1e-300, 5e-324, 1.7976931348623157e308, 0.5, 0.05, 0.0005,
           6.02214076e23, -1.5, 2.5, 100.0, 1000.0, 10000.0, 0.001, 0.01, float("nan"), float("inf"),
           float("-inf")]


def load_module(page):
    source = files("explorer.widgets.drawing").joinpath("diagram.js").read_text(encoding="utf-8")
    if page.url == "about:blank":
        page.set_content("<!doctype html><html><body></body></html>")
    page.evaluate("""async (source) => {
        const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
        window.diagramModule = await import(url);
    }""", source)


def test_numbers_are_written_as_python_writes_them(page):
    load_module(page)
    rng = np.random.default_rng(0)
    values = AWKWARD + [float(v) for v in rng.standard_normal(300) * 10.0 ** rng.integers(-8, 9, 300)]
    # many exact ties: k/2^n with a 5th significant digit 5
    values += [k / 2 ** 5 for k in range(1, 400)] + [k * 5.0 for k in range(2001, 2400, 2)]
    shown = page.evaluate("(vs) => vs.map((v) => window.diagramModule.number(v))",
                          [v if math.isfinite(v) else None for v in values])
    expected = [number(v) for v in values]
    wrong = [(v, s, e) for v, s, e in zip(values, shown, expected) if s != e]
    assert not wrong, wrong[:10]


@pytest.fixture
def diagram():
    net = Network([4, 6, 6, 3], seed=1)
    net.weights[3][1, 3] = 0.125      # a tie at the 4th digit would be 0.1250: shown 0.125
    net.weights[3][0, 0] = -1.03125   # an exact tie: Python shows −1.031
    net.weights[4][2, 5] = -0.0
    net.biases[2][0, 0] = 2.5e-7
    state = ExplorerState(net, np.array([0.2, 0.0, 0.9, 0.4]), np.array([1.0, 0.0, 0.0]))
    return NetworkDiagram(state, edge_by="nabla_w")


def mount_diagram(page, d):
    v = d.view
    mount(page, "net", "diagram.js", wire({"structure": v.structure, "frame": v.frame, "image": v.image,
                                           "selection": v.selection, "marks": v.marks, "marks_caption": "",
                                           "color_by": v.color_by, "edge_by": v.edge_by}))


def tooltips(page, kind):
    """Hover every element of one kind and read the tooltip, as a mouse would show it."""
    return page.evaluate("""(kind) => {
        const root = document.getElementById("net");
        const tip = root.querySelector(".bpx-tip");
        return [...root.querySelectorAll(`svg [data-kind="${kind}"]`)].map((target) => {
            const box = target.getBoundingClientRect();
            target.dispatchEvent(new MouseEvent("mousemove", {
                bubbles: true, clientX: box.x + box.width / 2, clientY: box.y + box.height / 2 }));
            return [+target.getAttribute("data-i"), tip.textContent];
        });
    }""", kind)


def test_tooltips_and_colours_are_the_scenes(page, diagram):
    mount_diagram(page, diagram)
    scene = diagram.scene()
    nodes = tooltips(page, "node")
    assert len(nodes) == len(scene["nodes"]) == 19
    for i, text in nodes:
        assert text == scene["nodes"][i]["label"]
    edges = tooltips(page, "edge")
    assert len(edges) == len(scene["edges"]) == 78
    for i, text in edges:
        assert text == scene["edges"][i]["label"]
    # the awkward weights read as Python writes them
    labels = {(e["l"], e["j"], e["k"]): e["label"] for e in scene["edges"]}
    assert labels[(3, 1, 3)].startswith("w³₂₄ = 0.125 · ∂C/∂w³₂₄ = ")
    assert labels[(3, 0, 0)].startswith("w³₁₁ = −1.031 · ")
    assert labels[(4, 2, 5)].startswith("w⁴₃₆ = 0 · ")
    drawn = page.evaluate("""() => {
        const root = document.getElementById("net");
        return {
          fills: [...root.querySelectorAll('[data-kind="node"] circle')].map((c) => c.getAttribute("fill")),
          strokes: [...root.querySelectorAll('[data-role="edges"] line')].map((l) => [
            l.getAttribute("stroke"), +l.getAttribute("stroke-width")]),
          dashes: [...root.querySelectorAll('[data-role="edges"] line')].map((l) =>
            getComputedStyle(l).strokeDasharray),
          rings: [...root.querySelectorAll('[data-kind="node"] circle')].map((c) => getComputedStyle(c).strokeDasharray),
          texts: [...root.querySelectorAll('[data-kind="node"] text')].map((t) => t.textContent),
        };
    }""")

    def css(color):
        return "rgb(%d,%d,%d)" % tuple(int(color[i : i + 2], 16) for i in (1, 3, 5))

    assert drawn["fills"] == [css(n["color"]) for n in scene["nodes"]]
    assert drawn["texts"] == [n["text"] for n in scene["nodes"]]
    assert drawn["strokes"] == [[css(e["color"]), pytest.approx(e["width"], abs=0.006)] for e in scene["edges"]]
    # the sign's second cue, as the browser computes the style: ∂C/∂w < 0 dashed, the rest solid
    grads = diagram.state.trace.nabla_w
    negative = [grads[e["l"]][e["j"], e["k"]] < 0 for e in scene["edges"]]
    assert any(negative) and not all(negative)
    assert [d != "none" for d in drawn["dashes"]] == negative
    assert [d != "none" for d in drawn["rings"]] == [n["dashed"] for n in scene["nodes"]]


def test_a_new_frame_repaints_and_a_new_structure_rebuilds(page, diagram):
    mount_diagram(page, diagram)
    state = diagram.state
    state.set_weight(3, 1, 3, 0.75)
    change(page, "net", "frame", wire(diagram.view.frame))
    edges = dict(tooltips(page, "edge"))
    index = [tuple(e[:3]) for e in diagram.view.structure["edges"]].index((3, 1, 3))
    assert edges[index].startswith("w³₂₄ = 0.75 · ")
    # another network: the structure and frame arrive in one message; the drawing follows
    state.set_network(Network([2, 3, 1], seed=0), np.array([0.5, -0.5]), np.array([1.0]))
    page.evaluate("""async ([structure, frame]) => {
        const m = bpx.models["net"];
        m.state.structure = bpx.toView(structure);
        m.state.frame = bpx.toView(frame);
        m.fire("structure");
        m.fire("frame");
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    }""", [wire(diagram.view.structure), wire(diagram.view.frame)])
    scene = diagram.scene()
    nodes = tooltips(page, "node")
    assert len(nodes) == 6 and [t for _, t in nodes] == [n["label"] for n in scene["nodes"]]
    assert [t for _, t in tooltips(page, "edge")] == [e["label"] for e in scene["edges"]]
    assert scene["nodes"][-1]["label"].endswith("(target y₁ = 1)")
