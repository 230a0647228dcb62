"""Speed as a person feels it: from a slider key press to the repaint, in a real browser.

Serves the classroom app with Voila, opens it in headless chromium (Playwright), focuses the
first weight slider and presses the arrow key 30 times (plus warm-up). For each press it
measures, in the page, the time from the keydown event to the next animation frame after
(a) the network diagram's SVG changed and (b) the equations' numbers changed (written into the
KaTeX-typeset equations, so that frame is the last paint of what changed), and prints median
and 95th percentile. Then it holds the key (30 presses 35 ms apart) and measures how long after
the last press the equations settle on their final numbers. For reference it times the floor of
any kernel-driven widget: a bare slider whose value the kernel writes into an HTML label.

Run: .venv/bin/python scripts/bench_browser.py        (needs chromium: apt-get install chromium)
"""

from __future__ import annotations


import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from conftest import CHROMIUM_ARGS, free_port, start_server, stop_server  # noqa: E402

STEPS, WARM_UP = 30, 5

# Resolves with {key, svg, eq}: ms from the keydown to the animation frame after each target
# changed. A DOM target is watched with a MutationObserver; a canvas (which changes no DOM when
# drawn into) by comparing a sample of its pixels on every frame.
WATCH = """
([svgSel, eqSel]) => {
  const target = document.querySelector(svgSel);
  const eq = eqSel ? document.querySelector(eqSel) : null;
  window.__timing = new Promise((resolve, reject) => {
    const t = {};
    setTimeout(() => reject(new Error('no repaint within 5 s')), 5000);
    const finish = () => { if (t.svg !== undefined && t.eq !== undefined) resolve(t); };
    const painted = (key) => requestAnimationFrame(() => { t[key] = performance.now() - t.key; finish(); });
    document.addEventListener('keydown', () => { t.key = performance.now(); }, {once: true, capture: true});
    if (target.tagName === 'CANVAS') {
      const ctx = target.getContext('2d');
      const sample = () => { const d = ctx.getImageData(0, 0, target.width, target.height).data;
        let h = 0; for (let i = 0; i < d.length; i += 64) h = (h * 31 + d[i]) | 0; return h; };
      const before = sample();
      const poll = () => { if (t.key !== undefined && sample() !== before) painted('svg');
                           else requestAnimationFrame(poll); };
      requestAnimationFrame(poll);
    } else {
      new MutationObserver((m, o) => { o.disconnect(); painted('svg'); })
        .observe(target, {subtree: true, childList: true, attributes: true, characterData: true});
    }
    if (eq) {
      new MutationObserver((m, o) => { o.disconnect(); painted('eq'); })
        .observe(eq, {subtree: true, childList: true, characterData: true, attributes: true});
    } else { t.eq = 0; }
  });
}
"""

BARE_NOTEBOOK = {
    "cells": [
        {
            "cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
            "source": (
                "import ipywidgets as w\n"
                "s = w.FloatSlider(min=-1, max=1, step=0.01); label = w.HTML('<span id=\"echo\">0</span>')\n"
                "s.observe(lambda c: setattr(label, 'value', f'<span id=\"echo\">{c[\"new\"]}</span>'), 'value')\n"
                "w.VBox([s, label])"
            ),
        }
    ],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    "nbformat": 4, "nbformat_minor": 5,
}


def press_and_time(page, svg_sel, eq_sel, handle):
    page.evaluate(WATCH, [svg_sel, eq_sel])
    handle.press("ArrowRight")
    return page.evaluate("() => window.__timing", None)


HOLD = """
async ([presses, gap]) => {
  const box = document.querySelector('.equations-panel .bpx-formula');
  let last = performance.now();
  new MutationObserver(() => { last = performance.now(); })
    .observe(box, {subtree: true, childList: true, characterData: true, attributes: true});
  const handle = document.querySelector('.backprop-explorer .widget-slider .noUi-handle');
  handle.focus();
  let lastPress = 0;
  for (let i = 0; i < presses; i++) {
    handle.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowLeft', bubbles: true}));
    lastPress = performance.now();
    await new Promise((r) => setTimeout(r, gap));
  }
  // settled: nothing changed for a second; the last change's frame is the last paint
  while (performance.now() - last < 1000) await new Promise((r) => setTimeout(r, 50));
  return last - lastPress;
}
"""


def held_key(page, handle) -> float:
    """ms from the last of 30 presses (35 ms apart) until the equations stop changing."""
    handle.focus()
    return page.evaluate(HOLD, [30, 35])


def summary(name, samples):
    ms = np.array(samples)
    return f"{name:34s} median {np.median(ms):6.1f} ms   p95 {np.percentile(ms, 95):6.1f} ms   ({len(ms)} steps)"


def main() -> int:
    from playwright.sync_api import sync_playwright

    import json

    tmp = Path(tempfile.mkdtemp())
    (tmp / "bare.ipynb").write_text(json.dumps(BARE_NOTEBOOK))
    (tmp / "classroom.ipynb").write_text((ROOT / "notebooks" / "classroom.ipynb").read_text())
    from explorer.widgets.apps.classroom import voila_options

    options, env = voila_options()
    port = free_port()
    server = start_server(
        [sys.executable, "-m", "voila", "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1", *options, str(tmp)],
        f"http://127.0.0.1:{port}/", "bench-voila.log", env=env,
    )
    lines = ["Backprop Explorer in the browser: key press on a slider → repaint (Voila, headless chromium)"]
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})

            page.goto(f"http://127.0.0.1:{port}/voila/render/bare.ipynb", timeout=120_000)
            page.wait_for_selector("#echo", timeout=120_000)
            page.wait_for_timeout(1500)
            handle = page.locator(".noUi-handle").first
            bare = []
            for i in range(STEPS + WARM_UP):
                t = press_and_time(page, ".widget-html", None, handle)
                if i >= WARM_UP:
                    bare.append(t["svg"])
                page.wait_for_timeout(150)

            page.goto(f"http://127.0.0.1:{port}/voila/render/classroom.ipynb?scenario=healthy&layout=laptop", timeout=120_000)
            page.wait_for_selector(".backprop-explorer svg", timeout=120_000)
            page.wait_for_selector(".equations-panel .katex span.num[data-q]", timeout=120_000)
            page.wait_for_timeout(2500)
            handle = page.locator(".backprop-explorer .widget-slider .noUi-handle").first
            eq_sel = ".backprop-explorer .equations-panel .bpx-formula"
            svg, eq, both = [], [], []
            for i in range(STEPS + WARM_UP):
                t = press_and_time(page, ".backprop-explorer svg", eq_sel, handle)
                if i >= WARM_UP:
                    svg.append(t["svg"])
                    eq.append(t["eq"])
                    both.append(max(t["svg"], t["eq"]))
                page.wait_for_timeout(150)
            settle = [held_key(page, handle) for _ in range(3)]
            browser.close()
    finally:
        stop_server(server)
    lines += [
        summary("network diagram repainted", svg),
        summary("equations' numbers repainted", eq),
        summary("both (the dashboard up to date)", both),
        summary("held key: settled after the last press", settle),
        summary("reference: bare slider → HTML label", bare),
    ]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())



