// Télé-expertise inbox for the signed-in expert: open requests (urgent first, oldest first),
// a request with its photos at full resolution (click to zoom 1:1), and the answer form.
import { t, vitalLabel } from "/static/i18n.js";

const $ = (id) => document.getElementById(id);
const state = { lang: pickLang(), current: null, doctor: null };

function pickLang() {
  const fromUrl = new URLSearchParams(location.search).get("lang");
  const lang = fromUrl || localStorage.getItem("telecabine.lang") || "fr";
  return lang === "en" ? "en" : "fr";
}

function applyLang() {
  document.documentElement.lang = state.lang;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(state.lang, el.dataset.i18n);
  document.title = t(state.lang, "xp_page_title");
  if (state.doctor) $("who").textContent = t(state.lang, "who", state.doctor);
}

function say(key, vars) { $("status").textContent = key ? t(state.lang, key, vars) : ""; }

function age(iso) {
  const hours = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 3600000));
  return hours < 48 ? t(state.lang, "xp_age_hours", { h: hours }) : t(state.lang, "xp_age_days", { d: Math.round(hours / 24) });
}

async function api(path, options = {}) {
  const resp = await fetch(path, { credentials: "same-origin", ...options });
  if (resp.status === 401) { location.href = "/"; throw new Error("signed out"); }
  const body = await resp.json().catch(() => ({}));
  if (!resp.ok) throw Object.assign(new Error("http " + resp.status), { status: resp.status, body });
  return body;
}

function item(entry) {
  const li = document.createElement("li");
  const b = document.createElement("button");
  b.type = "button";
  const urgency = document.createElement("span");
  urgency.className = entry.urgency === "urgent" ? "xp-urgent" : "xp-routine";
  urgency.textContent = t(state.lang, entry.urgency === "urgent" ? "xp_urgent" : "xp_routine");
  const text = document.createElement("span");
  text.textContent = `${entry.patient} — ${entry.question}`;
  const when = document.createElement("span");
  when.className = "xp-age";
  when.textContent = age(entry.received_at);
  b.append(urgency, text, when);
  b.setAttribute("aria-label", t(state.lang, "xp_open_label", { patient: entry.patient, age: when.textContent }));
  b.addEventListener("click", () => openRequest(entry.request_uuid));
  li.append(b);
  return li;
}

async function loadInbox() {
  const data = await api("/api/v1/expertise/inbox");
  $("inbox").replaceChildren(...data.open.map(item));
  $("answered").replaceChildren(...data.answered.map(item));
  $("inbox-empty").hidden = data.open.length > 0;
}

function meta(label, value) {
  const dt = document.createElement("dt"); dt.textContent = t(state.lang, label);
  const dd = document.createElement("dd"); dd.textContent = value;
  return [dt, dd];
}

