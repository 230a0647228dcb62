// The presenter layout's two switches: a high-contrast theme for a washed-out projector, and
// full screen (the browser's Fullscreen API, which only a click may start). The theme is the
// synced `contrast` trait; Python puts the theme's class on the layout, so the kernel knows it.

function render({ model, el }) {
  el.classList.add("bpx-presenter-switches");

  const contrast = document.createElement("button");
  contrast.type = "button";
  contrast.className = "bpx-switch";
  contrast.dataset.switch = "contrast";
  contrast.textContent = "◐ Contrast";
  contrast.title = "high contrast: black on white, thicker and darker lines, for a washed-out projector";
  contrast.setAttribute("aria-label", "High contrast");
  const showContrast = () => contrast.setAttribute("aria-pressed", String(!!model.get("contrast")));
  contrast.addEventListener("click", () => {
    model.set("contrast", !model.get("contrast"));
    model.save_changes();
    showContrast();
  });
  model.on("change:contrast", showContrast);
  showContrast();

  const full = document.createElement("button");
  full.type = "button";
  full.className = "bpx-switch";
  full.dataset.switch = "fullscreen";
  const canFull = !!(document.fullscreenEnabled && document.documentElement.requestFullscreen);
  const showFull = () => {
    const on = !!document.fullscreenElement;
    full.textContent = on ? "✕ Leave full screen" : "Full screen";
    full.setAttribute("aria-label", on ? "Leave full screen" : "Full screen");
    full.setAttribute("aria-pressed", String(on));
  };
  full.title = canFull ? "fill the whole screen (Esc leaves)" : "this browser does not allow full screen here";
  full.disabled = !canFull;
  full.addEventListener("click", () => {
    // the label follows the promise too: "fullscreenchange" may come a frame later
    if (document.fullscreenElement) {
      document.exitFullscreen().then(showFull, showFull);
    } else {
      // the whole page, so that the menus and tooltips stay inside it
      document.documentElement.requestFullscreen().then(showFull, showFull);
    }
  });
  document.addEventListener("fullscreenchange", showFull);
  showFull();

  el.append(contrast, full);
  return () => {
    document.removeEventListener("fullscreenchange", showFull);
    model.off("change:contrast", showContrast);
  };
}

export default { render };
