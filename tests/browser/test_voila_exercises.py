"""Notebook 13 served by Voila (the classroom's server): the exercise panels work there too.

Voila runs the notebook with its empty stubs, so every panel must say so plainly, the progress
line must count none solved, and pressing a panel's Check button must answer in the page.
"""

from conftest import shot

OUTSIDE = ("net::ERR_NAME_NOT_RESOLVED", "net::ERR_INTERNET_DISCONNECTED")


def test_the_exercise_panels_in_voila(page, voila_url):
    page.goto(f"{voila_url}/voila/render/13_your_turn.ipynb", timeout=120_000)
    page.get_by_text("0 of 8 solved", exact=True).wait_for(timeout=120_000)
    panels = page.locator(".bpx-exercise")
    assert panels.count() == 8
    for i in range(8):
        assert "still the empty stub" in panels.nth(i).inner_text()
    bp2 = panels.filter(has_text="The error of a layer from the next one")
    bp2.get_by_role("button", name="Check").click()
    bp2.get_by_text("still the empty stub").wait_for(timeout=30_000)
    bp2.scroll_into_view_if_needed()
    shot(page, "voila-exercises")
    errors = [e for e in page.console_errors if not any(o in e for o in OUTSIDE)]
    assert errors == []
