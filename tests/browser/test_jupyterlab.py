"""The tour notebook in JupyterLab, as a student meets it: open, run all, drag a slider."""

from axe_check import report, violations
from conftest import shot

OUTSIDE = ("net::ERR_NAME_NOT_RESOLVED", "net::ERR_INTERNET_DISCONNECTED")


def test_tour_runs_and_its_dashboard_answers_a_drag(page, jupyterlab):
    page.goto(f"{jupyterlab['url']}/lab/tree/00_tour.ipynb?token={jupyterlab['token']}", timeout=120_000)
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    page.wait_for_selector(".jp-Notebook-toolbar, .jp-NotebookPanel-toolbar", timeout=60_000)
    page.wait_for_timeout(3000)  # the kernel starts
    # Run every cell as a person does: select the first, then Shift+Enter down the notebook.
    page.locator(".jp-Notebook .jp-Cell").first.click()
    page.keyboard.press("Escape")
    for _ in range(page.locator(".jp-Notebook .jp-Cell").count()):
        page.keyboard.press("Shift+Enter")
        page.wait_for_timeout(300)
    page.wait_for_selector(".backprop-explorer svg", timeout=120_000)
    page.wait_for_timeout(2000)
    shot(page, "lab-1-ran")
    dashboard = page.locator(".backprop-explorer").first
    dashboard.scroll_into_view_if_needed()
    diagram = page.locator(".backprop-explorer svg").first
    before = diagram.screenshot()
    cost_before = page.locator(".backprop-explorer svg").first.inner_html()

    handle = page.locator(".backprop-explorer .widget-slider .noUi-handle").first
    box = handle.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 - 60, box["y"] + box["height"] / 2, steps=8)
    page.mouse.up()
    page.wait_for_function(
        "(before) => document.querySelector('.backprop-explorer svg').innerHTML !== before",
        arg=cost_before,
        timeout=20_000,
    )
    page.wait_for_timeout(800)
    shot(page, "lab-2-after-drag")
    assert diagram.screenshot() != before
    errors = [e for e in page.console_errors if not any(o in e for o in OUTSIDE)]
    assert errors == []
    # the Explorer inside JupyterLab: nothing serious for axe-core, every slider handle named
    found = violations(page, ".backprop-explorer")
    assert not found, report(found)
    names = page.eval_on_selector_all(".backprop-explorer .widget-slider .noUi-handle",
                                      "(hs) => hs.map((h) => h.getAttribute('aria-label'))")
    assert names and all(names), names