async function openRequest(uuid) {
  const req = await api(`/api/v1/expertise/${uuid}`);
  state.current = req;
  $("inbox-view").hidden = true;
  $("detail-view").hidden = false;
  const p = req.patient;
  $("detail-title").textContent = `${p.birth_name} ${p.first_names}`;
  const ins = p.ins_qualified && p.nir ? p.nir : t(state.lang, "xp_ins_not_qualified");
  $("detail-meta").replaceChildren(
    ...meta("xp_birth", `${new Date(p.birth_date + "T12:00:00").toLocaleDateString(state.lang)} · ${p.sex}`), ...meta("xp_ins", ins),
    ...meta("xp_requester", `${req.requester.name} (${t(state.lang, "role_" + req.requester.role)})`),
    ...meta("xp_urgency", t(state.lang, req.urgency === "urgent" ? "xp_urgent" : "xp_routine")),
    ...meta("xp_sent", new Date(req.created_at).toLocaleString(state.lang)),
  );
  $("detail-question").textContent = req.question;
  $("detail-vitals").replaceChildren(...req.vitals.map((v) => {
    const li = document.createElement("li");
    li.textContent = `${vitalLabel(state.lang, v.code)} : ${v.value} ${v.unit}${v.flag && v.flag !== "normal" ? " — " + t(state.lang, "flag_" + v.flag) : ""}`;
    return li;
  }));
  if (!req.vitals.length) $("detail-vitals").replaceChildren(Object.assign(document.createElement("li"), { textContent: t(state.lang, "none") }));
  $("detail-photos").replaceChildren(...req.photos.map((ph, i) => {
    const fig = document.createElement("figure");
    const b = document.createElement("button");
    b.type = "button";
    const img = document.createElement("img");
    img.src = `/api/v1/expertise/${uuid}/photos/${i}`;
    img.alt = t(state.lang, "xp_photo_alt", { n: i + 1, source: t(state.lang, "src_" + ph.source) });
    img.width = 280;
    b.append(img);
    b.setAttribute("aria-label", t(state.lang, "xp_zoom_label", { n: i + 1 }));
    b.addEventListener("click", () => zoom(img.src, img.alt));
    const cap = document.createElement("figcaption");
    cap.textContent = `${ph.width} × ${ph.height} px`;
    fig.append(b, cap);
    return fig;
  }));
  const answered = req.answer;
  $("answer-form").hidden = Boolean(answered);
  $("answer-done").hidden = !answered;
  if (answered) $("answer-done").textContent = t(state.lang, "xp_answered_on", { when: new Date(answered.answered_at).toLocaleString(state.lang), text: answered.text });
  $("answer-error").textContent = "";
  $("detail-title").focus();
}

function zoom(src, alt) {
  $("zoom-img").src = src;
  $("zoom-img").alt = alt;
  $("zoom").showModal();
}

function fileAsBase64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",")[1]);
    reader.onerror = reject;
    reader.readAsDataURL(file);
  });
}

async function sendAnswer(event) {
  event.preventDefault();
  const text = $("answer-text").value.trim();
  if (!text) { $("answer-error").textContent = t(state.lang, "xp_text_required"); $("answer-text").focus(); return; }
  const outcome = document.querySelector("input[name=outcome]:checked").value;
  const body = { text, outcome };
  const file = $("answer-pdf").files[0];
  if (file) body.pdf_b64 = await fileAsBase64(file);
  $("answer-send").disabled = true;
  try {
    const res = await api(`/api/v1/expertise/${state.current.request_uuid}/answer`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    const acts = res.acts.map((a) => `${a.code} ${a.amount} €`).join(", ");
    $("answer-form").hidden = true;
    $("answer-done").hidden = false;
    $("answer-done").textContent = t(state.lang, "xp_sent_ok", { acts }) + (res.rqd_refused ? " " + t(state.lang, "xp_rqd_" + res.rqd_refused) : "");
    say("xp_sent_ok", { acts });
  } catch (err) {
    $("answer-error").textContent = t(state.lang, err.status === 409 ? "xp_already" : "xp_send_failed");
  } finally {
    $("answer-send").disabled = false;
  }
}

async function main() {
  applyLang();
  try {
    state.doctor = (await api("/api/v1/me")).doctor;
    applyLang();
    await loadInbox();
  } catch (err) {
    say("xp_load_failed");
  }
  $("lang-switch").addEventListener("click", () => {
    state.lang = state.lang === "fr" ? "en" : "fr";
    localStorage.setItem("telecabine.lang", state.lang);
    applyLang();
    loadInbox().catch(() => say("xp_load_failed"));
    if (state.current) openRequest(state.current.request_uuid);
  });
  $("detail-back").addEventListener("click", async () => {
    $("detail-view").hidden = true;
    $("inbox-view").hidden = false;
    state.current = null;
    await loadInbox();
    $("inbox-title").focus();
  });
  $("answer-form").addEventListener("submit", sendAnswer);
  $("zoom-close").addEventListener("click", () => $("zoom").close());
  setInterval(() => { if (!state.current) loadInbox().catch(() => say("xp_load_failed")); }, 30000);
}

main();
