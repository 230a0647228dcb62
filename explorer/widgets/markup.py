"""Numbers and the book's names as HTML and TeX: the one place panels get their markup from.

Every live number a panel shows is ``<span class="num" data-q="…" data-value="…">`` (the
browser tests read the exact value from ``data-value``); a short vector is ``span.vec`` with
``data-values``. Shown digits use a true minus sign (−) and "—" for a number that is not finite.
"""

from __future__ import annotations

import math

import numpy as np

from ..core.notation import number as _number
from ..core.notation import plain_name  # noqa: F401  ('w^3_24' as 'w³₂₄'; panels take it from here)

#: More entries than this of a vector are cut short with "…".
MAX_VECTOR = 6


def number(value: float, digits: int = 4, signed: bool = False) -> str:
    """The one number format (``explorer.core.notation.number``): ``digits`` significant
    figures, 0.0005 written 5×10⁻⁴; ``signed`` shows "+" on positive numbers (and "0" plain)."""
    return _number(value, digits, signed)


def exact(value: float) -> str:
    """The full-precision value for a data attribute; empty when it is not a finite number."""
    value = float(value)
    return repr(value) if math.isfinite(value) else ""


def num_span(q: str, value: float, digits: int = 4, signed: bool = False, title: str = "") -> str:
    """A number as ``<span class="num" data-q=q data-value=exact>shown</span>``."""
    tip = f' title="{title}"' if title else ""
    return f'<span class="num" data-q="{q}" data-value="{exact(value)}"{tip}>{number(value, digits, signed)}</span>'


def vector_span(q: str, values, digits: int = 3, signed: bool = False, limit: int = MAX_VECTOR) -> str:
    """A short vector [0.012, −0.004, …] as a span; ``data-values`` holds every entry exactly."""
    values = np.asarray(values, dtype=float).reshape(-1)
    shown = [number(v, digits, signed) for v in values[:limit]] + (["…"] if values.size > limit else [])
    every = ",".join(exact(v) for v in values)
    return f'<span class="vec" data-q="{q}" data-values="{every}">[{", ".join(shown)}]</span>'


def html_name(name: str) -> str:
    """'δ^2_1' (from ``explorer.core.notation``) as HTML: δ<sup>2</sup><sub>1</sub>."""
    head, _, rest = name.partition("^")
    sup, _, sub = rest.partition("_")
    return f"{head}<sup>{sup}</sup><sub>{sub}</sub>" if rest else head


def agreement_mark(ok: bool, computable: bool = True) -> str:
    """✓ agrees / ✗ differs, or a "?" when the finite-difference side could not be computed."""
    if not computable:
        return '<span class="mark none" style="color:#8a6d00">? the cost could not be evaluated next to this point</span>'
    if ok:
        return '<span class="mark ok" style="color:#1a7f37;font-weight:bold">✓ agrees</span>'
    return '<span class="mark bad" style="color:#b00020;font-weight:bold">✗ differs</span>'


def formula_number(value: float, digits: int = 4, paren: bool = False) -> str:
    """A number as it appears inside a typeset formula: 0.1234, −0.05, 1.2×10⁻⁵, "—".

    The same format as ``number``; ``paren`` puts a negative number in parentheses, as a
    factor in a product is written. Plain text, so a formula's numbers can be written into the
    typeset formula in place, without typesetting again.
    """
    text = number(value, digits)
    return f"({text})" if paren and text.startswith("−") else text
