"""The whole state in the address, in a real browser: a teacher's changes become the page's
address, that address opened in a fresh browser shows the same numbers, "Copy link" copies it,
"Download scenario" saves the same state, and a hostile address opens the default with a message."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest

from conftest import ARTIFACTS, shot
from explorer.links import read_link
from explorer.scenarios import read_scenario
from test_voila import drag_handle, number, open_classroom, own_errors

SHOWN = """() => {
  const q = (sel) => [...document.querySelectorAll(sel)].map((s) => [s.dataset.q, s.dataset.value]);
  return {
    equations: q(".backprop-classroom .equations-panel span.num[data-q]"),
    demon: q(".backprop-classroom .demon-readout span.num[data-q]"),
    menu: document.querySelector(".backprop-classroom select").value,
  };
}"""


def address_settled(page, before: str) -> str:
    """The page's address once it holds a link and has stopped changing (it is debounced)."""
    page.wait_for_function(
        "(before) => location.href !== before && new URLSearchParams(location.search).has('s')",
        arg=before, timeout=20_000,
    )
    while True:
        url = page.url
        page.wait_for_timeout(1200)  # longer than the view's debounce and a kernel round trip
        if page.url == url:
            return url


def press_on_dz(page, key: str, times: int) -> None:
    """Focus the demon's Δz slider and press a key on it, as a teacher at the keyboard does."""
    page.locator(".demon-panel .widget-slider").first.locator(".noUi-handle").first.focus()
    for _ in range(times):
        page.keyboard.press(key)


def drag_first_weight(page) -> None:
    drag_handle(page, page.locator(".widget-slider").first, 60, steps=6)


def test_a_link_made_in_class_reopens_the_same_screen(browser, page, voila_url, tmp_path):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=voila_url)
    open_classroom(page, voila_url, "healthy", layout="laptop")  # the weight sliders
    start = page.url
    assert "s=" not in urlsplit(start).query  # opening a page does not rewrite its address

    drag_first_weight(page)
    # select the neuron b²₂ (layer 2, j = 1) in the diagram
    page.locator('.backprop-explorer svg [data-kind="node"][data-i="3"]').first.click()
    page.wait_for_function(
        """() => [...document.querySelectorAll('.equations-panel span.num[data-q]')].length > 0""",
    )
    press_on_dz(page, "ArrowRight", 30)
    url = address_settled(page, start)
    shown = page.evaluate(SHOWN)
    shot(page, "links-1-teacher")

    # the address holds what the page shows: checked against the core, not the page
    query = parse_qs(urlsplit(url).query)
    assert "scenario" not in query and query["s"][0].startswith("1.")
    link = read_link(url)
    s = link.scenario
    healthy = read_scenario("healthy")
    assert dict(s.selection) == {"kind": "neuron", "layer": 2, "j": 1}
    assert s.dz != healthy.dz and s.dz == pytest.approx(number(page, '.demon-readout span.num[data-q="dz"]'), abs=1e-9)
    changed = [(l, j, k) for l in s.weights for j, k in np.argwhere(s.weights[l] != healthy.weights[l])]
    assert len(changed) == 1  # the dragged weight, and nothing else
    effect = s.network().demon(s.x, s.y, 2, 1, s.dz)
    assert number(page, '.demon-readout span.num[data-q="actual"]') == pytest.approx(effect.actual, rel=1e-9)
    assert own_errors(page) == []

    # "Copy link" copies exactly the address
    page.get_by_role("button", name="Copy link to this exact state").click()
    page.wait_for_function("() => document.querySelector('.bpx-address-status').textContent.includes('copied')")
    assert page.evaluate("() => navigator.clipboard.readText()") == url

    # "Download scenario" saves the same state as a scenario file
    with page.expect_download() as info:
        page.get_by_role("button", name="Download scenario: this state as a .json file").click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    assert path.suffix == ".json"
    saved = read_scenario(path)
    for l in s.weights:
        assert saved.weights[l].tobytes() == s.weights[l].tobytes()
        assert saved.biases[l].tobytes() == s.biases[l].tobytes()
    assert dict(saved.selection) == dict(s.selection) and saved.dz == s.dz and saved.title == healthy.title

    # the address opened in a fresh browser context (no cookies, no storage) shows the same numbers
    fresh = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        other = fresh.new_page()
        other.console_errors, other.requests = [], []
        other.on("console", lambda m: m.type == "error" and other.console_errors.append(m.text))
        other.on("request", lambda r: other.requests.append(r.url))
        other.goto(url, timeout=120_000)
        other.wait_for_selector(".backprop-classroom .equations-panel .katex span.num[data-q]", timeout=120_000)
        other.wait_for_selector(".backprop-classroom .demon-panel .bpx-plot[data-painted]", timeout=60_000)
        other.wait_for_timeout(800)
        again = other.evaluate(SHOWN)
        other.screenshot(path=str(ARTIFACTS / "links-2-reopened.png"), full_page=True)
        assert again == shown
        assert len(shown["equations"]) >= 4 and len(shown["demon"]) >= 3
        assert other.url == url  # opening the link does not change it
        assert other.locator(".backprop-classroom .scenario-description").inner_text().strip() == healthy.description.strip()
        assert own_errors(other) == []

        # where the clipboard refuses (plain http from another machine), the link is shown to copy by hand
        other.evaluate("() => Object.defineProperty(navigator, 'clipboard', { value: undefined })")
        other.get_by_role("button", name="Copy link to this exact state").click()
        manual = other.locator(".bpx-address-manual")
        manual.wait_for(state="visible")
        assert manual.input_value() == url
        assert "Copy this link" in other.locator(".bpx-address-status").inner_text()
        other.screenshot(path=str(ARTIFACTS / "links-3-copy-by-hand.png"))
    finally:
        fresh.close()


