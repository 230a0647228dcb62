"""`python -m explorer classroom` in a real browser: a scenario by address with the kernel pool
on, and the page a student sees when the class is full."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from conftest import ARTIFACTS, ROOT, free_port, shot, stop_server
from explorer.widgets.dashboard.scenario import read_scenario


@pytest.fixture(scope="module")
def classroom_server(tmp_path_factory):
    """The class's server: a pool of one kernel, room for one student."""
    port = free_port()
    args = [
        sys.executable, "-m", "explorer", "classroom", f"--port={port}", "--pool-size=1",
        "--max-students=1", "--min-free-mib=0",
    ]
    ARTIFACTS.mkdir(exist_ok=True)
    with open(ARTIFACTS / "classroom-server.log", "w") as log:
        process = subprocess.Popen(args, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        # Any answer will do (asking for the page would take the one place): an error page is one.
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/voila/static/none", timeout=2):
                    break
            except urllib.error.HTTPError as error:
                error.close()
                break
            except OSError:
                time.sleep(0.3)
        else:
            raise RuntimeError("the classroom server did not answer within 90 s (see classroom-server.log)")
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_server(process)


def test_scenario_by_address_with_the_pool_then_the_class_is_full(browser, page, classroom_server):
    page.goto(f"{classroom_server}/?scenario=saturated_output", timeout=120_000)
    page.wait_for_selector(".backprop-classroom .backprop-explorer svg", timeout=120_000)
    page.wait_for_selector(".backprop-classroom .demon-panel .bpx-plot[data-painted]", timeout=60_000)
    scenario = read_scenario(ROOT / "scenarios" / "saturated_output.json")
    assert page.locator(".backprop-classroom select").first.input_value() == scenario.title
    # The presenter page (the default) keeps the description behind "About": open it as a person does.
    page.locator(".backprop-classroom .scenario-about summary").click()
    text = page.locator(".backprop-classroom .scenario-description").inner_text()
    assert text.strip() == scenario.description.strip()
    shot(page, "serving-1-saturated-output-from-pool")
    assert page.console_errors == []

    # The one place is taken (this page is still open): a second student is told so, kindly.
    second = browser.new_context(viewport={"width": 1000, "height": 600}).new_page()
    reply = second.goto(f"{classroom_server}/?scenario=healthy", timeout=60_000)
    assert reply.status == 503
    assert second.locator("h1").inner_text() == "The class is full"
    assert "Try again in a minute" in second.locator("p").inner_text()
    shot(second, "serving-2-class-full")
    second.context.close()
