// The network diagram of Backprop Explorer: draws the JSON built in Python (diagram.py) as SVG.
// Python decides every number, colour and label; this module only places and paints them,
// shows tooltips on hover (no round trip to the kernel) and sends a click back as `selection`.

const NS = "http://www.w3.org/2000/svg";
const W = 960; // viewBox size; the SVG scales to the width of the cell
const H = 580;
const TOP = 104; // room for the cost and the legends
const BOTTOM = 70; // room for the layer labels
const FONT = "DejaVu Sans, Helvetica, Arial, sans-serif";
const HALO = "#ffc400"; // the selection's highlight
const MARK = "#d00000"; // a value that differs from the core's (the exercises' marks)
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
  const plotTop = TOP;
  const plotBottom = H - BOTTOM;
  const plotH = plotBottom - plotTop;
  const first = layers[0].kind;
  const imageSize = first === "image" ? Math.min(plotH, 224) : 0;
  const left = first === "image" ? 36 + imageSize / 2 : first === "bar" ? 90 : 90;
  const right = W - 90;
  const xs = layers.map((_, i) => (L === 1 ? W / 2 : left + (i * (right - left)) / (L - 1)));
  const drawn = layers.filter((ly) => ly.kind === "neurons").map((ly) => ly.n);
  const maxn = Math.max(1, ...drawn);
  const spacing = Math.min(plotH / maxn, 96);
  const gap = L > 1 ? (right - left) / (L - 1) : W;
  const r = Math.max(6, Math.min(30, spacing * 0.42, gap * 0.16));
  const cy = (plotTop + plotBottom) / 2;
  const pos = (l, j) => {
    const n = layers[l - 1].n;
    return [xs[l - 1], cy + (j - (n - 1) / 2) * spacing];
  };
  return { xs, r, cy, plotTop, plotBottom, plotH, imageSize, pos, spacing };
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

