// The network diagram of Backprop Explorer: draws what Python (diagram.py) sends as SVG.
// `structure` (layers, neurons, weights, names) comes when the sizes change; `frame` each moment:
// numbers, colours and widths as binary buffers. Python decides every colour and caption; this
// module places and paints them, writes the tooltips from the frame's numbers (the same words as
// diagram.py's node_label/edge_label), and sends a click back as `selection`. From the keyboard,
// Tab reaches the selected neuron, arrows move between neurons, Enter or Space selects.

const NS = "http://www.w3.org/2000/svg";
const W = 960; // viewBox size; the SVG scales to the width of the cell
// The height of the drawing and the size of its text can change (the presenter layout asks for a
// taller drawing that fills its box, with text scaled by `text_scale`): they are set by size().
let H = 580;
let S = 1; // text scale
let TOP = 104; // room for the cost and the legends
let BOTTOM = 70; // room for the layer labels

function size(viewHeight, textScale) {
  S = textScale > 0 ? textScale : 1;
  H = viewHeight > 0 ? viewHeight : 580;
  // scaled text: the legends go on a second row under the cost
  TOP = S === 1 ? 104 : Math.round(100 * S + 72 * S + 24);
  BOTTOM = Math.round(70 * S);
}
const FONT = "DejaVu Sans, Helvetica, Arial, sans-serif";
const HALO = "#ffc400"; // the selection's highlight
const MARK = "#d00000"; // a value that differs from the core's (the exercises' marks)
// Notes of the step-through (NetworkDiagram.reveal): one line each, coloured by what they say.
const NOTE_LINE = 22;
const NOTE_INK = { new: "#b34700", known: "#222222", unknown: "#767676" };
const ACTIVE = "#fff1c1"; // behind the layer the algorithm has just computed
const COLOR_CHOICES = [
  ["a", "a  (activation)"],
  ["z", "z  (weighted input)"],
  ["sigma_prime", "σ′(z)"],
  ["delta", "δ  (error)"],
];
const EDGE_CHOICES = [
  ["w", "w  (weight)"],
  ["nabla_w", "∂C/∂w"],
];

let uid = 0;

// ---------------------------------------------------------------- numbers as Python writes them
// p significant digits as explorer.core.notation.number writes them (below),
// ties rounded to even on the exact binary value as Python does (JavaScript rounds them up).
function towardZero(x) {
  const b = new DataView(new ArrayBuffer(8));
  b.setFloat64(0, x);
  b.setBigUint64(0, b.getBigUint64(0) - 1n);
  return b.getFloat64(0);
}

function roundedDigits(x, p) {
  // x > 0: the p digits and the decimal exponent of x rounded to p significant digits
  let s = x.toExponential(p - 1);
  const long = x.toExponential(p + 24).split("e")[0].replace(".", "");
  if (long[p] === "5" && /^0*$/.test(long.slice(p + 1)) && Number(long[p - 1]) % 2 === 0) {
    s = towardZero(x).toExponential(p - 1); // an exact tie after an even digit: Python keeps it
  }
  const [m, e] = s.split("e");
  return [m.replace(".", ""), Number(e)];
}

function stripZeros(t) {
  return t.includes(".") ? t.replace(/0+$/, "").replace(/\.$/, "") : t;
}

const SUPERSCRIPT = { "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹", "-": "⁻" };

export function number(x, p = 4) {
  // the one format (explorer.core.notation.number): 0.001 and up with a point, below as 5×10⁻⁴
  if (x === null || x === undefined || !Number.isFinite(x)) return "—";
  if (x === 0) return "0";
  const [digits, e] = roundedDigits(Math.abs(x), p);
  let out;
  if (e >= -3 && e < p) {
    out = e >= 0 ? `${digits.slice(0, e + 1)}.${digits.slice(e + 1)}` : `0.${"0".repeat(-e - 1)}${digits}`;
    out = stripZeros(out);
  } else {
    const power = String(e).replace(/[-0-9]/g, (c) => SUPERSCRIPT[c]);
    out = stripZeros(`${digits[0]}.${digits.slice(1)}`) + `×10${power}`;
  }
  return (x < 0 ? "−" : "") + out;
}

// A neuron's numbers in the frame (diagram.py's NODE_FIELDS), one row of six per drawn neuron.
const FIELDS = 6;
const [A, Z, SP, DELTA, B, Y] = [0, 1, 2, 3, 4, 5];

