"""The classroom app in a real browser: what a teacher does with the mouse and keyboard."""

from __future__ import annotations

import shutil

import pytest

from conftest import ARTIFACTS, ROOT, shot
from explorer.widgets.dashboard.scenario import read_scenario

def own_errors(page):
    """Console errors, and any request that left this machine (there must be none)."""
    outside = [u for u in page.requests if not u.startswith(("http://127.0.0.1", "data:", "blob:", "about:"))]
    return page.console_errors + [f"request outside: {u}" for u in outside]


def drag_handle(page, slider, dx: float, steps: int = 8) -> None:
    """Drag a slider's handle dx pixels to the right with the mouse, as a person does."""
    box = slider.locator(".noUi-handle").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + dx, box["y"] + box["height"] / 2, steps=steps)
    page.mouse.up()


def open_classroom(page, voila_url, scenario="healthy", layout=None):
    """The classroom app on a scenario: its presenter layout, or ``layout="laptop"`` (every panel)."""
    extra = f"&layout={layout}" if layout else ""
    page.goto(f"{voila_url}/voila/render/classroom.ipynb?scenario={scenario}{extra}", timeout=120_000)
    page.wait_for_selector(".backprop-classroom .backprop-explorer svg", timeout=120_000)
    # typeset by the bundled KaTeX, numbers in place; the figures painted from their numbers
    page.wait_for_selector(".backprop-classroom .equations-panel .katex span.num[data-q]", timeout=60_000)
    page.wait_for_selector(".backprop-classroom .demon-panel .bpx-plot[data-painted]", timeout=60_000)
    page.wait_for_timeout(500)


def number(page, selector: str) -> float:
    return float(page.locator(selector).first.get_attribute("data-value"))


def selected_weight(scenario):
    sel = scenario.selection
    return (sel["layer"], sel["j"], sel.get("k", 0))


def test_weight_drag_updates_diagram_and_equations(page, voila_url):
    open_classroom(page, voila_url, layout="laptop")  # the weight sliders and all four equations
    scenario = read_scenario(ROOT / "scenarios" / "healthy.json")
    l, j, k = selected_weight(scenario)
    diagram = page.locator(".backprop-explorer svg").first
    before = diagram.screenshot()
    bp4_before = number(page, 'span.num[data-q="BP4"]')
    shot(page, "voila-1-loaded")

    slider = page.locator(".widget-slider").first
    drag_handle(page, slider, 70)
    page.wait_for_function(
        f"""() => {{
            const s = document.querySelector('span.num[data-q="BP4"]');
            return s && Math.abs(parseFloat(s.dataset.value) - ({bp4_before})) > 1e-12;
        }}""",
        timeout=20_000,
    )
    page.wait_for_timeout(800)
    shot(page, "voila-2-after-drag")
    new_w = float(slider.locator(".widget-readout").first.inner_text().replace("−", "-"))
    assert new_w != pytest.approx(float(scenario.weights[l][j, k]), abs=1e-9)

    # The equations now show the core's numbers for the dragged weight.
    net = scenario.network()
    net.weights[l][j, k] = new_w
    t = net.trace(scenario.x, scenario.y)
    assert number(page, 'span.num[data-q="BP4"]') == pytest.approx(t.nabla_w[l][j, k], rel=1e-9, abs=1e-12)
    assert number(page, 'span.num[data-q="BP3"]') == pytest.approx(t.delta[l][j, 0], rel=1e-9, abs=1e-12)
    # and an oracle that knows nothing of backprop: central differences of the cost itself
    def cost_with(dw):
        other = scenario.network()
        other.weights[l][j, k] = new_w + dw
        return other.cost_of(scenario.x, scenario.y)

    h = 1e-6
    oracle = (cost_with(h) - cost_with(-h)) / (2 * h)
    assert number(page, 'span.num[data-q="BP4"]') == pytest.approx(oracle, rel=1e-5, abs=1e-10)
    # the typeset equation holds the same number as its check line, and no raw TeX is shown
    assert "\\frac" not in page.locator(".equations-panel").inner_text()
    assert diagram.screenshot() != before
    assert own_errors(page) == []


def test_demon_dz_by_keyboard(page, voila_url):
    open_classroom(page, voila_url, "demon_at_work")
    scenario = read_scenario(ROOT / "scenarios" / "demon_at_work.json")
    dz_slider = page.locator(".demon-panel .widget-slider").first
    handle = dz_slider.locator(".noUi-handle").first
    handle.focus()
    for _ in range(25):
        page.keyboard.press("ArrowRight")
    page.wait_for_timeout(1500)
    dz = number(page, '.demon-readout span.num[data-q="dz"]')
    assert dz != pytest.approx(scenario.dz, abs=1e-9)
    net = scenario.network()
    l, j = scenario.selection["layer"], scenario.selection["j"]
    effect = net.demon(scenario.x, scenario.y, l, j, dz)
    assert number(page, '.demon-readout span.num[data-q="predicted"]') == pytest.approx(effect.predicted, rel=1e-9)
    assert number(page, '.demon-readout span.num[data-q="actual"]') == pytest.approx(effect.actual, rel=1e-9)
    shot(page, "voila-3-demon")
    assert own_errors(page) == []


@pytest.mark.parametrize("name", ["saturated_output", "cross_entropy_vs_quadratic"])
def test_scenario_chosen_by_address(page, voila_url, name):
    open_classroom(page, voila_url, name)
    scenario = read_scenario(ROOT / "scenarios" / f"{name}.json")
    # the presenter layout keeps the description behind "About" (closed): its text is there
    text = page.locator(".backprop-classroom .scenario-description").text_content()
    assert text.strip() == scenario.description.strip()
    menu = page.locator(".backprop-classroom select").first.input_value()
    assert menu == scenario.title
    shot(page, f"voila-scenario-{name}")
    assert own_errors(page) == []


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_projector_sizes(page, voila_url, size):
    """The app's laptop layout at a projector's sizes: every figure drawn as SVG, crisp at any zoom
    (the presenter layout at these sizes: test_presenter.py)."""
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_classroom(page, voila_url, "healthy", layout="laptop")
    for name in ("demon", "saturation"):
        assert page.locator(f'.bpx-plot[data-name="{name}"] svg').count() == 1
    assert page.locator("canvas").count() == 0  # nothing raster: no ipympl frames
    # the page asked the kernel for the figures' numbers when it opened, and drew them
    d = page.get_attribute('.bpx-plot[data-name="demon"] [data-mark="curve"] path', "d")
    assert d and d.count("L") >= 50  # the 101-point curve
    assert page.locator('.bpx-plot[data-name="saturation"] [data-mark="batch2_h"] rect[data-r]').count() == 3 * 99
    page.screenshot(path=str(ARTIFACTS / f"voila-{size[0]}x{size[1]}.png"))
    assert own_errors(page) == []


def test_readme_screenshot(page, voila_url):
    """README's picture of the dashboard, regenerated from the browser run."""
    page.set_viewport_size({"width": 1400, "height": 2600})  # Voila scrolls inside the page
    open_classroom(page, voila_url, "healthy", layout="laptop")
    path = ARTIFACTS / "dashboard.png"
    page.locator(".backprop-classroom .backprop-explorer").first.screenshot(path=str(path))
    assert path.stat().st_size > 20_000
    if not __import__("os").environ.get("CI"):
        shutil.copy(path, ROOT / "assets" / "dashboard.png")
    assert own_errors(page) == []