def test_a_link_made_in_the_presenter_layout_reopens_the_same_screen(browser, page, voila_url):
    """The classroom's default layout: a neuron clicked and a Δz set, the address reopened."""
    open_classroom(page, voila_url, "healthy")
    assert page.locator(".backprop-classroom .bpx-presenter").count() == 1
    start = page.url
    page.locator('.backprop-explorer svg [data-kind="node"][data-i="3"]').first.click()  # b²₂
    page.wait_for_function(  # the equation is now BP2's, the error moved back to layer 2
        """() => [...document.querySelectorAll('.equations-panel span.num[data-q="BP2_fd"]')].length > 0""",
    )
    press_on_dz(page, "ArrowLeft", 20)
    url = address_settled(page, start)
    shown = page.evaluate(SHOWN)
    shot(page, "links-6-presenter-teacher")

    s = read_link(url).scenario
    healthy = read_scenario("healthy")
    assert dict(s.selection) == {"kind": "neuron", "layer": 2, "j": 1}
    assert s.dz < 0 and s.dz == pytest.approx(number(page, '.demon-readout span.num[data-q="dz"]'), abs=1e-9)
    effect = s.network().demon(s.x, s.y, 2, 1, s.dz)
    assert number(page, '.demon-readout span.num[data-q="actual"]') == pytest.approx(effect.actual, rel=1e-9)
    t = healthy.network().trace(healthy.x, healthy.y)
    assert number(page, '.demon-readout span.num[data-q="delta"]') == pytest.approx(t.delta[2][1, 0], rel=1e-9, abs=1e-12)

    fresh = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        other = fresh.new_page()
        other.console_errors, other.requests = [], []
        other.on("console", lambda m: m.type == "error" and other.console_errors.append(m.text))
        other.goto(url, timeout=120_000)
        other.wait_for_selector(".backprop-classroom .equations-panel .katex span.num[data-q]", timeout=120_000)
        other.wait_for_selector(".backprop-classroom .demon-panel .bpx-plot[data-painted]", timeout=60_000)
        other.wait_for_timeout(800)
        assert other.locator(".backprop-classroom .bpx-presenter").count() == 1
        again = other.evaluate(SHOWN)
        other.screenshot(path=str(ARTIFACTS / "links-7-presenter-reopened.png"))
        assert again == shown and len(shown["demon"]) >= 3
        assert other.url == url
        assert own_errors(other) == []
    finally:
        fresh.close()


