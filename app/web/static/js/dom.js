// A few helpers to build accessible markup without a framework.

let counter = 0;
export const uid = (prefix) => `${prefix}-${++counter}`;

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "text") el.textContent = value;
    else if (name === "value") el.value = value;
    else if (name === "checked") el.checked = Boolean(value);
    else el.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) el.append(child);
  }
  return el;
}

// A labelled control: <label for=id>text</label> + the control, with an optional hint.
export function field(label, control, hint) {
  control.id = control.id || uid("f");
  const parts = [h("label", { for: control.id, text: label }), control];
  if (hint) {
    const hintId = uid("hint");
    control.setAttribute("aria-describedby", hintId);
    parts.push(h("small", { id: hintId, class: "hint", text: hint }));
  }
  return h("div", { class: "field" }, parts);
}

export function select(options, value) {
  const el = h("select");
  for (const [optionValue, text] of options) {
    el.append(h("option", { value: optionValue, text, selected: String(optionValue) === String(value ?? "") }));
  }
  return el;
}

// Messages for everyone, screen readers included (the region is role=status, aria-live=polite).
export function announce(text, kind = "info") {
  const region = document.getElementById("announcer");
  region.className = `announcer ${kind}`;
  region.textContent = "";
  window.setTimeout(() => { region.textContent = text; }, 30);
  window.clearTimeout(announce.timer);
  announce.timer = window.setTimeout(() => { region.textContent = ""; }, 6000);
}

export function when(iso) {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" });
}

// A native modal dialog: resolves true when the named action is chosen.
export function confirmDialog(question, action) {
  return new Promise((resolve) => {
    const dialog = h("dialog", { "aria-labelledby": "confirm-title", class: "confirm" },
      h("h2", { id: "confirm-title", text: question }),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "danger", text: action, onclick: () => dialog.close("yes") }),
        h("button", { type: "button", text: "Cancel", onclick: () => dialog.close("no") })));
    dialog.addEventListener("close", () => { resolve(dialog.returnValue === "yes"); dialog.remove(); });
    document.body.append(dialog);
    dialog.showModal();
  });
}
