// Doors: list, create, rename, change mode (thresholds change on the Thresholds page, with a reason).
import { api } from "./api.js";
import { announce, field, h, select } from "./dom.js";

export async function renderDoors(view) {
  const list = h("div");
  const name = h("input", { required: true, maxlength: 200, autocomplete: "off" });
  const mode = select([["face", "Face only"], ["badge", "Badge and face"]]);
  const error = h("p", { class: "error", role: "alert" });
  let editing = null;
  const title = h("h2", { id: "door-form-title", text: "New door" });
  const submit = h("button", { type: "submit", text: "Create door" });
  const cancel = h("button", { type: "button", text: "Cancel edit", hidden: true, onclick: () => reset() });
  const form = h("form", { class: "card", "aria-labelledby": "door-form-title" },
    title, field("Door name", name), field("Mode", mode), submit, cancel, error);

  function reset() {
    editing = null;
    form.reset();
    title.textContent = "New door";
    submit.textContent = "Create door";
    cancel.hidden = true;
  }

  async function load() {
    const doors = await api("/v1/admin/doors");
    list.replaceChildren(h("table", {},
      h("caption", { text: `${doors.length} door(s)` }),
      h("thead", {}, h("tr", {}, ["Id", "Name", "Mode", "Own threshold", ""].map((t) => h("th", { scope: "col", text: t })))),
      h("tbody", {}, doors.map((d) => h("tr", {},
        h("td", { text: String(d.id) }), h("td", { text: d.name }),
        h("td", { text: d.mode === "badge" ? "Badge and face" : "Face only" }),
        h("td", { text: d.threshold == null ? "global" : d.threshold.toFixed(4) }),
        h("td", {}, h("button", { type: "button", text: "Edit", "aria-label": `Edit ${d.name}`, onclick: () => {
          editing = d.id;
          name.value = d.name;
          mode.value = d.mode;
          title.textContent = `Edit ${d.name}`;
          submit.textContent = "Save door";
          cancel.hidden = false;
          name.focus();
        } })))))));
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    try {
      const json = { name: name.value.trim(), mode: mode.value };
      if (editing) await api(`/v1/admin/doors/${editing}`, { method: "PATCH", json });
      else await api("/v1/admin/doors", { method: "POST", json });
      announce(editing ? "Door saved" : "Door created");
      reset();
      await load();
    } catch (failure) {
      error.textContent = failure.reason === "door_name_taken" ? "Another door has that name." : failure.message;
    }
  });
  view.append(h("h1", { text: "Doors" }), list, form);
  await load();
}
