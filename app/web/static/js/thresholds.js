// Thresholds: calibrate on the site's own gallery, see the FAR/FRR curve, preview the change, apply it with
// a reason, and read the history.
import { api } from "./api.js";
import { announce, field, h, select, when } from "./dom.js";
import { drawCurve, rateAt } from "./curve.js";

const percent = (rate) => (rate < 0.001 && rate > 0 ? `${(rate * 100).toFixed(3)}%` : `${(rate * 100).toFixed(1)}%`);

export async function renderThresholds(view) {
  const doors = await api("/v1/admin/doors");
  const doorName = (id) => (id == null ? "all doors (global)" : doors.find((d) => d.id === id)?.name || `door ${id}`);
  const current = h("p", { id: "current-threshold" });
  const target = h("input", { type: "number", step: "any", min: "0.000001", max: "0.5", value: "0.001", required: true });
  const scope = select([["", "All doors (global)"], ...doors.map((d) => [d.id, d.name])]);
  const chart = h("figure", { id: "curve", class: "curve" });
  const preview = h("div", { id: "preview", "aria-live": "polite" });
  const history = h("div", { id: "history" });
  const newValue = h("input", { type: "number", step: "0.0001", min: "0", max: "2", required: true });
  const reason = h("input", { required: true, maxlength: 500, autocomplete: "off" });
  const applyError = h("p", { class: "error", role: "alert" });
  const apply = h("form", { id: "apply-form", class: "card", "aria-labelledby": "apply-title", hidden: true },
    h("h2", { id: "apply-title", text: "Apply" }),
    field("New threshold", newValue, "Distance at or below which a face is admitted"),
    field("Reason for the change", reason, "Kept in the history"),
    h("button", { type: "submit", text: "Apply threshold" }), applyError);
  let calibration = null;
  let thresholds = null;

  const inForce = () => {
    const door = scope.value ? thresholds.doors[scope.value] : null;
    return door ?? thresholds.threshold;
  };

  async function loadCurrent() {
    thresholds = await api("/v1/admin/threshold");
    current.textContent = `Global threshold ${thresholds.threshold.toFixed(4)} (model card's recommendation ${thresholds.model_default.toFixed(4)}).`;
    const changes = await api("/v1/admin/threshold/history");
    history.replaceChildren(h("table", { id: "history-table" },
      h("caption", { text: "History, newest first" }),
      h("thead", {}, h("tr", {}, ["When", "Where", "From", "To", "Reason"].map((t) => h("th", { scope: "col", text: t })))),
      h("tbody", {}, changes.length ? changes.map((c) => h("tr", {},
        h("td", { text: when(c.created_at) }), h("td", { text: doorName(c.door_id) }),
        h("td", { text: c.previous == null ? "—" : c.previous.toFixed(4) }),
        h("td", { text: c.threshold == null ? "global" : c.threshold.toFixed(4) }),
        h("td", { text: c.reason || "" }))) : h("tr", {}, h("td", { colspan: 5, text: "No change yet." })))));
  }

  async function showPreview(value) {
    const was = inForce();
    const curve = calibration.curve;
    const page = await api(`/v1/admin/events?limit=500${scope.value ? `&door_id=${scope.value}` : ""}`);
    const decided = page.items.filter((e) => e.distance != null && ["admitted", "no_match", "badge_mismatch"].includes(e.reason));
    const nowRefused = decided.filter((e) => e.decision === "admit" && e.distance > value).length;
    const nowAdmitted = decided.filter((e) => e.decision === "reject" && e.distance <= value).length;
    preview.replaceChildren(h("table", { id: "preview-table" },
      h("caption", { text: `What changes at ${doorName(scope.value ? Number(scope.value) : null)}` }),
      h("thead", {}, h("tr", {}, ["", "Now", "After"].map((t) => h("th", { scope: "col", text: t })))),
      h("tbody", {},
        h("tr", {}, h("th", { scope: "row", text: "Threshold" }), h("td", { text: was.toFixed(4) }), h("td", { text: value.toFixed(4) })),
        h("tr", {}, h("th", { scope: "row", text: "Strangers admitted (FAR)" }),
          h("td", { text: percent(rateAt(curve, was, "far")) }), h("td", { text: percent(rateAt(curve, value, "far")) })),
        h("tr", {}, h("th", { scope: "row", text: "Staff refused (FRR)" }),
          h("td", { text: percent(rateAt(curve, was, "frr")) }), h("td", { text: percent(rateAt(curve, value, "frr")) })))),
    h("p", { text: `Of the last ${decided.length} face decisions here, ${nowRefused} admitted would now be refused and ${nowAdmitted} refused would now be admitted.` }));
  }

  const calibrateForm = h("form", { class: "card", "aria-labelledby": "calibrate-title" },
    h("h2", { id: "calibrate-title", text: "Calibrate" }),
    field("Target false-accept rate", target, "e.g. 0.001 = one stranger in a thousand admitted"),
    field("Doors", scope), h("button", { type: "submit", text: "Calibrate" }));
  const calibrateError = h("p", { class: "error", role: "alert" });
  calibrateForm.append(calibrateError);

  function drawCalibration() {
    const c = calibration;
    drawCurve(chart, c.curve, { current: inForce(), recommended: c.threshold, target: c.target_far });
    chart.append(h("figcaption", { text:
      `Recommended ${c.threshold.toFixed(4)} for a target of ${c.target_far} (${c.basis}); estimated false accepts ${percent(c.estimated_far)}, false rejects ${percent(c.estimated_frr)}. ` +
      `Measured on ${c.counts.people} people, ${c.counts.templates} photos.${c.resolution_note ? ` Note: ${c.resolution_note}.` : ""}` }));
  }

  calibrateForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    calibrateError.textContent = "";
    try {
      calibration = await api("/v1/admin/calibrate", { method: "POST", json: {
        target_far: Number(target.value), door_id: scope.value ? Number(scope.value) : null } });
    } catch (failure) {
      calibrateError.textContent = failure.reason === "not_enough_data"
        ? "Not enough data yet: enrol at least two people, one of them with two photos." : failure.message;
      return;
    }
    drawCalibration();
    newValue.value = calibration.threshold.toFixed(4);
    apply.hidden = false;
    await showPreview(calibration.threshold);
  });
  newValue.addEventListener("change", () => { if (calibration && newValue.value) showPreview(Number(newValue.value)); });
  apply.addEventListener("submit", async (event) => {
    event.preventDefault();
    applyError.textContent = "";
    try {
      await api("/v1/admin/threshold", { method: "PUT", json: {
        threshold: Number(newValue.value), door_id: scope.value ? Number(scope.value) : null, reason: reason.value.trim() } });
      announce(`Threshold ${Number(newValue.value).toFixed(4)} applied`);
      reason.value = "";
      await loadCurrent();
      drawCalibration(); // the current marker moves to the threshold now in force
      await showPreview(Number(newValue.value));
    } catch (failure) {
      applyError.textContent = failure.message;
    }
  });
  view.append(h("h1", { text: "Thresholds" }), current, calibrateForm, chart, preview, apply,
    h("h2", { text: "History" }), history);
  await loadCurrent();
}
