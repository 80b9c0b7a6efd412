// Live events: the audit trail, updated by server-sent events, filtered, labelled in one click.
import { api } from "./api.js";
import { announce, field, h, select, when } from "./dom.js";
import { reasonText } from "./words.js";

export async function renderEvents(view) {
  const doors = await api("/v1/admin/doors");
  const doorName = new Map(doors.map((d) => [d.id, d.name]));
  const doorFilter = select([["", "All doors"], ...doors.map((d) => [d.id, d.name])]);
  const decisionFilter = select([["", "Admit and reject"], ["admit", "Admitted only"], ["reject", "Refused only"]]);
  const live = h("p", { class: "live", id: "live-state", text: "Connecting…" });
  const body = h("tbody");
  let source = null;

  function row(event) {
    const holder = event.badge_id && event.person_name && event.decision === "reject" ? `badge of ${event.person_name}` : null;
    const looked = event.matched_person_name && event.matched_person_name !== event.person_name
      ? `looked like ${event.matched_person_name}` : null;
    const who = [holder || (event.decision === "admit" ? event.person_name : null), looked].filter(Boolean).join(", ") || "—";
    const label = h("td", { class: "label" });
    const tr = h("tr", { "data-event-id": event.id },
      h("td", {}, h("time", { datetime: event.created_at, text: when(event.created_at) })),
      h("td", { text: event.door_id ? doorName.get(event.door_id) || `door ${event.door_id}` : "no door" }),
      h("td", {}, h("span", { class: `decision ${event.decision}`, text: event.decision === "admit" ? "Admitted" : "Refused" })),
      h("td", { text: reasonText(event.reason) }),
      h("td", { text: who }),
      label);
    drawLabel(label, event);
    return tr;
  }

  function drawLabel(cell, event) {
    const button = (value, text) => h("button", {
      type: "button", text, "aria-pressed": String(event.label === value),
      "aria-label": `Mark event ${event.id} ${text.toLowerCase()}`,
      onclick: async () => {
        const updated = await api(`/v1/admin/events/${event.id}`, { method: "PATCH",
          json: { label: event.label === value ? null : value } });
        Object.assign(event, updated);
        drawLabel(cell, event);
        announce(updated.label ? `Event ${event.id} marked ${updated.label}` : `Label removed from event ${event.id}`);
      } });
    cell.replaceChildren(button("genuine", "Genuine"), button("impostor", "Impostor"));
  }

  function filters() {
    const query = new URLSearchParams();
    if (doorFilter.value) query.set("door_id", doorFilter.value);
    if (decisionFilter.value) query.set("decision", decisionFilter.value);
    return query;
  }

  async function restart() {
    if (source) source.close();
    const query = filters();
    const page = await api(`/v1/admin/events?${query}&limit=50`);
    body.replaceChildren(...page.items.map(row));
    source = new EventSource(`/web/events/stream?${query}`);
    source.addEventListener("open", () => { live.textContent = "Live: new events appear at the top."; live.className = "live on"; });
    source.addEventListener("error", () => { live.textContent = "Reconnecting…"; live.className = "live off"; });
    source.addEventListener("access", (message) => {
      const event = JSON.parse(message.data);
      if (body.querySelector(`[data-event-id="${event.id}"]`)) return;
      body.prepend(row(event));
    });
  }

  doorFilter.addEventListener("change", restart);
  decisionFilter.addEventListener("change", restart);
  view.append(
    h("h1", { text: "Live events" }),
    h("form", { class: "inline", "aria-label": "Filters", onsubmit: (e) => e.preventDefault() },
      field("Door", doorFilter), field("Decision", decisionFilter)),
    live,
    h("table", { id: "events-table" },
      h("caption", { text: "Access events, newest first" }),
      h("thead", {}, h("tr", {}, ["Time", "Door", "Decision", "Reason", "Person", "Label"].map((t) => h("th", { scope: "col", text: t })))),
      body));
  await restart();
  return () => { if (source) source.close(); };
}
