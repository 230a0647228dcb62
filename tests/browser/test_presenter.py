"""The classroom app's presenter layout on a projector's screen, measured from the DOM.

At 1280×720 and 1920×1080, for every prepared scenario (chosen from the menu, as a teacher
does): everything a lesson needs is inside the window and the page does not scroll; text and
numbers are large enough for the back of a room; clicking another neuron moves neither the demon
nor the equation. Screenshots go to test-artifacts/presenter-*.png.
"""

from __future__ import annotations

import json

import pytest

from conftest import ARTIFACTS, ROOT
from explorer.scenarios import prepared_scenarios
from explorer.widgets.dashboard.scenario import read_scenario
from test_voila import open_classroom, own_errors

SIZES = [(1280, 720), (1920, 1080)]
BODY_PX = 18  # body text and numbers, at least
EQUATION_NUMBER_PX = 22  # the numbers in the typeset equation: larger than the body text

# What a lesson needs on the screen, each as (what, CSS selector): all must be inside the window.
NEEDED = [
    ("scenario menu", ".bpx-presenter-bar select"),
    ("about the scenario", ".bpx-presenter-bar .scenario-about summary"),
    ("high-contrast switch", '.bpx-switch[data-switch="contrast"]'),
    ("full-screen switch", '.bpx-switch[data-switch="fullscreen"]'),
    ("diagram", ".bpx-presenter-left .bpx-diagram svg"),
    ("diagram colour menu", ".bpx-presenter-left .bpx-diagram .bpx-toolbar select"),
    ("demon layer and neuron menus", ".demon-panel .widget-dropdown select"),
    ("demon Δz slider", ".demon-panel .widget-slider"),
    ("demon predicted δ·Δz", '.demon-readout [data-q="predicted"]'),
    ("demon actual ΔC", '.demon-readout [data-q="actual"]'),
    ("demon curve", '.bpx-plot[data-name="demon"] [data-mark="curve"] path'),
    ("demon tangent", '.bpx-plot[data-name="demon"] [data-mark="tangent"] path'),
    ("demon figure", '.bpx-plot[data-name="demon"] svg'),
    ("equation heading", ".bpx-presenter-equation .selected"),
    ("equation", ".bpx-presenter-equation .katex-display"),
    ("equation check", ".bpx-presenter-equation .check"),
]

# Every text on the page: its rendered size in CSS px (SVG text scaled by its drawing's scale).
FONT_SIZES = r"""() => {
  const out = [];
  const root = document.querySelector('.bpx-presenter');
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.textContent.replace(/[\s\u200b]/g, '')) continue;  // KaTeX's zero-width struts
    const el = n.parentElement;
    if (!el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) continue;
    if (el.closest('.bpx-tip, .bpx-plot-tip, .katex-mathml, option, style, script')) continue;
    let px = parseFloat(getComputedStyle(el).fontSize);
    const svg = el.closest('svg');
    if (svg) {
      const r = svg.getBoundingClientRect(), vb = svg.viewBox.baseVal;
      if (r.width === 0) continue;
      px *= vb && vb.width ? Math.min(r.width / vb.width, r.height / vb.height) : 1;
    }
    const where = el.closest('.katex') ? 'katex' : svg ? (svg.closest('.bpx-diagram') ? 'diagram' : 'figure') : 'html';
    out.push({ text: n.textContent.trim().slice(0, 40), px, where, num: !!el.closest('.num') });
  }
  return out;
}"""


def box(page, selector):
    """Bounding boxes (x, y, width, height) of every visible match."""
    return page.eval_on_selector_all(selector, """els => els
        .filter(e => e.checkVisibility())
        .map(e => { const r = e.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; })""")


