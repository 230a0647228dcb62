// Accessible names for the controls of the widget box this view sits in.
//
// ipywidgets draws a slider's handle with noUiSlider, whose handle (role="slider") gets no
// accessible name: a screen reader says "slider, 0.7" without saying which. This view, drawn
// as nothing, watches the nearest Backprop Explorer box and gives every slider handle the
// slider's own label ("w³₁₁", "Δz") as its aria-label, and every figure without a name its
// description, also for sliders that appear later (a click on a neuron makes new ones).

function label(slider) {
  const text = slider.querySelector(".widget-label")?.textContent?.trim();
  return text || slider.getAttribute("title") || "";
}

function name(root) {
  for (const slider of root.querySelectorAll(".widget-slider")) {
    const handle = slider.querySelector(".noUi-handle");
    const text = label(slider);
    if (handle && text && handle.getAttribute("aria-label") !== text) handle.setAttribute("aria-label", text);
  }
}

function render({ model, el }) {
  el.style.display = "none";
  let root = null;
  let observer = null;
  // The view is attached to the page after render returns: look for the box on the next frames.
  const attach = (tries) => {
    root = el.closest(model.get("root")) ?? (el.isConnected ? document.body : null);
    if (!root) {
      if (tries > 0) requestAnimationFrame(() => attach(tries - 1));
      return;
    }
    name(root);
    let queued = false;
    observer = new MutationObserver(() => {
      if (queued) return;
      queued = true;
      requestAnimationFrame(() => { queued = false; name(root); });
    });
    observer.observe(root, { subtree: true, childList: true, characterData: true });
  };
  requestAnimationFrame(() => attach(600));
  return () => observer?.disconnect();
}

export default { render };