@pytest.mark.parametrize(
    "hostile",
    ["s=2.eJyrVkrLz1eyUkpKLFKqBQA", "s=1." + "A" * 30_000, "s=1." + "A" * 40_000, "s=1.not*base64", "s=NaN"],
    ids=["unknown version", "garbage", "too long", "bad base64", "no version"],
)
def test_a_hostile_address_opens_the_default_with_a_message(page, voila_url, hostile):
    page.goto(f"{voila_url}/voila/render/classroom.ipynb?{hostile}", timeout=120_000)
    page.wait_for_selector(".backprop-classroom .equations-panel .katex span.num[data-q]", timeout=120_000)
    # the classroom's own message (in the presenter layout, over the foot of the diagram)
    message = page.locator(".backprop-classroom .classroom-message .widget-html-content > div", has_text="This link could not be opened")
    assert message.is_visible()
    text = message.inner_text()
    assert "could not be opened" in text and "Traceback" not in text
    healthy = read_scenario("healthy")
    assert page.locator(".backprop-classroom select").first.input_value() == healthy.title
    t = healthy.network().trace(healthy.x, healthy.y)
    l, j = healthy.selection["layer"], healthy.selection["j"]
    # the demon's readout of the selected neuron's δ (in both layouts)
    assert number(page, '.demon-readout span.num[data-q="delta"]') == pytest.approx(t.delta[l][j, 0], rel=1e-9, abs=1e-12)
    if hostile.startswith("s=2"):
        shot(page, "links-4-hostile")
    if len(hostile) > 32_000:
        assert "too long" in text
    assert own_errors(page) == []


def test_in_jupyterlab_the_address_belongs_to_jupyterlab(page, jupyterlab):
    """The classroom notebook run in JupyterLab: the kernel sends links, the page's address stays."""
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=jupyterlab["url"])
    page.goto(f"{jupyterlab['url']}/lab/tree/classroom.ipynb?token={jupyterlab['token']}", timeout=120_000)
    # the classroom notebook's own cells (JupyterLab may have restored other notebooks in hidden tabs)
    cells = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell"
    page.wait_for_selector(cells, timeout=120_000)
    page.wait_for_timeout(3000)  # the kernel starts
    page.locator(cells).first.click()
    page.keyboard.press("Escape")
    for _ in range(page.locator(cells).count()):
        page.keyboard.press("Shift+Enter")
        page.wait_for_timeout(300)
    page.wait_for_selector(".backprop-classroom .bpx-address", timeout=120_000)
    page.wait_for_selector(".backprop-classroom .backprop-explorer svg", timeout=120_000)
    page.wait_for_timeout(1500)
    lab_url = page.url
    first = page.get_attribute(".bpx-address", "data-query")
    drag_first_weight(page)  # the presenter layout's first slider: the demon's Δz
    page.wait_for_function(
        "(first) => document.querySelector('.bpx-address').dataset.query !== first", arg=first, timeout=20_000,
    )
    page.wait_for_timeout(1500)
    assert page.url == lab_url and "s=" not in urlsplit(page.url).query
    query = page.get_attribute(".bpx-address", "data-query")
    assert query.startswith("s=1.")
    # "Copy link" gives the link's query, which Explorer.from_scenario opens
    page.get_by_role("button", name="Copy link to this exact state").click()
    page.wait_for_function("() => document.querySelector('.bpx-address-status').textContent.includes('copied')")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == "?" + query
    # the app covers the window in Voila; here JupyterLab's own cells stay usable around it
    page.locator(cells).first.click(timeout=10_000)
    dz = read_link(copied).scenario.dz
    assert dz != read_scenario("healthy").dz
    assert dz == pytest.approx(number(page, '.demon-readout span.num[data-q="dz"]'), abs=1e-9)
    shot(page, "links-5-jupyterlab")
