"""One notation everywhere, the book's, and one way to end a notebook.

Every notebook's markdown and everything a panel shows (its HTML, labels, choices, tooltips, the
texts of its figures and of the network diagram) is read here as a person would read it, and
searched for the forms the project does not use: "delta" for δ, array indices w[l] or w_jk for
w^l_jk, dC/dw for ∂C/∂w, "sigma'" for σ′, and numbers written 5e−4 (README: 5×10⁻⁴).
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import ipywidgets as widgets
import numpy as np
import pytest

from explorer import Network
from explorer.widgets import Explorer  # the app holds the dashboard's panels
from explorer.widgets.apps.classroom import Classroom
from explorer.widgets.chapter.cost_assumptions import CostAssumptionsPanel
from explorer.widgets.chapter.forward import ForwardPanel
from explorer.widgets.chapter.hadamard import HadamardPanel
from explorer.widgets.chapter.paths import PathsPanel
from explorer.widgets.chapter.proofs import ProofsPanel
from explorer.widgets.chapter.race import RacePanel
from explorer.widgets.chapter.slope import SlopePanel
from explorer.widgets.dashboard.diagram import DiagramView
from explorer.widgets.drawing import Formula, Plot
from explorer.widgets.state import ExplorerState

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

#: What people must not read, with what to write instead.
FORBIDDEN = {
    r"\bdelta\b": "δ",
    r"\bw\[": "w^l_jk (w³₂₄), not an array index",
    r"\bw_\{?jk\b": "w^l_jk (w³₂₄)",
    r"\bd[A-Z]_?x?/d[a-z]": "∂C/∂w",
    r"\bsigma\b|\bsigma'": "σ, σ′",
    r"\b\d+(?:\.\d+)?e[−+-]?\d+\b": "the one number format: 5×10⁻⁴",
}
#: Raw TeX-like names (z^3_2, x_1) in plain text; figures write them so on purpose (Plot typesets
#: "^" and "_" as raised and lowered text), so this rule is for HTML and widget labels only.
RAW_NAME = r"(?<![\w\\])[a-zA-Zδσ]\^\{?[0-9lL]|(?<![\w\\])[a-zA-Zδ]_\{?[0-9jk]"


def problems(text: str, raw_names: bool = True) -> list[str]:
    rules = dict(FORBIDDEN, **({RAW_NAME: "w³₂₄ in plain text, <sup>/<sub> in HTML"} if raw_names else {}))
    return [f"{m.group(0)!r} in {text[max(0, m.start() - 40): m.end() + 40]!r}: write {fix}"
            for rule, fix in rules.items() for m in re.finditer(rule, text, flags=re.IGNORECASE if rule == r"\bdelta\b" else 0)]


def readable(markup: str) -> str:
    """What a person reads in some HTML: no tags or attributes, no code, no TeX, entities decoded."""
    markup = re.sub(r"<(code|pre|script|style)\b.*?</\1>", " ", markup, flags=re.S)
    # TeX typeset by KaTeX (a Formula's <span class="tex">): the book's notation by construction
    markup = re.sub(r'<(span|div) class=["\']tex[^"\']*["\']>.*?</\1>', " ", markup, flags=re.S)
    markup = re.sub(r"<[^>]+>", " ", markup)
    markup = re.sub(r"\$\$.*?\$\$|\$[^$]*\$|\\\(.*?\\\)", " ", markup, flags=re.S)
    return html.unescape(markup)


def markdown_prose(source: str) -> str:
    """A notebook cell's markdown without code (fenced blocks, `spans`), links' targets and TeX."""
    source = re.sub(r"```.*?```", " ", source, flags=re.S)
    source = re.sub(r"`[^`]*`", " ", source)
    source = re.sub(r"\]\([^)]*\)", "]", source)
    return readable(source)


def figure_texts(spec) -> list[str]:
    """Every string of a figure's spec that is drawn as text."""
    out = []
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key in {"title", "xlabel", "ylabel", "text", "description", "columnName"} and isinstance(value, str):
                out.append(value)
            elif key == "rowNames" and isinstance(value, list):
                out += [v for v in value if isinstance(v, str)]
            else:
                out += figure_texts(value)
    elif isinstance(spec, (list, tuple)):
        for item in spec:
            out += figure_texts(item)
    return out