def check_screen(page, size, label):
    width, height = size
    for what, selector in NEEDED:
        boxes = box(page, selector)
        assert boxes, f"{label}: no {what} ({selector}) on the page"
        for x, y, w, h in boxes:
            assert w > 0 and h > 0, f"{label}: {what} has no size"
            assert x >= -0.5 and y >= -0.5 and x + w <= width + 0.5 and y + h <= height + 0.5, (
                f"{label}: {what} at x {x:.0f}–{x + w:.0f}, y {y:.0f}–{y + h:.0f} leaves the {width}×{height} window"
            )
    # the bar's parts side by side, none over another; the menu wide enough to read a title
    parts = sorted(b for b in box(page, ".bpx-presenter-bar > *") if b[2] > 0)
    overlaps = [(a, b) for a, b in zip(parts, parts[1:]) if a[0] + a[2] > b[0] + 0.5]
    assert not overlaps, f"{label}: parts of the bar overlap (x, y, width, height): {overlaps}"
    menu = page.evaluate("""() => { const s = document.querySelector('.bpx-presenter-bar select');
        return [s.getBoundingClientRect().width, parseFloat(getComputedStyle(s).fontSize)]; }""")
    assert menu[0] >= 10 * menu[1], f"{label}: the scenario menu is {menu[0]:.0f} px wide"
    scroll = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight,"
                           " document.body.scrollHeight, innerWidth, innerHeight]")
    assert scroll[1] <= scroll[4] and scroll[2] <= scroll[4], f"{label}: the page scrolls: {scroll}"
    assert scroll[0] <= scroll[3], f"{label}: the page scrolls sideways: {scroll}"

    texts = page.evaluate(FONT_SIZES)
    assert len(texts) > 40
    if size == (1280, 720):  # the larger window only scales up
        small = [t for t in texts if t["px"] < BODY_PX - 0.05]
        assert not small, f"{label}: text under {BODY_PX} px: {small[:8]}"
    numbers = [t for t in texts if t["where"] == "katex" and t["num"]]
    assert numbers, f"{label}: no number in the typeset equation"
    body = max(t["px"] for t in texts if t["where"] == "html" and t["num"])
    assert min(t["px"] for t in numbers) >= max(EQUATION_NUMBER_PX, body + 2), (
        f"{label}: the equation's numbers are not larger than the body text: {numbers[:4]}"
    )
    return texts


def choose(page, name):
    """Choose a scenario from the menu and wait until the page shows it."""
    scenario = read_scenario(ROOT / "scenarios" / f"{name}.json")
    page.select_option(".bpx-presenter-bar select", label=scenario.title)
    page.wait_for_function(
        """text => { const d = document.querySelector('.bpx-presenter .scenario-description');
                     return d && d.textContent.trim() === text; }""",
        arg=scenario.description.strip(), timeout=30_000,
    )
    page.wait_for_timeout(1200)  # the frame, the figure and the equation follow in the same burst
    return scenario


def other_neuron(scenario):
    """(l, j) of a neuron to click: a hidden one when an output neuron is selected, else an output one."""
    sizes = scenario.network().sizes
    L, sel = len(sizes), scenario.selection
    if sel["kind"] == "neuron" and sel["layer"] == L:
        return L - 1, (sel["j"] + 1) % sizes[L - 2]
    return L, 1 if sel["kind"] == "neuron" or sel["j"] == 0 else 0


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_presenter_fits_the_screen(page, voila_url, size):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_classroom(page, voila_url, "healthy")
    ARTIFACTS.mkdir(exist_ok=True)
    measured = {}
    for name in prepared_scenarios():
        scenario = choose(page, name)
        label = f"{name} at {size[0]}×{size[1]}"
        page.screenshot(path=str(ARTIFACTS / f"presenter-{size[0]}x{size[1]}-{name}.png"))
        texts = check_screen(page, size, label)
        # the smallest text of each kind, and the diagram's width, kept for the README's figures
        kinds = {"html": "html", "diagram": "diagram", "figure": "figure", "katex": "katex"}
        measured[name] = {k: min(t["px"] for t in texts if t["where"] == w) for k, w in kinds.items()}
        measured[name]["katex numbers"] = min(t["px"] for t in texts if t["where"] == "katex" and t["num"])
        measured[name]["diagram width"] = box(page, ".bpx-presenter-left .bpx-diagram svg")[0][2]

        # another neuron: the equation changes (BP1 ↔ BP2, or BP4 → BP1), nothing moves
        l, j = other_neuron(scenario)
        fixed = [".bpx-presenter-right > *", ".demon-panel > *", ".demon-readout tr", ".demon-panel", '.bpx-plot[data-name="demon"] svg', ".demon-readout", ".bpx-presenter-equation",
                 ".bpx-presenter-left .bpx-diagram svg"]
        before = {s: box(page, s) for s in fixed}
        heading = page.inner_text(".bpx-presenter-equation .selected")
        # the diagram's neurons come layer by layer, as the network's sizes say
        page.locator('.bpx-diagram svg [data-kind="node"]').nth(sum(scenario.network().sizes[: l - 1]) + j).click()
        page.wait_for_function(
            "old => { const s = document.querySelector('.bpx-presenter-equation .selected'); return s && s.innerText !== old; }",
            arg=heading, timeout=20_000,
        )
        page.wait_for_timeout(1000)
        expected = "BP1" if l == len(scenario.network().sizes) else "BP2"
        assert page.get_attribute(".bpx-presenter-equation .eq", "data-eq") == expected
        assert f"neuron {j + 1} of layer {l}" in page.inner_text(".bpx-presenter-equation .selected")
        moved = [
            (s, b, a) for s in fixed for b, a in zip(before[s], box(page, s))
            if max(abs(p - q) for p, q in zip(a, b)) > 0.5
        ]
        assert not moved, f"{label}: moved when another neuron was selected (what, before, after): {moved}"
        assert all(len(box(page, s)) == len(before[s]) for s in fixed)
        page.mouse.move(size[0] / 2, 2)  # away from the diagram: no tooltip in the picture
        page.screenshot(path=str(ARTIFACTS / f"presenter-{size[0]}x{size[1]}-{name}-other.png"))
        check_screen(page, size, label + ", another neuron")
    (ARTIFACTS / f"presenter-{size[0]}x{size[1]}-sizes.json").write_text(json.dumps(measured, indent=1))
    assert own_errors(page) == []


