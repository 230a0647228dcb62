"""Links that carry the whole state: a scenario (and which panel is open) in a page's address.

A link is the query parameter ``s=1.<data>``: ``1`` is the link format's version, ``<data>`` the
base64url text (no padding) of the zlib-compressed, compact JSON of the scenario's dict
(``explorer.scenarios.scenario_to_dict``, less the parts every scenario shares: ``format``,
``version``, ``notation`` and the selection's ``name``), plus an optional ``"view"`` object
(``{"open": ["scenario"]}``: the sections of the page that are open). Floats are written as
``repr``, so a link gives back the same bits.

Reading a link is guarded before anything proportional to a hostile size is made: the
parameter's length is checked first (``MAX_LINK_CHARS``), then its alphabet, then the version,
and the JSON is decompressed with a ceiling (``MAX_JSON_BYTES``), so a zip bomb stops after that
many bytes. The scenario inside is then checked by ``explorer.scenarios`` as any file is.
Anything wrong raises a ``LinkError`` (a ``ScenarioError``) whose message a person can read.

Plain Python (no widgets): ``explorer.widgets.drawing.address`` writes a link to the page's
address, ``Explorer.from_scenario`` opens one in a notebook.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from .scenarios import (
    FORMAT,
    VERSION,
    Scenario,
    ScenarioError,
    parse_scenario_text,
    read_scenario,
    scenario_to_dict,
)

__all__ = [
    "LINK_PARAMETER",
    "LINK_VERSION",
    "MAX_JSON_BYTES",
    "MAX_LINK_CHARS",
    "Link",
    "LinkError",
    "link_in",
    "link_query",
    "looks_like_link",
    "read_link",
    "scenario_link",
]

#: The version written before the first dot; a link of another version is refused, not guessed.
LINK_VERSION = 1
#: The query parameter that holds a link: ``?s=1.…``.
LINK_PARAMETER = "s"
#: The longest parameter read (characters). Browsers and servers handle far longer addresses,
#: but a link is meant to be pasted into a chat; this holds about 2,400 parameters of 17 digits
#: (measured: a [34, 34, 34] network, 2,380 parameters, makes a 30,726-character link).
MAX_LINK_CHARS = 32_000
#: The largest JSON a link may decompress to (bytes); decompression stops there.
MAX_JSON_BYTES = 256_000
#: The names a view's "open" list may hold: the page's sections that can be opened or closed
#: ("scenario", the laptop layout's "Save or load a scenario") and the presenter layout's
#: high-contrast theme ("contrast"), which a teacher switches on for a washed-out projector.
VIEW_SECTIONS = ("scenario", "contrast")

_ALPHABET = re.compile(r"[A-Za-z0-9_-]*")
_SHARED = ("format", "version", "notation")


class LinkError(ScenarioError):
    """A link that cannot be opened, and why, in words for the person who opened it."""


@dataclass(frozen=True)
class Link:
    """What a link holds: the checked ``scenario`` and the ``view`` ({"open": [...]})."""

    scenario: Scenario
    view: Mapping = field(default_factory=lambda: {"open": []})


# ----------------------------------------------------------------------------- writing


def _compact(scenario: Scenario, view: Mapping | None) -> dict:
    data = scenario_to_dict(scenario)
    for key in _SHARED:
        data.pop(key, None)
    data["selection"].pop("name", None)
    if view:
        data["view"] = _check_view(view)
    return data


def scenario_link(scenario: Scenario, view: Mapping | None = None) -> str:
    """The link's parameter value, ``"1.<base64url>"``, of a scenario (and a view).

    ``scenario`` is anything ``read_scenario`` reads (a Scenario, a dict, a prepared one's name,
    a path). A scenario too large for a link raises a LinkError saying so.
    """
    scenario = read_scenario(scenario)
    text = json.dumps(_compact(scenario, view), separators=(",", ":"), allow_nan=False, ensure_ascii=False)
    raw = text.encode("utf-8")
    if len(raw) > MAX_JSON_BYTES:
        raise LinkError(
            f"this scenario is too large for a link ({len(raw):,} bytes of JSON, at most "
            f"{MAX_JSON_BYTES:,}); save it as a file instead"
        )
    packed = base64.urlsafe_b64encode(zlib.compress(raw, 9)).rstrip(b"=").decode("ascii")
    value = f"{LINK_VERSION}.{packed}"
    if len(value) > MAX_LINK_CHARS:
        raise LinkError(
            f"this scenario is too large for a link ({len(value):,} characters, at most "
            f"{MAX_LINK_CHARS:,}); save it as a file instead"
        )
    return value


def link_query(scenario: Scenario, view: Mapping | None = None) -> str:
    """The query string of a link, ``"s=1.…"`` (base64url needs no escaping in an address)."""
    return f"{LINK_PARAMETER}={scenario_link(scenario, view)}"


# ----------------------------------------------------------------------------- reading


def link_in(text: str | None) -> str | None:
    """The link's value in an address, a query string or a bare value; None when there is none.

    ``"https://host/app?s=1.eJ…&x=2"``, ``"?s=1.eJ…"``, ``"s=1.eJ…"`` and ``"1.eJ…"`` all give
    ``"1.eJ…"``. The length is checked first, so a huge text is refused without being parsed.
    """
    if text is None:
        return None
    if not isinstance(text, str):
        raise LinkError(f"a link is text, got {type(text).__name__}")
    if len(text) > MAX_LINK_CHARS + 4096:
        raise LinkError(_too_long(len(text)))
    text = text.strip()
    if "=" not in text and "?" not in text and "/" not in text:
        return text or None
    query = urlsplit(text).query if "://" in text or text.startswith(("/", "?")) else text
    values = parse_qs(query, keep_blank_values=True).get(LINK_PARAMETER)
    return values[-1] if values else None


def looks_like_link(text) -> bool:
    """Whether a str is meant as a link (an address or query with ``s=``, or a ``1.…`` value)
    rather than a scenario's name or a file's path."""
    if not isinstance(text, str):
        return False
    head = text.strip()[:200]
    if head.startswith(("http://", "https://", "?")) or re.match(rf"(.*[?&])?{LINK_PARAMETER}=", head):
        return True
    return bool(re.fullmatch(r"[0-9]+\.[A-Za-z0-9_-]+", head[:60])) and not head.endswith(".json")


def _too_long(n: int) -> str:
    return f"the link is too long ({n:,} characters; a link holds at most {MAX_LINK_CHARS:,})"


@contextlib.contextmanager
def _refused_as_link(cannot: str, too_deep: str):
    """A scenario's refusal (or a recursion too deep) inside the block, said as a LinkError."""
    try:
        yield
    except LinkError:
        raise
    except ScenarioError as error:
        raise LinkError(f"{cannot}: {error}") from None
    except RecursionError:
        raise LinkError(too_deep) from None


