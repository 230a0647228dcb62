"""What a page may send: every widget our panels build checks each message from the browser.

A page talks to the kernel through each widget's comm: an ``update`` sets traits, a ``custom``
message carries a button's click or a figure's request, ``request_state`` asks for the state.
Anyone who can open the page can send anything there: NaN to a slider, a string to a menu, a
megabyte of text, a new ``layout`` for a box. ipywidgets would clamp some of it, let some
through (a NaN reaches a slider's value) and raise on the rest, and ipykernel writes a
comm handler's traceback to the page.

So the widgets of our panels are ``Guarded``: before anything is applied, a message is checked
against what a person could have sent with that control (a slider's ``value``, a finite
number in its range; a menu's ``index`` among its options; a text field's ``value``, a string
of at most ``MAX_TEXT`` characters; a button's click while it is enabled; nothing at all for
a label, a box or a layout). A refused message changes nothing: the page gets the widget's
current state back (a dragged slider snaps back) and the panel holding the widget shows a
plain sentence in its message area (``MessageArea``). A handler that fails on an accepted
value (a bug, or a number the core refuses) is treated the same way: the widget's traits are
put back and the error's message is shown, never a traceback.

``ui`` (``explorer.widgets.ui``) gives the guarded ipywidgets classes under their usual names;
our anywidgets inherit ``Guarded`` themselves and list the traits their page may set in
``page_traits`` (and, for ``dict`` or ``list`` traits, check them in ``check_from_page``).
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import logging
import math
import numbers
import weakref
from collections.abc import Mapping

import ipywidgets as widgets
import traitlets

#: The longest text a text field accepts from the page (characters).
MAX_TEXT = 10_000
#: The largest file the upload button accepts (bytes); a scenario has its own, equal, limit.
MAX_UPLOAD = 2_000_000

LOG = logging.getLogger(__name__)  # tracebacks of failing handlers, at DEBUG (never to the page)


class Refused(ValueError):
    """A message from the page that cannot be applied; its text is shown to the person."""


# The traits a person can change with each standard control (what its view sends), by class.
_PAGE_TRAITS: tuple[tuple[type, tuple[str, ...]], ...] = (
    (widgets.FloatSlider, ("value",)),
    (widgets.FloatLogSlider, ("value",)),
    (widgets.IntSlider, ("value",)),
    (widgets.FloatText, ("value",)),
    (widgets.BoundedFloatText, ("value",)),
    (widgets.IntText, ("value",)),
    (widgets.BoundedIntText, ("value",)),
    (widgets.Dropdown, ("index",)),
    (widgets.Select, ("index",)),
    (widgets.ToggleButtons, ("index",)),
    (widgets.RadioButtons, ("index",)),
    (widgets.Text, ("value",)),
    (widgets.Textarea, ("value",)),
    (widgets.Checkbox, ("value",)),
    (widgets.ToggleButton, ("value",)),
    (widgets.FileUpload, ("value",)),
    (widgets.Accordion, ("selected_index",)),
    (widgets.Tab, ("selected_index",)),
    (widgets.Play, ("value", "playing", "repeat")),
)

_NOUNS = (
    (widgets.FileUpload, "the upload button"),
    (widgets.Button, "a button"),
    (widgets.FloatSlider, "a slider"), (widgets.IntSlider, "a slider"),
    (widgets.Dropdown, "a menu"), (widgets.Select, "a list"), (widgets.ToggleButtons, "a choice"),
    (widgets.Text, "a text field"), (widgets.Textarea, "a text field"),
    (widgets.Layout, "a layout"), (widgets.Style, "a style"), (widgets.Box, "a box"),
    (widgets.HTML, "a text"),
)


def describe(value) -> str:
    """A short, plain description of a value a page sent (never its whole text)."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, numbers.Real):
        if isinstance(value, float) and math.isnan(value):
            return "NaN"
        if isinstance(value, float) and math.isinf(value):
            return "infinity" if value > 0 else "minus infinity"
        return f"{value:g}" if isinstance(value, float) else str(value)
    if isinstance(value, str):
        return f"the text “{value[:20]}…” ({len(value):,} characters)" if len(value) > 20 else f"the text “{value}”"
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value):,} item{'s' if len(value) != 1 else ''}"
    if isinstance(value, Mapping):
        return f"an object with {len(value):,} key{'s' if len(value) != 1 else ''}"
    return f"a {type(value).__name__}"


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _number_in_range(widget, name: str, value, integer: bool) -> None:
    if not _is_number(value):
        raise Refused(f"takes a number, not {describe(value)}")
    if not math.isfinite(value):
        raise Refused(f"takes a finite number, not {describe(value)}")
    if integer and not float(value).is_integer():
        raise Refused(f"takes a whole number, not {describe(value)}")
    if integer and abs(value) > 2**53:  # beyond what the page's numbers hold exactly
        raise Refused(f"takes a whole number below 2⁵³, not {describe(value)}")
    low, high = getattr(widget, "min", None), getattr(widget, "max", None)
    if _is_number(low) and _is_number(high) and name == "value":
        slack = 0 if integer else 1e-9 * max(1.0, abs(high - low))  # the page's rounding to its step
        if not low - slack <= value <= high + slack:
            raise Refused(f"goes from {low:g} to {high:g}; {describe(value)} is outside")


