// Doctor console: live waiting room over /ws/doctor, take/cancel, and the call view.
// The call itself (WebRTC, vitals, chat, documents) lives in /static/call.js, loaded on demand
// and guarded so the console keeps working when that module is missing or fails.
import { t, vitalLabel } from "/static/i18n.js";

const state = {
  lang: pickLang(),
  doctor: null,
  ws: null,
  retryMs: 500,
  entries: [],
  receivedAt: 0, // performance.now() when the queue arrived (waited_s is relative to it)
  call: null, // {encounterId, entry, handle, signaling, pending: []}
  pendingTake: null,
};

const $ = (id) => document.getElementById(id);

function pickLang() {
  const fromUrl = new URLSearchParams(location.search).get("lang");
  const stored = localStorage.getItem("telecabine.lang");
  const lang = fromUrl || stored || "fr";
  return lang === "en" ? "en" : "fr";
}

function setStatus(key, vars = {}, tone = "info") {
  const el = $("status");
  el.textContent = key ? t(state.lang, key, vars) : "";
  el.dataset.tone = tone;
}

function applyLang() {
  document.documentElement.lang = state.lang;
  for (const el of document.querySelectorAll("[data-i18n]")) {
    el.textContent = t(state.lang, el.dataset.i18n);
  }
  if (state.doctor) {
    $("who").textContent = t(state.lang, "who", state.doctor);
  }
  renderQueue();
  if (state.call) renderCallMeta();
}

function formatWait(seconds) {
  const m = Math.floor(seconds / 60);
  const s = Math.floor(seconds % 60);
  return t(state.lang, "waited", { m, s: String(s).padStart(2, "0") });
}

function renderQueue() {
  const body = $("queue-body");
  const elapsed = (performance.now() - state.receivedAt) / 1000;
  const rows = state.entries.map((entry) => {
    const tr = document.createElement("tr");
    tr.dataset.encounter = entry.encounter_id;
    const wait = document.createElement("td");
    wait.className = "wait";
    wait.textContent = formatWait(entry.waited_s + elapsed);
    const reason = document.createElement("td");
    reason.textContent = entry.reason || t(state.lang, "none");
    const age = document.createElement("td");
    age.className = "age";
    age.textContent = t(state.lang, "age_years", { age: entry.age_band });
    const flags = document.createElement("td");
    if (entry.flagged_vitals.length === 0) {
      flags.textContent = t(state.lang, "none");
    } else {
      for (const code of entry.flagged_vitals) {
        const chip = document.createElement("span");
        chip.className = "chip";
        chip.textContent = vitalLabel(state.lang, code);
        flags.append(chip);
      }
    }
    const cabin = document.createElement("td");
    cabin.textContent = entry.cabin;
    const action = document.createElement("td");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "primary take";
    button.textContent = t(state.lang, "take");
    button.setAttribute("aria-label", t(state.lang, "take_label", { cabin: entry.cabin }));
    button.disabled = Boolean(state.call) || state.pendingTake === entry.encounter_id;
    button.addEventListener("click", () => take(entry));
    action.append(button);
    // Labels for the stacked (card) layout on narrow screens, where the header is hidden.
    const labels = ["col_wait", "col_reason", "col_age", "col_flags", "col_cabin"];
    [wait, reason, age, flags, cabin].forEach((td, i) => {
      td.dataset.label = t(state.lang, labels[i]);
    });
    action.className = "action";
    // Explicit roles keep table semantics when CSS turns rows into cards.
    tr.setAttribute("role", "row");
    for (const td of [wait, reason, age, flags, cabin, action]) td.setAttribute("role", "cell");
    tr.append(wait, reason, age, flags, cabin, action);
    return tr;
  });
  body.replaceChildren(...rows);
  // The tab title shows the count so a doctor working in another tab sees patients arrive.
  const title = t(state.lang, "doc_title");
  document.title = rows.length ? `(${rows.length}) ${title}` : title;
  $("queue-title").textContent = rows.length
    ? t(state.lang, "queue_count", { n: rows.length })
    : t(state.lang, "queue_title");
  $("queue").hidden = rows.length === 0;
  $("queue-empty").hidden = rows.length !== 0;
}