def _check_view(view) -> dict:
    if not isinstance(view, Mapping):
        raise LinkError(f"the link's view is not an object (got {type(view).__name__})")
    unknown = sorted(set(view) - {"open"})
    if unknown:
        raise LinkError(f"the link's view has an unknown key {unknown[0]!r}; allowed: open")
    opened = view.get("open", [])
    if not isinstance(opened, list) or not all(isinstance(s, str) for s in opened):
        raise LinkError("the link's view.open is not a list of section names")
    bad = [s for s in opened if s not in VIEW_SECTIONS]
    if bad:
        raise LinkError(
            f"the link's view.open names an unknown section {bad[0][:40]!r}; known: {', '.join(VIEW_SECTIONS)}"
        )
    return {"open": list(dict.fromkeys(opened))}


def _inflate(packed: bytes) -> bytes:
    """zlib data to bytes, stopping after MAX_JSON_BYTES (a zip bomb stops there too)."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(packed, MAX_JSON_BYTES)
    except zlib.error:
        raise LinkError("the link is damaged (its data is not compressed as a link's is)") from None
    if inflater.unconsumed_tail:
        raise LinkError(
            f"the link unpacks to more than {MAX_JSON_BYTES:,} bytes, more than any link this "
            "program writes"
        )
    if not inflater.eof:
        raise LinkError("the link is cut short (it may have been copied only in part)")
    if inflater.unused_data:
        raise LinkError("the link is damaged (it has extra data after its end)")
    return out


def read_link(text: str) -> Link:
    """The scenario and view of a link (an address, a query string or the ``1.…`` value).

    Raises LinkError, with a message for people, for anything that is not a link this program
    wrote: too long, wrong characters, another version, damaged data, or a scenario that
    ``explorer.scenarios`` refuses (its message is kept).
    """
    value = link_in(text)
    if value is None:
        raise LinkError(f"there is no link here (a link is the address parameter {LINK_PARAMETER}=…)")
    if len(value) > MAX_LINK_CHARS:
        raise LinkError(_too_long(len(value)))
    version, dot, packed = value.partition(".")
    if not dot:
        raise LinkError(f"the link has no version (a link starts {LINK_VERSION}.)")
    if version != str(LINK_VERSION):
        shown = version[:12] + ("…" if len(version) > 12 else "")
        raise LinkError(
            f"the link is of version {shown!r}, and this program reads version {LINK_VERSION} "
            "(was it made by a newer Backprop Explorer?)"
        )
    if not _ALPHABET.fullmatch(packed):
        raise LinkError("the link is damaged (it holds characters a link never has)")
    try:
        raw = base64.urlsafe_b64decode(packed + "=" * (-len(packed) % 4))
    except (binascii.Error, ValueError):
        raise LinkError("the link is damaged (it is cut at a wrong length)") from None
    with _refused_as_link("the link's data cannot be used", "the link's data is nested too deeply to be a scenario"):
        text = parse_scenario_text(_inflate(raw), "the link")
    if not isinstance(text, dict):
        raise LinkError("the link does not hold a scenario (its data is not a JSON object)")
    view = _check_view(text.pop("view", {"open": []}))
    for key in _SHARED:
        if key in text:
            raise LinkError(f"the link's scenario has a key {key!r} that a link leaves out")
    data = {"format": FORMAT, "version": VERSION, **text}
    with _refused_as_link("the link's scenario cannot be used", "the link's scenario is nested too deeply to be read"):
        scenario = read_scenario(data)
    return Link(scenario, view)
