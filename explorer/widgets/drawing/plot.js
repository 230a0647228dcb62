// The drawing layer's figure: axes with lines, points, bars, rules, labels and heatmaps, as SVG.
//
// The kernel sends two things. `spec` says what the figure is made of (axes and their marks,
// colours, labels); it changes rarely, and a change rebuilds the SVG. `data` holds the numbers
// of the marks (arrays as binary buffers) and the axes' current limits; it changes on every
// event and only moves what is already drawn. Redraws wait for the next animation frame, so a
// burst of messages paints once, with the newest numbers.
//
// Labels use the book's names written as "δ^2_1" (from explorer.core.notation); they are drawn
// with a raised and a lowered part. Every figure can be saved as SVG or PNG (the two small
// buttons at its top right), for slides.

const SVG = "http://www.w3.org/2000/svg";

function el(name, attrs = {}, parent = null) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

// A buffer from the kernel (DataView, ArrayBuffer or plain list) as a typed array.
export function numbers(value, kind = "f4") {
  if (value == null) return new Float64Array(0);
  if (Array.isArray(value)) return Float64Array.from(value);
  const view = value instanceof DataView ? value : new DataView(value.buffer ?? value);
  const Type = kind === "f8" ? Float64Array : kind === "u1" ? Uint8Array : Float32Array;
  return new Type(view.buffer, view.byteOffset, view.byteLength / Type.BYTES_PER_ELEMENT);
}

// "δ^2_1" as text with a superscript and a subscript; plain text stays plain.
export function bookText(node, text) {
  node.textContent = "";
  const parts = String(text).split(/(\^\{[^}]*\}|\^[^\s_^(),=]+|_\{[^}]*\}|_[^\s_^(),=]+)/);
  let shift = 0;
  for (const part of parts) {
    if (!part) continue;
    const kind = part[0] === "^" ? "sup" : part[0] === "_" ? "sub" : null;
    const body = kind ? part.slice(1).replace(/^\{|\}$/g, "") : part;
    const span = el("tspan", {}, node);
    span.textContent = body;
    const target = kind === "sup" ? -0.4 : kind === "sub" ? 0.3 : 0;
    if (target !== shift) span.setAttribute("dy", `${(target - shift).toFixed(2)}em`);
    if (kind) span.setAttribute("font-size", "75%");
    shift = target;
  }
  if (shift !== 0) {
    const back = el("tspan", { dy: `${(-shift).toFixed(2)}em` }, node);
    back.textContent = "\u200b";
  }
}

export function niceTicks(lo, hi, count = 5) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const ticks = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return ticks;
}

// A tick in the one number format (explorer.core.notation.number): 0.25, 1000, 5×10⁻⁴, 2×10⁴.
const POWER = "⁰¹²³⁴⁵⁶⁷⁸⁹";
export function tickText(v) {
  if (v === 0) return "0";
  const a = Math.abs(v);
  let text;
  if (a >= 1e4 || a < 1e-3) {
    const [m, e] = v.toExponential(3).split("e");
    const power = String(Number(e)).replace(/-/, "⁻").replace(/[0-9]/g, (c) => POWER[c]);
    text = `${String(Number(m))}×10${power}`;
  } else {
    text = String(Number(v.toPrecision(4)));
  }
  return text.replace("-", "\u2212");
}

// Colour of t in [0, 1] along equally spaced hex stops (the same rule as the kernel's scales).
function parseHex(h) {
  return [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
}
export function rampColor(stops, t) {
  const rgb = stops.map(parseHex);
  t = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0.5));
  const pos = t * (rgb.length - 1);
  const i = Math.min(rgb.length - 2, Math.floor(pos));
  const f = pos - i;
  const c = rgb[i].map((v, k) => Math.round(v + (rgb[i + 1][k] - v) * f));
  return "#" + c.map((v) => v.toString(16).padStart(2, "0")).join("");
}

