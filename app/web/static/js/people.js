// People: search and page, enrol from photos or the webcam with per-file feedback, edit, photos, delete.
import { api } from "./api.js";
import { announce, confirmDialog, field, h, when } from "./dom.js";
import { reasonText } from "./words.js";

const PAGE = 20;

export async function renderPeople(view) {
  const state = { name: "", offset: 0 };
  const list = h("div", { id: "people-list" });
  const detail = h("section", { id: "person-detail", "aria-labelledby": "person-title", hidden: true });
  const search = h("input", { type: "search", name: "name", autocomplete: "off" });
  const camera = webcam();

  async function load() {
    const query = new URLSearchParams({ offset: state.offset, limit: PAGE });
    if (state.name) query.set("name", state.name);
    const page = await api(`/v1/people?${query}`);
    const rows = page.items.map((p) => h("tr", {},
      h("td", {}, h("button", { type: "button", class: "link", text: p.name, onclick: () => open(p.id) })),
      h("td", { text: p.badge_id || "—" }), h("td", { text: p.employee_id || "—" }),
      h("td", { text: p.active ? "active" : "inactive" }), h("td", { text: String(p.templates.length) })));
    const last = Math.min(page.offset + page.items.length, page.total);
    list.replaceChildren(
      h("table", {},
        h("caption", { text: `People ${page.total ? page.offset + 1 : 0}–${last} of ${page.total}` }),
        h("thead", {}, h("tr", {}, ["Name", "Badge", "Employee id", "Status", "Photos"].map((t) => h("th", { scope: "col", text: t })))),
        h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: 5, text: "Nobody found." })))),
      h("div", { class: "pager" },
        h("button", { type: "button", text: "Previous page", disabled: page.offset === 0,
          onclick: () => { state.offset = Math.max(0, state.offset - PAGE); load(); } }),
        h("button", { type: "button", text: "Next page", disabled: last >= page.total,
          onclick: () => { state.offset += PAGE; load(); } })));
  }

  async function open(id) {
    const person = await api(`/v1/people/${id}`);
    detail.hidden = false;
    detail.replaceChildren(...personDetail(person, { reload: () => open(id), closed: () => { detail.hidden = true; load(); } }));
    detail.querySelector("h2").focus();
  }

  const enrolForm = enrolment(camera, async (person) => { await load(); await open(person.id); });
  view.append(
    h("h1", { text: "People" }),
    h("form", { role: "search", class: "inline", onsubmit: (e) => { e.preventDefault(); state.name = search.value.trim(); state.offset = 0; load(); } },
      field("Search by name", search), h("button", { type: "submit", text: "Search" })),
    list, detail, enrolForm);
  await load();
  return () => camera.stop();
}

function feedback(files, result) {
  const rejected = new Map((result.rejected || []).map((r) => [r.filename, r]));
  return h("ul", { class: "feedback", "aria-label": "Result per photo" }, files.map((file) => {
    const refusal = rejected.get(file.name);
    return refusal
      ? h("li", { class: "bad", text: `${file.name}: not used, ${reasonText(refusal.reason)}` })
      : h("li", { class: "good", text: `${file.name}: face stored` });
  }));
}

function enrolment(camera, enrolled) {
  const name = h("input", { name: "name", required: true, autocomplete: "off", maxlength: 200 });
  const badge = h("input", { name: "badge_id", autocomplete: "off", inputmode: "numeric" });
  const employee = h("input", { name: "employee_id", autocomplete: "off" });
  const files = h("input", { type: "file", name: "images", accept: "image/*", multiple: true });
  const result = h("div", { id: "enrol-result", "aria-live": "polite" });
  const form = h("form", { id: "enrol-form", class: "card", "aria-labelledby": "enrol-title" },
    h("h2", { id: "enrol-title", text: "Enrol a person" }),
    field("Full name", name), field("Badge number", badge, "Optional"), field("Employee id", employee, "Optional"),
    field("Photos", files, "1 to 20 photos, one face each"), camera.element,
    h("button", { type: "submit", text: "Enrol" }), result);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = [...files.files, ...camera.photos()];
    if (!chosen.length) { result.replaceChildren(h("p", { class: "error", text: "Add at least one photo." })); return; }
    const body = new FormData();
    body.set("name", name.value.trim());
    if (badge.value.trim()) body.set("badge_id", badge.value.trim());
    if (employee.value.trim()) body.set("employee_id", employee.value.trim());
    for (const file of chosen) body.append("images", file, file.name);
    result.replaceChildren(h("p", { text: `Checking ${chosen.length} photo(s)…` }));
    try {
      const answer = await api("/v1/people", { method: "POST", form: body });
      result.replaceChildren(h("p", { class: "good", text: `Enrolled ${answer.person.name}.` }), feedback(chosen, answer));
      announce(`Enrolled ${answer.person.name}`);
      form.reset();
      camera.clear();
      await enrolled(answer.person);
    } catch (error) {
      result.replaceChildren(h("p", { class: "error", text: `Not enrolled: ${reasonText(error.reason)}. ${error.message}` }),
        error.detail.rejected ? feedback(chosen, error.detail) : "");
    }
  });
  return form;
}

