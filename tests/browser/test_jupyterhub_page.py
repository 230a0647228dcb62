"""A student in a real browser on the class's JupyterHub (deploy/jupyterhub_config.py): log in with
the class password, land on the classroom app, drag a weight and see the core's numbers."""

from __future__ import annotations

import pytest

from conftest import ROOT, chromium_path, shot
from test_voila import drag_handle
from explorer.widgets.dashboard.scenario import read_scenario
from hubserver import APP_PATH, CLASS_PASSWORD, Hub, proxy_command


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    chromium_path()
    proxy_command()
    folder = tmp_path_factory.mktemp("hub-browser")
    running = Hub(folder, folder / "jupyterhub.log")
    yield running
    running.stop()


def number(page, selector: str) -> float:
    return float(page.locator(selector).first.get_attribute("data-value"))


def wait_for_app(page):
    page.wait_for_selector(".backprop-classroom .backprop-explorer svg", timeout=180_000)
    page.wait_for_selector(".backprop-classroom .equations-panel .katex span.num[data-q]", timeout=60_000)
    page.wait_for_selector(".backprop-classroom .demon-panel .bpx-plot[data-painted]", timeout=60_000)
    page.wait_for_timeout(500)


def test_student_logs_in_and_drives_the_app(page, hub):
    page.goto(f"{hub.url}/hub/login", timeout=60_000)
    shot(page, "hub-1-login")
    page.fill("input[name=username]", "dora")
    page.fill("input[name=password]", CLASS_PASSWORD)
    page.click("#login_submit")
    # The hub starts dora's server, then her address leads straight to the app.
    page.wait_for_url(f"{hub.url}/user/dora/{APP_PATH}*", timeout=240_000)
    wait_for_app(page)
    shot(page, "hub-2-app")

    scenario = read_scenario(ROOT / "scenarios" / "healthy.json")
    l, j = scenario.selection["layer"], scenario.selection["j"]
    # the app opens in the presenter layout: the selected neuron's δ in the demon's readout
    assert page.locator(".backprop-classroom .bpx-presenter").count() == 1
    assert page.locator(".backprop-classroom select").first.input_value() == scenario.title
    t = scenario.network().trace(scenario.x, scenario.y)
    assert number(page, '.demon-readout span.num[data-q="delta"]') == pytest.approx(t.delta[l][j, 0], rel=1e-9, abs=1e-12)

    # Her kernel answers a drag of the demon's Δz slider with the core's numbers for that Δz.
    drag_handle(page, page.locator(".demon-panel .widget-slider").first, 70)
    page.wait_for_function(
        """() => {
            const s = document.querySelector('.demon-readout span.num[data-q="actual"]');
            return s && Math.abs(parseFloat(s.dataset.value)) > 1e-12;
        }""",
        timeout=60_000,
    )
    page.wait_for_timeout(800)
    dz = number(page, '.demon-readout span.num[data-q="dz"]')
    assert dz > 0
    effect = scenario.network().demon(scenario.x, scenario.y, l, j, dz)
    assert number(page, '.demon-readout span.num[data-q="actual"]') == pytest.approx(effect.actual, rel=1e-9, abs=1e-12)
    assert number(page, '.demon-readout span.num[data-q="predicted"]') == pytest.approx(
        t.delta[l][j, 0] * dz, rel=1e-9, abs=1e-12)
    shot(page, "hub-3-after-drag")

    # A scenario chosen by address works through the hub as on the classroom server.
    page.goto(f"{hub.url}/user/dora/{APP_PATH}?scenario=saturated_output", timeout=120_000)
    wait_for_app(page)
    saturated = read_scenario(ROOT / "scenarios" / "saturated_output.json")
    assert page.locator(".backprop-classroom select").first.input_value() == saturated.title
    shot(page, "hub-4-saturated")

    outside = [u for u in page.requests if not u.startswith(("http://127.0.0.1", "data:", "blob:", "about:"))]
    assert outside == []
    assert page.console_errors == []
