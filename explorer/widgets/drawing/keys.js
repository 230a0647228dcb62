// Keyboard shortcuts for the explorer: the browser listens, the kernel acts (widgets/keys.py).
//
// A key press becomes a command's name sent to the kernel, which changes the state through its
// public methods, so a key does what the matching control does and every panel follows. Keys
// typed into a text field or a menu, keys a focused slider uses (arrows, Home, End, Page Up/Down)
// and keys with Ctrl, Alt or Cmd are left alone. "?" opens a dialog listing the keys; Esc closes
// it and the focus goes back where it was. In a notebook, keys pressed inside the explorer stay
// there: JupyterLab's one-key commands (new cell, move, edit) do not also fire. The view also
// makes the collapsible sections' headers reachable with Tab (Enter or Space opens them), which
// ipywidgets draws as plain divs.

const TYPING = "input:not([type=button]):not([type=submit]):not([type=checkbox]):not([type=radio]):not([type=range]):not([type=file]), textarea, select, [contenteditable]:not([contenteditable=false])";
const MOVING = new Set(["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "Home", "End", "PageUp", "PageDown"]);
const USES_ARROWS = "[role=slider], .noUi-handle, [role=listbox], [role=tablist], [role=menu], [role=grid], [role=radiogroup], [role=tree]";

// One listener per widget model, even when the widget is shown twice.
const listening = (globalThis.__bpxShortcuts ??= new WeakSet());

function ignored(event) {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return true;
  const target = event.target;
  if (!(target instanceof Element)) return false;
  if (target.closest(TYPING) || target.closest("dialog")) return true;
  return MOVING.has(event.key) && target.closest(USES_ARROWS) !== null;
}

function helpDialog(model) {
  const dialog = document.createElement("dialog");
  dialog.className = "bpx-keys-help";
  dialog.setAttribute("aria-labelledby", "bpx-keys-title");
  const title = document.createElement("h2");
  title.id = "bpx-keys-title";
  title.textContent = "Keyboard shortcuts";
  const table = document.createElement("table");
  const fill = () => {
    table.replaceChildren();
    for (const key of model.get("bindings") ?? []) {
      const row = table.insertRow();
      const th = document.createElement("th");
      th.scope = "row";
      const kbd = document.createElement("kbd");
      kbd.textContent = key.shown;
      th.appendChild(kbd);
      row.appendChild(th);
      row.insertCell().textContent = key.text;
    }
  };
  const note = document.createElement("p");
  note.textContent = "Tab and Shift+Tab walk through every control; Enter or Space presses the one with the ring. "
    + "Keys do nothing while you type in a field or move a slider with its own arrow keys.";
  const close = document.createElement("button");
  close.type = "button";
  close.textContent = "Close (Esc)";
  close.addEventListener("click", () => dialog.close());
  dialog.append(title, table, note, close);
  fill();
  return { dialog, fill };
}

function makeReachable(root) {
  // ipywidgets' Accordion headers: divs with a click handler only
  for (const header of root.querySelectorAll(".jupyter-widget-Collapse-header")) {
    const open = header.closest(".jupyter-widget-Collapse")?.classList.contains("jupyter-widget-Collapse-open") ?? false;
    if (header.getAttribute("aria-expanded") !== String(open)) header.setAttribute("aria-expanded", String(open));
    if (header.hasAttribute("tabindex")) continue;
    header.tabIndex = 0;
    header.setAttribute("role", "button");
    header.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" && event.key !== " ") return;
      event.preventDefault();
      header.click();
    });
  }
}

function render({ model, el }) {
  el.classList.add("bpx-keys");
  const button = document.createElement("button");
  button.type = "button";
  button.className = "bpx-keys-button";
  button.textContent = "⌨ Keys (?)";
  button.title = "Show the keyboard shortcuts";
  const status = document.createElement("div");
  status.className = "bpx-keys-status";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  el.append(button, status);

  const { dialog, fill } = helpDialog(model);
  document.body.appendChild(dialog);
  let before = null; // where the focus was when the help opened
  const openHelp = () => {
    if (dialog.open) return;
    before = document.activeElement;
    fill();
    dialog.showModal();
    dialog.querySelector("button").focus();
  };
  dialog.addEventListener("close", () => {
    if (before && before.isConnected && before !== document.body) before.focus();
    before = null;
  });
  button.addEventListener("click", openHelp);

  const root = () => el.closest(model.get("root"));
  const inScope = (event) => {
    const box = root();
    if (box && box.contains(event.target)) return true;
    return model.get("scope") === "page"; // the classroom app: the whole page is the explorer's
  };
  const commands = () => {
    const map = new Map();
    for (const key of model.get("bindings") ?? []) for (const k of key.keys) map.set(k, key.command);
    return map;
  };
  let keymap = commands();
  const onKeys = () => { keymap = commands(); if (dialog.open) fill(); };
  model.on("change:bindings", onKeys);
  const onStatus = () => { status.textContent = model.get("status"); };
  model.on("change:status", onStatus);

  const seen = new WeakSet(); // events already handled inside the box
  const onKeydown = (event) => {
    if (seen.has(event) || ignored(event) || !inScope(event)) return;
    seen.add(event);
    const command = keymap.get(event.key);
    if (!command) return;
    event.preventDefault();
    if (command === "help") openHelp();
    else model.send({ command });
  };
  // Inside the box the keys are the explorer's: JupyterLab (which listens on the document, after
  // us) must not also take them for its command mode ("a" or "b" adds a cell, arrows change
  // cells, Enter edits one). Shift+Enter, Esc and keys with Ctrl, Alt or Cmd still reach it.
  const onBoxKeydown = (event) => {
    onKeydown(event);
    const plain = !(event.ctrlKey || event.metaKey || event.altKey);
    if (plain && (event.key.length === 1 || MOVING.has(event.key) || (event.key === "Enter" && !event.shiftKey))) {
      event.stopPropagation();
    }
  };
  const mine = !listening.has(model);
  if (mine) {
    listening.add(model);
    document.addEventListener("keydown", onKeydown);
  }

  let observer = null;
  let boxListened = null;
  const attach = (tries) => {
    const box = root();
    if (!box) {
      if (tries > 0) requestAnimationFrame(() => attach(tries - 1));
      return;
    }
    if (mine) {
      box.addEventListener("keydown", onBoxKeydown);
      boxListened = box;
    }
    makeReachable(box);
    let queued = false;
    observer = new MutationObserver(() => {
      if (queued) return;
      queued = true;
      requestAnimationFrame(() => { queued = false; makeReachable(box); });
    });
    observer.observe(box, { subtree: true, childList: true, attributes: true, attributeFilter: ["class"] });
  };
  requestAnimationFrame(() => attach(600));

  return () => {
    if (mine) {
      document.removeEventListener("keydown", onKeydown);
      listening.delete(model);
    }
    model.off("change:bindings", onKeys);
    model.off("change:status", onStatus);
    boxListened?.removeEventListener("keydown", onBoxKeydown);
    observer?.disconnect();
    dialog.remove();
  };
}

export default { render };