class Axes {
  constructor(spec, svg, tooltip) {
    this.spec = spec;
    this.g = el("g", { class: "bpx-axes", "data-axes": spec.id, transform: `translate(${spec.left},${spec.top})` }, svg);
    this.tooltip = tooltip;
    this.xlim = spec.xlim ?? [0, 1];
    this.ylim = spec.ylim ?? [0, 1];
    this.frame = el("g", { class: "bpx-frame" }, this.g);
    const clipId = `bpx-clip-${Math.random().toString(36).slice(2)}`;
    const clip = el("clipPath", { id: clipId }, this.g);
    el("rect", { x: 0, y: 0, width: spec.width, height: spec.height }, clip);
    this.plot = el("g", { "clip-path": `url(#${clipId})` }, this.g);
    this.labels = el("g", { class: "bpx-labels" }, this.g);
    if (spec.title) {
      const t = el("text", { x: spec.width / 2, y: -8, "text-anchor": "middle", class: "bpx-title" }, this.labels);
      bookText(t, spec.title);
    }
    if (spec.xlabel) {
      const t = el("text", { x: spec.width / 2, y: spec.height + (spec.xlabelOffset ?? 34), "text-anchor": "middle", class: "bpx-label" }, this.labels);
      bookText(t, spec.xlabel);
    }
    if (spec.ylabel) {
      const t = el("text", { transform: `translate(${-(spec.ylabelOffset ?? 44)},${spec.height / 2}) rotate(-90)`, "text-anchor": "middle", class: "bpx-label" }, this.labels);
      bookText(t, spec.ylabel);
    }
    // Text marks may sit outside the axes (titles, legends): they are not clipped.
    this.marks = (spec.marks ?? []).map((m) => ({ spec: m, g: el("g", { class: `bpx-mark bpx-${m.type}`, "data-mark": m.id }, m.type === "text" ? this.labels : this.plot), nodes: [] }));
  }
  sx(v) {
    const [a, b] = this.xlim;
    return ((v - a) / (b - a || 1)) * this.spec.width;
  }
  sy(v) {
    const [a, b] = this.ylim;
    return this.spec.height - ((v - a) / (b - a || 1)) * this.spec.height;
  }
  drawFrame() {
    const s = this.spec;
    this.frame.textContent = "";
    if (s.frame !== false) {
      const box = el("rect", { x: 0, y: 0, width: s.width, height: s.height, class: "bpx-box" }, this.frame);
      if (s.frameColor) box.setAttribute("style", `stroke:${s.frameColor};stroke-width:2.5`);
    }
    const ticks = (axis) => {
      const spec = axis === "x" ? s.xticks : s.yticks;
      if (spec === false) return [];
      if (Array.isArray(spec)) return spec;
      const [lo, hi] = axis === "x" ? this.xlim : this.ylim;
      return niceTicks(lo, hi, axis === "x" ? Math.max(2, Math.round(s.width / 70)) : Math.max(2, Math.round(s.height / 45)));
    };
    for (const v of ticks("x")) {
      const [value, text] = Array.isArray(v) ? v : [v, tickText(v)];
      const x = this.sx(value);
      if (s.grid) el("line", { x1: x, x2: x, y1: 0, y2: s.height, class: "bpx-grid" }, this.frame);
      el("line", { x1: x, x2: x, y1: s.height, y2: s.height + 4, class: "bpx-tick" }, this.frame);
      const t = el("text", { x, y: s.height + (s.xtickOffset ?? 16), "text-anchor": "middle", class: "bpx-ticklabel" }, this.frame);
      bookText(t, text);
    }
    for (const v of ticks("y")) {
      const [value, text] = Array.isArray(v) ? v : [v, tickText(v)];
      const y = this.sy(value);
      if (s.grid) el("line", { x1: 0, x2: s.width, y1: y, y2: y, class: "bpx-grid" }, this.frame);
      el("line", { x1: -4, x2: 0, y1: y, y2: y, class: "bpx-tick" }, this.frame);
      const t = el("text", { x: -7, y: y + 4, "text-anchor": "end", class: "bpx-ticklabel" }, this.frame);
      bookText(t, text);
    }
  }
  draw(data) {
    const limits = data[`@${this.spec.id}`];
    if (limits?.xlim) this.xlim = limits.xlim;
    if (limits?.ylim) this.ylim = limits.ylim;
    this.drawFrame();
    for (const mark of this.marks) {
      const d = data[mark.spec.id];
      mark.g.style.display = d && d.hidden ? "none" : "";
      if (d) DRAW[mark.spec.type](this, mark, d);
    }
  }
}