function tickWaits() {
  const elapsed = (performance.now() - state.receivedAt) / 1000;
  for (const tr of $("queue-body").children) {
    const entry = state.entries.find((e) => e.encounter_id === tr.dataset.encounter);
    if (entry) tr.querySelector(".wait").textContent = formatWait(entry.waited_s + elapsed);
  }
}

function send(msg) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) {
    state.ws.send(JSON.stringify({ v: 1, ...msg }));
    return true;
  }
  return false;
}

function take(entry) {
  if (state.call || state.pendingTake) return;
  state.pendingTake = entry.encounter_id;
  state.pendingEntry = entry;
  renderQueue();
  send({ type: "take", encounter_id: entry.encounter_id });
}

function renderCallMeta() {
  const e = state.call.entry || {};
  if (!e.cabin) {
    $("call-meta").textContent = ""; // resumed after a reload: the queue entry is gone
    return;
  }
  $("call-meta").textContent = t(state.lang, "call_meta", {
    cabin: e.cabin || "",
    age: e.age_band || "",
    reason: e.reason || "",
  });
}

async function openCall(encounterId, iceServers, taken = {}) {
  // The hub's "taken" (also its reminder after a reload) carries what the waiting room showed.
  const reminder = { encounter_id: encounterId, cabin: taken.cabin, age_band: taken.age_band, reason: taken.reason };
  const entry = state.pendingEntry && state.pendingEntry.encounter_id === encounterId
    ? state.pendingEntry
    : state.entries.find((e) => e.encounter_id === encounterId) || reminder;
  state.pendingTake = null;
  const signaling = {
    send: (obj) => send({ ...obj, encounter_id: obj.encounter_id || encounterId }),
    onmessage: null,
  };
  state.call = { encounterId, entry, handle: null, signaling, pending: [] };
  $("call-patient").textContent = "";
  $("queue-view").hidden = true;
  $("call-view").hidden = false;
  $("call-missing").hidden = true;
  renderCallMeta();
  setStatus("taken");
  $("call-title").focus();
  const container = $("call-container");
  container.replaceChildren();
  container.addEventListener("telecabine:call-ended", onCallEnded, { once: true });
  container.addEventListener("telecabine:patient", onPatient);
  try {
    const mod = await import("/static/call.js");
    if (!state.call || state.call.encounterId !== encounterId) return; // cancelled meanwhile
    state.call.handle = mod.startCall({
      encounterId,
      iceServers,
      iceTransportPolicy: taken.ice_transport_policy,
      signaling,
      container,
      lang: state.lang,
      doctor: { name: state.doctor.name, rpps: state.doctor.rpps, specialty: state.doctor.specialty },
    });
  } catch (err) {
    console.warn("call.js unavailable", err);
    $("call-missing").hidden = false;
  }
  flushPending();
}

function flushPending() {
  const call = state.call;
  if (!call || typeof call.signaling.onmessage !== "function") return;
  const queued = call.pending.splice(0);
  for (const msg of queued) call.signaling.onmessage(msg);
}

function routeToCall(msg) {
  const call = state.call;
  if (!call || msg.encounter_id !== call.encounterId) return false;
  if (typeof call.signaling.onmessage === "function") {
    call.signaling.onmessage(msg);
  } else {
    call.pending.push(msg); // the offer can arrive before call.js has loaded
  }
  return true;
}

function closeCall(statusKey, tone = "info") {
  const call = state.call;
  state.call = null;
  if (call && call.handle && typeof call.handle.hangup === "function") {
    try {
      call.handle.hangup();
    } catch (err) {
      console.warn("hangup failed", err);
    }
  }
  $("call-container").replaceChildren();
  $("call-container").removeEventListener("telecabine:patient", onPatient);
  $("call-patient").textContent = "";
  $("call-view").hidden = true;
  $("queue-view").hidden = false;
  setStatus(statusKey, {}, tone);
  renderQueue();
  $("queue-title").focus();
}

