"""A small client that speaks to a Voila page's kernel the way the page itself does.

It opens a page over HTTP, reads the page's kernel id, and connects to that kernel's
``/api/kernels/<id>/channels`` websocket with the v1 kernel websocket protocol
(``v1.kernel.websocket.jupyter.org``). The same module encodes and decodes the protocol's binary
frames, for the server (:mod:`explorer.widgets.apps.serving` checks every frame a visitor sends
with :func:`decode_v1`) and for tests and load drivers.

A v1 frame is::

    n (8 bytes, little endian)  offsets[0..n-1] (8 bytes each)  channel  header  parent_header
    metadata  content  buffers...

where ``offsets[i]`` is where part ``i`` starts (part 0 is the channel name) and the last offset
is the frame's end. The older protocol (no subprotocol named) sends JSON text, or for
messages with buffers the binary layout of :func:`encode_legacy`.
"""

from __future__ import annotations

import asyncio
import json
import re
import struct
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timezone

V1_PROTOCOL = "v1.kernel.websocket.jupyter.org"

#: More parts than any kernel message has (channel, 4 JSON parts and a few buffers): a frame
#: claiming more is refused before anything proportional to its claim is allocated.
MAX_PARTS = 4096

_KERNEL_ID = re.compile(r'"kernelId"\s*:\s*"([0-9a-fA-F-]{36})"')


class FrameError(ValueError):
    """A binary frame that is not a well-formed v1 kernel message."""


# ----------------------------------------------------------------------------- v1 frames


def encode_v1(channel: str, parts: list[bytes]) -> bytes:
    """One v1 frame: the channel name, then the message's parts (header … content, buffers)."""
    chunks = [channel.encode("utf-8"), *parts]
    n = len(chunks) + 1  # where each chunk starts, and where the last one ends
    offsets = [8 * (1 + n)]
    for chunk in chunks:
        offsets.append(offsets[-1] + len(chunk))
    return b"".join([n.to_bytes(8, "little"), *(o.to_bytes(8, "little") for o in offsets), *chunks])


def decode_v1(frame: bytes, max_parts: int = MAX_PARTS) -> tuple[str, list[bytes]]:
    """(channel, parts) of a v1 frame; :class:`FrameError` for anything malformed.

    The count of offsets is checked against the frame's length and ``max_parts`` before any
    offset is read, so a frame in another format (whose first bytes read as a huge count) costs
    nothing.
    """
    if not isinstance(frame, (bytes, bytearray, memoryview)):
        raise FrameError("a v1 kernel message is a binary frame, not text")
    frame = bytes(frame)
    if len(frame) < 8:
        raise FrameError("frame shorter than its offset count")
    n = int.from_bytes(frame[:8], "little")
    if n < 3 or n > max_parts + 2 or 8 * (1 + n) > len(frame):
        raise FrameError(f"frame claims {n} offsets, which its {len(frame)} bytes cannot hold")
    offsets = [int.from_bytes(frame[8 * (i + 1) : 8 * (i + 2)], "little") for i in range(n)]
    if offsets[0] != 8 * (1 + n) or offsets[-1] != len(frame) or any(a > b for a, b in zip(offsets, offsets[1:])):
        raise FrameError("frame's offsets are not in order inside the frame")
    chunks = [frame[a:b] for a, b in zip(offsets, offsets[1:])]
    try:
        channel = chunks[0].decode("utf-8")
    except UnicodeDecodeError as error:
        raise FrameError("frame's channel name is not text") from error
    return channel, chunks[1:]


def v1_header(frame: bytes) -> dict | None:
    """The header of a v1 frame as a dict, or None when the frame is not a readable v1 message."""
    try:
        _, parts = decode_v1(frame)
        header = json.loads(parts[0])
    except (FrameError, ValueError):
        return None
    return header if isinstance(header, dict) else None


def encode_legacy(message: dict, buffers: list[bytes] = ()) -> bytes:
    """A message with buffers in the pre-v1 binary layout: a big-endian count of parts, their
    offsets (4 bytes each), the message as JSON (with its ``channel``), then the buffers."""
    chunks = [json.dumps(message).encode("utf-8"), *buffers]
    n = len(chunks)
    offsets, start = [], 4 * (n + 1)
    for chunk in chunks:
        offsets.append(start)
        start += len(chunk)
    return struct.pack(f"!{n + 1}I", n, *offsets) + b"".join(chunks)


# ----------------------------------------------------------------------------- messages


def make_message(msg_type: str, content: dict, session: str, metadata: dict | None = None) -> dict:
    """A Jupyter message (header, parent_header, metadata, content) from a client's session."""
    return {
        "header": {
            "msg_id": uuid.uuid4().hex,
            "msg_type": msg_type,
            "username": "student",
            "session": session,
            "date": datetime.now(timezone.utc).isoformat(),
            "version": "5.3",
        },
        "parent_header": {},
        "metadata": metadata or {},
        "content": content,
    }


def message_parts(message: dict) -> list[bytes]:
    """The four JSON parts of a message, as a v1 frame carries them."""
    return [
        json.dumps(message[key]).encode("utf-8") for key in ("header", "parent_header", "metadata", "content")
    ]