function style(node, m, d) {
  const color = d.color ?? m.color ?? "#333";
  if (m.type === "line" || m.type === "rule") {
    node.setAttribute("stroke", color);
    node.setAttribute("stroke-width", d.width ?? m.width ?? 2);
    node.setAttribute("fill", "none");
    const dash = d.dash ?? m.dash;
    if (dash) node.setAttribute("stroke-dasharray", dash);
    else node.removeAttribute("stroke-dasharray");
  } else {
    node.setAttribute("fill", color);
  }
}

function ensure(mark, n, tag) {
  while (mark.nodes.length < n) mark.nodes.push(el(tag, {}, mark.g));
  while (mark.nodes.length > n) mark.nodes.pop().remove();
  return mark.nodes;
}

const DRAW = {
  line(ax, mark, d) {
    const x = numbers(d.x), y = numbers(d.y);
    const [node] = ensure(mark, 1, "path");
    let path = "", pen = false;
    for (let i = 0; i < y.length; i++) {
      if (!Number.isFinite(y[i]) || !Number.isFinite(x[i])) { pen = false; continue; }
      path += `${pen ? "L" : "M"}${ax.sx(x[i]).toFixed(1)},${ax.sy(y[i]).toFixed(1)}`;
      pen = true;
    }
    node.setAttribute("d", path);
    style(node, mark.spec, d);
  },
  points(ax, mark, d) {
    const x = numbers(d.x), y = numbers(d.y);
    const nodes = ensure(mark, y.length, "circle");
    nodes.forEach((c, i) => {
      c.setAttribute("cx", ax.sx(x[i]).toFixed(1));
      c.setAttribute("cy", ax.sy(y[i]).toFixed(1));
      c.setAttribute("r", d.r ?? mark.spec.r ?? 4);
      style(c, mark.spec, d);
      if (d.stroke ?? mark.spec.stroke) { c.setAttribute("stroke", d.stroke ?? mark.spec.stroke); c.setAttribute("stroke-width", 1.5); }
    });
  },
  // Vertical bars at x with heights y; with "horizontal" in the spec, bars at y with lengths x.
  bars(ax, mark, d) {
    const x = numbers(d.x), y = numbers(d.y);
    const width = d.barWidth ?? mark.spec.barWidth ?? 0.8;
    const colors = d.colors ?? mark.spec.colors;
    const horizontal = mark.spec.horizontal;
    const nodes = ensure(mark, horizontal ? x.length : y.length, "rect");
    const clampTo = (lim) => Math.max(Math.min(lim[0], lim[1]), Math.min(Math.max(lim[0], lim[1]), 0));
    // A rect between two x and two y pixel positions, whichever way round they come.
    const place = (r, x0, x1, y0, y1) => {
      r.setAttribute("x", Math.min(x0, x1).toFixed(1));
      r.setAttribute("width", Math.abs(x1 - x0).toFixed(1));
      r.setAttribute("y", Math.min(y0, y1).toFixed(1));
      r.setAttribute("height", Math.abs(y1 - y0).toFixed(1));
    };
    nodes.forEach((r, i) => {
      if (horizontal) {
        place(r, ax.sx(clampTo(ax.xlim)), ax.sx(x[i]), ax.sy(y[i] - width / 2), ax.sy(y[i] + width / 2));
      } else {
        place(r, ax.sx(x[i] - width / 2), ax.sx(x[i] + width / 2), ax.sy(clampTo(ax.ylim)), ax.sy(y[i]));
      }
      style(r, mark.spec, d);
      if (colors) r.setAttribute("fill", colors[i % colors.length]);
    });
  },
  rule(ax, mark, d) {
    const xs = d.x != null ? numbers(d.x) : [], ys = d.y != null ? numbers(d.y) : [];
    const nodes = ensure(mark, xs.length + ys.length, "line");
    let i = 0;
    for (const v of xs) {
      const n = nodes[i++];
      n.setAttribute("x1", ax.sx(v)); n.setAttribute("x2", ax.sx(v));
      n.setAttribute("y1", 0); n.setAttribute("y2", ax.spec.height);
      style(n, mark.spec, d);
    }
    for (const v of ys) {
      const n = nodes[i++];
      n.setAttribute("y1", ax.sy(v)); n.setAttribute("y2", ax.sy(v));
      n.setAttribute("x1", 0); n.setAttribute("x2", ax.spec.width);
      style(n, mark.spec, d);
    }
  },
  text(ax, mark, d) {
    const items = d.items ?? [];
    const nodes = ensure(mark, items.length, "text");
    nodes.forEach((t, i) => {
      const it = items[i];
      t.setAttribute("x", it.px ?? ax.sx(it.x));
      t.setAttribute("y", it.py ?? ax.sy(it.y));
      t.setAttribute("text-anchor", it.anchor ?? "start");
      t.setAttribute("class", "bpx-text");
      t.setAttribute("fill", it.color ?? mark.spec.color ?? "#222");
      bookText(t, it.text);
    });
  },
  // values: rows × cols, row-major; row 0 at the top. Cells are rects, built once per shape,
  // so an event only changes their fill.
  heatmap(ax, mark, d) {
    const [rows, cols] = d.shape;
    const values = numbers(d.values);
    const m = mark.spec;
    const [lo, hi] = d.domain ?? m.domain ?? [0, 1];
    const stops = d.stops ?? m.stops;
    const w = ax.spec.width / cols, h = ax.spec.height / rows;
    if (mark.shape !== `${rows}x${cols}`) {
      mark.g.textContent = "";
      mark.nodes = [];
      mark.shape = `${rows}x${cols}`;
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) {
        mark.nodes.push(el("rect", { x: (c * w).toFixed(2), y: (r * h).toFixed(2), width: (w + 0.3).toFixed(2), height: (h + 0.3).toFixed(2), "data-r": r, "data-c": c }, mark.g));
      }
      mark.crosses = el("path", { class: "bpx-cross", fill: "none", stroke: m.crossColor ?? "#ffffff", "stroke-width": 1.3 }, mark.g);
      mark.outline = el("rect", { class: "bpx-outline", fill: "none" }, mark.g);
    }
    const span = hi - lo || 1;
    for (let i = 0; i < rows * cols; i++) {
      const v = values[i];
      mark.nodes[i].setAttribute("fill", Number.isFinite(v) ? rampColor(stops, (v - lo) / span) : (m.missing ?? "#ececec"));
    }
    // cross: one byte per cell, 1 where the cell is marked (a saturated neuron, say): an ✕
    const cross = d.cross != null ? numbers(d.cross, "u1") : null;
    let path = "";
    if (cross) {
      const s = Math.min(w, h) * 0.3;
      for (let i = 0; i < cross.length; i++) {
        if (!cross[i]) continue;
        const cx = ((i % cols) + 0.5) * w, cy = (Math.floor(i / cols) + 0.5) * h;
        path += `M${(cx - s).toFixed(1)},${(cy - s).toFixed(1)}L${(cx + s).toFixed(1)},${(cy + s).toFixed(1)}M${(cx - s).toFixed(1)},${(cy + s).toFixed(1)}L${(cx + s).toFixed(1)},${(cy - s).toFixed(1)}`;
      }
    }
    mark.crosses.setAttribute("d", path);
    mark.values = values;
    mark.rowNames = d.rowNames ?? m.rowNames ?? [];
    const row = d.markedRow ?? -1;
    mark.outline.style.display = row >= 0 ? "" : "none";
    if (m.outlineColor) mark.outline.style.stroke = m.outlineColor;
    if (row >= 0) {
      mark.outline.setAttribute("x", 0); mark.outline.setAttribute("width", ax.spec.width);
      mark.outline.setAttribute("y", row * h); mark.outline.setAttribute("height", h);
    }
    if (!mark.hover) {
      mark.hover = true;
      mark.g.addEventListener("mousemove", (e) => {
        const target = e.target;
        if (!target.dataset || target.dataset.r === undefined) return;
        const r = +target.dataset.r, c = +target.dataset.c;
        const v = mark.values[r * cols + c];
        const name = mark.rowNames[r] ?? `row ${r + 1}`;
        ax.tooltip.show(e, `${name}, ${m.columnName ?? "column"} ${c + 1}: ${Number.isFinite(v) ? tickText(v) : "—"}`);
      });
      mark.g.addEventListener("mouseleave", () => ax.tooltip.hide());
    }
  },
};