function onPatient(event) {
  // Only the doctor who took the call receives the identity (over the call's data channel).
  if (state.call && event.detail && event.detail.encounterId === state.call.encounterId) {
    $("call-patient").textContent = event.detail.line || "";
  }
}

function onCallEnded(event) {
  if (state.call && event.detail && event.detail.encounterId === state.call.encounterId) {
    state.call.handle = null; // already ended by call.js
    closeCall("call_ended");
  }
}

function cancelCall() {
  if (!state.call) return;
  send({ type: "cancel", encounter_id: state.call.encounterId, reason: "doctor" });
  closeCall("cancelled_by_me");
}

function onMessage(msg) {
  switch (msg.type) {
    case "queue": {
      const known = new Set(state.entries.map((e) => e.encounter_id));
      const fresh = msg.entries.filter((e) => !known.has(e.encounter_id));
      if (fresh.length && !state.call) {
        $("announcer").textContent = t(state.lang, "new_patient", { cabin: fresh[0].cabin });
      }
      state.entries = msg.entries;
      state.receivedAt = performance.now();
      renderQueue();
      break;
    }
    case "taken":
      // After a reconnect the hub repeats "taken" for our open call: keep the live call view.
      if (!state.call || state.call.encounterId !== msg.encounter_id) {
        openCall(msg.encounter_id, msg.ice_servers || [], msg);
      }
      break;
    case "offer":
    case "answer":
    case "ice":
    case "hangup":
      routeToCall(msg);
      if (msg.type === "hangup" && state.call && !state.call.handle) closeCall("call_ended");
      break;
    case "cancelled":
      if (routeToCall(msg)) {
        const key = msg.by === "station" ? "cancelled_by_station" : "cancelled_by_hub";
        closeCall(key, "warn");
      }
      break;
    case "error":
      if (msg.ref_type === "take") {
        state.pendingTake = null;
        renderQueue();
        setStatus(msg.code === "already_taken" ? "already_taken" : "not_found", {}, "warn");
      } else if (!(msg.ref_type === "hangup" && msg.code === "not_in_room")) {
        // A late hangup for a call that is already over is not worth alarming the doctor.
        setStatus("error", { message: msg.message || msg.code }, "warn");
      }
      break;
    default:
      break;
  }
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${scheme}://${location.host}/ws/doctor`);
  state.ws = ws;
  ws.addEventListener("open", () => {
    state.retryMs = 500;
    setStatus("connected");
    document.body.dataset.ready = "1";
  });
  ws.addEventListener("message", (ev) => {
    let msg;
    try {
      msg = JSON.parse(ev.data);
    } catch {
      return;
    }
    onMessage(msg);
  });
  ws.addEventListener("close", () => {
    document.body.dataset.ready = "0";
    if (state.ws !== ws) return;
    setStatus("reconnecting", {}, "warn");
    setTimeout(connect, state.retryMs);
    state.retryMs = Math.min(state.retryMs * 2, 10000);
  });
}

async function main() {
  const resp = await fetch("/api/v1/me", { credentials: "same-origin" });
  if (resp.status === 401) {
    location.href = `/?lang=${state.lang}`;
    return;
  }
  state.doctor = (await resp.json()).doctor;
  $("export-csv").hidden = !state.doctor.is_admin; // the operator's billing export
  $("lang-switch").addEventListener("click", () => {
    state.lang = state.lang === "fr" ? "en" : "fr";
    localStorage.setItem("telecabine.lang", state.lang);
    applyLang();
  });
  $("logout").addEventListener("click", async () => {
    await fetch("/logout", { method: "POST", credentials: "same-origin" });
    location.href = `/?lang=${state.lang}`;
  });
  $("cancel-call").addEventListener("click", cancelCall);
  applyLang();
  connect();
  setInterval(tickWaits, 1000);
}

main();