def check_standard(widget, name: str, value) -> None:
    """Whether ``value`` for trait ``name`` is what a person could send with a standard control."""
    trait = widget.traits()[name]
    if name == "index":
        if not _is_number(value) or not float(value).is_integer():
            raise Refused(f"offers {len(widget.options)} choices; {describe(value)} is not one of them")
        if not 0 <= value < len(widget.options):
            raise Refused(f"offers {len(widget.options)} choices; there is no choice number {int(value) + 1}")
    elif name == "selected_index":
        if value is None:
            return
        if not _is_number(value) or not float(value).is_integer() or not 0 <= value < len(widget.children):
            raise Refused(f"has {len(widget.children)} sections; {describe(value)} is not one of them")
    elif isinstance(widget, widgets.FileUpload):
        _check_files(widget, value)
    elif isinstance(trait, traitlets.Bool):
        if not isinstance(value, bool):
            raise Refused(f"is on or off, not {describe(value)}")
    elif isinstance(trait, (traitlets.Float, traitlets.CFloat)):
        _number_in_range(widget, name, value, integer=False)
    elif isinstance(trait, (traitlets.Int, traitlets.CInt)):
        _number_in_range(widget, name, value, integer=True)
    elif isinstance(trait, traitlets.Unicode):
        if not isinstance(value, str):
            raise Refused(f"takes text, not {describe(value)}")
        if len(value) > MAX_TEXT:
            raise Refused(f"takes at most {MAX_TEXT:,} characters, not {len(value):,}")
    else:
        raise Refused(f"cannot take {describe(value)}")