class Tooltip {
  constructor(root) {
    this.node = document.createElement("div");
    this.node.className = "bpx-plot-tip";
    this.node.style.display = "none";
    root.appendChild(this.node);
    this.root = root;
  }
  show(e, text) {
    const box = this.root.getBoundingClientRect();
    this.node.textContent = text;
    this.node.style.display = "";
    this.node.style.left = `${e.clientX - box.left + 12}px`;
    this.node.style.top = `${e.clientY - box.top + 12}px`;
  }
  hide() {
    this.node.style.display = "none";
  }
}

const STYLE = `
.bpx-plot { position: relative; display: inline-block; font-family: system-ui, sans-serif; }
.bpx-plot svg { display: block; overflow: visible; }
.bpx-plot .bpx-box { fill: none; stroke: #888; stroke-width: 1; }
.bpx-plot .bpx-grid { stroke: #e6e6e6; stroke-width: 1; }
.bpx-plot .bpx-tick { stroke: #888; }
.bpx-plot .bpx-ticklabel { font-size: 11px; fill: #444; }
.bpx-plot .bpx-label { font-size: 13px; fill: #222; }
.bpx-plot .bpx-title { font-size: 13px; font-weight: 600; fill: #222; }
.bpx-plot .bpx-text { font-size: 12px; }
.bpx-plot .bpx-outline { stroke: #111; stroke-width: 2; }
.bpx-plot .bpx-outline, .bpx-plot .bpx-cross { pointer-events: none; }
.bpx-plot .bpx-heatmap rect { shape-rendering: crispEdges; }
.bpx-plot .bpx-save { position: absolute; top: 0; right: 0; display: flex; gap: 2px; }
.bpx-plot .bpx-save button { font-size: 11px; padding: 1px 5px; border: 1px solid #ccc; background: #fff; color: #595959; border-radius: 3px; cursor: pointer; }
.bpx-plot .bpx-save button:hover, .bpx-plot .bpx-save button:focus-visible { color: #111; border-color: #555; }
.bpx-plot-tip { position: absolute; pointer-events: none; background: #fffbe6; border: 1px solid #c9b458; padding: 2px 6px; font-size: 12px; white-space: nowrap; z-index: 10; }
`;