def test_presenter_switches(page, voila_url):
    """High contrast: a class from the kernel, black text; full screen: the browser's API, and back."""

    page.set_viewport_size({"width": 1280, "height": 720})
    open_classroom(page, voila_url, "saturated_output")
    grey = page.evaluate("() => getComputedStyle(document.querySelector('.bpx-presenter-equation .selected span[style]')).color")
    assert grey != "rgb(0, 0, 0)"
    page.click('.bpx-switch[data-switch="contrast"]')
    page.wait_for_selector(".bpx-presenter.bpx-contrast", timeout=20_000)
    assert page.get_attribute('.bpx-switch[data-switch="contrast"]', "aria-pressed") == "true"
    black = page.evaluate("() => getComputedStyle(document.querySelector('.bpx-presenter-equation .selected span[style]')).color")
    assert black == "rgb(0, 0, 0)"
    page.screenshot(path=str(ARTIFACTS / "presenter-1280x720-contrast.png"))
    check_screen(page, (1280, 720), "high contrast")
    page.click('.bpx-switch[data-switch="contrast"]')
    page.wait_for_function("() => !document.querySelector('.bpx-presenter').classList.contains('bpx-contrast')")

    # the label follows the browser's state, a frame or so after it changes (its event comes later)
    label = "() => document.querySelector('.bpx-switch[data-switch=\"fullscreen\"]').textContent"
    page.click('.bpx-switch[data-switch="fullscreen"]')
    page.wait_for_function("() => document.fullscreenElement === document.documentElement", timeout=10_000)
    page.wait_for_function(f"() => ({label})() !== 'Full screen'", timeout=10_000)
    assert page.evaluate(label) == "✕ Leave full screen"
    assert page.get_attribute('.bpx-switch[data-switch="fullscreen"]', "aria-pressed") == "true"
    page.click('.bpx-switch[data-switch="fullscreen"]')
    page.wait_for_function("() => document.fullscreenElement === null", timeout=10_000)
    page.wait_for_function(f"() => ({label})() !== '✕ Leave full screen'", timeout=10_000)
    assert page.evaluate(label) == "Full screen"
    assert page.get_attribute('.bpx-switch[data-switch="fullscreen"]', "aria-pressed") == "false"
    assert own_errors(page) == []


def test_presenter_about_and_a_wrong_address(page, voila_url):
    """An unknown scenario in the address is said on the page, over it; "About" opens the
    scenario's text over the page; neither makes the page scroll or hides the menu."""
    page.set_viewport_size({"width": 1280, "height": 720})
    open_classroom(page, voila_url, "no_such_lesson")
    message = page.locator(".bpx-presenter .classroom-message .widget-html-content > div")
    assert "no scenario called “no_such_lesson”" in message.inner_text()
    x, y, w, h = box(page, ".bpx-presenter .classroom-message .widget-html-content > div")[0]
    assert 0 <= x and x + w <= 1280 and 0 <= y and y + h <= 720
    page.click(".bpx-presenter-bar .scenario-about summary")
    description = read_scenario(ROOT / "scenarios" / "healthy.json").description.strip()
    text = page.locator(".bpx-presenter .scenario-description")
    assert text.is_visible() and text.inner_text().strip() == description
    x, y, w, h = box(page, ".bpx-presenter .scenario-description")[0]
    assert 0 <= x and x + w <= 1280 and 0 <= y and y + h <= 720
    size = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('.scenario-description')).fontSize)")
    assert size >= BODY_PX
    # it lies over the page: the figures did not move down
    assert box(page, ".bpx-presenter-left .bpx-diagram svg")[0][1] < 140
    scroll = page.evaluate("() => [document.documentElement.scrollHeight, innerHeight]")
    assert scroll[0] <= scroll[1]
    page.screenshot(path=str(ARTIFACTS / "presenter-1280x720-about.png"))
    assert own_errors(page) == []
