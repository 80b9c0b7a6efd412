// API keys: list, create (the secret shown once), revoke (ends that key's sessions too).
import { api } from "./api.js";
import { announce, confirmDialog, field, h, select, when } from "./dom.js";

export async function renderKeys(view) {
  const doors = await api("/v1/admin/doors");
  const list = h("div");
  const name = h("input", { required: true, maxlength: 200, autocomplete: "off" });
  const role = select([["enroll", "Enrol (front desk, HR)"], ["terminal", "Terminal (one door)"], ["admin", "Admin"]]);
  const door = select([["", "No door"], ...doors.map((d) => [d.id, d.name])]);
  const secret = h("div", { id: "new-key", "aria-live": "polite" });
  const error = h("p", { class: "error", role: "alert" });
  const form = h("form", { class: "card", "aria-labelledby": "key-form-title" },
    h("h2", { id: "key-form-title", text: "New key" }),
    field("Key name", name), field("Role", role), field("Door", door, "Terminal keys only: the door it serves"),
    h("button", { type: "submit", text: "Create key" }), error);

  async function load() {
    const keys = await api("/v1/admin/keys");
    list.replaceChildren(h("table", {},
      h("caption", { text: `${keys.length} key(s)` }),
      h("thead", {}, h("tr", {}, ["Name", "Starts with", "Role", "Door", "Created", "Status", ""].map((t) => h("th", { scope: "col", text: t })))),
      h("tbody", {}, keys.map((k) => h("tr", {},
        h("td", { text: k.name }), h("td", {}, h("code", { text: `${k.prefix}…` })), h("td", { text: k.role }),
        h("td", { text: k.door_id ? doors.find((d) => d.id === k.door_id)?.name || `door ${k.door_id}` : "—" }),
        h("td", { text: when(k.created_at) }), h("td", { text: k.revoked ? "revoked" : "in use" }),
        h("td", {}, k.revoked ? "" : h("button", { type: "button", class: "danger", text: "Revoke",
          "aria-label": `Revoke ${k.name}`, onclick: async () => {
            if (!(await confirmDialog(`Revoke ${k.name}? Anything using it stops at once.`, "Revoke"))) return;
            await api(`/v1/admin/keys/${k.id}`, { method: "DELETE" });
            announce(`${k.name} revoked`);
            load();
          } })))))));
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    try {
      const created = await api("/v1/admin/keys", { method: "POST", json: {
        name: name.value.trim(), role: role.value, door_id: door.value ? Number(door.value) : null } });
      secret.replaceChildren(h("div", { class: "card secret" },
        h("h2", { text: `Key for ${created.name}` }),
        h("p", { text: "Copy it now: it is shown only this once and facegate keeps only its hash." }),
        h("output", { class: "key", text: created.key, "aria-label": "Secret of the new key" })));
      form.reset();
      await load();
    } catch (failure) {
      error.textContent = failure.message;
    }
  });
  view.append(h("h1", { text: "Keys" }), secret, list, form);
  await load();
}