function addStyle() {
  if (document.getElementById("bpx-plot-style")) return;
  const s = document.createElement("style");
  s.id = "bpx-plot-style";
  s.textContent = STYLE;
  document.head.appendChild(s);
}

// The SVG as a standalone file: the figure's own styles inlined, so it looks the same in slides.
export function standaloneSvg(svg) {
  const copy = svg.cloneNode(true);
  copy.setAttribute("xmlns", SVG);
  const css = document.createElementNS(SVG, "style");
  css.textContent = STYLE.replaceAll(".bpx-plot ", "");
  copy.insertBefore(css, copy.firstChild);
  return new XMLSerializer().serializeToString(copy);
}

function download(name, href) {
  const a = document.createElement("a");
  a.download = name;
  a.href = href;
  document.body.appendChild(a);
  a.click();
  a.remove();
}

// Buffers travel beside a message; in the message each is {"$buffer": index}.
function unpack(value, buffers) {
  if (Array.isArray(value)) return value.map((v) => unpack(v, buffers));
  if (value && typeof value === "object") {
    if (typeof value.$buffer === "number") return buffers[value.$buffer];
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unpack(v, buffers)]));
  }
  return value;
}

function render({ model, el: root }) {
  addStyle();
  const box = document.createElement("div");
  box.className = "bpx-plot";
  root.appendChild(box);
  const tooltip = new Tooltip(box);
  let svg = null, axes = [], pending = false;
  let current = model.get("data") ?? {}, revision = model.get("revision") ?? 0;

  const build = () => {
    const spec = model.get("spec") ?? {};
    if (svg) svg.remove();
    svg = el("svg", { width: spec.width ?? 400, height: spec.height ?? 300, viewBox: `0 0 ${spec.width ?? 400} ${spec.height ?? 300}`, role: "img" });
    svg.setAttribute("aria-label", spec.description ?? spec.name ?? "figure");
    el("rect", { x: 0, y: 0, width: spec.width ?? 400, height: spec.height ?? 300, fill: "#ffffff" }, svg);
    box.insertBefore(svg, box.firstChild);
    axes = (spec.axes ?? []).map((a) => new Axes(a, svg, tooltip));
    box.dataset.name = spec.name ?? "figure";
  };
  const paint = () => {
    pending = false;
    const data = current;
    for (const ax of axes) ax.draw(data);
    box.dataset.painted = String(revision);
  };
  const schedule = () => {
    if (!pending) {
      pending = true;
      requestAnimationFrame(paint);
    }
  };

  const save = document.createElement("div");
  save.className = "bpx-save";
  for (const kind of ["SVG", "PNG"]) {
    const b = document.createElement("button");
    b.textContent = kind;
    b.type = "button";
    b.title = `Save this figure as ${kind}`;
    b.setAttribute("aria-label", `Save this figure as ${kind}`);
    b.addEventListener("click", async () => {
      const text = standaloneSvg(svg);
      const name = `${box.dataset.name}.${kind.toLowerCase()}`;
      const url = URL.createObjectURL(new Blob([text], { type: "image/svg+xml" }));
      if (kind === "SVG") {
        download(name, url);
        setTimeout(() => URL.revokeObjectURL(url), 1000);
        return;
      }
      const img = new Image();
      img.onload = () => {
        const scale = 2; // twice the screen size: sharp on a projector or a slide
        const canvas = document.createElement("canvas");
        canvas.width = svg.width.baseVal.value * scale;
        canvas.height = svg.height.baseVal.value * scale;
        const ctx = canvas.getContext("2d");
        ctx.fillStyle = "#fff";
        ctx.fillRect(0, 0, canvas.width, canvas.height);
        ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
        URL.revokeObjectURL(url);
        download(name, canvas.toDataURL("image/png"));
      };
      img.src = url;
    });
    save.appendChild(b);
  }
  box.appendChild(save);

  build();
  paint();
  model.on("change:spec", () => { build(); schedule(); });
  // A page with the numbers in the model's state (a saved notebook, the tests' stand-in).
  model.on("change:data", () => { current = model.get("data") ?? {}; revision = model.get("revision"); schedule(); });
  // The kernel's messages carry only the marks that changed ("reset": all of them).
  model.on("msg:custom", (msg, buffers) => {
    if (!msg || msg.kind !== "marks") return;
    const marks = unpack(msg.marks, buffers ?? []);
    current = msg.reset ? marks : { ...current, ...marks };
    revision = msg.revision;
    schedule();
  });
  if (model.send) model.send({ kind: "ask" }); // a new view asks for every mark's numbers
  return () => box.remove();
}

export default { render };
