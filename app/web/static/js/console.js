// The console shell: sign-in, sections by role, one section on screen at a time (#people, #events, ...).
import { ApiFailure, signIn, signOut, whoAmI } from "./api.js";
import { announce } from "./dom.js";
import { renderDoors } from "./doors.js";
import { renderEvents } from "./events.js";
import { renderKeys } from "./keys.js";
import { renderPeople } from "./people.js";
import { renderThresholds } from "./thresholds.js";

const SECTIONS = {
  people: { render: renderPeople, roles: ["admin", "enroll"], title: "People" },
  events: { render: renderEvents, roles: ["admin"], title: "Live events" },
  thresholds: { render: renderThresholds, roles: ["admin"], title: "Thresholds" },
  doors: { render: renderDoors, roles: ["admin"], title: "Doors" },
  keys: { render: renderKeys, roles: ["admin"], title: "Keys" },
};

const state = { me: null, cleanup: null };
const $ = (id) => document.getElementById(id);

function showSignIn(message = "") {
  state.me = null;
  $("sign-in").hidden = false;
  $("nav").hidden = true;
  $("sign-out").hidden = true;
  $("who").textContent = "";
  $("view").replaceChildren();
  $("sign-in-error").textContent = message;
  $("sign-in-key").focus();
}

async function show() {
  if (!state.me) return;
  if (state.cleanup) state.cleanup();
  state.cleanup = null;
  const allowed = Object.keys(SECTIONS).filter((name) => SECTIONS[name].roles.includes(state.me.role));
  let name = location.hash.slice(1);
  if (!allowed.includes(name)) name = allowed[0];
  for (const link of document.querySelectorAll("#nav a[data-role]")) {
    const section = link.getAttribute("href").slice(1);
    link.parentElement.hidden = !allowed.includes(section);
    if (section === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.title = `${SECTIONS[name].title} · facegate console`;
  const view = $("view");
  view.replaceChildren();
  try {
    state.cleanup = (await SECTIONS[name].render(view, state.me)) || null;
  } catch (error) {
    if (error instanceof ApiFailure && error.status === 401) showSignIn("Your session has ended. Sign in again.");
    else announce(`Could not load ${SECTIONS[name].title}: ${error.message}`, "error");
  }
}

function signedIn(me) {
  if (me.role === "terminal") {
    showSignIn("That is a terminal key: open /terminal on the door's screen instead.");
    signOut().catch(() => {});
    return;
  }
  state.me = me;
  $("sign-in").hidden = true;
  $("nav").hidden = false;
  $("sign-out").hidden = false;
  $("who").textContent = `Signed in as ${me.name} (${me.role})`;
  show();
}

$("sign-in-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $("sign-in-key");
  try {
    const me = await signIn(input.value);
    input.value = "";
    signedIn(me);
    $("main").focus();
  } catch (error) {
    $("sign-in-error").textContent = error.reason === "invalid_key" ? "That key is unknown or revoked." : error.message;
  }
});

$("sign-out").addEventListener("click", async () => {
  if (state.cleanup) state.cleanup();
  await signOut().catch(() => {});
  location.hash = "";
  showSignIn("Signed out.");
});

window.addEventListener("hashchange", show);

whoAmI().then(signedIn, () => showSignIn());
