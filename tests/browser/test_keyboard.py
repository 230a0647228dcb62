"""The classroom app driven by keyboard only, in Voila and headless chromium.

A teacher's walk: keys select neurons and set Δz, and the page's numbers are the core's for
that neuron and Δz (computed here from the scenario file); Tab walks every control and out of
the demon's figure and the page; ``?`` opens the list of keys and Esc closes it; the focus ring
is at least 2 px wide. The keys are tried in both layouts of the page: the presenter's (the
default: one equation, for the selected neuron) and the laptop's (``?layout=laptop``: all four).
"""

from __future__ import annotations

import pytest

from conftest import ROOT, shot
from explorer.widgets.keys import KEYS
from explorer.widgets.dashboard.scenario import read_scenario

from test_voila import open_classroom, own_errors


def number(page, selector: str) -> float:
    return float(page.locator(selector).first.get_attribute("data-value"))


def wait_status(page, text: str) -> None:
    page.wait_for_function(
        "(t) => document.querySelector('.bpx-keys-status')?.textContent === t", arg=text, timeout=20_000
    )


def wait_dz(page, dz: float) -> None:
    page.wait_for_function(
        "(dz) => Math.abs(parseFloat(document.querySelector('.demon-panel span.num[data-q=dz]')?.dataset.value) - dz) < 1e-12",
        arg=dz, timeout=20_000,
    )


LAYOUTS = [pytest.param(None, id="presenter"), pytest.param("laptop", id="laptop")]


def check_equation_shows(page, layout, l: int, j: int, delta: float) -> None:
    """The equations follow the selected neuron (l, j): the laptop's BP3 is its δ; the presenter's
    one equation is BP1 (output layer) or BP2 for that neuron, and ends with its δ."""
    if layout == "laptop":
        assert number(page, 'span.num[data-q="BP3"]') == pytest.approx(delta, rel=1e-9)
        return
    heading = page.inner_text(".bpx-presenter-equation .selected")
    assert f"neuron {j + 1} of layer {l}" in heading
    shown = page.eval_on_selector_all(".bpx-presenter-equation .katex span.num[data-q^=t]",
                                      "(ns) => ns.map((n) => parseFloat(n.dataset.value))")
    assert shown[-1] == pytest.approx(delta, rel=1e-9)


def demon_choice(page) -> tuple[str, str]:
    return tuple(
        page.evaluate("() => [...document.querySelectorAll('.demon-panel select')].map(s => s.selectedOptions[0].textContent.replace(/\\u00a0/g, ' '))")
    )


ACTIVE = """() => {
  const a = document.activeElement;
  if (!a || a === document.body) return {where: "body"};
  const inside = (s) => a.closest(s) !== null;
  return {
    where: inside('.demon-panel .bpx-plot') ? 'demon-figure' : inside('.demon-panel') ? 'demon'
         : inside('.saturation-panel, .widget-slider') && (a.getAttribute('aria-label') || '').startsWith('saturated') ? 'saturation'
         : inside('.jupyter-widget-Collapse-header') ? 'accordion'
         : inside('.bpx-keys') ? 'keys' : inside('.bpx-diagram') ? 'diagram' : 'other',
    name: a.getAttribute('aria-label') || a.textContent.trim().slice(0, 40),
    tag: a.tagName,
  };
}"""


