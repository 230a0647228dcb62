// The page's address as the whole state: "copy link", "download scenario", and the address
// itself kept up to date.
//
// The kernel sends `query` ("s=1.…", the state as a link) after every change. This view writes
// it into the address with history.replaceState (no new history entry, no reload), a moment
// after the last change so that a drag does not rewrite the address sixty times a second, and
// only when `write` is set and the page is Voila's own top-level page: in JupyterLab the address
// belongs to JupyterLab. "Copy link" puts the address on the clipboard or, where the browser
// refuses (a page served over plain http from another machine), shows it selected in a box to
// copy by hand. "Download scenario" asks the kernel for the scenario file and saves it.

const DELAY_MS = 300;

function ownPage() {
  try {
    if (window.top !== window.self) return false;
  } catch {
    return false; // a frame of another origin
  }
  // Voila's page config names its app "voila/"; JupyterLab's and Notebook's name themselves
  // (Voila's lab template borrows JupyterLab's shell classes, so the DOM cannot tell them apart).
  let config = {};
  try {
    config = JSON.parse(document.getElementById("jupyter-config-data")?.textContent || "{}");
  } catch {
    return false;
  }
  return !config.appName && /voila/.test(config.appUrl || "");
}

function addressWith(query) {
  const url = new URL(window.location.href);
  const params = new URLSearchParams(url.search);
  params.delete("s");
  params.delete("scenario"); // the link holds the scenario; an old ?scenario= would contradict it
  const rest = params.toString();
  url.search = (rest ? rest + "&" : "") + query;
  return url.toString();
}

function button(text, label) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "bpx-address-button";
  b.textContent = text;
  b.setAttribute("aria-label", label);
  return b;
}

function render({ model, el }) {
  el.classList.add("bpx-address");
  const copy = button("Copy link", "Copy link to this exact state");
  const download = button("Download scenario", "Download scenario: this state as a .json file");
  const status = document.createElement("span");
  status.className = "bpx-address-status";
  status.setAttribute("role", "status");
  const manual = document.createElement("input");
  manual.type = "text";
  manual.readOnly = true;
  manual.className = "bpx-address-manual";
  manual.setAttribute("aria-label", "The link to this state: copy it");
  manual.hidden = true;
  el.append(copy, download, status, manual);

  const writing = () => model.get("write") && ownPage();
  let timer = null;
  // The state the page opened on (its first link) leaves the address as it was typed: a
  // bookmarked ?scenario=healthy stays short until the teacher changes something.
  let opened = model.get("query") || null;
  const write = () => {
    timer = null;
    const query = model.get("query");
    el.dataset.query = query;
    if (!query || !writing()) return;
    if (opened === null) opened = query;
    if (query === opened && !new URLSearchParams(window.location.search).has("s")) return;
    const address = addressWith(query);
    if (address !== window.location.href) history.replaceState(history.state, "", address);
  };
  const later = () => {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(write, DELAY_MS);
    manual.hidden = true;
  };
  model.on("change:query", later);
  model.on("change:write", later);

  const say = (text) => {
    status.textContent = text;
  };
  const byHand = (text) => {
    manual.value = text;
    manual.hidden = false;
    manual.size = Math.min(80, Math.max(20, text.length));
    manual.focus();
    manual.select();
    say("Copy this link (Ctrl+C or ⌘C):");
  };
  // The kernel sends a burst's link a moment after the burst: ask it for the link of now.
  let answer = null;
  const current = () => new Promise((resolve) => {
    answer = resolve;
    model.send({ kind: "link" });
    setTimeout(() => resolve(null), 3000); // a busy kernel: the last link sent is copied
  });
  copy.addEventListener("click", async () => {
    const reply = await current();
    answer = null;
    if (reply?.problem) say(`The link is the last good state's: ${reply.problem}`);
    const query = reply?.query || model.get("query");
    const text = writing() ? addressWith(query) : "?" + query;
    if (timer !== null) clearTimeout(timer);
    write(); // the address and the copied link agree
    try {
      if (!navigator.clipboard?.writeText) throw new Error("no clipboard here");
      await navigator.clipboard.writeText(text);
      manual.hidden = true;
      if (!reply?.problem) {
        say(writing() ? "Link copied." : "Link copied (its query part: open it with Explorer.from_scenario).");
      }
    } catch {
      byHand(text);
    }
  });

  download.addEventListener("click", () => {
    say("Preparing the file…");
    model.send({ kind: "download" });
  });
  model.on("msg:custom", (msg) => {
    if (msg?.kind === "link") {
      answer?.(msg);
      return;
    }
    if (!msg || msg.kind !== "download") return;
    if (msg.error) {
      say(msg.error);
      return;
    }
    const blob = new Blob([msg.text], { type: "application/json" });
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = msg.filename || "scenario.json";
    a.style.display = "none";
    el.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    say(`Saved as ${a.download}.`);
  });

  return () => {
    if (timer !== null) clearTimeout(timer);
  };
}

export default { render };
