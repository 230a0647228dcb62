"""How instant the dashboard feels, without a browser (``python -m explorer bench-explorer``).

Drives an ``Explorer`` from Python with the slider changes a student makes (dragging a weight,
a bias, an input, the demon's Δz; clicking another neuron) and times each event: from the new
slider value until every panel's message is sent (the browser draws; nothing is drawn here). Prints median and 95th percentile per network, and what the kernel sends to the
browser per event (messages and bytes: JSON plus binary buffers), counted where every widget's
comm publishes its messages.
"""

from __future__ import annotations

import contextlib
import json
import time

import numpy as np

from ..core import Network
from ..progress import ProgressBar
from .apps.explorer import Explorer

NETWORKS = ([2, 3, 2], [4, 6, 6, 3])


def _events(ex: Explorer, n: int, rng: np.random.Generator):
    """A student's session: mostly drags (small steps of one slider), now and then a click."""
    state, net = ex.state, ex.state.network
    kinds = ["weight", "bias", "input", "dz"]
    for i in range(n):
        if i % 25 == 24:  # a click on another neuron or weight
            l = int(rng.integers(2, net.L + 1))
            j = int(rng.integers(net.sizes[l - 1]))
            if rng.random() < 0.5:
                yield "click", lambda l=l, j=j: state.select_neuron(l, j)
            else:
                k = int(rng.integers(net.sizes[l - 2]))
                yield "click", lambda l=l, j=j, k=k: state.select_weight(l, j, k)
            continue
        kind = kinds[(i // 6) % len(kinds)]  # six steps of one drag, then the next slider
        if kind == "weight":
            slider = next(iter(ex.controls.weight_sliders.values()))
        elif kind == "bias":
            slider = ex.controls.bias_slider
        elif kind == "input":
            slider = ex.controls.input_sliders[0]
        else:
            slider = ex.demon.dz_slider
        value = float(np.clip(slider.value + rng.choice([-0.05, 0.05]), slider.min, slider.max))
        yield kind, lambda s=slider, v=value: setattr(s, "value", v)


class Wire:
    """Counts the messages and bytes the kernel's widgets publish (JSON text plus buffers)."""

    def __init__(self):
        self.messages = 0
        self.bytes = 0

    @contextlib.contextmanager
    def listening(self, comm_class):
        original = comm_class.publish_msg

        def publish(comm, msg_type, data=None, metadata=None, buffers=None, **keys):
            self.messages += 1
            self.bytes += len(json.dumps(data, default=str)) + sum(memoryview(b).nbytes for b in buffers or ())
            return original(comm, msg_type, data=data, metadata=metadata, buffers=buffers, **keys)

        comm_class.publish_msg = publish
        try:
            yield self
        finally:
            comm_class.publish_msg = original


def measure(sizes, n_events: int = 200, seed: int = 0) -> dict:
    """Per-event latencies (seconds), and bytes and messages sent, for the default dashboard."""
    rng = np.random.default_rng(seed)
    net = Network(sizes, seed=seed)
    x = rng.uniform(-1, 1, sizes[0])
    y = np.eye(sizes[-1])[0]
    ex = Explorer(net, x, y)
    for _, event in _events(ex, 20, np.random.default_rng(seed + 1)):  # warm-up: first draws
        event()
    times: dict[str, list[float]] = {}
    sent, messages = [], []
    wire = Wire()
    bar = ProgressBar(n_events, f"{sizes}")
    with wire.listening(type(ex.comm)):
        for i, (kind, event) in enumerate(_events(ex, n_events, rng)):
            before, count = wire.bytes, wire.messages
            start = time.perf_counter()
            event()
            times.setdefault(kind, []).append(time.perf_counter() - start)
            sent.append(wire.bytes - before)
            messages.append(wire.messages - count)
            bar.update(i + 1)
    bar.close()
    ex.close()
    every = [t for ts in times.values() for t in ts]
    return {"all": every, **times, "bytes": sent, "messages": messages}


def _summary(samples) -> str:
    ms = np.array(samples) * 1e3
    return f"median {np.median(ms):6.1f} ms   p95 {np.percentile(ms, 95):6.1f} ms   ({len(ms)} events)"


def run(n_events: int = 200) -> str:
    lines = ["Backprop Explorer dashboard: kernel work per event (from the new value until every panel's message is sent)"]
    from ..bench import machine_description

    lines.append(f"machine: {machine_description()}")
    for sizes in NETWORKS:
        result = measure(sizes, n_events)
        lines.append("")
        lines.append(f"{sizes}: {_summary(result['all'])}")
        for kind in ("weight", "bias", "input", "dz", "click"):
            if kind in result:
                lines.append(f"   {kind:7s} {_summary(result[kind])}")
        kib = np.array(result["bytes"]) / 1024
        lines.append(
            f"   sent per event: median {np.median(kib):.1f} KiB, p95 {np.percentile(kib, 95):.1f} KiB; "
            f"messages median {np.median(result['messages']):.0f}, max {max(result['messages'])}"
        )
    return "\n".join(lines)


__all__ = ["measure", "run"]