@pytest.mark.parametrize("layout", LAYOUTS)
def test_keyboard_walk_selects_neurons_and_sets_dz_with_the_cores_numbers(page, voila_url, layout):
    open_classroom(page, voila_url, layout=layout)
    scenario = read_scenario(ROOT / "scenarios" / "healthy.json")
    net = scenario.network()
    sizes = net.sizes
    l, j = scenario.selection["layer"], scenario.selection["j"]
    assert demon_choice(page) == (f"l = {l}", f"j = {j + 1}")

    # ↓ : the next neuron in the book's order (down the layer, then the next layer's first)
    order = [(m, i) for m in range(2, len(sizes) + 1) for i in range(sizes[m - 1])]
    nl, nj = order[(order.index((l, j)) + 1) % len(order)]
    page.keyboard.press("ArrowDown")
    wait_status(page, f"neuron {nj + 1} of layer {nl} selected")
    page.wait_for_function(
        "(want) => [...document.querySelectorAll('.demon-panel select')].map(s => s.selectedOptions[0].textContent.replace(/\u00a0/g, ' ')).join() === want",
        arg=f"l = {nl},j = {nj + 1}", timeout=20_000,
    )
    # + + . : Δz = 0.5 + 0.5 + 0.05
    for key in ("+", "+", "."):
        page.keyboard.press(key)
    wait_status(page, "Δz = +1.05")
    wait_dz(page, 1.05)
    page.wait_for_timeout(300)
    trace = net.trace(scenario.x, scenario.y)
    demon = net.demon(scenario.x, scenario.y, nl, nj, 1.05)
    assert number(page, '.demon-panel span.num[data-q="delta"]') == pytest.approx(trace.delta[nl][nj, 0], rel=1e-9)
    assert number(page, '.demon-panel span.num[data-q="predicted"]') == pytest.approx(trace.delta[nl][nj, 0] * 1.05, rel=1e-9)
    assert number(page, '.demon-panel span.num[data-q="actual"]') == pytest.approx(demon.actual, rel=1e-9)
    check_equation_shows(page, layout, nl, nj, trace.delta[nl][nj, 0])
    readout = page.locator(".demon-panel .widget-slider .widget-readout").first.inner_text()
    assert readout == "+1.05"

    # → : the next layer, same j or that layer's last neuron; , : Δz down by 0.05; 0 : Δz back to 0
    ll = nl + 1 if nl < len(sizes) else 2
    lj = min(nj, sizes[ll - 1] - 1)
    page.keyboard.press("ArrowRight")
    wait_status(page, f"neuron {lj + 1} of layer {ll} selected")
    page.keyboard.press(",")
    wait_status(page, "Δz = +1.00")
    wait_dz(page, 1.0)
    page.wait_for_timeout(300)
    assert number(page, '.demon-panel span.num[data-q="predicted"]') == pytest.approx(trace.delta[ll][lj, 0] * 1.0, rel=1e-9)
    check_equation_shows(page, layout, ll, lj, trace.delta[ll][lj, 0])
    page.keyboard.press("0")
    wait_status(page, "Δz = 0")

    # s : the next scenario; r : back to its start after a change
    page.keyboard.press("s")
    wait_status(page, "next scenario")
    page.wait_for_function(
        "() => document.querySelector('.backprop-classroom select').value !== 'healthy'", timeout=20_000
    )
    shot(page, f"keys-1-after-walk-{layout or 'presenter'}")
    assert own_errors(page) == []


