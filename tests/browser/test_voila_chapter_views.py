"""The chapter views drawn by the browser (Plot and the network diagram), in Voila: where the
marks land, checked against positions worked out by hand from the numbers on the page."""

from __future__ import annotations

import pytest

from conftest import shot

OUTSIDE = ("net::ERR_NAME_NOT_RESOLVED", "net::ERR_INTERNET_DISCONNECTED", "status of 403")


def own_errors(page):
    return [e for e in page.console_errors if not any(o in e for o in OUTSIDE)]


def open_notebook(page, voila_url, name, panel, drawn=".bpx-plot[data-painted]"):
    page.goto(f"{voila_url}/voila/render/{name}.ipynb", timeout=180_000)
    page.wait_for_selector(f"{panel} {drawn}", timeout=180_000)
    page.wait_for_timeout(1000)


def test_a_chosen_path_is_marked_in_the_diagram_and_on_the_running_sum(page, voila_url):
    panel = "div.paths-panel"
    open_notebook(page, voila_url, "11_sum_over_paths", panel)
    # w^2_11 of a [3, 4, 3, 2] network: 3 × 2 paths, listed layer 3 first; path 4 goes
    # a^2_1 → a^3_2 → a^4_2 (0-based neurons 0, 1, 1)
    page.locator(f"{panel} .paths-list select").first.select_option(index=3)
    page.wait_for_function(
        # the new path's marks, not the first path's (which also has three weights)
        f"document.querySelector('{panel}').querySelector('[data-role=marks] [data-mark=weight][data-l=\"4\"][data-j=\"1\"][data-k=\"1\"]') !== null",
        timeout=30_000)
    first = page.locator(panel).first
    weights = first.locator("[data-role=marks] [data-mark=weight]").evaluate_all(
        "ms => ms.map(m => [m.dataset.l, m.dataset.j, m.dataset.k].map(Number))")
    assert sorted(weights) == [[2, 0, 0], [3, 1, 0], [4, 1, 1]]
    rings = first.locator("[data-role=marks] [data-mark=neuron]").evaluate_all(
        "ms => ms.map(m => [m.dataset.l, m.dataset.j].map(Number))")
    assert sorted(rings) == [[2, 0], [3, 1], [4, 1]]
    # the marker: path 4 on an x axis from 0.3 to 6.7 over 315 px
    cx = float(first.locator('[data-mark="marker"] circle').get_attribute("cx"))
    assert cx == pytest.approx((4 - 0.3) / 6.4 * 315, abs=0.11)
    assert own_errors(page) == []
    shot(page, "chapter-paths")


def test_the_neurons_z_is_where_the_dots_are(page, voila_url):
    panel = "div.slope-panel"
    open_notebook(page, voila_url, "06_saturation_and_slow_learning", panel)
    first = page.locator(panel).first
    z = float(first.locator("span.num[data-q=z]").get_attribute("data-value"))
    sp = float(first.locator("span.num[data-q=sp]").get_attribute("data-value"))
    # the σ' axes: z over ±max(8, 1.15|z|) on 370 px; σ' from −0.06·0.25 to 1.12·0.25 on 200 px
    span = max(8.0, 1.15 * abs(z))
    dot = first.locator('[data-mark="p_dot"] circle')
    assert float(dot.get_attribute("cx")) == pytest.approx((z + span) / (2 * span) * 370, abs=0.11)
    lo, hi = -0.06 * 0.25, 1.12 * 0.25
    assert float(dot.get_attribute("cy")) == pytest.approx(200 - (sp - lo) / (hi - lo) * 200, abs=0.11)
    assert own_errors(page) == []


def test_the_stepper_writes_what_it_has_computed_and_question_marks_for_the_rest(page, voila_url):
    panel = "div.stepper-panel"
    open_notebook(page, voila_url, "08_the_algorithm_step_by_step", panel, drawn=".bpx-diagram [data-note]")
    first = page.locator(panel).first
    # the explorer's own diagram, revealing the numbers step by step: notes under the neurons
    texts = lambda: first.locator('.bpx-diagram [data-role="notes"] text').evaluate_all(  # noqa: E731
        "ts => ts.map(t => t.textContent)")
    before = texts()
    assert sum(t == "δ = ?" for t in before) == 5  # a [2, 3, 2] network: 3 + 2 neurons with a δ
    for _ in range(4):  # input, feedforward ×2, output error
        first.locator("button:has-text('step')").first.click()
        page.wait_for_timeout(200)
    page.wait_for_function(
        f"[...document.querySelector('{panel}').querySelectorAll('.bpx-diagram [data-role=notes] text')]"
        ".filter(t => t.textContent === 'δ = ?').length === 3", timeout=30_000)
    after = texts()
    # δ^3 is known now (BP1), in the notes of just-computed numbers; z, a of every layer too
    assert not any(t.endswith("= ?") and not t.startswith(("δ", "∂C/∂")) for t in after)
    new = first.locator('.bpx-diagram [data-note="new"]').evaluate_all("ts => ts.map(t => t.textContent)")
    assert sorted(t.split(" =")[0] for t in new) == ["δ", "δ"]
    assert first.locator('.bpx-diagram [data-active="3"]').count() == 1  # the output layer, highlighted
    # the key f takes the next step (BP2: δ² of the three hidden neurons), the focus being on "step"
    first.locator("button:has-text('step')").first.focus()
    page.keyboard.press("f")
    page.wait_for_function(
        f"[...document.querySelector('{panel}').querySelectorAll('.bpx-diagram [data-role=notes] text')]"
        ".filter(t => t.textContent === 'δ = ?').length === 0", timeout=30_000)
    assert first.locator('.bpx-diagram [data-active="2"]').count() == 1
    assert own_errors(page) == []
    shot(page, "chapter-stepper")