def parse_parts(parts: list[bytes]) -> tuple[dict, list[bytes]]:
    """(message, buffers) from a v1 frame's parts."""
    if len(parts) < 4:
        raise FrameError(f"a message has 4 JSON parts, this frame {len(parts)}")
    keys = ("header", "parent_header", "metadata", "content")
    return {k: json.loads(p) for k, p in zip(keys, parts[:4])}, parts[4:]


# ----------------------------------------------------------------------------- a page


def kernel_id_of(page_html: str) -> str:
    """The kernel id a Voila page's configuration names (its ``kernelId``)."""
    found = _KERNEL_ID.search(page_html)
    if found is None:
        raise ValueError("no kernelId in the page: is it a Voila page, and did its notebook run?")
    return found.group(1)


def open_page(url: str, timeout: float = 60.0) -> tuple[int, str]:
    """(HTTP status, body) of a page; an error status is returned, not raised."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply:
            return reply.status, reply.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode("utf-8", "replace")


class KernelChannels:
    """The page's websocket to its kernel (``await KernelChannels.connect(base, kernel_id)``).

    ``subprotocols=()`` connects as an old client would, naming no protocol.
    """

    def __init__(self, connection, protocol: str | None):
        self.connection = connection
        self.protocol = protocol
        self.session = uuid.uuid4().hex

    @classmethod
    async def connect(
        cls, base_url: str, kernel_id: str, subprotocols=(V1_PROTOCOL,), timeout: float = 20.0,
        max_message_size: int | None = None,
    ):
        """``max_message_size``: the largest frame accepted from the server (tornado's 10 MiB when None)."""
        from tornado.websocket import websocket_connect

        ws_base = base_url.replace("http://", "ws://", 1).replace("https://", "wss://", 1).rstrip("/")
        url = f"{ws_base}/api/kernels/{kernel_id}/channels?session_id={uuid.uuid4().hex}"
        extra = {} if max_message_size is None else {"max_message_size": max_message_size}
        connection = await asyncio.wait_for(
            websocket_connect(url, subprotocols=list(subprotocols) or None, **extra), timeout
        )
        return cls(connection, connection.selected_subprotocol)

    async def send(self, channel: str, message: dict, buffers: list[bytes] = ()) -> None:
        await self.connection.write_message(encode_v1(channel, [*message_parts(message), *buffers]), binary=True)

    async def send_raw(self, frame: bytes | str) -> None:
        await self.connection.write_message(frame, binary=isinstance(frame, bytes))

    async def request(self, channel: str, msg_type: str, content: dict, timeout: float = 60.0) -> dict:
        """Send a request and return the reply to it (other messages are skipped)."""
        message = make_message(msg_type, content, self.session)
        await self.send(channel, message)
        wanted = message["header"]["msg_id"]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            _, reply, _ = await self.receive(max(0.0, deadline - loop.time()))
            if reply["parent_header"].get("msg_id") == wanted and reply["header"]["msg_type"].endswith("_reply"):
                return reply

    async def receive(self, timeout: float = 60.0) -> tuple[str, dict, list[bytes]]:
        """(channel, message, buffers) of the next message; TimeoutError when none comes."""
        frame = await asyncio.wait_for(self.connection.read_message(), timeout)
        if frame is None:
            raise ConnectionError("the server closed the kernel's websocket")
        channel, parts = decode_v1(frame)
        message, buffers = parse_parts(parts)
        return channel, message, buffers

    async def widget_states(self, timeout: float = 60.0) -> dict:
        """Every widget model's state, asked the way the ipywidgets page asks (``request_states``
        on a ``jupyter.widget.control`` comm): ``{model_id: {"model_name": …, "state": …}}``."""
        comm_id = uuid.uuid4().hex
        open_ = make_message(
            "comm_open", {"comm_id": comm_id, "target_name": "jupyter.widget.control", "data": {}}, self.session,
            metadata={"version": "1.0.0"},  # ipywidgets' control protocol
        )
        await self.send("shell", open_)
        ask = make_message("comm_msg", {"comm_id": comm_id, "data": {"method": "request_states"}}, self.session)
        await self.send("shell", ask)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            _, message, _ = await self.receive(max(0.0, deadline - loop.time()))
            content = message.get("content", {})
            data = content.get("data", {}) if isinstance(content, dict) else {}
            if message["header"]["msg_type"] == "comm_msg" and data.get("method") == "update_states":
                return data["states"]

    def close(self) -> None:
        """Start closing (see :meth:`aclose` to wait until the socket is closed)."""
        self.connection.close()

    async def aclose(self, timeout: float = 5.0) -> None:
        """Close, and wait (bounded) until the server has closed too and the socket is released."""
        self.connection.close()
        try:
            while await asyncio.wait_for(self.connection.read_message(), timeout) is not None:
                pass
        except (asyncio.TimeoutError, TimeoutError):
            pass
        stream = getattr(getattr(self.connection, "protocol", None), "stream", None)
        if stream is not None and not stream.closed():
            stream.close()
