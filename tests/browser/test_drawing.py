"""The drawing layer's ES modules in a real browser: what they draw, checked against hand
calculations (positions on the axes, colours along a scale), and KaTeX typesetting once."""

from __future__ import annotations

import pathlib
import re

import pytest

from conftest import shot
from harness import change, f32, mount

SPEC = {
    "name": "test-figure",
    "width": 420,
    "height": 260,
    "axes": [
        {"id": "ax", "left": 50, "top": 20, "width": 200, "height": 100, "xlim": [0, 10], "ylim": [-1, 1],
         "xlabel": "Δz^3_2", "ylabel": "ΔC", "grid": True,
         "marks": [{"id": "curve", "type": "line", "color": "#2166ac"},
                   {"id": "dots", "type": "points", "color": "#b2182b", "r": 3},
                   {"id": "zero", "type": "rule", "color": "#999", "width": 1}]},
        {"id": "heat", "left": 290, "top": 20, "width": 120, "height": 40, "xticks": False, "yticks": False,
         "marks": [{"id": "cells", "type": "heatmap", "stops": ["#000000", "#ffffff"], "domain": [0, 1],
                    "rowNames": ["σ'(z^2_1)", "σ'(z^2_2)"], "columnName": "example"}]},
    ],
}


def path_points(d: str):
    return [(float(x), float(y)) for x, y in re.findall(r"[ML](-?[\d.]+),(-?[\d.]+)", d)]


def test_plot_draws_lines_points_rules_and_heatmaps_where_the_numbers_say(page):
    data = {
        "curve": {"x": f32([0, 5, 10]), "y": f32([-1, 0, 0.5])},
        "dots": {"x": f32([2.5]), "y": f32([0.5])},
        "zero": {"y": f32([0])},
        "cells": {"shape": [2, 3], "values": f32([0, 0.5, 1, 0.25, 0.75, float("nan")])},
    }
    mount(page, "fig", "plot.js", {"spec": SPEC, "data": data, "revision": 1})
    # x ∈ [0, 10] over 200 px, y ∈ [−1, 1] over 100 px, y pointing up: by hand
    d = page.get_attribute('#fig [data-mark="curve"] path', "d")
    assert path_points(d) == [(0.0, 100.0), (100.0, 50.0), (200.0, 25.0)]
    assert page.get_attribute('#fig [data-mark="dots"] circle', "cx") == "50.0"
    assert page.get_attribute('#fig [data-mark="dots"] circle', "cy") == "25.0"
    assert page.get_attribute('#fig [data-mark="zero"] line', "y1") == "50"
    # black → white: 0.5 is #808080 (127.5 rounds up), 0.25 is #404040, NaN the missing grey
    fills = page.eval_on_selector_all('#fig [data-mark="cells"] rect[data-r]', "rs => rs.map(r => r.getAttribute('fill'))")
    assert fills == ["#000000", "#808080", "#ffffff", "#404040", "#bfbfbf", "#ececec"]
    # the book's names are drawn with a raised and a lowered part
    label = page.locator("#fig text.bpx-label").first
    assert label.text_content().replace("\u200b", "") == "Δz32"
    assert page.eval_on_selector("#fig text.bpx-label", "t => t.querySelectorAll('tspan[font-size]').length") == 2
    shot(page, "drawing-plot")


def test_new_numbers_move_the_same_nodes_and_a_burst_paints_once(page):
    data = {"curve": {"x": f32([0, 10]), "y": f32([0, 0])}}
    mount(page, "fig", "plot.js", {"spec": SPEC, "data": data, "revision": 1})
    page.evaluate("window.pathBefore = document.querySelector('#fig [data-mark=\"curve\"] path')")
    # three messages in one task: the figure paints once, with the last numbers
    page.evaluate(
        """async () => {
          let paints = 0;
          const box = document.querySelector('#fig .bpx-plot');
          new MutationObserver(() => paints++).observe(box, { attributes: true, attributeFilter: ['data-painted'] });
          for (const [y, r] of [[0.2, 2], [0.4, 3], [0.6, 4]]) {
            bpx.models.fig.state.data = { curve: { x: bpx.toView({__f32__: [0, 10]}), y: bpx.toView({__f32__: [y, y]}) } };
            bpx.models.fig.state.revision = r;
            bpx.models.fig.fire('data');
          }
          await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
          window.paints = paints;
        }"""
    )
    assert page.evaluate("window.paints") == 1
    assert page.evaluate("document.querySelector('#fig [data-mark=\"curve\"] path') === window.pathBefore")
    d = page.get_attribute('#fig [data-mark="curve"] path', "d")
    assert path_points(d) == [(0.0, pytest.approx(20.0, abs=0.1)), (200.0, pytest.approx(20.0, abs=0.1))]
    assert page.get_attribute("#fig .bpx-plot", "data-painted") == "4"