// Photos taken with this computer's webcam, added to the enrolment.
function webcam() {
  let stream = null;
  let taken = [];
  const video = h("video", { autoplay: true, muted: true, playsinline: true, "aria-label": "Webcam preview", hidden: true });
  const shots = h("ul", { class: "shots", "aria-label": "Webcam photos" });
  const take = h("button", { type: "button", text: "Take photo", hidden: true });
  const toggle = h("button", { type: "button", text: "Use webcam" });
  toggle.addEventListener("click", async () => {
    if (stream) { stop(); return; }
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
      video.srcObject = stream;
      video.hidden = take.hidden = false;
      toggle.textContent = "Stop webcam";
    } catch (error) {
      announce(`No webcam: ${error.message}`, "error");
    }
  });
  take.addEventListener("click", () => {
    const canvas = h("canvas", { width: video.videoWidth, height: video.videoHeight });
    canvas.getContext("2d").drawImage(video, 0, 0);
    canvas.toBlob((blob) => {
      const file = new File([blob], `webcam-${taken.length + 1}.jpg`, { type: "image/jpeg" });
      taken.push(file);
      shots.append(h("li", { text: file.name }));
      announce(`${file.name} taken`);
    }, "image/jpeg", 0.92);
  });
  function stop() {
    if (stream) stream.getTracks().forEach((t) => t.stop());
    stream = null;
    video.hidden = take.hidden = true;
    toggle.textContent = "Use webcam";
  }
  return {
    element: h("div", { class: "webcam" }, toggle, take, video, shots),
    photos: () => taken,
    clear: () => { taken = []; shots.replaceChildren(); },
    stop,
  };
}

function personDetail(person, { reload, closed }) {
  const name = h("input", { value: person.name, required: true, maxlength: 200 });
  const badge = h("input", { value: person.badge_id || "", inputmode: "numeric" });
  const employee = h("input", { value: person.employee_id || "" });
  const active = h("input", { type: "checkbox", checked: person.active });
  const more = h("input", { type: "file", accept: "image/*", multiple: true });
  const status = h("div", { "aria-live": "polite" });
  const edit = h("form", { class: "card" },
    field("Full name", name), field("Badge number", badge), field("Employee id", employee),
    h("div", { class: "field check" }, active, h("label", { for: (active.id = `active-${person.id}`), text: "Active (may pass doors)" })),
    h("button", { type: "submit", text: "Save changes" }));
  edit.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api(`/v1/people/${person.id}`, { method: "PATCH", json: {
        name: name.value.trim(), badge_id: badge.value.trim() || null, employee_id: employee.value.trim() || null,
        active: active.checked } });
      announce("Changes saved");
      reload();
    } catch (error) {
      status.replaceChildren(h("p", { class: "error", text: `Not saved: ${reasonText(error.reason)}. ${error.message}` }));
    }
  });
  const faces = h("ul", { class: "faces", "aria-label": `Photos of ${person.name}` }, person.templates.map((t, i) =>
    h("li", {},
      h("img", { src: `/v1/people/${person.id}/faces/${t.id}/crop.png`, alt: `Face ${i + 1} of ${person.name}`, width: 96, height: 96 }),
      h("span", { text: t.source_filename || `photo ${i + 1}` }),
      h("button", { type: "button", class: "danger", text: "Remove", "aria-label": `Remove face ${i + 1}`, onclick: async () => {
        if (!(await confirmDialog(`Remove face ${i + 1} of ${person.name}?`, "Remove"))) return;
        await api(`/v1/people/${person.id}/faces/${t.id}`, { method: "DELETE" });
        announce("Photo removed");
        reload();
      } }))));
  const add = h("form", { class: "inline" }, field("Add photos", more), h("button", { type: "submit", text: "Upload photos" }));
  add.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!more.files.length) return;
    const body = new FormData();
    const chosen = [...more.files];
    for (const file of chosen) body.append("images", file, file.name);
    try {
      const answer = await api(`/v1/people/${person.id}/faces`, { method: "POST", form: body });
      await reload();
      document.getElementById("person-detail").append(feedback(chosen, answer));
    } catch (error) {
      status.replaceChildren(h("p", { class: "error", text: `No photo added: ${reasonText(error.reason)}` }),
        error.detail.rejected ? feedback(chosen, error.detail) : "");
    }
  });
  const remove = h("button", { type: "button", class: "danger", text: `Delete ${person.name}`, onclick: async () => {
    if (!(await confirmDialog(`Delete ${person.name} and all their photos? This cannot be undone.`, "Delete"))) return;
    await api(`/v1/people/${person.id}`, { method: "DELETE" });
    announce(`${person.name} deleted`);
    closed();
  } });
  return [h("h2", { id: "person-title", tabindex: "-1", text: person.name }),
    h("p", { text: `Enrolled ${when(person.created_at)}` }), edit, faces, add, status, remove];
}