def tab_walk(page, limit=120) -> list[dict]:
    """Where each Tab from the top of the page lands, until the focus leaves the page."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        seen.append(page.evaluate(ACTIVE))
        if seen[-1]["where"] == "body" and len(seen) > 5:
            break
    return seen


def test_tab_walks_the_presenters_controls_in_order_and_out_of_the_page(page, voila_url):
    open_classroom(page, voila_url)  # the classroom's default layout
    seen = tab_walk(page)
    names = [s.get("name", "") for s in seen]
    # the bar (menu, About, the link's two buttons, the switches, the keys button), the diagram
    # (its two menus, then its selected neuron), the demon's controls, then out of the page
    assert seen[0]["where"] == "other" and seen[0]["tag"] == "SELECT"
    assert [s["tag"] for s in seen[1:7]] == ["SUMMARY", "BUTTON", "BUTTON", "BUTTON", "BUTTON", "BUTTON"]
    assert names[1] == "About" and names[4:6] == ["High contrast", "Full screen"]
    assert seen[6]["where"] == "keys"
    assert [s.get("tag") for s in seen if s["where"] == "diagram"] == ["SELECT", "SELECT", "g"]
    assert [s["where"] for s in seen[7:10]] == ["diagram"] * 3
    assert names[9].startswith("neuron 1 of layer 3")  # the selected neuron, the diagram's one stop
    assert "demon" in [s["where"] for s in seen[10:]] and "Δz" in names[10:]
    assert seen[-1]["where"] == "body"
    assert all(s["where"] in ("demon", "body") for s in seen[10:])  # nothing hidden is reached
    # Shift+Tab from the diagram's neuron goes back through its menus to the keys button
    page.locator(".bpx-diagram [data-kind=node][tabindex='0']").focus()
    back = []
    for _ in range(3):
        page.keyboard.press("Shift+Tab")
        back.append(page.evaluate(ACTIVE)["where"])
    assert back == ["diagram", "diagram", "keys"]
    assert own_errors(page) == []


def test_tab_walks_every_control_and_out_of_the_demons_figure(page, voila_url):
    open_classroom(page, voila_url, layout="laptop")  # every panel: saturation, the scenario section
    seen = tab_walk(page)
    wheres = [s["where"] for s in seen]
    names = [s.get("name", "") for s in seen]
    # the order of the page: menu, diagram, controls, demon (its figure's buttons), saturation,
    # the scenario section, the keys button, then out of the page
    assert wheres[0] == "other" and seen[0]["tag"] == "SELECT"
    assert "diagram" in wheres and "demon" in wheres and "demon-figure" in wheres
    assert "Δz" in names
    assert wheres.count("saturation") == 1 and any(n.startswith("small input") for n in names)
    assert "accordion" in wheres and "keys" in wheres
    last_figure = max(i for i, w in enumerate(wheres) if w == "demon-figure")
    assert wheres.index("saturation") > last_figure  # Tab leaves the demon's figure
    assert wheres.index("accordion") < wheres.index("keys")
    assert wheres[-1] == "body"  # and the page
    # the diagram is one stop (its selected neuron), not also the picture around it
    assert [s.get("tag") for s in seen if s["where"] == "diagram"] == ["SELECT", "SELECT", "BUTTON", "g"]

    # Shift+Tab back from the keys button through the demon's figure and out of it
    page.locator(".bpx-keys-button").focus()
    back = []
    for _ in range(40):
        page.keyboard.press("Shift+Tab")
        back.append(page.evaluate(ACTIVE)["where"])
        if back[-1] == "other" and "demon" in back:
            break
    assert "demon-figure" in back and back[-1] == "other"  # past the demon: the controls above it

    # Esc on the figure's button does not keep the focus there
    page.locator(".demon-panel .bpx-save button").first.focus()
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate(ACTIVE)["where"] != "demon-figure"

    # the scenario section opens with Enter and its save and load buttons are reachable
    page.locator(".jupyter-widget-Collapse-header").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(".jupyter-widget-Collapse-open", timeout=10_000)
    assert page.locator(".jupyter-widget-Collapse-header").get_attribute("aria-expanded") == "true"
    found = set()
    for _ in range(12):
        page.keyboard.press("Tab")
        text = page.evaluate("() => document.activeElement.textContent.trim()")
        found.add(text)
    assert "Save" in found and any(t.startswith("Load") for t in found)
    assert own_errors(page) == []


def test_question_mark_opens_the_keys_and_escape_closes_them(page, voila_url):
    open_classroom(page, voila_url)
    page.keyboard.press("?")
    page.wait_for_selector("dialog.bpx-keys-help[open]", timeout=10_000)
    rows = page.locator("dialog.bpx-keys-help tr")
    shown = [rows.nth(i).locator("kbd").inner_text() for i in range(rows.count())]
    # the classroom has no step-through panel: its keys are not offered
    expected = [k.shown for k in KEYS if k.command not in ("step_forward", "step_back")]
    assert shown == expected
    shot(page, "keys-2-help")
    # keys do not act behind the dialog
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(500)
    assert page.evaluate("() => document.querySelector('.bpx-keys-status').textContent") == ""
    page.keyboard.press("Escape")
    page.wait_for_selector("dialog.bpx-keys-help[open]", state="detached", timeout=10_000)
    assert page.evaluate("() => document.querySelector('dialog.bpx-keys-help').open") is False
    # the button opens it too, and Esc gives the focus back to the button
    page.locator(".bpx-keys-button").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("dialog.bpx-keys-help[open]", timeout=10_000)
    page.keyboard.press("Escape")
    page.wait_for_function("() => document.activeElement?.classList.contains('bpx-keys-button')", timeout=10_000)
    assert own_errors(page) == []


def test_the_focus_ring_is_wide_and_dark_on_every_kind_of_control(page, voila_url):
    open_classroom(page, voila_url)
    ring = """() => { const s = getComputedStyle(document.activeElement);
      return [parseFloat(s.outlineWidth), s.outlineStyle, s.outlineColor]; }"""
    kinds = {}
    for _ in range(80):
        page.keyboard.press("Tab")
        a = page.evaluate("() => { const a = document.activeElement; return a === document.body ? null : (a.classList.contains('noUi-handle') ? 'slider' : a.tagName); }")
        if a is None:
            break
        width, style, color = page.evaluate(ring)
        kinds.setdefault(a, (width, style, color))
        assert width >= 2 and style != "none", (a, width, style)
        if a == "SELECT" and "select" not in kinds:
            kinds["select"] = True
            shot(page, "keys-3-focus-ring-menu")
        if a == "slider" and "slider-shot" not in kinds:
            kinds["slider-shot"] = True
            shot(page, "keys-4-focus-ring-slider")
    assert {"SELECT", "BUTTON", "slider"} <= set(kinds)
    # a dark ring: against the white page its contrast is at least 3:1 (WCAG's rule for focus)
    r, g, b = (int(v) for v in kinds["BUTTON"][2].removeprefix("rgb(").rstrip(")").split(",")[:3])

    def lum(c):
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    contrast = 1.05 / (0.2126 * lum(r) + 0.7152 * lum(g) + 0.0722 * lum(b) + 0.05)
    assert contrast >= 3


@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_diagrams_neurons_are_reached_with_tab_and_selected_with_enter(page, voila_url, layout):
    open_classroom(page, voila_url, layout=layout)
    scenario = read_scenario(ROOT / "scenarios" / "healthy.json")
    sizes = scenario.network().sizes
    l, j = scenario.selection["layer"], scenario.selection["j"]
    for _ in range(20):  # the controls above it (the presenter's bar), the diagram's menus, then the neuron
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement?.getAttribute('data-kind') === 'node'"):
            break
    # the name, without the value written inside the circle ("neuron 2 of layer 3, 0.61")
    focused = lambda: page.evaluate("() => document.activeElement.getAttribute('aria-label').split(',')[0]")
    assert focused() == f"neuron {j + 1} of layer {l}"  # the diagram's one Tab stop: the selected neuron
    # ← goes to layer l − 1 (same j or its last), ↓ to the next neuron of that layer
    page.keyboard.press("ArrowLeft")
    ml = l - 1
    mj = min(j, sizes[ml - 1] - 1)
    assert focused() == f"neuron {mj + 1} of layer {ml}"
    page.keyboard.press("ArrowDown")
    mj = min(mj + 1, sizes[ml - 1] - 1)
    assert focused() == f"neuron {mj + 1} of layer {ml}"
    # the arrows moved the focus only: the page's shortcuts did not also move the selection
    assert demon_choice(page) == (f"l = {l}", f"j = {j + 1}")
    # its numbers show as a hover would
    assert f"{mj + 1}" in page.locator(".bpx-diagram .bpx-tip").inner_text()
    shot(page, f"keys-5-diagram-neuron-focus-{layout or 'presenter'}")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "(want) => [...document.querySelectorAll('.demon-panel select')].map(s => s.selectedOptions[0].textContent.replace(/\u00a0/g, ' ')).join() === want",
        arg=f"l = {ml},j = {mj + 1}", timeout=20_000,
    )
    trace = scenario.network().trace(scenario.x, scenario.y)
    page.wait_for_timeout(500)
    check_equation_shows(page, layout, ml, mj, trace.delta[ml][mj, 0])
    assert page.evaluate("() => document.activeElement.getAttribute('aria-pressed')") == "true"
    # Tab leaves the diagram for the next control
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.closest('.bpx-diagram svg') === null")
    assert own_errors(page) == []


def test_in_jupyterlab_the_keys_act_inside_the_explorer_only_and_jupyterlab_keeps_its_cells(page, jupyterlab):
    page.goto(f"{jupyterlab['url']}/lab/tree/00_tour.ipynb?token={jupyterlab['token']}", timeout=120_000)
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    page.wait_for_timeout(3000)  # the kernel starts
    page.locator(".jp-Notebook .jp-Cell").first.click()
    page.keyboard.press("Escape")
    cells = page.locator(".jp-Notebook .jp-Cell").count()
    for _ in range(cells):
        page.keyboard.press("Shift+Enter")
        page.wait_for_timeout(300)
    page.wait_for_selector(".backprop-explorer [data-kind=node][tabindex='0']", timeout=120_000)
    page.wait_for_selector(".backprop-explorer .bpx-keys-button", timeout=60_000)
    page.wait_for_timeout(1500)
    explorer = page.locator(".backprop-explorer").first
    cells = page.locator(".jp-Notebook .jp-Cell").count()
    dz = lambda: float(explorer.locator(".demon-panel span.num[data-q=dz]").first.get_attribute("data-value"))

    # the notebook has the focus (command mode): the explorer's keys do nothing
    start = dz()
    page.locator(".jp-Notebook .jp-Cell").first.click()
    page.keyboard.press("Escape")
    page.keyboard.press("+")
    page.wait_for_timeout(800)
    assert dz() == start

    # the focus in the explorer: its keys act, and JupyterLab's single keys (a, b: new cells) do not
    label = explorer.locator("svg[role=group]").first.get_attribute("aria-label")
    sizes = [int(n) for n in label.split("layers of ")[1].split(" neurons")[0].split(", ")]
    node = explorer.locator("[data-kind=node][tabindex='0']").first
    l, j = (int(v) for v in reversed(node.get_attribute("aria-label").split(",")[0].removeprefix("neuron ").split(" of layer ")))
    node.focus()
    page.keyboard.press("+")
    page.wait_for_function(
        "(want) => Math.abs(parseFloat(document.querySelector('.backprop-explorer .demon-panel span.num[data-q=dz]').dataset.value) - want) < 1e-12",
        arg=min(5.0, start + 0.5), timeout=20_000,
    )
    order = [(m, i) for m in range(2, len(sizes) + 1) for i in range(sizes[m - 1])]
    nl, nj = order[(order.index((l, j - 1)) + 1) % len(order)]
    page.keyboard.press("n")
    page.wait_for_function(
        "(t) => document.querySelector('.backprop-explorer .bpx-keys-status')?.textContent === t",
        arg=f"neuron {nj + 1} of layer {nl} selected", timeout=20_000,
    )
    for key in ("a", "b"):
        page.keyboard.press(key)
    page.wait_for_timeout(800)
    assert page.locator(".jp-Notebook .jp-Cell").count() == cells
    shot(page, "keys-6-jupyterlab")