function bytes(view) {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

function floats64(view) {
  // a copy: a buffer's offset need not be a multiple of 8
  return new Float64Array(bytes(view).slice().buffer);
}

function floats32(view) {
  return new Float32Array(bytes(view).slice().buffer);
}

function rgb(b, i) {
  return `rgb(${b[3 * i]},${b[3 * i + 1]},${b[3 * i + 2]})`;
}

// What a frame holds, unpacked once per frame.
function unpack(frame) {
  return {
    ...frame,
    nodeValues: floats64(frame.node_values),
    nodeRgb: bytes(frame.node_rgb),
    nodeInk: bytes(frame.node_ink),
    nodeDash: frame.node_dash ? bytes(frame.node_dash) : null,
    edgeDash: frame.edge_dash ? bytes(frame.edge_dash) : null,
    edgeValues: floats64(frame.edge_values),
    edgeRgb: bytes(frame.edge_rgb),
    edgeWidth: floats32(frame.edge_width),
    barValues: frame.bar_values ? floats64(frame.bar_values) : null,
    barRgb: frame.bar_rgb ? bytes(frame.bar_rgb) : null,
  };
}

// "w^3_24" as plain text, "w³₂₄" (explorer.core.notation.plain_name)
const LOWER = { "0": "₀", "1": "₁", "2": "₂", "3": "₃", "4": "₄", "5": "₅", "6": "₆", "7": "₇", "8": "₈", "9": "₉" };
export function plainName(name) {
  const at = name.indexOf("^");
  if (at < 0) return name;
  const [sup, sub = ""] = name.slice(at + 1).split("_");
  return name.slice(0, at) + sup.replace(/[0-9]/g, (c) => SUPERSCRIPT[c]) + sub.replace(/[0-9]/g, (c) => LOWER[c]);
}

export function nodeLabel(structure, f, i) {
  const [l, j, sub] = structure.nodes[i];
  if (!f.computed) return `neuron ${j + 1} of layer ${l}: not computed`;
  // NaN: not computed yet (the step-through reveals the numbers as the algorithm finds them)
  const v = (k) => (Number.isNaN(f.nodeValues[FIELDS * i + k]) ? "?" : number(f.nodeValues[FIELDS * i + k]));
  if (l === 1) return `input neuron ${j + 1} (layer 1): ${plainName(`a^1_${sub}`)} = ${plainName(`x^_${sub}`)} = ${v(A)}`;
  const n = (symbol) => plainName(`${symbol}^${l}_${sub}`);
  let label = `neuron ${j + 1} of layer ${l}: ${n("z")} = ${v(Z)}, ${n("a")} = ${v(A)}, ` +
    `σ′(${n("z")}) = ${v(SP)}, ${n("δ")} = ${v(DELTA)}, ${n("b")} = ${v(B)}`;
  if (l === structure.layers.length) label += ` (target ${plainName(`y^_${sub}`)} = ${v(Y)})`;
  return label;
}

export function edgeLabel(structure, f, i) {
  const name = structure.edges[i][3];
  const w = f.edgeValues[2 * i];
  const g = f.edgeValues[2 * i + 1];
  return `${plainName(name)} = ${number(w)}` + (Number.isNaN(g) ? "" : ` · ∂C/∂${plainName(name)} = ${number(g)}`);
}

export function barLabel(f, i) {
  return `input neuron ${i + 1}: ${plainName(`a^1_${i + 1}`)} = ${plainName(`x^_${i + 1}`)} = ${number(f.barValues[i])}`;
}

function el(tag, attrs, parent) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

function text(parent, x, y, content, attrs) {
  const t = el("text", { x, y, "font-family": FONT, ...attrs }, parent);
  t.textContent = content;
  return t;
}

// Where everything goes, from the layer sizes alone (so a data change keeps the elements).
function layout(data) {
  const layers = data.layers;
  const L = layers.length;
  const room = data.room || {};
  const drawn = layers.filter((ly) => ly.kind === "neurons").map((ly) => ly.n);
  const maxn = Math.max(1, ...drawn);
  // notes under each neuron need their lines below the circle; the figure grows to hold them
  const noteH = (room.notes || 0) * NOTE_LINE;
  const gapH = room.gaps ? room.gaps * NOTE_LINE + 12 : 0;
  const plotTop = TOP;
  const plotH = Math.max(H - TOP - BOTTOM, noteH ? maxn * (noteH + 70) : 0);
  const plotBottom = plotTop + plotH;
  const height = plotBottom + BOTTOM + gapH;
  const first = layers[0].kind;
  const imageSize = first === "image" ? Math.min(plotH, 224) : 0;
  const margin = Math.max(90, 76 * S); // half the width of a layer's caption
  const left = first === "image" ? 36 + imageSize / 2 : margin;
  const right = W - margin;
  const xs = layers.map((_, i) => (L === 1 ? W / 2 : left + (i * (right - left)) / (L - 1)));
  const spacing = Math.min(plotH / maxn, 96 * S + noteH);
  const gap = L > 1 ? (right - left) / (L - 1) : W;
  const r = noteH
    ? Math.max(6, Math.min(26, (spacing - noteH - 20) / 2, gap * 0.16))
    : Math.max(6, Math.min(30 * S, spacing * 0.42, gap * 0.16));
  const cy = (plotTop + plotBottom) / 2;
  const pos = (l, j) => {
    const n = layers[l - 1].n;
    return [xs[l - 1], cy + (j - (n - 1) / 2) * spacing - noteH / 2];
  };
  return { xs, r, cy, plotTop, plotBottom, plotH, imageSize, pos, spacing, H: height, noteH, gapH };
}

function wrap(words, width) {
  const lines = [];
  let line = "";
  for (const word of words.split(" ")) {
    if (line && line.length + word.length + 1 > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

function structureKey(structure) {
  return JSON.stringify(structure.layers.map((ly) => [ly.n, ly.kind]));
}

function fmtSelection(sel) {
  return sel && sel.kind ? JSON.stringify(sel) : "";
}

function render({ model, el: root }) {
  const id = `bpx-diagram-${++uid}`;
  root.classList.add("bpx-diagram");

  const handlers = []; // [event, callback] pairs to remove when the view goes away

  // ---------------------------------------------------------------- toolbar
  const bar = document.createElement("div");
  bar.className = "bpx-toolbar";
  const makeSelect = (label, choices, trait) => {
    const wrap = document.createElement("label");
    wrap.textContent = label + " ";
    const select = document.createElement("select");
    for (const [value, name] of choices) {
      const option = document.createElement("option");
      option.value = value;
      option.textContent = name;
      select.appendChild(option);
    }
    select.value = model.get(trait);
    select.addEventListener("change", () => {
      model.set(trait, select.value);
      model.save_changes();
    });
    const follow = () => {
      select.value = model.get(trait);
    };
    model.on(`change:${trait}`, follow);
    handlers.push([`change:${trait}`, follow]);
    wrap.appendChild(select);
    bar.appendChild(wrap);
    return select;
  };
  makeSelect("neuron colour:", COLOR_CHOICES, "color_by");
  makeSelect("edges:", EDGE_CHOICES, "edge_by");
  const save = document.createElement("button");
  save.textContent = "Save SVG";
  save.title = "download the diagram as an SVG file, for slides";
  bar.appendChild(save);
  root.appendChild(bar);

  // ---------------------------------------------------------------- canvas
  const box = document.createElement("div");
  box.className = "bpx-box";
  root.appendChild(box);
  const svg = el("svg", {
    xmlns: NS,
    viewBox: `0 0 ${W} ${H}`,
    width: "100%",
    "font-family": FONT,
    // a group, not an image: its neurons are buttons reached with Tab and the arrow keys
    role: "group",
  });
  // not a Tab stop itself (Chrome makes an SVG holding focusable parts one): its neurons are
  svg.setAttribute("tabindex", "-1");
  box.appendChild(svg);
  const tip = document.createElement("div");
  tip.className = "bpx-tip";
  box.appendChild(tip);

  let key = null;
  let geo = null;
  let parts = null; // the elements that change with the frame
  let data = null; // the structure drawn
  let f = null; // the frame drawn, unpacked

  function build() {
    svg.replaceChildren();
    geo = layout(data);
    svg.setAttribute("viewBox", `0 0 ${W} ${geo.H}`);
    const defs = el("defs", {}, svg);
    el("rect", { x: 0, y: 0, width: W, height: geo.H, fill: "#ffffff" }, svg);
    const main = el("g", {}, svg);
    const gActive = el("g", { "data-role": "active" }, main);
    const gBundle = el("g", {}, main);
    const gEdges = el("g", { "data-role": "edges" }, main);
    const gHits = el("g", {}, main);
    const gInput = el("g", {}, main);
    const gNodes = el("g", {}, main);
    const gOverlay = el("g", { "pointer-events": "none" }, svg);
    const gMarks = el("g", { "pointer-events": "none", "data-role": "marks" }, svg); // over the selection's halo
    const gHeader = el("g", {}, svg);
    const gBanner = el("g", { "pointer-events": "none" }, svg);
    const gNotes = el("g", { "data-role": "notes", "pointer-events": "none" }, main);
    parts = { main, defs, gActive, gEdges, gHits, gNodes, gNotes, gMarks, gOverlay, gHeader, gBanner, gInput, edges: [], nodes: [], labels: [] };

    // layer labels under the columns, in the book's numbering
    data.layers.forEach((ly, i) => {
      // "l = 3" with the l in math italic, as the book writes it (a bold sans l looks like I)
      const t = text(main, geo.xs[i], geo.plotBottom + BOTTOM - 40 * S, "", { "text-anchor": "middle", "font-size": 26 * S, fill: "#222", "data-role": "layer" });
      const ell = el("tspan", { "font-style": "italic", "font-family": "DejaVu Serif, Georgia, serif" }, t);
      ell.textContent = "l";
      el("tspan", {}, t).textContent = ` = ${ly.l}`;
      parts.labels.push(text(main, geo.xs[i], geo.plotBottom + BOTTOM - 14 * S, "", { "text-anchor": "middle", "font-size": 15 * S, fill: "#555", "data-role": "caption" }));
    });

    // the input layer, when it is an image or a bar instead of circles
    const first = data.layers[0];
    if (first.kind === "image") {
      const s = geo.imageSize;
      const x0 = geo.xs[0] - s / 2;
      const y0 = geo.cy - s / 2;
      parts.image = { x0, y0, s, g: el("g", { "shape-rendering": "crispEdges" }, gInput) };
      el("rect", { x: x0, y: y0, width: s, height: s, fill: "none", stroke: "#444", "stroke-width": 1.5 }, gInput);
      bundle(gBundle, x0 + s, y0, y0 + s, data);
    } else if (first.kind === "bar") {
      const bw = 22;
      const x0 = geo.xs[0] - bw / 2;
      const y0 = geo.plotTop;
      const h = geo.plotH;
      const g = el("g", { "shape-rendering": "crispEdges" }, gInput);
      const cells = [];
      for (let i = 0; i < first.n; i++) {
        cells.push(
          el("rect", {
            x: x0, y: y0 + (i * h) / first.n, width: bw, height: h / first.n + 0.3,
            fill: "#eee", "data-kind": "bar", "data-i": i,
          }, g)
        );
      }
      el("rect", { x: x0, y: y0, width: bw, height: h, fill: "none", stroke: "#444", "stroke-width": 1.5 }, gInput);
      parts.bar = cells;
      bundle(gBundle, x0 + bw, y0, y0 + h, data);
    }

    // edges: a visible line and a wider transparent one that catches the mouse
    data.edges.forEach(([l, j, k], i) => {
      const [x1, y1] = geo.pos(l - 1, k);
      const [x2, y2] = geo.pos(l, j);
      const c = { x1: x1 + geo.r, y1, x2: x2 - geo.r, y2 };
      parts.edges.push(el("line", { ...c, "stroke-linecap": "round" }, gEdges));
      el("line", {
        ...c, stroke: "transparent", "stroke-width": Math.max(8, geo.r * 0.5),
        "data-kind": "edge", "data-i": i, cursor: "pointer",
      }, gHits);
    });

    // neurons, with their value written inside when there is room
    data.nodes.forEach(([l, j], i) => {
      const [x, y] = geo.pos(l, j);
      const g = el("g", { "data-kind": "node", "data-i": i, cursor: l >= 2 ? "pointer" : "default" }, gNodes);
      if (l >= 2) {
        // one Tab stop for the whole diagram (the selected neuron); arrows move between neurons
        g.setAttribute("tabindex", "-1");
        g.setAttribute("role", "button");
        g.dataset.name = `neuron ${j + 1} of layer ${l}`;
        g.setAttribute("aria-label", g.dataset.name);
      }
      const circle = el("circle", { cx: x, cy: y, r: geo.r, stroke: "#333", "stroke-width": 1.5 }, g);
      const label = geo.r >= 17
        ? text(g, x, y, "", {
            "text-anchor": "middle", "dominant-baseline": "central",
            "font-size": Math.round(geo.r * 0.6), "pointer-events": "none",
          })
        : null;
      parts.nodes.push({ circle, label });
    });

    // header: cost on the left, the two legends on the right
    parts.cost = text(gHeader, 24, 44 * S, "", { "font-size": 30 * S, "font-weight": "bold", fill: "#111" });
    parts.costCaption = text(gHeader, 24, 70 * S, "", { "font-size": 15 * S, fill: "#555" });
    parts.marksNote = text(gHeader, 24, 92 * S, "", { "font-size": 15 * S, fill: MARK, "font-weight": "bold" });
    parts.legends = S === 1
      ? [legend(gHeader, defs, W - 510, 0, 210, `${id}-n`), legend(gHeader, defs, W - 250, 0, 210, `${id}-e`)]
      : [legend(gHeader, defs, 24, 100 * S, W / 2 - 60, `${id}-n`), legend(gHeader, defs, W / 2 + 24, 100 * S, W / 2 - 60, `${id}-e`)];
  }

  // a faint fan from the image (or bar) to the first hidden layer: too many weights to draw one by one
  function bundle(g, x, yTop, yBottom, data) {
    if (data.layers.length < 2) return;
    const n = data.layers[1].n;
    const [x2, top] = geo.pos(2, 0);
    const [, bottom] = geo.pos(2, n - 1);
    el("path", {
      d: `M ${x} ${yTop} L ${x2 - geo.r} ${top} L ${x2 - geo.r} ${bottom} L ${x} ${yBottom} Z`,
      fill: "#9aa4b0", "fill-opacity": 0.25, stroke: "none",
    }, g);
  }

  function legend(g, defs, x, y, w, gid) {
    const grad = el("linearGradient", { id: gid, x1: 0, x2: 1, y1: 0, y2: 0 }, defs);
    const fs = 15 * S;
    const title = text(g, x, y + 24 * S, "", { "font-size": fs, fill: "#222" });
    el("rect", { x, y: y + 34 * S, width: w, height: 18 * S, fill: `url(#${gid})`, stroke: "#555", "stroke-width": 1 }, g);
    const lo = text(g, x, y + 72 * S, "", { "font-size": fs, fill: "#222" });
    const mid = text(g, x + w / 2, y + 72 * S, "", { "font-size": fs, fill: "#222", "text-anchor": "middle" });
    const hi = text(g, x + w, y + 72 * S, "", { "font-size": fs, fill: "#222", "text-anchor": "end" });
    // left of a signed scale's negative end: a dashed sample, as negative values are drawn
    const dash = el("line", {
      x1: x - 36 * S, y1: y + 43 * S, x2: x - 8 * S, y2: y + 43 * S, "stroke-width": 4 * S,
      "stroke-dasharray": `${6 * S} ${5 * S}`, "data-legend": "dashed",
    }, g);
    el("title", {}, dash).textContent = "dashed: a negative value";
    return { grad, title, lo, mid, hi, dash };
  }

  function paintLegend(lg, spec) {
    lg.title.textContent = spec.title;
    lg.lo.textContent = spec.lo;
    lg.mid.textContent = spec.mid;
    lg.hi.textContent = spec.hi;
    lg.dash.setAttribute("stroke", spec.stops[0]);
    lg.dash.setAttribute("visibility", spec.signed ? "visible" : "hidden");
    lg.grad.replaceChildren();
    const n = spec.stops.length;
    spec.stops.forEach((c, i) => el("stop", { offset: `${(100 * i) / (n - 1)}%`, "stop-color": c }, lg.grad));
  }

  function edgeColor(i) {
    return rgb(f.edgeRgb, i);
  }

  // A negative weight (or ∂C/∂w) is drawn dashed, so that its sign does not rest on colour alone;
  // the gaps grow with the width, as the round caps eat into them.
  function dashEdge(line, i) {
    if (f.edgeDash && f.edgeDash[i]) {
      const w = f.edgeWidth[i];
      line.setAttribute("stroke-dasharray", `${Math.round(Math.max(6, 2 * w) * 10) / 10} ${Math.round((w + 5) * 10) / 10}`);
    } else {
      line.removeAttribute("stroke-dasharray");
    }
    return line;
  }

  function paint() {
    const structure = model.get("structure");
    const frame = model.get("frame");
    if (!structure || !structure.layers || !frame || !frame.node_values) return;
    // a frame belongs to the structure it was sent with: both have one entry per neuron
    if (frame.node_ink.byteLength !== structure.nodes.length) return;
    data = structure;
    f = unpack(frame);
    // the sizes are module-wide (several diagrams may share a page): set them from this model
    size(model.get("view_height"), model.get("text_scale"));
    const k = `${structureKey(structure)} ${H} ${S}`;
    if (k !== key) {
      build();
      key = k;
      paintImage();
    }
    parts.edges.forEach((line, i) => {
      line.setAttribute("stroke", edgeColor(i));
      line.setAttribute("stroke-width", Math.round(f.edgeWidth[i] * 100) / 100);
      dashEdge(line, i);
    });
    parts.nodes.forEach(({ circle, label }, i) => {
      circle.setAttribute("fill", rgb(f.nodeRgb, i));
      // the sign's second cue besides colour: a negative value has a dashed outline
      if (f.nodeDash && f.nodeDash[i]) circle.setAttribute("stroke-dasharray", "5 3");
      else circle.removeAttribute("stroke-dasharray");
      if (label) {
        label.textContent = f.node_text[i];
        // a button's name holds its visible text: "neuron 2 of layer 3, 0.61"
        const g = circle.parentNode;
        if (g.dataset.name) g.setAttribute("aria-label", `${g.dataset.name}, ${f.node_text[i]}`);
        label.setAttribute("fill", f.nodeInk[i] ? "#ffffff" : "#111111");
      }
    });
    f.captions.forEach((c, i) => (parts.labels[i].textContent = c));
    if (parts.bar && f.barRgb) parts.bar.forEach((cell, i) => cell.setAttribute("fill", rgb(f.barRgb, i)));
    // what the picture shows, for a screen reader (role="img" needs a name)
    const sizes = data.layers.map((ly) => ly.n).join(", ");
    svg.setAttribute("aria-label", `Network diagram: layers of ${sizes} neurons; neuron colour shows ` +
      `${f.legend.nodes.title}, edges ${f.legend.edges.title} (blue and dashed: negative, orange: positive); ` +
      `${f.cost_text}. Hover or click a neuron or weight for its numbers; Tab reaches the selected neuron, arrow keys move between neurons, Enter selects.`);
    parts.cost.textContent = f.cost_text;
    parts.costCaption.textContent = f.cost_caption;
    paintLegend(parts.legends[0], { ...f.legend.nodes, title: "neuron colour: " + f.legend.nodes.title });
    paintLegend(parts.legends[1], { ...f.legend.edges, title: "edge colour, width: " + f.legend.edges.title });

    parts.gBanner.replaceChildren();
    parts.main.setAttribute("opacity", f.diverged ? 0.3 : 1);
    if (f.diverged) {
      // "diverged: why" as a red title and the reason wrapped below it
      const cut = f.diverged.indexOf(": ");
      const head = cut > 0 ? f.diverged.slice(0, cut) : f.diverged;
      const lines = wrap(cut > 0 ? f.diverged.slice(cut + 2) : "", 62);
      const bh = 64 + 26 * lines.length;
      const y0 = (TOP + geo.plotBottom) / 2 - bh / 2;
      el("rect", {
        x: 60, y: y0, width: W - 120, height: bh, rx: 10, fill: "#fff0f0", stroke: "#d00000", "stroke-width": 3,
      }, parts.gBanner);
      text(parts.gBanner, W / 2, y0 + 40, `⚠ ${head}`, {
        "text-anchor": "middle", "font-size": 28, "font-weight": "bold", fill: "#d00000",
      });
      lines.forEach((line, i) => text(parts.gBanner, W / 2, y0 + 70 + 26 * i, line, {
        "text-anchor": "middle", "font-size": 19, fill: "#a00000",
      }));
    }
    paintReveal();
    paintMarks();
    paintSelection();
    refreshTip();
  }

  // ---------------------------------------------------------------- the step-through's notes
  // What the algorithm has computed so far: the active layer's band, lines of numbers ("?" for
  // what is not known yet) under each neuron, under an image or bar input, under each layer of weights.
  function noteLines(g, x, y, lines, anchor, font = FONT) {
    lines.forEach(([content, kind], n) => {
      text(g, x, y + NOTE_LINE * n, content, {
        "text-anchor": anchor, "font-size": 19, fill: NOTE_INK[kind] || NOTE_INK.known, "font-family": font,
        "font-weight": kind === "new" ? "bold" : "normal", "data-note": kind, style: "white-space: pre",
      });
    });
  }

  function paintReveal() {
    parts.gActive.replaceChildren();
    parts.gNotes.replaceChildren();
    const rv = f.reveal;
    if (!rv) return;
    for (const l of rv.active) {
      if (!data.layers[l - 1]) continue;
      const x = geo.xs[l - 1];
      const half = data.layers[l - 1].kind === "image" ? geo.imageSize / 2 + 8 : geo.r + 48;
      el("rect", {
        x: x - half, y: geo.plotTop - 4, width: 2 * half, height: geo.plotH + 8, rx: 12,
        fill: ACTIVE, "data-active": l,
      }, parts.gActive);
    }
    rv.nodes.forEach((lines, i) => {
      if (!lines.length) return;
      const [l, j] = data.nodes[i];
      const [x, y] = geo.pos(l, j);
      noteLines(parts.gNotes, x, y + geo.r + 30, lines, "middle"); // below the selection's halo
    });
    if (rv.input.length) {
      const y = data.input === "image" ? geo.cy + geo.imageSize / 2 + 18 : geo.plotBottom - 6;
      noteLines(parts.gNotes, geo.xs[0] + (data.input === "bar" ? 16 : 0), y, rv.input, data.input === "bar" ? "start" : "middle");
    }
    for (const [l, lines] of rv.gaps) {
      const x = (geo.xs[l - 2] + geo.xs[l - 1]) / 2;
      const g = el("g", { "data-gap": l }, parts.gNotes);
      noteLines(g, x, geo.plotBottom + BOTTOM + 16, lines, "middle", "DejaVu Sans Mono, Menlo, Consolas, monospace");
    }
  }

  // ---------------------------------------------------------------- marks
  // The marks are their own trait: a red ring on a neuron (dashed for its bias), a red outline
  // on a weight; the values behind them are added to the tooltip of what they mark.
  function marksOf(kind, l, j, k) {
    const marks = model.get("marks") || [];
    return marks.filter((m) => {
      if (m.l !== l || m.j !== j) return false;
      if (kind === "edge") return m.kind === "weight" && m.k === k;
      return m.kind === "neuron" || m.kind === "bias";
    });
  }

  function paintMarks() {
    if (!parts) return;
    const g = parts.gMarks;
    g.replaceChildren();
    const marks = model.get("marks") || [];
    const caption = model.get("marks_caption"); // what the marks mean, when they are no differences
    parts.marksNote.textContent = marks.length
      ? caption || `red: ${marks.length === 1 ? "1 value differs" : `${marks.length} values differ`} (hover to compare)`
      : "";
    if (!data || !f) return;
    const ringed = new Set();
    for (const m of marks) {
      if (!data.layers[m.l - 1]) continue;
      if (m.kind === "weight") {
        const i = edgeIndex(m.l, m.j, m.k);
        if (i < 0) continue; // a weight from an image or bar: its neuron is ringed below
        const width = f.edgeWidth[i];
        const line = parts.edges[i];
        const c = ["x1", "y1", "x2", "y2"].reduce((o, a) => ({ ...o, [a]: line.getAttribute(a) }), {});
        el("line", {
          ...c, stroke: MARK, "stroke-width": width + 7, "stroke-linecap": "round",
          "data-mark": "weight", "data-l": m.l, "data-j": m.j, "data-k": m.k,
        }, g);
        dashEdge(el("line", { ...c, stroke: edgeColor(i), "stroke-width": width, "stroke-linecap": "round" }, g), i);
        continue;
      }
      const node = nodeIndex(m.l, m.j);
      if (node < 0) continue;
      const key = `${m.kind} ${m.l} ${m.j}`;
      if (ringed.has(key)) continue;
      ringed.add(key);
      const [x, y] = geo.pos(m.l, m.j);
      const attrs = {
        cx: x, cy: y, r: geo.r + (m.kind === "bias" ? 9 : 5), fill: "none", stroke: MARK, "stroke-width": 4,
        "data-mark": m.kind, "data-l": m.l, "data-j": m.j,
      };
      if (m.kind === "bias") attrs["stroke-dasharray"] = "6 4";
      el("circle", attrs, g);
    }
  }

  // where a neuron or weight is in the structure's lists (-1 when it is not drawn)
  function nodeIndex(l, j) {
    return data.nodes.findIndex((n) => n[0] === l && n[1] === j);
  }

  function edgeIndex(l, j, k) {
    return data.edges.findIndex((e) => e[0] === l && e[1] === j && e[2] === k);
  }

  function pixels() {
    const img = model.get("image");
    return img && img.pixels ? bytes(img.pixels) : null;
  }

  function paintImage() {
    if (!parts || !parts.image) return;
    const img = model.get("image");
    const { x0, y0, s, g } = parts.image;
    g.replaceChildren();
    const values = pixels();
    if (!values) return;
    const c = s / img.width;
    values.forEach((p, i) => {
      if (p <= 0) return; // the white background shows through
      const v = 255 - p; // ink on paper: 0 is white, 255 is black
      el("rect", {
        x: x0 + (i % img.width) * c, y: y0 + Math.floor(i / img.width) * c, width: c + 0.25, height: c + 0.25,
        fill: `rgb(${v},${v},${v})`, "data-kind": "pixel", "data-i": i,
      }, g);
    });
  }

  // the selection's highlight, drawn over everything, from the synced trait (instant on click)
  // the neuron with the diagram's Tab stop: the selected one (or the one a selected weight feeds)
  function paintFocus(sel) {
    if (!data || !parts) return;
    const want = sel && sel.kind ? nodeIndex(sel.layer, sel.j) : -1;
    const first = data.nodes.findIndex((n) => n[0] >= 2);
    const stop = want >= 0 ? want : first;
    gNodesOf().forEach((g, i) => {
      if (!g.hasAttribute("role")) return;
      g.setAttribute("tabindex", i === stop ? "0" : "-1");
      g.setAttribute("aria-pressed", String(sel && sel.kind === "neuron" && i === want));
    });
  }

  function gNodesOf() {
    return parts.nodes.map(({ circle }) => circle.parentNode);
  }

  function paintSelection() {
    if (!parts) return;
    // while a keyboard user walks the neurons, the Tab stop stays where they are
    if (!svg.contains(document.activeElement)) paintFocus(model.get("selection"));
    const g = parts.gOverlay;
    g.replaceChildren();
    const sel = model.get("selection");
    if (!data || !f || !sel || !sel.kind) return;
    if (sel.kind === "weight") {
      const i = edgeIndex(sel.layer, sel.j, sel.k);
      if (i >= 0) {
        const width = f.edgeWidth[i];
        const line = parts.edges[i];
        const c = ["x1", "y1", "x2", "y2"].reduce((o, a) => ({ ...o, [a]: line.getAttribute(a) }), {});
        el("line", { ...c, stroke: "#111", "stroke-width": width + 9, "stroke-linecap": "round" }, g);
        el("line", { ...c, stroke: HALO, "stroke-width": width + 5, "stroke-linecap": "round" }, g);
        dashEdge(el("line", { ...c, stroke: edgeColor(i), "stroke-width": width, "stroke-linecap": "round" }, g), i);
      } else if (sel.layer === 2 && data.input !== "neurons") {
        // a weight from the image or bar: mark its input pixel / cell and its neuron
        markInput(g, data, sel.k);
      }
    }
    const l = sel.layer;
    const j = sel.j;
    if (!data.layers[l - 1]) return;
    const [x, y] = geo.pos(l, j);
    const neuron = sel.kind === "neuron";
    el("circle", {
      cx: x, cy: y, r: geo.r + (neuron ? 6 : 4), fill: "none", stroke: HALO, "stroke-width": neuron ? 7 : 3,
    }, g);
    el("circle", { cx: x, cy: y, r: geo.r + (neuron ? 10 : 6), fill: "none", stroke: "#111", "stroke-width": neuron ? 2 : 1 }, g);
  }

  function markInput(g, data, k) {
    if (data.input === "image" && parts.image) {
      const img = model.get("image");
      const width = (img && img.width) || 28;
      const c = parts.image.s / width;
      const x = parts.image.x0 + (k % width) * c;
      const y = parts.image.y0 + Math.floor(k / width) * c;
      el("rect", { x: x - 1.5, y: y - 1.5, width: c + 3, height: c + 3, fill: "none", stroke: HALO, "stroke-width": 3 }, g);
    } else if (parts.bar) {
      const cell = parts.bar[k];
      const y = +cell.getAttribute("y");
      const h = +cell.getAttribute("height");
      el("rect", {
        x: +cell.getAttribute("x") - 4, y: y - 2, width: 30, height: h + 4, fill: "none", stroke: HALO, "stroke-width": 3,
      }, g);
    }
  }

  // ---------------------------------------------------------------- hover and click
  let hovered = null; // [element, clientX, clientY]

  function withMarks(label, kind, item) {
    const lines = item ? marksOf(kind, item.l, item.j, item.k).map((m) => m.tip) : [];
    return lines.length ? [label, ...lines] : label;
  }

  function tipText(target) {
    if (!data || !f) return null;
    const i = +target.getAttribute("data-i");
    switch (target.getAttribute("data-kind")) {
      case "node": {
        const n = data.nodes[i];
        return n && withMarks(nodeLabel(data, f, i), "node", { l: n[0], j: n[1] });
      }
      case "edge": {
        const e = data.edges[i];
        return e && withMarks(edgeLabel(data, f, i), "edge", { l: e[0], j: e[1], k: e[2] });
      }
      case "bar": return f.barValues && barLabel(f, i);
      case "pixel": {
        const img = model.get("image");
        const row = Math.floor(i / img.width) + 1;
        const col = (i % img.width) + 1;
        return `input neuron ${i + 1} (pixel row ${row}, column ${col}): ${plainName(`a^1_${i + 1}`)} = ${plainName(`x^_${i + 1}`)} ≈ ${number(pixels()[i] / 255, 3)}`;
      }
      default: return null;
    }
  }

  function showTip(target, cx, cy) {
    const content = target && tipText(target);
    if (!content) {
      tip.style.display = "none";
      return;
    }
    if (Array.isArray(content)) {
      // a marked element: its label, then one line per mark ("yours: …  expected: …")
      tip.replaceChildren();
      content.forEach((line, n) => {
        const div = document.createElement("div");
        div.textContent = line;
        if (n > 0) {
          div.className = "bpx-tip-mark";
          div.style.color = "#ffb3b3";
          div.style.fontWeight = "bold";
        }
        tip.appendChild(div);
      });
    } else {
      tip.textContent = content;
    }
    tip.style.display = "block";
    const rect = box.getBoundingClientRect();
    let x = cx - rect.left + 14;
    const y = cy - rect.top + 16;
    if (x + tip.offsetWidth > rect.width) x = Math.max(0, cx - rect.left - tip.offsetWidth - 10);
    tip.style.left = `${x}px`;
    tip.style.top = `${y}px`;
  }

  function refreshTip() {
    if (hovered && hovered[0].isConnected) showTip(...hovered);
    else tip.style.display = "none";
  }

  svg.addEventListener("mousemove", (ev) => {
    const target = ev.target.closest("[data-kind]");
    hovered = target ? [target, ev.clientX, ev.clientY] : null;
    showTip(target, ev.clientX, ev.clientY);
  });
  svg.addEventListener("mouseleave", () => {
    hovered = null;
    tip.style.display = "none";
  });
  // ---------------------------------------------------------------- keyboard
  // Tab reaches the selected neuron; arrows move between neurons (↑↓ in a layer, ←→ across
  // layers 2 … L); Enter or Space selects the one with the focus, as a click does.
  function focusNode(i) {
    gNodesOf().forEach((g, n) => {
      if (g.hasAttribute("role")) g.setAttribute("tabindex", n === i ? "0" : "-1");
    });
    gNodesOf()[i].focus();
  }

  function column(l) {
    const out = [];
    data.nodes.forEach((n, k) => { if (n[0] === l) out.push(k); });
    return out;
  }

  svg.addEventListener("keydown", (ev) => {
    const target = ev.target.closest ? ev.target.closest('[data-kind="node"][role]') : null;
    if (!target || !data || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const i = +target.getAttribute("data-i");
    const [l, j] = data.nodes[i];
    let next = i;
    if (ev.key === "Enter" || ev.key === " ") {
      choose({ kind: "neuron", layer: l, j });
    } else if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      const col = column(l);
      const at = col.indexOf(i) + (ev.key === "ArrowDown" ? 1 : -1);
      next = col[Math.min(col.length - 1, Math.max(0, at))];
    } else if (ev.key === "ArrowRight" || ev.key === "ArrowLeft") {
      const m = l + (ev.key === "ArrowRight" ? 1 : -1);
      if (m >= 2 && m <= data.layers.length) {
        const col = column(m);
        next = col.find((k) => data.nodes[k][1] >= j) ?? col[col.length - 1];
      }
    } else {
      return;
    }
    ev.preventDefault();
    ev.stopPropagation(); // the page's shortcuts must not act on the same key
    if (next !== i) focusNode(next);
  });
  // the focused neuron's numbers, as hovering shows them
  svg.addEventListener("focusin", (ev) => {
    const target = ev.target.closest ? ev.target.closest('[data-kind="node"]') : null;
    if (!target) return;
    const r = target.getBoundingClientRect();
    hovered = [target, r.right, r.bottom];
    showTip(target, r.right, r.bottom);
  });
  svg.addEventListener("focusout", () => {
    hovered = null;
    tip.style.display = "none";
  });

  function choose(sel) {
    if (!sel || fmtSelection(sel) === fmtSelection(model.get("selection"))) return;
    model.set("selection", sel);
    model.save_changes();
    paintSelection();
    if (svg.contains(document.activeElement)) paintFocus(sel);
  }

  svg.addEventListener("click", (ev) => {
    const target = ev.target.closest("[data-kind]");
    if (!target) return;
    if (!data) return;
    const i = +target.getAttribute("data-i");
    let sel = null;
    const kind = target.getAttribute("data-kind");
    if (kind === "node" && data.nodes[i][0] >= 2) {
      sel = { kind: "neuron", layer: data.nodes[i][0], j: data.nodes[i][1] };
    } else if (kind === "edge") {
      const [l, j, k] = data.edges[i];
      sel = { kind: "weight", layer: l, j, k };
    }
    choose(sel);
  });

  // ---------------------------------------------------------------- Save SVG
  save.addEventListener("click", () => {
    const copy = svg.cloneNode(true);
    copy.setAttribute("width", W);
    copy.setAttribute("height", svg.viewBox.baseVal.height); // this diagram's, not the last one sized
    copy.querySelectorAll("[data-kind]").forEach((n) => {
      if (n.getAttribute("stroke") === "transparent") n.remove();
    });
    const source = '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(copy);
    const url = URL.createObjectURL(new Blob([source], { type: "image/svg+xml" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = "network-diagram.svg";
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  });

  const onFrame = () => paint();
  const onImage = () => {
    paintImage();
    paintSelection();
  };
  const onSelection = () => paintSelection();
  const onMarks = () => {
    paintMarks();
    refreshTip();
  };
  handlers.push(
    ["change:structure", onFrame], ["change:frame", onFrame], ["change:image", onImage], ["change:selection", onSelection], ["change:marks", onMarks],
    ["change:marks_caption", onMarks]
  );
  for (const [event, callback] of handlers.slice(-6)) model.on(event, callback);
  paint();
  return () => {
    for (const [event, callback] of handlers) model.off(event, callback);
  };
}

export default { render };