function structureKey(data) {
  return JSON.stringify(data.layers.map((ly) => [ly.n, ly.kind]));
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
    role: "img",
  });
  box.appendChild(svg);
  const tip = document.createElement("div");
  tip.className = "bpx-tip";
  box.appendChild(tip);

  let key = null;
  let geo = null;
  let parts = null; // the elements that change with the data

  function build(data) {
    svg.replaceChildren();
    geo = layout(data);
    const defs = el("defs", {}, svg);
    el("rect", { x: 0, y: 0, width: W, height: H, fill: "#ffffff" }, svg);
    const main = el("g", {}, svg);
    const gBundle = el("g", {}, main);
    const gEdges = el("g", {}, main);
    const gHits = el("g", {}, main);
    const gInput = el("g", {}, main);
    const gNodes = el("g", {}, main);
    const gOverlay = el("g", { "pointer-events": "none" }, svg);
    const gMarks = el("g", { "pointer-events": "none", "data-role": "marks" }, svg); // over the selection's halo
    const gHeader = el("g", {}, svg);
    const gBanner = el("g", { "pointer-events": "none" }, svg);
    parts = { main, defs, gEdges, gHits, gNodes, gMarks, gOverlay, gHeader, gBanner, gInput, edges: [], nodes: [], labels: [] };

    // layer labels under the columns, in the book's numbering
    data.layers.forEach((ly, i) => {
      // "l = 3" with the l in math italic, as the book writes it (a bold sans l looks like I)
      const t = text(main, geo.xs[i], H - 40, "", { "text-anchor": "middle", "font-size": 26, fill: "#222" });
      const ell = el("tspan", { "font-style": "italic", "font-family": "DejaVu Serif, Georgia, serif" }, t);
      ell.textContent = "l";
      el("tspan", {}, t).textContent = ` = ${ly.l}`;
      parts.labels.push(
        text(main, geo.xs[i], H - 14, ly.caption, { "text-anchor": "middle", "font-size": 15, fill: "#555" })
      );
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
    data.edges.forEach((e, i) => {
      const [x1, y1] = geo.pos(e.l - 1, e.k);
      const [x2, y2] = geo.pos(e.l, e.j);
      const c = { x1: x1 + geo.r, y1, x2: x2 - geo.r, y2 };
      parts.edges.push(el("line", { ...c, "stroke-linecap": "round" }, gEdges));
      el("line", {
        ...c, stroke: "transparent", "stroke-width": Math.max(8, geo.r * 0.5),
        "data-kind": "edge", "data-i": i, cursor: "pointer",
      }, gHits);
    });

    // neurons, with their value written inside when there is room
    data.nodes.forEach((n, i) => {
      const [x, y] = geo.pos(n.l, n.j);
      const g = el("g", { "data-kind": "node", "data-i": i, cursor: n.selectable ? "pointer" : "default" }, gNodes);
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
    parts.cost = text(gHeader, 24, 44, "", { "font-size": 30, "font-weight": "bold", fill: "#111" });
    parts.costCaption = text(gHeader, 24, 70, "", { "font-size": 15, fill: "#555" });
    parts.marksNote = text(gHeader, 24, 92, "", { "font-size": 15, fill: MARK, "font-weight": "bold" });
    parts.legends = [legend(gHeader, defs, W - 510, `${id}-n`), legend(gHeader, defs, W - 250, `${id}-e`)];
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

  function legend(g, defs, x, gid) {
    const w = 210;
    const grad = el("linearGradient", { id: gid, x1: 0, x2: 1, y1: 0, y2: 0 }, defs);
    const title = text(g, x, 24, "", { "font-size": 15, fill: "#222" });
    el("rect", { x, y: 34, width: w, height: 18, fill: `url(#${gid})`, stroke: "#555", "stroke-width": 1 }, g);
    const lo = text(g, x, 72, "", { "font-size": 15, fill: "#222" });
    const mid = text(g, x + w / 2, 72, "", { "font-size": 15, fill: "#222", "text-anchor": "middle" });
    const hi = text(g, x + w, 72, "", { "font-size": 15, fill: "#222", "text-anchor": "end" });
    return { grad, title, lo, mid, hi };
  }

  function paintLegend(lg, spec) {
    lg.title.textContent = spec.title;
    lg.lo.textContent = spec.lo;
    lg.mid.textContent = spec.mid;
    lg.hi.textContent = spec.hi;
    lg.grad.replaceChildren();
    const n = spec.stops.length;
    spec.stops.forEach((c, i) => el("stop", { offset: `${(100 * i) / (n - 1)}%`, "stop-color": c }, lg.grad));
  }

  function paint() {
    const data = model.get("data");
    if (!data || !data.layers) return;
    const k = structureKey(data);
    if (k !== key) {
      build(data);
      key = k;
      paintImage();
    }
    data.edges.forEach((e, i) => {
      const line = parts.edges[i];
      line.setAttribute("stroke", e.color);
      line.setAttribute("stroke-width", e.width);
    });
    data.nodes.forEach((n, i) => {
      const { circle, label } = parts.nodes[i];
      circle.setAttribute("fill", n.color);
      if (label) {
        label.textContent = n.text;
        label.setAttribute("fill", n.ink);
      }
    });
    data.layers.forEach((ly, i) => (parts.labels[i].textContent = ly.caption));
    if (parts.bar && data.bar) data.bar.colors.forEach((c, i) => parts.bar[i].setAttribute("fill", c));
    parts.cost.textContent = data.cost_text;
    parts.costCaption.textContent = data.cost_caption;
    paintLegend(parts.legends[0], { ...data.legend.nodes, title: "neuron colour: " + data.legend.nodes.title });
    paintLegend(parts.legends[1], { ...data.legend.edges, title: "edge colour, width: " + data.legend.edges.title });

    parts.gBanner.replaceChildren();
    parts.main.setAttribute("opacity", data.diverged ? 0.3 : 1);
    if (data.diverged) {
      // "diverged: why" as a red title and the reason wrapped below it
      const cut = data.diverged.indexOf(": ");
      const head = cut > 0 ? data.diverged.slice(0, cut) : data.diverged;
      const lines = wrap(cut > 0 ? data.diverged.slice(cut + 2) : "", 62);
      const bh = 64 + 26 * lines.length;
      const y0 = (TOP + H - BOTTOM) / 2 - bh / 2;
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
    paintMarks();
    paintSelection();
    refreshTip();
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
    const data = model.get("data");
    const marks = model.get("marks") || [];
    const caption = model.get("marks_caption"); // what the marks mean, when they are no differences
    parts.marksNote.textContent = marks.length
      ? caption || `red: ${marks.length === 1 ? "1 value differs" : `${marks.length} values differ`} (hover to compare)`
      : "";
    if (!data || !data.layers) return;
    const ringed = new Set();
    for (const m of marks) {
      if (!data.layers[m.l - 1]) continue;
      if (m.kind === "weight") {
        const i = data.edges.findIndex((e) => e.l === m.l && e.j === m.j && e.k === m.k);
        if (i < 0) continue; // a weight from an image or bar: its neuron is ringed below
        const e = data.edges[i];
        const line = parts.edges[i];
        const c = ["x1", "y1", "x2", "y2"].reduce((o, a) => ({ ...o, [a]: line.getAttribute(a) }), {});
        el("line", {
          ...c, stroke: MARK, "stroke-width": e.width + 7, "stroke-linecap": "round",
          "data-mark": "weight", "data-l": m.l, "data-j": m.j, "data-k": m.k,
        }, g);
        el("line", { ...c, stroke: e.color, "stroke-width": e.width, "stroke-linecap": "round" }, g);
        continue;
      }
      const node = data.nodes.findIndex((n) => n.l === m.l && n.j === m.j);
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

  function paintImage() {
    if (!parts || !parts.image) return;
    const img = model.get("image");
    const { x0, y0, s, g } = parts.image;
    g.replaceChildren();
    if (!img || !img.pixels) return;
    const c = s / img.width;
    img.pixels.forEach((p, i) => {
      if (p <= 0) return; // the white background shows through
      const v = 255 - p; // ink on paper: 0 is white, 255 is black
      el("rect", {
        x: x0 + (i % img.width) * c, y: y0 + Math.floor(i / img.width) * c, width: c + 0.25, height: c + 0.25,
        fill: `rgb(${v},${v},${v})`, "data-kind": "pixel", "data-i": i,
      }, g);
    });
  }

  // the selection's highlight, drawn over everything, from the synced trait (instant on click)
  function paintSelection() {
    if (!parts) return;
    const g = parts.gOverlay;
    g.replaceChildren();
    const data = model.get("data");
    const sel = model.get("selection");
    if (!data || !sel || !sel.kind) return;
    if (sel.kind === "weight") {
      const i = data.edges.findIndex((e) => e.l === sel.layer && e.j === sel.j && e.k === sel.k);
      if (i >= 0) {
        const e = data.edges[i];
        const line = parts.edges[i];
        const c = ["x1", "y1", "x2", "y2"].reduce((o, a) => ({ ...o, [a]: line.getAttribute(a) }), {});
        el("line", { ...c, stroke: "#111", "stroke-width": e.width + 9, "stroke-linecap": "round" }, g);
        el("line", { ...c, stroke: HALO, "stroke-width": e.width + 5, "stroke-linecap": "round" }, g);
        el("line", { ...c, stroke: e.color, "stroke-width": e.width, "stroke-linecap": "round" }, g);
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
    const data = model.get("data");
    const i = +target.getAttribute("data-i");
    switch (target.getAttribute("data-kind")) {
      case "node": return data.nodes[i] && withMarks(data.nodes[i].label, "node", data.nodes[i]);
      case "edge": return data.edges[i] && withMarks(data.edges[i].label, "edge", data.edges[i]);
      case "bar": return data.bar && data.bar.labels[i];
      case "pixel": {
        const img = model.get("image");
        const row = Math.floor(i / img.width) + 1;
        const col = (i % img.width) + 1;
        return `input neuron ${i + 1} (pixel row ${row}, column ${col}): a^1_${i + 1} = x_${i + 1} ≈ ${(img.pixels[i] / 255).toFixed(3)}`;
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
  svg.addEventListener("click", (ev) => {
    const target = ev.target.closest("[data-kind]");
    if (!target) return;
    const data = model.get("data");
    const i = +target.getAttribute("data-i");
    let sel = null;
    const kind = target.getAttribute("data-kind");
    if (kind === "node" && data.nodes[i].selectable) {
      sel = { kind: "neuron", layer: data.nodes[i].l, j: data.nodes[i].j };
    } else if (kind === "edge") {
      const e = data.edges[i];
      sel = { kind: "weight", layer: e.l, j: e.j, k: e.k };
    }
    if (!sel || fmtSelection(sel) === fmtSelection(model.get("selection"))) return;
    model.set("selection", sel);
    model.save_changes();
    paintSelection();
  });

  // ---------------------------------------------------------------- Save SVG
  save.addEventListener("click", () => {
    const copy = svg.cloneNode(true);
    copy.setAttribute("width", W);
    copy.setAttribute("height", H);
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

  const onData = () => paint();
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
    ["change:data", onData], ["change:image", onImage], ["change:selection", onSelection], ["change:marks", onMarks],
    ["change:marks_caption", onMarks]
  );
  for (const [event, callback] of handlers.slice(-5)) model.on(event, callback);
  paint();
  return () => {
    for (const [event, callback] of handlers) model.off(event, callback);
  };
}

export default { render };
