"""Only the core touches the core's underscore names: everything else lives on the public API.

The check reads the source (no import), so it sees every module, script and notebook cell:
an attribute ``obj._name`` of anything but ``self``/``cls``, or ``from m import _name``, is a
private name reached from outside its owner. Dunder names and IPython's display protocol
(``_repr_mimebundle_``, ``_ipython_display_``) are public by definition.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PUBLIC_PROTOCOL = re.compile(r"^(__\w+__|_repr_\w+_|_ipython_\w+_)$")


def private_uses(source: str) -> list[tuple[int, str]]:
    """(line, text) of every underscore name of another object or module in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            if PUBLIC_PROTOCOL.match(node.attr):
                continue
            owner = node.value
            if isinstance(owner, ast.Name) and owner.id in ("self", "cls"):
                continue
            if isinstance(owner, ast.Call) and getattr(owner.func, "id", None) == "super":
                continue
            found.append((node.lineno, f"{ast.unparse(owner)}.{node.attr}"))
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name.startswith("_") and not PUBLIC_PROTOCOL.match(alias.name):
                    found.append((node.lineno, f"from {node.module} import {alias.name}"))
    return found


def outside_core() -> list[tuple[str, str]]:
    """(label, source) of every Python file and notebook cell outside explorer/core."""
    sources = []
    for folder in ("explorer", "scripts", "tests"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel.startswith("explorer/core/") or rel == "tests/test_public_api.py":
                continue
            sources.append((rel, path.read_text(encoding="utf-8")))
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for n, cell in enumerate(cells):
            if cell["cell_type"] == "code":
                code = "".join(cell["source"])
                # IPython magics are not Python; they never name a private attribute here.
                code = "\n".join(l for l in code.splitlines() if not l.lstrip().startswith(("%", "!")))
                sources.append((f"{path.relative_to(ROOT).as_posix()} cell {n}", code))
    return sources


def test_the_checker_finds_private_names():
    # The checker itself must be able to fail: it sees each kind of reach-in, and nothing else.
    source = (
        "from explorer.core.network import _MixedActivation\n"
        "x = net._inputs(a)\n"
        "self._own = 1\n"
        "super()._setup()\n"
        "y = widget._repr_mimebundle_()\n"
        "z = obj.__class__\n"
    )
    assert private_uses(source) == [
        (1, "from explorer.core.network import _MixedActivation"),
        (2, "net._inputs"),
    ]


def test_no_private_name_is_reached_outside_the_core():
    uses = [f"{label}:{line}: {text}" for label, src in outside_core() for line, text in private_uses(src)]
    assert not uses, f"{len(uses)} private names reached outside their owner:\n" + "\n".join(uses)
