// Formulas typeset once with KaTeX; on every event only the numbers inside them change.
//
// The template (HTML with TeX in .tex elements) is typeset when it changes. Each live number is
// a slot, an element with data-q="KEY" (\htmlData{q=KEY}{...} in TeX); the numbers trait maps
// KEY to [text, exact value, state] (a vector's slot: [text, [exact values]]). Writing a slot's text does not re-typeset anything: the
// equation keeps its layout and only the digits move. KaTeX comes from the shared assets model
// (the package's bundled release), loaded once per page.

let katexReady = null;

function loadKatex(assets) {
  if (globalThis.katex) return Promise.resolve(globalThis.katex);
  if (katexReady) return katexReady;
  katexReady = new Promise((resolve, reject) => {
    if (!document.getElementById("bpx-katex-css")) {
      const style = document.createElement("style");
      style.id = "bpx-katex-css";
      style.textContent = assets.get("css");
      document.head.appendChild(style);
    }
    const url = URL.createObjectURL(new Blob([assets.get("js")], { type: "text/javascript" }));
    const script = document.createElement("script");
    script.src = url;
    script.onload = () => { URL.revokeObjectURL(url); resolve(globalThis.katex); };
    script.onerror = () => reject(new Error("KaTeX could not be loaded"));
    document.head.appendChild(script);
  });
  return katexReady;
}

async function assetsOf(model) {
  const ref = model.get("assets");
  const id = typeof ref === "string" ? ref.replace(/^IPY_MODEL_/, "") : ref?.model_id;
  return model.widget_manager.get_model(id);
}

const TRUST = (context) => context.command === "\\htmlData";

function typeset(katex, root) {
  for (const node of root.querySelectorAll(".tex")) {
    const tex = node.textContent;
    node.textContent = "";
    katex.render(tex, node, {
      displayMode: node.classList.contains("display"),
      output: "html",
      trust: TRUST,
      strict: "ignore",
      throwOnError: false,
    });
  }
  const slots = new Map();
  for (const node of root.querySelectorAll("[data-q]")) {
    if (!node.classList.contains("vec")) node.classList.add("num");
    const key = node.dataset.q;
    if (!slots.has(key)) slots.set(key, []);
    slots.get(key).push(node);
  }
  return slots;
}

function fill(slots, numbers) {
  for (const [key, nodes] of slots) {
    const entry = numbers[key];
    if (!entry) continue;
    const [text, exact, state] = entry;
    for (const node of nodes) {
      if (node.textContent !== text) node.textContent = text;
      if (Array.isArray(exact)) {
        // a vector: every entry, "" for one that is not a finite number
        const values = exact.map((v) => (v === null ? "" : String(v))).join(",");
        if (node.dataset.values !== values) node.dataset.values = values;
        continue;
      }
      const value = exact === null || exact === undefined ? "" : String(exact);
      if (node.dataset.value !== value) node.dataset.value = value;
      if (state) node.dataset.state = state;
      else delete node.dataset.state;
    }
  }
}

async function render({ model, el }) {
  const box = document.createElement("div");
  box.className = "bpx-formula";
  el.appendChild(box);
  const katex = await loadKatex(await assetsOf(model));
  let template = null, slots = new Map();

  const paint = () => {
    const next = model.get("template");
    if (next !== template) {
      template = next;
      box.innerHTML = next; // typeset below, in the same task: raw TeX is never painted
      slots = typeset(katex, box);
    }
    fill(slots, model.get("numbers") ?? {});
    box.dataset.painted = String(model.get("revision"));
  };
  // Numbers are written as soon as they arrive (a few text nodes: cheaper than waiting a
  // frame); the browser paints them in its next frame. Bursts are already one message per
  // kernel event, and the kernel only answers the newest slider value.
  paint();
  model.on("change:template", paint);
  model.on("change:numbers", paint);
  return () => box.remove();
}

export default { render };
