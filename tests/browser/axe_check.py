"""axe-core (its npm release, in ``tests/browser/axe/``, written by ``scripts/bundle_axe.py``)
injected into the page under test: nothing is fetched."""

from __future__ import annotations

from pathlib import Path

AXE = Path(__file__).with_name("axe") / "axe.min.js"

RUN = """async (context) => {
  const result = await axe.run(context ? document.querySelector(context) : document, {resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => `${n.target.join(" ")}: ${n.failureSummary.replace(/\\s+/g, " ").slice(0, 200)}`),
  }));
}"""


def violations(page, context: str | None = None, impacts=("critical", "serious")) -> list[dict]:
    """axe-core's violations of the given impacts, for the whole page or one element (a CSS selector)."""
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    return [v for v in page.evaluate(RUN, context) if v["impact"] in impacts]


def report(found: list[dict]) -> str:
    return "\n".join(f"{v['impact']} {v['id']} ({v['help']}):\n    " + "\n    ".join(v["nodes"][:5]) for v in found)