def _check_files(widget, files) -> None:
    if not isinstance(files, (list, tuple)):
        raise Refused(f"takes files, not {describe(files)}")
    if len(files) > (100 if widget.multiple else 1):
        raise Refused(f"takes {'at most 100 files' if widget.multiple else 'one file'}, not {len(files):,}")
    for item in files:
        if not isinstance(item, Mapping) or set(item) != {"name", "type", "size", "content", "last_modified"}:
            raise Refused(f"takes files, not {describe(item)}")
        content = item["content"]
        if not isinstance(content, (memoryview, bytes)):
            raise Refused(f"takes a file's bytes, not {describe(content)}")
        size = memoryview(content).nbytes
        if size > MAX_UPLOAD:
            raise Refused(f"takes files up to {MAX_UPLOAD / 1e6:g} MB; this one has {size / 1e6:.1f} MB")
        if not (isinstance(item["name"], str) and len(item["name"]) <= 1000 and isinstance(item["type"], str)
                and len(item["type"]) <= 1000 and _is_number(item["size"]) and _is_number(item["last_modified"])
                and math.isfinite(item["last_modified"])):
            raise Refused("received a file whose name, type, size or date is not readable")
        try:
            dt.datetime.fromtimestamp(item["last_modified"] / 1000, tz=dt.timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise Refused("received a file whose date is not readable") from None


# ----------------------------------------------------------------------------- messages


class MessageArea:
    """A box (mixed in before its widget class) that shows refusals of the widgets inside it.

    ``tell(text)`` shows a sentence under the box's children (``notice``, an HTML widget added
    only while there is something to say); ``clear_notice()`` removes it. The guard finds the
    innermost area holding a refused widget.
    """

    def tell(self, text: str) -> None:
        notice = self.__dict__.get("notice")
        if notice is None:
            notice = self.__dict__["notice"] = Guarded.of(widgets.HTML)()
            notice.add_class("explorer-notice")
        notice.value = (f'<div role="alert" style="color:#b00020">⚠ {html.escape(text)}</div>')
        if notice not in self.children:
            self.children = (*self.children, notice)
        _SHOWING.add(self)

    def clear_notice(self) -> None:
        notice = self.__dict__.get("notice")
        _SHOWING.discard(self)
        if notice is not None and notice in self.children:
            self.children = tuple(c for c in self.children if c is not notice)
            notice.value = ""

    @property
    def notice_text(self) -> str:
        """The sentence shown, as plain text ("" when none)."""
        notice = self.__dict__.get("notice")
        if notice is None or notice not in self.children:
            return ""
        return html.unescape(notice.value.split("⚠ ", 1)[-1].removesuffix("</div>"))


_AREAS: weakref.WeakSet = weakref.WeakSet()
_SHOWING: weakref.WeakSet = weakref.WeakSet()


def watch(area: MessageArea) -> None:
    """Make ``area`` show the refusals of the widgets it holds."""
    _AREAS.add(area)


@functools.lru_cache(maxsize=None)
def _widget_traits(cls) -> tuple[str, ...]:
    """The synced traits of a widget class that hold widgets (children, layout, style, ...)."""
    to_widgets = widgets.widget_serialization["from_json"]
    return tuple(name for name, trait in cls.class_traits(sync=True).items()
                 if trait.metadata.get("from_json") is to_widgets)


def _tree(root) -> set[int]:
    """The ids of every widget reachable from ``root`` (children, and widgets held in traits)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        w = stack.pop()
        if id(w) in seen:
            continue
        seen.add(id(w))
        for name in _widget_traits(type(w)):
            value = getattr(w, name, None)
            if isinstance(value, widgets.Widget):
                stack.append(value)
            elif isinstance(value, (tuple, list)):
                stack.extend(v for v in value if isinstance(v, widgets.Widget))
        content = getattr(w, "widget", None)  # a panel's content (also its child)
        if isinstance(content, widgets.Widget):
            stack.append(content)
    return seen


def areas_of(widget) -> list[MessageArea]:
    """The innermost message areas holding ``widget``: one, unless the widget is shared (the
    KaTeX assets of every formula), in which case each panel showing it."""
    holding = {}
    for area in list(_AREAS):
        if area.comm is None:  # closed: no longer in any page
            _AREAS.discard(area)
            continue
        tree = _tree(area)
        if id(widget) in tree:
            holding[id(area)] = (area, tree)
    return [area for area, tree in holding.values()
            if not any(other in tree for other in holding if other != id(area))]


def tell(widget, text: str) -> None:
    """Show ``text`` in the message area holding ``widget`` (nowhere if none holds it)."""
    for area in areas_of(widget):
        area.tell(text)


def _accepted(widget) -> None:
    """A person's change went through: the notice of the area holding the widget goes away."""
    for area in list(_SHOWING):
        if id(widget) in _tree(area):
            area.clear_notice()


# ----------------------------------------------------------------------------- comm targets


class QuietTarget:
    """A kernel's comm target whose failures say nothing to the page (see ``quiet_comm_targets``)."""

    def __init__(self, name: str, target):
        self.name = name
        self.target = target

    def __call__(self, comm, msg) -> None:
        try:
            self.target(comm, msg)
        except Exception:  # noqa: BLE001 - whatever a page's comm_open makes ipywidgets raise
            LOG.debug("refused a %s comm opened by the page", self.name, exc_info=True)
            try:
                comm.close()  # the page learns the comm is closed, as it would otherwise
            except Exception:  # noqa: BLE001
                LOG.debug("could not close the refused %s comm", self.name, exc_info=True)


def quiet_comm_targets(manager=None) -> None:
    """Wrap the widget comm targets of the kernel's comm manager (or of ``manager``) in ``QuietTarget``.

    A page opens a ``jupyter.widget.control`` comm (its widget manager, asking for every state)
    and may open ``jupyter.widget`` comms (a widget made in the page). ipywidgets raises when it
    cannot take such an open (a control comm without the protocol's version in its metadata, a
    widget of an unknown model), and the comm manager then logs the traceback at ERROR on the
    kernel's stderr, which the kernel sends to the page. Wrapped, the failure is logged at DEBUG
    on this module's logger, the comm is closed, and nothing is shown. Done on import; calling
    it again wraps only targets registered since.
    """
    if manager is None:
        from ipywidgets.comm import get_comm_manager  # where ipywidgets registered its targets

        manager = get_comm_manager()
    targets = getattr(manager, "targets", None)
    if not isinstance(targets, Mapping):
        return
    for name, target in list(targets.items()):
        if name.startswith("jupyter.widget") and not isinstance(target, QuietTarget):
            manager.register_target(name, QuietTarget(name, target))


quiet_comm_targets()


# ----------------------------------------------------------------------------- the guard


class Guarded:
    """Mixed in before a widget class: every message from the page is checked before it is applied.

    ``page_traits`` are the traits the page may set (by default those of the standard control
    the class derives from; none for labels, boxes and layouts). ``check_from_page(name,
    value)`` raises ``Refused`` for a value a person could not have sent; ``accepts_custom``
    says which custom messages are expected (a button's click while enabled).
    """

    page_traits: tuple[str, ...] | None = None
    #: What a person calls this widget, when it has no description ("the network diagram").
    page_noun: str | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The layout and style ipywidgets makes by itself have comms of their own: the page can
        # send them updates too, and nothing it sends them is a person's.
        for name in ("layout", "style"):
            part = getattr(self, name, None) if name in self.keys else None
            if isinstance(part, widgets.Widget) and not isinstance(part, Guarded) and part.comm is not None:
                part.comm.on_msg(functools.partial(_refuse_all, part))

    @classmethod
    def of(cls, base: type) -> type:
        """The guarded subclass of the ipywidgets class ``base`` (made once)."""
        made = _GUARDED.get(base)
        if made is None:
            made = _GUARDED[base] = type(base.__name__, (cls, base), {"__module__": __name__, "__doc__": base.__doc__})
        return made

    def settable_from_page(self) -> tuple[str, ...]:
        if self.page_traits is not None:
            return self.page_traits
        for base, names in _PAGE_TRAITS:
            if isinstance(self, base):
                return names
        return ()

    def check_from_page(self, name: str, value) -> None:
        check_standard(self, name, value)

    def accepts_custom(self, content) -> bool:
        return isinstance(self, widgets.Button) and content == {"event": "click"} and not self.disabled

    def page_label(self) -> str:
        """The control as a person knows it: its description, or what kind of thing it is."""
        return _label(self)

    def _handle_msg(self, msg):
        keys: list[str] = []
        try:
            data = _data_of(msg)
            method = data.get("method") if isinstance(data, Mapping) else None
            if method == "request_state":
                return super()._handle_msg(msg)
            if method == "update":
                state = data.get("state")
                keys = [k for k in state if isinstance(k, str)] if isinstance(state, Mapping) else []
                self._check_update(data, msg.get("buffers") or [])
                _accepted(self)
            elif method == "custom":
                content = data.get("content")
                if not self.accepts_custom(content):
                    raise Refused(f"{self.page_label()} did not expect that message ({describe(content)}); nothing was done")
                if isinstance(self, widgets.Button):  # a person's click (a figure asking for its numbers is not)
                    _accepted(self)
            else:
                raise Refused(f"{self.page_label()} received a message it does not know ({describe(method)}); nothing was done")
        except Refused as refusal:
            return self._refuse(str(refusal), keys)
        old = {k: getattr(self, k) for k in keys}
        try:
            self._apply(data, msg.get("buffers") or [])
        except Exception as error:  # a handler failed on an accepted value: put the traits back
            LOG.debug("a handler failed on a message from the page", exc_info=True)
            said = str(error) if len(str(error)) <= 200 else str(error)[:200] + "…"
            reason = said if isinstance(error, Refused) else f"that change could not be applied ({said})"
            with self.hold_sync():
                for k, v in old.items():
                    try:
                        setattr(self, k, v)
                    except Exception:  # the old value was valid; nothing sensible to add
                        LOG.debug("could not restore %s", k, exc_info=True)
            return self._refuse(f"{self.page_label()}: {reason}", keys)

    def _apply(self, data, buffers) -> None:
        """What ipywidgets does with a checked message, without its catch-all: ipywidgets shows
        a handler's exception as a traceback (sent to the page in a kernel); here it is raised,
        for ``_handle_msg`` to put the control back and say why in words."""
        if data["method"] == "update":
            state = data["state"]
            paths = data.get("buffer_paths", [])
            self.set_state(_with_buffers(state, paths, buffers) if paths else state)
            return
        content = data.get("content")
        # a button's click handlers, then the widget's message handlers, each called here
        handlers = list(self._click_handlers.callbacks) if isinstance(self, widgets.Button) else []
        for handler in handlers:
            handler(self)
        for handler in list(self._msg_callbacks.callbacks):
            if isinstance(self, widgets.Button) and handler == self._handle_button_msg:
                continue  # the clicks above
            handler(self, content, buffers)

    def _check_update(self, data, buffers) -> None:
        state = data.get("state")
        if not isinstance(state, Mapping):
            raise Refused(f"{self.page_label()} received an update without a state")
        allowed = self.settable_from_page()
        for name in state:
            if name not in allowed:
                what = f"“{name[:40]}”" if isinstance(name, str) else describe(name)
                raise Refused(f"{self.page_label()} takes no {what} from the page; nothing was changed")
        paths = data.get("buffer_paths", [])
        if paths or buffers:
            if not isinstance(self, widgets.FileUpload):
                raise Refused(f"{self.page_label()} does not take binary data")
            _check_buffer_paths(state, paths, buffers)
            state = _with_buffers(state, paths, buffers)
        if getattr(self, "disabled", False):
            raise Refused(f"{self.page_label()} is switched off for now")
        for name, value in state.items():
            try:
                self.check_from_page(name, value)
            except Refused as refusal:
                raise Refused(f"{self.page_label()} {refusal}; nothing was changed") from None

    def _refuse(self, text: str, keys) -> None:
        shown = [k for k in keys if k in self.keys]
        if shown and self.comm is not None:
            self.send_state(shown)  # the page shows the unchanged value again
        tell(self, text)


_GUARDED: dict[type, type] = {}


def _data_of(msg):
    content = msg.get("content") if isinstance(msg, Mapping) else None
    return content.get("data") if isinstance(content, Mapping) else None


def _label(widget) -> str:
    noun = getattr(widget, "page_noun", None)
    if noun:
        return noun
    label = getattr(widget, "description", "")
    if isinstance(label, str) and label.strip():
        return f"“{label.strip()}”"
    for base, noun in _NOUNS:
        if isinstance(widget, base):
            return noun
    return "this part of the page"


def _refuse_all(widget, msg) -> None:
    """The comm handler of a layout or style made by ipywidgets: the page may only ask for its state."""
    data = _data_of(msg)
    method = data.get("method") if isinstance(data, Mapping) else None
    if method == "request_state":
        widget.send_state()
        return
    state = data.get("state") if isinstance(data, Mapping) else None
    shown = [k for k in state if k in widget.keys] if isinstance(state, Mapping) else []
    if shown:
        widget.send_state(shown)
    tell(widget, f"{_label(widget)} cannot be changed from the page; nothing was changed")


def _check_buffer_paths(state, paths, buffers) -> None:
    if not isinstance(paths, list) or not isinstance(buffers, (list, tuple)) or len(paths) != len(buffers):
        raise Refused("the upload button received binary data it cannot place")
    for path in paths:
        if (not isinstance(path, list) or not 1 <= len(path) <= 4
                or not all(isinstance(p, (str, int)) and not isinstance(p, bool) for p in path)):
            raise Refused("the upload button received binary data it cannot place")


def _with_buffers(state, paths, buffers):
    """A copy of ``state`` with the buffers placed (the check runs on what would be applied)."""
    import copy

    placed = copy.deepcopy(dict(state))
    for path, buffer in zip(paths, buffers):
        obj = placed
        try:
            for key in path[:-1]:
                obj = obj[key]
            obj[path[-1]] = memoryview(buffer)
        except (KeyError, IndexError, TypeError):
            raise Refused("the upload button received binary data it cannot place") from None
    return placed


__all__ = ["MAX_TEXT", "MAX_UPLOAD", "Guarded", "MessageArea", "Refused", "areas_of", "check_standard",
           "describe", "tell", "watch"]