def shown(widget, seen=None) -> tuple[list[str], list[str]]:
    """(texts read as HTML or labels, texts drawn in figures) of a widget and all it contains."""
    seen = set() if seen is None else seen
    if id(widget) in seen:
        return [], []
    seen.add(id(widget))
    texts, figures = [], []
    if isinstance(widget, Formula):
        texts.append(readable(widget.filled()))
        texts += [str(v[0]) for v in widget.numbers.values()]  # the numbers in its slots, TeX ones too
    elif isinstance(widget, Plot):
        figures += figure_texts(widget.spec) + figure_texts(widget.data)
    elif isinstance(widget, DiagramView):
        frame = widget.frame
        texts += list(frame.get("captions", [])) + [frame.get("cost_text", ""), frame.get("cost_caption", "")]
        texts += [v for lg in frame.get("legend", {}).values() for k, v in lg.items() if k in ("title", "lo", "hi")]
    elif isinstance(widget, (widgets.HTML, widgets.HTMLMath, widgets.Label)):
        texts.append(readable(widget.value))
    for name in ("description", "tooltip", "placeholder"):
        value = getattr(widget, name, None)
        if isinstance(value, str):
            texts.append(readable(value))
    options = getattr(widget, "options", None)
    if isinstance(widget, (widgets.Dropdown, widgets.ToggleButtons, widgets.RadioButtons, widgets.Select,
                           widgets.SelectMultiple, widgets.SelectionSlider)):
        texts += [o[0] if isinstance(o, tuple) else str(o) for o in options]
    for child in getattr(widget, "children", ()) or ():
        t, f = shown(child, seen)
        texts += t
        figures += f
    # a panel's parts that are not (yet) children of a box it shows
    for value in vars(widget).values() if hasattr(widget, "__dict__") else ():
        if isinstance(value, widgets.Widget) and not isinstance(value, type(widget)):
            t, f = shown(value, seen)
            texts += t
            figures += f
    return texts, figures


def state():
    return ExplorerState(Network([2, 3, 3, 2], seed=1), np.array([0.8, -0.4]), np.array([1.0, 0.0]))


PANELS = {
    "Explorer": lambda: Explorer(state=state()),
    "Classroom": lambda: Classroom(),
    "ForwardPanel": lambda: ForwardPanel(state()),
    "CostAssumptionsPanel": lambda: CostAssumptionsPanel(state()),
    "HadamardPanel": lambda: HadamardPanel(state=state()),
    "SlopePanel": lambda: SlopePanel(state()),
    "ProofsPanel": lambda: ProofsPanel(state()),
    "PathsPanel": lambda: PathsPanel(state()),
    "RacePanel": lambda: RacePanel(networks=((2, 3, 1),)),
}


@pytest.mark.parametrize("name", PANELS)
def test_every_panel_shows_the_books_notation_and_the_one_number_format(name):
    panel = PANELS[name]()
    if name == "Explorer":  # a selected weight and neuron open the equations and the demon
        panel.state.select_neuron(panel.state.network.L, 0)
    if name == "RacePanel":
        panel.measure(complete_seconds=0.05, sample_seconds=0.02)
    texts, figures = shown(panel)
    assert any(t.strip() for t in texts)
    found = [p for t in texts for p in problems(t)] + [p for t in figures for p in problems(t, raw_names=False)]
    panel.close()
    assert not found, "\n".join(found)


def test_the_scan_finds_what_it_looks_for():
    """The rules catch each mixed form (so a clean result above means something)."""
    for bad in ("the delta of layer 2", "w[3][1, 3]", "w_jk", "dC/dw", "sigma'(z)", "Δz = 5e-4", "0.0005 or 5e−04",
                "z^3_2 = 0.1", "x_1 = 0.8"):
        assert problems(bad), bad
    for good in ("δ³₂ = −0.05", "w³₂₄", "∂C/∂w", "σ′(z)", "5×10⁻⁴", "x₁", "2e"):
        assert not problems(good), good


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_notebooks_text_uses_the_books_notation(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    found = [p for c in nb["cells"] if c["cell_type"] == "markdown"
             for p in problems(markdown_prose("".join(c["source"])))]
    assert not found, "\n".join(found)


def title(path: Path) -> str:
    """A notebook's heading without its section number: "The demon, and a nudged weight"."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    heading = "".join(nb["cells"][0]["source"]).splitlines()[0]
    return re.sub(r"^#\s+(\d+ · )?", "", heading).strip()


NEXT = re.compile(r"^\*\*Next:\*\* \[(\d\d) — (.+)\]\((\d\d_[a-z0-9_]+\.ipynb)\)$")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_notebook_ends_with_the_same_next_line(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    last = nb["cells"][-1]
    assert last["cell_type"] == "markdown"
    line = "".join(last["source"]).rstrip().splitlines()[-1]
    match = NEXT.match(line)
    assert match, line
    number, shown_title, target = match.groups()
    # the next notebook in order, the last one back to the tour; it exists and the title is its own
    index = NOTEBOOKS.index(path)
    expected = NOTEBOOKS[(index + 1) % len(NOTEBOOKS)]
    assert target == expected.name and (ROOT / "notebooks" / target).exists()
    assert number == target[:2] and shown_title == title(expected)
