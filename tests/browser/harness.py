"""Load one of the drawing layer's ES modules into a blank page with a stand-in widget model.

The stand-in has what anywidget gives a module (``get``, ``on``, ``widget_manager.get_model``);
``window.bpx.set(name, key, value)`` changes a trait and fires its change event, as a message
from the kernel would. Arrays are given as lists and arrive as DataViews of float32 (``f32``), and
Python bytes as DataViews of those bytes (``wire``), as the binary buffers of a real message do.
"""

from __future__ import annotations

import base64
import json
from importlib.resources import files

SETUP = """
async ([name, source, state, assets]) => {
  window.bpx ??= { models: {}, toView(v) {
      if (v && typeof v === "object" && v.__f32__) return new DataView(new Float32Array(v.__f32__).buffer);
      if (v && typeof v === "object" && typeof v.__bytes__ === "string") {
        // bytes sent by Python (base64): the DataView over a larger buffer, at an odd offset, as a
        // real message may place it
        const raw = Uint8Array.from(atob(v.__bytes__), (c) => c.charCodeAt(0));
        const whole = new Uint8Array(raw.length + 3);
        whole.set(raw, 3);
        return new DataView(whole.buffer, 3, raw.length);
      }
      if (Array.isArray(v)) return v.map((x) => bpx.toView(x));
      if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, bpx.toView(x)]));
      return v;
    } };
  const make = (st) => {
    const handlers = {};
    const model = {
      state: st,
      get: (k) => model.state[k],
      on: (ev, f) => { (handlers[ev] ??= []).push(f); },
      fire: (k) => (handlers["change:" + k] ?? []).forEach((f) => f()),
      widget_manager: { get_model: async (id) => bpx.models[id] },
    };
    return model;
  };
  if (assets) bpx.models["assets"] = make(assets);
  const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  const module = await import(url);
  const model = make(bpx.toView(state));
  bpx.models[name] = model;
  const el = document.createElement("div");
  el.id = name;
  document.body.appendChild(el);
  await module.default.render({ model, el });
  bpx.set = (n, k, v) => { bpx.models[n].state[k] = bpx.toView(v); bpx.models[n].fire(k); };
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
}
"""


def wire(value):
    """A widget trait's value for the stand-in model: bytes become DataViews, as buffers do."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"__bytes__": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, dict):
        return {k: wire(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [wire(v) for v in value]
    return value


def f32(values) -> dict:
    """An array for the stand-in model: it becomes a DataView of float32, as a buffer does."""
    return {"__f32__": [float(v) for v in values]}


def mount(page, name: str, module: str, state: dict, assets: dict | None = None) -> None:
    """Render ``module`` (a file of explorer.widgets.drawing) as the element ``#name``."""
    source = files("explorer.widgets.drawing").joinpath(module).read_text(encoding="utf-8")
    if page.url == "about:blank":
        page.set_content("<!doctype html><html><body style='font-family:sans-serif'></body></html>")
    page.evaluate(SETUP, [name, source, json.loads(json.dumps(state)), assets])


def change(page, name: str, key: str, value) -> None:
    """Change a trait as a kernel message would, and wait for the next two frames."""
    page.evaluate(
        "async ([n, k, v]) => { bpx.set(n, k, v); await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))); }",
        [name, key, value],
    )
