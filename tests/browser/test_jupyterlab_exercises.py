"""Notebook 13 in JupyterLab, as a student meets it: run all, write a wrong BP2, then a right one.

The student's code is typed into the BP2 stub's editor with the keyboard and the cell run with
Shift+Enter; the panel below it checks again by itself (IPython's post_run_cell), names the
mistake, rings the wrong neurons on the diagram and shows both values on hover; a right BP2
then gets its ✓ and the progress line counts it.
"""

import re

from conftest import ARTIFACTS, shot

OUTSIDE = ("net::ERR_NAME_NOT_RESOLVED", "net::ERR_INTERNET_DISCONNECTED")
# One line each, so the editor's auto-indent cannot change what is typed.
WRONG_BP2 = "def bp2(w_next, delta_next, z, sigma_prime): return w_next @ delta_next * sigma_prime(z)"
RIGHT_BP2 = "def bp2(w_next, delta_next, z, sigma_prime): return (w_next.T @ delta_next) * sigma_prime(z)"


def replace_cell(page, cell, code: str) -> None:
    """Click into the cell's editor, select everything, type ``code`` and run the cell."""
    cell.scroll_into_view_if_needed()
    cell.locator(".cm-content").click()
    page.keyboard.press("Control+A")
    page.keyboard.type(code)
    page.keyboard.press("Shift+Enter")


def test_a_wrong_bp2_is_named_and_marked_then_a_right_one_passes(page, jupyterlab):
    missing = []  # the addresses behind any "404" in the console, for the message
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    page.missing = missing
    try:
        student_session(page, jupyterlab)
    except Exception:
        shot(page, "exercises-failed")  # what the page showed when a wait ran out
        raise


def student_session(page, jupyterlab):
    # JupyterLab may ask which kernel to start (a fresh server, a notebook it has not seen):
    # answer as a student would, with the preselected Python 3.
    dialog = page.locator(".jp-Dialog").filter(has_text="Select Kernel")
    page.add_locator_handler(dialog, lambda d: d.locator("button.jp-mod-accept").click())
    # A workspace of its own, reset: only this notebook open, whatever the server showed before.
    page.goto(f"{jupyterlab['url']}/lab/workspaces/exercises/tree/13_your_turn.ipynb"
              f"?reset&token={jupyterlab['token']}", timeout=120_000)
    # The same JupyterLab may still show another notebook (the tour, from the test before) in a
    # hidden tab: every wait is on the notebook in front.
    front = ".jp-NotebookPanel:not(.lm-mod-hidden)"
    page.wait_for_selector(f"{front} .jp-Notebook .jp-Cell", timeout=120_000)
    page.wait_for_selector(f"{front} .jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000)
    # Run every cell from the Run menu, as a student does.
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    progress = page.get_by_text("0 of 8 solved", exact=True)
    progress.wait_for(timeout=120_000)
    panel = page.locator(".bpx-exercise").filter(has_text="The error of a layer from the next one")
    panel.get_by_text("still the empty stub").wait_for(timeout=60_000)
    shot(page, "exercises-1-ran")

    # the cell whose own code (not its output) defines bp2
    stub = page.locator(".jp-CodeCell").filter(has=page.locator(".jp-InputArea", has_text="def bp2("))
    replace_cell(page, stub, WRONG_BP2)
    panel.get_by_text("Hint: Reread BP2").wait_for(timeout=60_000)
    assert "transpose" in panel.inner_text()
    panel.get_by_text("Hint: Reread BP2").scroll_into_view_if_needed()
    shot(page, "exercises-2-wrong-bp2-hint")
    ring = panel.locator("svg [data-role='marks'] circle[data-mark='neuron']").first
    ring.wait_for(state="attached", timeout=30_000)
    assert panel.locator("svg [data-role='marks'] circle[data-mark='neuron']").count() >= 1
    # hover the ringed neuron: its tooltip puts the student's value beside the expected one
    panel.locator(".bpx-diagram").scroll_into_view_if_needed()
    box = ring.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    tip = panel.locator(".bpx-tip")
    tip.get_by_text("yours:").wait_for(timeout=10_000)
    text = tip.inner_text()
    assert re.search(r"δ[¹²³⁴⁵⁶⁷⁸⁹]", text) and "expected:" in text  # δ³₁: the book's name in plain text
    shot(page, "exercises-2-wrong-bp2")
    panel.locator(".bpx-diagram").screenshot(path=str(ARTIFACTS / "exercises-2-wrong-bp2-diagram.png"))

    replace_cell(page, stub, RIGHT_BP2)
    panel.get_by_text("✓ All 30 cases agree with BP2.").wait_for(timeout=60_000)
    page.get_by_text("1 of 8 solved", exact=True).wait_for(timeout=30_000)
    assert panel.locator(".bpx-diagram").count() == 0  # nothing left to mark
    panel.scroll_into_view_if_needed()
    shot(page, "exercises-3-right-bp2")
    panel.screenshot(path=str(ARTIFACTS / "exercises-3-right-bp2-panel.png"))
    errors = [e for e in page.console_errors if not any(o in e for o in OUTSIDE)]
    assert errors == [], page.missing
