// The door terminal: camera picture, automatic capture once the picture is steady, badge reader field
// (keyboard wedge: digits then Enter), a full-screen answer in plain words, an offline state.
import { ApiFailure, api, signIn, whoAmI } from "./api.js";

const $ = (id) => document.getElementById(id);
const SAMPLE_MS = 200;       // how often the picture is compared with the last one
const STEADY_SAMPLES = 5;    // ~1 s without movement: capture
const STILL = 6;             // mean grey-level change per pixel below which the picture counts as still
const MOVED = 14;            // a change this large re-arms automatic capture (the last person left)
const ANSWER_MS = 4000;
const RETRY_MS = 3000;

const WORDS = {
  admitted: (name) => [name ? `Welcome, ${name}` : "Welcome", "The door is open."],
  not_recognised: () => ["Access denied", "You were not recognised. Please ask reception."],
  look_again: () => ["Please try again", "Look straight at the camera, one person at a time."],
  badge_required: () => ["Badge needed", "Hold your badge to the reader, then look at the camera."],
  not_allowed_now: () => ["Access denied", "You may not enter here at this time. Please ask reception."],
  denied: () => ["Access denied", "Please ask reception."],
};

const terminal = { armed: true, busy: false, steady: 0, last: null, timer: null, stream: null };

function show(id) {
  for (const section of ["setup", "door", "answer", "offline"]) $(section).hidden = section !== id;
}

function setState(text) { $("state").textContent = text; }

async function setup(message = "") {
  show("setup");
  $("setup-error").textContent = message;
  $("setup-key").focus();
}

$("setup-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const me = await signIn($("setup-key").value);
    $("setup-key").value = "";
    start(me);
  } catch (error) {
    $("setup-error").textContent = error.reason === "invalid_key" ? "That key is unknown or revoked." : error.message;
  }
});

function start(me) {
  if (me.role !== "terminal" || me.door_id == null) {
    setup("This needs a terminal key bound to a door.");
    return;
  }
  $("door-title").textContent = "Look at the camera";
  show("door");
  $("badge").focus();
  openCamera();
}

async function openCamera() {
  try {
    terminal.stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
    $("camera").srcObject = terminal.stream;
    setState("Ready. Look at the camera.");
    terminal.timer = window.setInterval(watch, SAMPLE_MS);
  } catch (error) {
    setState("The camera is not available. Badge readers and the button still work once it is back.");
    $("offline-detail").textContent = "The camera is not working. Please use another entrance or call reception.";
    show("offline");
    window.setTimeout(openCamera, RETRY_MS);
  }
}

// A tiny grey copy of the picture, to tell movement from stillness cheaply.
const probe = document.createElement("canvas");
probe.width = 32;
probe.height = 24;
function sample() {
  const video = $("camera");
  if (!video.videoWidth) return null;
  const context = probe.getContext("2d", { willReadFrequently: true });
  context.drawImage(video, 0, 0, probe.width, probe.height);
  const rgba = context.getImageData(0, 0, probe.width, probe.height).data;
  const grey = new Float32Array(probe.width * probe.height);
  for (let i = 0; i < grey.length; i++) grey[i] = (rgba[4 * i] + rgba[4 * i + 1] + rgba[4 * i + 2]) / 3;
  return grey;
}

function watch() {
  if (terminal.busy || !$("answer").hidden || !$("offline").hidden) return;
  const now = sample();
  if (!now) return;
  const before = terminal.last;
  terminal.last = now;
  if (!before) return;
  let change = 0;
  for (let i = 0; i < now.length; i++) change += Math.abs(now[i] - before[i]);
  change /= now.length;
  if (change > MOVED) terminal.armed = true;
  terminal.steady = change < STILL ? terminal.steady + 1 : 0;
  if (terminal.armed && terminal.steady >= STEADY_SAMPLES) capture();
}

function frame() {
  const video = $("camera");
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext("2d").drawImage(video, 0, 0);
  return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.9));
}

async function capture() {
  if (terminal.busy || !$("camera").videoWidth) return;
  terminal.busy = true;
  terminal.armed = false; // the same still picture is not checked twice
  const badge = $("badge").value.trim();
  $("badge").value = "";
  setState("Checking…");
  try {
    const body = new FormData();
    body.set("image", await frame(), "frame.jpg");
    if (badge) body.set("badge_id", badge);
    const answer = await api("/web/terminal/verify", { method: "POST", form: body });
    const [title, detail] = (WORDS[answer.reason] ?? WORDS.denied)(answer.display_name);
    $("answer").className = `answer ${answer.decision}`;
    $("answer-title").textContent = title;
    $("answer-detail").textContent = detail;
    show("answer");
    window.setTimeout(() => { show("door"); setState("Ready. Look at the camera."); $("badge").focus(); }, ANSWER_MS);
  } catch (error) {
    if (error instanceof ApiFailure && error.status === 401) { setup("This terminal was signed out. Enter its key again."); return; }
    show("offline");
    $("offline-detail").textContent = error.reason === "offline"
      ? "This door cannot reach facegate. Please use another entrance or call reception."
      : "This door is not working right now. Please call reception.";
    waitForService();
  } finally {
    terminal.busy = false;
    terminal.steady = 0;
  }
}

async function waitForService() {
  try {
    const me = await whoAmI();
    if (!terminal.stream) { start(me); return; }
    show("door");
    setState("Ready. Look at the camera.");
    $("badge").focus();
  } catch (error) {
    if (error instanceof ApiFailure && error.status === 401) { setup("This terminal was signed out. Enter its key again."); return; }
    window.setTimeout(waitForService, RETRY_MS);
  }
}

// Badge readers type like a keyboard: digits, then Enter. Only digits are kept.
$("badge").addEventListener("input", (event) => { event.target.value = event.target.value.replace(/\D+/g, ""); });
$("badge-form").addEventListener("submit", (event) => { event.preventDefault(); capture(); });
window.addEventListener("offline", () => { show("offline"); waitForService(); });

whoAmI().then(start, (error) => {
  if (error instanceof ApiFailure && error.status === 0) { show("offline"); waitForService(); }
  else setup();
});