def test_a_figure_saves_as_a_standalone_svg(page):
    mount(page, "fig", "plot.js", {"spec": SPEC, "data": {"curve": {"x": f32([0, 10]), "y": f32([0, 1])}}, "revision": 1})
    with page.expect_download() as info:
        page.locator("#fig .bpx-save button", has_text="SVG").click()
    download = info.value
    assert download.suggested_filename == "test-figure.svg"
    text = pathlib.Path(download.path()).read_text(encoding="utf-8")
    assert text.startswith("<svg") and 'xmlns="http://www.w3.org/2000/svg"' in text
    assert "<style>" in text and 'data-mark="curve"' in text
    with page.expect_download() as info:
        page.locator("#fig .bpx-save button", has_text="PNG").click()
    assert pathlib.Path(info.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def katex_assets() -> dict:
    from explorer.widgets.drawing import source

    return {"js": source("katex/katex.min.js"), "css": source("katex/katex.css")}


def test_formula_typesets_once_and_then_only_writes_numbers(page):
    template = (
        '<div class="tex display">\\frac{\\partial C}{\\partial b^{2}_{1}} = {\\color{Red}{\\htmlData{q=BP3}{0}}}</div>'
        '<div>check: <span class="num" data-q="BP3_fd" data-value=""></span> '
        '<span class="num" data-q="BP3_mark" data-value=""></span></div>'
    )
    numbers = {"BP3": ["0.1234", 0.12341234, None], "BP3_fd": ["0.1234", 0.1234123, None], "BP3_mark": ["✓ agrees", None, "ok"]}
    mount(page, "eq", "equations.js", {"assets": "IPY_MODEL_assets", "template": template, "numbers": numbers, "revision": 1},
          assets=katex_assets())
    page.wait_for_selector('#eq .bpx-formula[data-painted="1"]')
    # typeset by KaTeX: no raw TeX left, the slot inside the typeset fraction holds the number
    assert "\\frac" not in page.inner_text("#eq") and page.locator("#eq .katex .mfrac").count() == 1
    slot = page.locator('#eq .katex span.num[data-q="BP3"]')
    assert slot.inner_text() == "0.1234" and float(slot.get_attribute("data-value")) == 0.12341234
    assert page.get_attribute('#eq [data-q="BP3_mark"]', "data-state") == "ok"
    # the colour of the number is the one asked for, from a CSS name
    assert page.eval_on_selector('#eq span.num[data-q="BP3"]', "n => getComputedStyle(n).color") == "rgb(255, 0, 0)"
    # fonts come from the bundled CSS (data URLs): KaTeX's math font is loaded, nothing fetched
    assert page.evaluate("document.fonts.check('16px KaTeX_Main')")
    page.evaluate("window.katexRoot = document.querySelector('#eq .katex')")
    change(page, "eq", "numbers", {"BP3": ["(−2.5)", -2.5, None], "BP3_fd": ["−2.5", -2.5000001, None], "BP3_mark": ["✗ differs", None, "bad"]})
    assert page.evaluate("document.querySelector('#eq .katex') === window.katexRoot"), "typeset again"
    assert slot.inner_text() == "(−2.5)" and slot.get_attribute("data-value") == "-2.5"
    assert page.get_attribute('#eq [data-q="BP3_mark"]', "data-state") == "bad"
    shot(page, "drawing-formula")


def test_bars_stand_on_zero_upright_or_lying(page):
    spec = {"name": "bars", "width": 300, "height": 200, "axes": [
        {"id": "up", "left": 0, "top": 0, "width": 100, "height": 100, "xlim": [0, 4], "ylim": [-1, 1],
         "marks": [{"id": "v", "type": "bars", "barWidth": 1.0}]},
        {"id": "side", "left": 150, "top": 0, "width": 100, "height": 100, "xlim": [0, 2], "ylim": [0, 4],
         "marks": [{"id": "h", "type": "bars", "horizontal": True, "barWidth": 1.0}]},
    ]}
    data = {"v": {"x": f32([1, 3]), "y": f32([0.5, -1])}, "h": {"x": f32([1.5]), "y": f32([2])}}
    mount(page, "fig", "plot.js", {"spec": spec, "data": data, "revision": 1})
    rects = lambda mark: page.eval_on_selector_all(
        f'#fig [data-mark="{mark}"] rect', "rs => rs.map(r => ['x', 'y', 'width', 'height'].map(a => +r.getAttribute(a)))")
    # by hand: 25 px per x unit, 50 px per y unit, zero at y = 50 px; the second bar hangs down
    assert rects("v") == [[12.5, 25.0, 25.0, 25.0], [62.5, 50.0, 25.0, 50.0]]
    # lying: from x = 0 to 1.5 (50 px per unit), centred on y = 2 (25 px per unit, y up)
    assert rects("h") == [[0.0, 37.5, 75.0, 25.0]]
