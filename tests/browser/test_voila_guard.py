"""What a visitor can do to the classroom app from a real page: too big a file, too long a text.

A person can choose a 3 MB file for the upload button or paste a novel into the title field.
The page must say, in plain words, what was refused; the field must go back to what it held;
no traceback may appear; and the next honest move must work.
"""

from __future__ import annotations

import pytest

from conftest import shot
from explorer.widgets.guard import MAX_TEXT, MAX_UPLOAD
from test_voila import open_classroom, own_errors


def open_scenario_section(page):
    page.get_by_text("Save or load a scenario").first.click()
    page.wait_for_selector(".backprop-explorer .widget-upload", state="visible", timeout=20_000)


def notice(page, needle: str) -> str:
    page.wait_for_function(
        """(needle) => [...document.querySelectorAll('.explorer-notice')].some(n => n.innerText.includes(needle))""",
        arg=needle, timeout=30_000,
    )
    return " ".join(page.locator(".explorer-notice").all_inner_texts())


def test_an_oversized_upload_and_a_huge_title_are_refused_in_words(page, voila_url):
    open_classroom(page, voila_url, layout="laptop")  # the scenario section (upload, title) is the laptop's
    open_scenario_section(page)
    with page.expect_file_chooser() as chooser:
        page.locator(".backprop-explorer .widget-upload").first.click()
    chooser.value.set_files(
        files=[{"name": "big.json", "mimeType": "application/json", "buffer": b" " * (MAX_UPLOAD + 1_000_000)}]
    )
    text = notice(page, "up to 2 MB")
    assert "3.0 MB" in text and "Traceback" not in page.inner_text("body")
    shot(page, "voila-guard-1-upload-refused")

    title = page.get_by_placeholder("what this scenario shows")
    title.fill("x" * (MAX_TEXT + 1))
    text = notice(page, f"at most {MAX_TEXT:,} characters")
    page.wait_for_function("(el) => el.value === ''", arg=title.element_handle(), timeout=20_000)
    shot(page, "voila-guard-2-title-refused")

    # An honest title afterwards is taken, and the notice goes away.
    title.fill("saturation, for Monday")
    page.wait_for_function("() => document.querySelectorAll('.explorer-notice').length === 0", timeout=20_000)
    assert title.input_value() == "saturation, for Monday"
    assert "Traceback" not in page.inner_text("body")
    assert own_errors(page) == []
