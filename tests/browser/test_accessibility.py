"""Accessibility of the classroom app as axe-core reads it, and the names a screen reader says."""

from __future__ import annotations

from axe_check import report, violations
from test_voila import open_classroom

#: Every impact axe-core knows: the classroom app has no violation at all, "moderate" ones such
#: as "region" (content outside landmarks) included.
EVERY_IMPACT = ("critical", "serious", "moderate", "minor")


def test_presenter_layout_has_no_accessibility_violations(page, voila_url):
    page.set_viewport_size({"width": 1280, "height": 720})
    open_classroom(page, voila_url)  # the classroom app's own layout, the presenter's
    found = violations(page, impacts=EVERY_IMPACT)
    assert not found, report(found)
    names = page.eval_on_selector_all(".backprop-classroom .widget-slider .noUi-handle",
                                      "(hs) => hs.map((h) => h.getAttribute('aria-label'))")
    assert names and all(names) and "Δz" in names  # Δw too, hidden until a weight is selected
    switches = page.eval_on_selector_all(".bpx-switch", "(bs) => bs.map((b) => b.getAttribute('aria-label'))")
    assert switches == ["High contrast", "Full screen"]
    page.click('.bpx-switch[data-switch="contrast"]')  # the high-contrast theme, checked too
    page.wait_for_selector(".bpx-presenter.bpx-contrast", timeout=20_000)
    found = violations(page, impacts=EVERY_IMPACT)
    assert not found, report(found)


def test_classroom_app_has_no_accessibility_violations(page, voila_url):
    open_classroom(page, voila_url, layout="laptop")
    found = violations(page, impacts=EVERY_IMPACT)
    assert not found, report(found)
    # the content is one landmark a screen reader can jump to, with a name
    main = page.locator('[role="main"]')
    assert main.count() == 1 and main.get_attribute("aria-label") == "Backprop Explorer, the classroom app"
    assert main.locator(".backprop-classroom").count() == 1
    # every slider handle says which slider it is, in the book's names
    names = page.eval_on_selector_all(".backprop-classroom .widget-slider .noUi-handle",
                                      "(hs) => hs.map((h) => h.getAttribute('aria-label'))")
    assert names and all(names), names
    assert "w³₁₁" in names and "Δz" in names
    label = page.get_attribute(".backprop-classroom .bpx-diagram svg", "aria-label")
    assert label.startswith("Network diagram: layers of 2, 3, 2 neurons") and "C = " in label
    # a click on a hidden neuron (l = 2, j = 1) makes new sliders: they are named too
    page.locator('.bpx-diagram svg [data-kind="node"][data-i="2"]').click()
    page.wait_for_function("""() => [...document.querySelectorAll('.backprop-classroom .widget-slider .noUi-handle')]
        .some((h) => h.getAttribute('aria-label') === 'w²₁₁')""", timeout=20_000)
    found = violations(page, impacts=EVERY_IMPACT)
    assert not found, report(found)
