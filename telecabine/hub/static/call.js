// Doctor's side of the video consultation (WebRTC). Started by console.js via startCall(opts).
// Contract (shared/contracts): the station offers a complete SDP; we answer (after ICE gathering
// completes). A new offer at any time is an ICE restart: the station rebuilds its peer, so we
// build a fresh RTCPeerConnection too and keep the same camera stream. The data channel
// "telecabine" is created by the station; every message is {"v": 1, "type": ...} <= 64 KiB.

const V = 1;
const CHUNK = 16 * 1024; // decoded bytes per document_chunk
const MAX_MSG = 64 * 1024;

export const TEXT = {
  fr: {
    connecting: "Connexion à la cabine…", connected: "Connecté", reconnecting: "Reconnexion…",
    ended: "Consultation terminée", cabin_video: "Vidéo de la cabine", self_view: "Votre caméra",
    vitals: "Constantes", no_vitals: "Aucune mesure pour l'instant.", cameras: "Caméra de la cabine",
    cam_room: "Pièce", cam_otoscope: "Otoscope", cam_dermatoscope: "Dermatoscope",
    cam_document: "Document", steth_on: "Écouter le stéthoscope", steth_off: "Couper le stéthoscope",
    steth_live: "Stéthoscope actif", measure: "Demander une mesure", m_temperature: "Température",
    m_blood_pressure: "Tension", m_spo2: "SpO₂", m_weight: "Poids", m_heart_rate: "Pouls",
    chat: "Messages", send: "Envoyer", chat_placeholder: "Message pour la cabine",
    doc_title: "Ordonnance / compte rendu", doc_kind_prescription: "Ordonnance",
    doc_kind_report: "Compte rendu", doc_patient: "Patient (tel qu'écrit sur le document)",
    doc_lines: "Lignes (une par ligne)", doc_send: "Envoyer à la cabine", doc_sent: "Document reçu par la cabine",
    doc_failed: "La cabine a refusé le document", end_title: "Fin de consultation", act: "Acte",
    outcome: "Issue", o_prescription: "Ordonnance", o_advice: "Conseil", o_referral: "Orientation",
    o_emergency: "Urgence", o_other: "Autre", note: "Note (facultative)", end_call: "Terminer la consultation",
    quality: "Qualité", status_measure: "Mesure", requested: "demandée", in_progress: "en cours",
    done: "terminée", failed: "échouée", live: "en direct", error: "Erreur",
    tab_patient: "Patient", tab_exchange: "Échanges", tab_document: "Ordonnance", tab_end: "Fin",
    patient: "Patient", waiting_context: "Identité transmise par la cabine à l'ouverture de la connexion…",
    born: "né(e) le", born_M: "né le", born_F: "née le", sex_M: "homme", sex_F: "femme", sex_I: "indéterminé", used_name: "nom d'usage",
    ins_provisoire: "Identité provisoire", ins_recuperee: "Identité récupérée", ins_validee: "Identité validée",
    ins_qualifiee: "Identité qualifiée", matricule: "Matricule INS", nir_masked: "NIR (masqué, identité non qualifiée)",
    no_nir: "Sans NIR", reason: "Motif", parcours: "Parcours de soins", in_parcours: "dans le parcours",
    out_parcours: "hors parcours", unknown: "à confirmer", staff: "Accompagné par",
    role_pharmacist: "pharmacien(ne)", role_nurse: "infirmier(e)", role_care_assistant: "aide-soignant(e)",
    role_admin: "responsable", role_other: "professionnel(le)", requests: "Demandes",
    st_queued: "en attente", st_sent: "envoyé", st_delivered: "remis", bad_context: "Contexte patient illisible",
    flag_low: "bas", flag_high: "élevé", flag_critical: "critique",
  },
  en: {
    connecting: "Connecting to the cabin…", connected: "Connected", reconnecting: "Reconnecting…",
    ended: "Consultation ended", cabin_video: "Cabin video", self_view: "Your camera",
    vitals: "Vital signs", no_vitals: "No measurement yet.", cameras: "Cabin camera",
    cam_room: "Room", cam_otoscope: "Otoscope", cam_dermatoscope: "Dermatoscope",
    cam_document: "Document", steth_on: "Listen to stethoscope", steth_off: "Stop stethoscope",
    steth_live: "Stethoscope on", measure: "Request a measurement", m_temperature: "Temperature",
    m_blood_pressure: "Blood pressure", m_spo2: "SpO₂", m_weight: "Weight", m_heart_rate: "Pulse",
    chat: "Messages", send: "Send", chat_placeholder: "Message to the cabin",
    doc_title: "Prescription / report", doc_kind_prescription: "Prescription",
    doc_kind_report: "Report", doc_patient: "Patient (as written on the document)",
    doc_lines: "Lines (one per line)", doc_send: "Send to the cabin", doc_sent: "Document received by the cabin",
    doc_failed: "The cabin refused the document", end_title: "End of consultation", act: "Act",
    outcome: "Outcome", o_prescription: "Prescription", o_advice: "Advice", o_referral: "Referral",
    o_emergency: "Emergency", o_other: "Other", note: "Note (optional)", end_call: "End consultation",
    quality: "Quality", status_measure: "Measurement", requested: "requested", in_progress: "in progress",
    done: "done", failed: "failed", live: "live", error: "Error",
    tab_patient: "Patient", tab_exchange: "Exchanges", tab_document: "Prescription", tab_end: "End",
    patient: "Patient", waiting_context: "Identity is sent by the cabin when the connection opens…",
    born: "born", born_M: "born", born_F: "born", sex_M: "male", sex_F: "female", sex_I: "indeterminate", used_name: "used name",
    ins_provisoire: "Provisional identity", ins_recuperee: "Retrieved identity", ins_validee: "Validated identity",
    ins_qualifiee: "Qualified identity", matricule: "INS number", nir_masked: "NIR (masked, identity not qualified)",
    no_nir: "No NIR", reason: "Reason", parcours: "Coordinated care pathway", in_parcours: "in the pathway",
    out_parcours: "outside the pathway", unknown: "to be confirmed", staff: "Accompanied by",
    role_pharmacist: "pharmacist", role_nurse: "nurse", role_care_assistant: "care assistant",
    role_admin: "manager", role_other: "professional", requests: "Requests",
    st_queued: "waiting", st_sent: "sent", st_delivered: "delivered", bad_context: "Unreadable patient context",
    flag_low: "low", flag_high: "high", flag_critical: "critical",
  },
};

const ACTS = ["TCG", "TC", "TE2", "TLC"];
const OUTCOMES = ["prescription", "advice", "referral", "emergency", "other"];
const KINDS = ["temperature", "blood_pressure", "spo2", "weight", "heart_rate"];
// UCUM codes on the wire, usual symbols on screen.
const UNITS = { Cel: "°C", "mm[Hg]": "mmHg", "kg/m2": "kg/m²" };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== false && v !== null && v !== undefined) node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c) node.append(c);
  return node;
}

function ensureCss() {
  if (!document.querySelector('link[data-telecabine-call]')) {
    document.head.append(el("link", { rel: "stylesheet", href: "/static/call.css", "data-telecabine-call": true }));
  }
}

async function sha256Hex(bytes) {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function b64(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function waitGathering(pc, ms) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { pc.removeEventListener("icegatheringstatechange", check); resolve(); };
    const check = () => { if (pc.iceGatheringState === "complete") done(); };
    pc.addEventListener("icegatheringstatechange", check);
    setTimeout(done, ms);
  });
}

// Checks a patient_context message before showing it (the station validated it with pydantic;
// the page trusts nothing it did not check). Returns an error string or "".
export function checkContext(msg) {
  const str = (v, max) => typeof v === "string" && v.length <= max;
  const opt = (v, max) => v === undefined || v === null || str(v, max);
  if (!msg || msg.v !== V || msg.type !== "patient_context" || !str(msg.encounter_id, 64)) return "envelope";
  if (!opt(msg.reason, 2000)) return "reason";
  const id = msg.identity;
  if (id !== undefined && id !== null) {
    if (typeof id !== "object" || !str(id.birth_name, 100) || !str(id.first_names, 200)) return "identity";
    if (!opt(id.used_name, 100) || !opt(id.birth_date, 10) || !opt(id.nir_masked, 32) || !opt(id.matricule, 21)) return "identity";
    if (!["provisoire", "recuperee", "validee", "qualifiee"].includes(id.ins_status)) return "ins_status";
    if (id.matricule && id.ins_status !== "qualifiee") return "matricule"; // INS number only when qualified
  }
  if (msg.vitals !== undefined && (!Array.isArray(msg.vitals) || msg.vitals.length > 64
      || msg.vitals.some((x) => !x || !str(x.code, 32) || !str(x.unit, 32)))) return "vitals";
  const st = msg.staff;
  if (st !== undefined && st !== null && (typeof st !== "object" || !str(st.name, 120))) return "staff";
  const el = msg.eligibility;
  if (el !== undefined && el !== null && (typeof el !== "object" || ![true, false, null, undefined].includes(el.in_parcours))) return "eligibility";
  return "";
}

// "Dupont (Martin) Jeanne Marie, née le 02/03/1950" — the prescription's patient line.
export function patientLine(id, lang) {
  if (!id) return "";
  const T = TEXT[lang === "en" ? "en" : "fr"];
  const used = id.used_name ? ` (${T.used_name} ${id.used_name})` : "";
  let born = "";
  if (id.birth_date) {
    const [y, m, d] = id.birth_date.split("-");
    born = `, ${T["born_" + id.sex] || T.born} ${lang === "en" ? `${y}-${m}-${d}` : `${d}/${m}/${y}`}`;
  }
  return `${id.birth_name}${used} ${id.first_names}${born}`.slice(0, 120);
}

export function startCall(opts) {
  ensureCss();
  const { encounterId, signaling, container } = opts;
  const lang = opts.lang === "en" ? "en" : "fr";
  const T = TEXT[lang];
  const iceServers = (opts.iceServers || []).map((s) => ({ ...s }));
  // "relay": TURN relay candidates only (the hub's TELECABINE_HUB_FORCE_RELAY).
  const iceTransportPolicy = opts.iceTransportPolicy === "relay" ? "relay" : "all";
  const state = {
    pc: null, channel: null, stream: null, ended: false, hello: null, context: null, vitals: new Map(),
    messages: [], docs: new Map(), stats: { framesDecoded: 0, bitrate: 0, rtt: null, loss: 0 },
    lastBytes: null, offers: 0, statsTimer: null,
    // Reliable delivery: id -> message, kept until the station's "ack" (and across a reload,
    // in this tab's sessionStorage); log = what the doctor sent/received, shown with its status.
    outbox: new Map(), log: [], seen: new Set(), docOut: new Map(),
  };
  const storeKey = `telecabine.call.${encounterId}`;

  // --- layout -----------------------------------------------------------------------------
  const status = el("p", { class: "tc-status", role: "status", "aria-live": "polite", text: T.connecting });
  const remote = el("video", { class: "tc-remote", autoplay: true, playsinline: true, "aria-label": T.cabin_video });
  const remoteStream = new MediaStream();
  const selfView = el("video", { class: "tc-self", autoplay: true, playsinline: true, muted: true, "aria-label": T.self_view });
  selfView.muted = true;
  const quality = el("p", { class: "tc-quality", "aria-live": "off" });
  const liveCam = el("p", { class: "tc-live" });
  const steth = el("p", { class: "tc-steth", hidden: true, text: T.steth_live });
  const camButtons = el("div", { class: "tc-buttons", role: "group", "aria-label": T.cameras });
  const vitalsList = el("ul", { class: "tc-vitals", "aria-live": "polite" }, el("li", { class: "tc-empty", text: T.no_vitals }));
  const patientBox = el("div", { class: "tc-patient", "aria-live": "polite" }, el("p", { class: "tc-empty", text: T.waiting_context }));
  const measureStatus = el("p", { class: "tc-measure-status", "aria-live": "polite" });
  const requestLog = el("ol", { class: "tc-requests", "aria-live": "polite" });
  const chatLog = el("ol", { class: "tc-chat", "aria-live": "polite" });
  const chatInput = el("input", { type: "text", maxlength: "2000", placeholder: T.chat_placeholder, "aria-label": T.chat_placeholder });
  const docInfo = el("p", { class: "tc-doc-info", "aria-live": "polite" });

  const stethBtn = el("button", { type: "button", class: "tc-btn", text: T.steth_on, onclick: () => {
    const on = stethBtn.dataset.on !== "1";
    sendReliable({ type: "stethoscope", on });
  } });
  const measureButtons = el("div", { class: "tc-buttons", role: "group", "aria-label": T.measure },
    ...KINDS.map((k) => el("button", { type: "button", class: "tc-btn", "data-kind": k, text: T["m_" + k],
      onclick: () => requestMeasurement(k) })));

  const docKind = el("select", { "aria-label": T.doc_title },
    el("option", { value: "prescription", text: T.doc_kind_prescription }),
    el("option", { value: "report", text: T.doc_kind_report }));
  const docPatient = el("input", { type: "text", maxlength: "120", name: "patient" });
  const docLines = el("textarea", { rows: "6" });
  const docForm = el("form", { class: "tc-form tc-doc", onsubmit: (ev) => { ev.preventDefault(); renderAndSend(); } },
    el("h3", { text: T.doc_title }), docKind,
    el("label", { text: T.doc_patient }, docPatient), el("label", { text: T.doc_lines }, docLines),
    el("button", { type: "submit", class: "tc-btn", text: T.doc_send }), docInfo);

  const actSel = el("select", { name: "act" }, ...ACTS.map((a) => el("option", { value: a, text: a })));
  const outcomeSel = el("select", { name: "outcome" }, ...OUTCOMES.map((o) => el("option", { value: o, text: T["o_" + o] })));
  const noteInput = el("input", { type: "text", maxlength: "2000" });
  const endForm = el("form", { class: "tc-form tc-end", onsubmit: (ev) => { ev.preventDefault(); endCall(); } },
    el("h3", { text: T.end_title }), el("label", { text: T.act }, actSel), el("label", { text: T.outcome }, outcomeSel),
    el("label", { text: T.note }, noteInput), el("button", { type: "submit", class: "tc-btn tc-danger", text: T.end_call }));

  const chatForm = el("form", { class: "tc-chat-form", onsubmit: (ev) => {
    ev.preventDefault();
    const text = chatInput.value.trim();
    if (!text) return;
    const id = "c-" + crypto.randomUUID().slice(0, 18);
    const msg = { type: "chat", id, text, at: new Date().toISOString(), from: "doctor" };
    addLog({ id, kind: "chat", from: "doctor", text });
    sendReliable(msg);
    chatInput.value = "";
  } }, chatInput, el("button", { type: "submit", class: "tc-btn", text: T.send }));

  // Side panel in tabs: everything reachable without scrolling past the video (1280 x 800).
  const panels = {
    patient: el("section", { class: "tc-panel", role: "tabpanel", id: `tc-panel-patient`, "data-panel": "patient" },
      el("h3", { text: T.patient }), patientBox, el("h3", { text: T.vitals }), vitalsList),
    exchange: el("section", { class: "tc-panel", role: "tabpanel", id: `tc-panel-exchange`, "data-panel": "exchange" },
      el("h3", { text: T.measure }), measureButtons, measureStatus, requestLog,
      el("h3", { text: T.chat }), chatLog, chatForm),
    document: el("section", { class: "tc-panel", role: "tabpanel", id: `tc-panel-document`, "data-panel": "document" }, docForm),
    end: el("section", { class: "tc-panel", role: "tabpanel", id: `tc-panel-end`, "data-panel": "end" }, endForm),
  };
  const tabs = el("div", { class: "tc-tabs", role: "tablist", "aria-label": T.patient }, ...Object.keys(panels).map((key) => el("button", {
    type: "button", role: "tab", class: "tc-tab", "data-tab": key, "aria-controls": `tc-panel-${key}`,
    text: T["tab_" + key], onclick: () => showTab(key) })));
  function showTab(key) {
    for (const [k, panel] of Object.entries(panels)) panel.hidden = k !== key;
    for (const b of tabs.children) b.setAttribute("aria-selected", String(b.dataset.tab === key));
  }

  const root = el("div", { class: "tc-call" },
    el("div", { class: "tc-main" },
      el("div", { class: "tc-media" }, remote, selfView, el("div", { class: "tc-overlay" }, liveCam, steth, quality)),
      el("div", { class: "tc-media-bar", role: "group", "aria-label": T.cameras }, camButtons, stethBtn)),
    el("aside", { class: "tc-side" }, status, tabs, ...Object.values(panels)));
  container.replaceChildren(root);
  showTab("patient");

  // --- reliable delivery -------------------------------------------------------------------------
  // Documents waiting for the cabin's document_ack survive a reload too (a prescription is a few
  // KiB; anything above MAX_KEPT_DOC stays in memory only).
  const MAX_KEPT_DOC = 512 * 1024;
  function persist() {
    const docs = [...state.docOut.entries()].filter(([, d]) => d.bytes.length <= MAX_KEPT_DOC)
      .map(([id, d]) => ({ id, kind: d.kind, filename: d.filename, sha256: d.sha256, data: b64(d.bytes) }));
    try {
      sessionStorage.setItem(storeKey, JSON.stringify({ outbox: [...state.outbox.values()], log: state.log.slice(-100), docs }));
    } catch { /* storage full or disabled: delivery still works until a reload */ }
  }

  function restore() {
    try {
      const saved = JSON.parse(sessionStorage.getItem(storeKey) || "null");
      if (!saved) return;
      for (const m of saved.outbox || []) if (m && m.id) state.outbox.set(m.id, m);
      for (const entry of saved.log || []) addLog(entry, false);
      for (const d of saved.docs || []) {
        const bytes = Uint8Array.from(atob(d.data), (c) => c.charCodeAt(0));
        state.docOut.set(d.id, { bytes, kind: d.kind, filename: d.filename, sha256: d.sha256 });
        docInfo.textContent = T.st_queued;
      }
    } catch { /* unreadable: start afresh */ }
  }

  function sendReliable(obj) {
    const msg = { ...obj, id: obj.id || "d-" + crypto.randomUUID().slice(0, 18) };
    state.outbox.set(msg.id, msg);
    persist();
    if (sendDc(msg)) setLogStatus(msg.id, "sent");
    return msg.id;
  }

  function flushOutbox() {
    for (const msg of state.outbox.values()) if (sendDc(msg)) setLogStatus(msg.id, "sent");
    for (const [id, doc] of state.docOut) transmitDocument(id, doc).catch(() => {});
  }

  function requestMeasurement(kind) {
    const id = "m-" + crypto.randomUUID().slice(0, 18);
    addLog({ id, kind: "request", text: T["m_" + kind] || kind });
    sendReliable({ type: "request_measurement", kind, id });
  }

  function addLog(entry, save = true) {
    if (state.log.some((e) => e.id === entry.id)) return;
    const item = { status: entry.from === "station" ? "delivered" : "queued", ...entry };
    state.log.push(item);
    const li = el("li", { class: entry.kind === "chat" ? "tc-from-" + entry.from : "tc-request", "data-id": entry.id },
      el("span", { class: "tc-text", text: entry.text }));
    if (entry.from !== "station") li.append(el("small", { class: "tc-delivery" }));
    (entry.kind === "chat" ? chatLog : requestLog).append(li);
    li.scrollIntoView({ block: "nearest" });
    setLogStatus(entry.id, item.status, save);
  }

  function setLogStatus(id, st, save = true) {
    const item = state.log.find((e) => e.id === id);
    if (!item || item.from === "station") return;
    if (item.status === "delivered" && st !== "delivered") return; // an ack came first
    item.status = st;
    const li = container.querySelector(`li[data-id="${CSS.escape(id)}"]`);
    if (li) {
      li.dataset.status = st;
      li.querySelector(".tc-delivery").textContent = T["st_" + st];
    }
    if (save) persist();
  }

  // --- data channel ----------------------------------------------------------------------------
  function sendDc(obj) {
    const ch = state.channel;
    if (!ch || ch.readyState !== "open") return false;
    const text = JSON.stringify({ v: V, ...obj });
    if (text.length > MAX_MSG) return false;
    ch.send(text);
    return true;
  }

  function onDcMessage(raw) {
    let msg;
    try { msg = JSON.parse(raw); } catch { return; }
    if (!msg || msg.v !== V || typeof msg.type !== "string") return;
    state.messages.push(msg);
    if (typeof msg.id === "string" && ["vital", "chat"].includes(msg.type)) {
      sendDc({ type: "ack", id: msg.id }); // the station keeps it until then
      if (state.seen.has(msg.id)) return; // sent again after a reconnection
      state.seen.add(msg.id);
    }
    switch (msg.type) {
      case "hello": state.hello = msg; renderCameras(msg.cameras || [], msg.live_camera); setSteth(!!msg.stethoscope); break;
      case "patient_context": renderContext(msg); break;
      case "ack":
        if (state.outbox.delete(msg.id)) persist();
        setLogStatus(msg.id, "delivered");
        break;
      case "vital": addVital(msg); break;
      case "camera_changed": renderCameras(state.hello ? state.hello.cameras : [msg.role], msg.role); break;
      case "stethoscope_changed": setSteth(!!msg.on); break;
      case "measurement_status": measureStatus.textContent = `${T.status_measure} ${T["m_" + msg.kind] || msg.kind} : ${T[msg.status] || msg.status}${msg.detail ? " — " + msg.detail : ""}`; break;
      case "chat": addLog({ id: msg.id, kind: "chat", from: "station", text: String(msg.text || "") }); break;
      case "document_ack": {
        const restored = state.docOut.delete(msg.id) && !state.docs.has(msg.id);
        persist();
        const waiter = state.docs.get(msg.id);
        if (waiter) { state.docs.delete(msg.id); waiter(msg); }
        else if (restored) docInfo.textContent = msg.ok ? T.doc_sent : `${T.doc_failed} (${msg.error || ""})`;
        break;
      }
      case "error": status.textContent = `${T.error} : ${msg.message || msg.code}`; break;
      default: break;
    }
  }

  function renderContext(msg) {
    const problem = checkContext(msg);
    if (problem || msg.encounter_id !== encounterId) {
      status.textContent = `${T.bad_context} (${problem || "encounter"})`;
      return;
    }
    state.context = msg;
    const id = msg.identity;
    const rows = [];
    if (id) {
      rows.push(el("p", { class: "tc-name", "data-field": "name" },
        el("strong", { text: id.birth_name }), ` ${id.first_names}`,
        id.used_name ? el("span", { text: ` — ${T.used_name} ${id.used_name}` }) : null));
      const sex = id.sex ? ` — ${T["sex_" + id.sex] || id.sex}` : "";
      rows.push(el("p", { "data-field": "born", text: `${patientLine({ ...id, birth_name: "", first_names: "", used_name: null }, lang).replace(/^[ ,]+/, "")}${sex}` }));
      rows.push(el("p", { class: "tc-ins tc-ins-" + id.ins_status, "data-field": "ins", text: T["ins_" + id.ins_status] }));
      if (id.matricule) rows.push(el("p", { "data-field": "matricule", text: `${T.matricule} ${id.matricule}${id.ins_oid ? ` (OID ${id.ins_oid})` : ""}` }));
      else if (id.nir_masked) rows.push(el("p", { "data-field": "nir", text: `${T.nir_masked} : ${id.nir_masked}` }));
      else rows.push(el("p", { "data-field": "nir", text: T.no_nir }));
    }
    if (msg.reason) rows.push(el("p", { "data-field": "reason" }, el("strong", { text: `${T.reason} : ` }), msg.reason));
    const elig = msg.eligibility;
    if (elig) {
      const verdict = elig.in_parcours === true ? T.in_parcours : elig.in_parcours === false ? T.out_parcours : T.unknown;
      const why = lang === "en" ? elig.explanation_en : elig.explanation_fr;
      rows.push(el("p", { "data-field": "parcours", class: "tc-parcours-" + String(elig.in_parcours) },
        el("strong", { text: `${T.parcours} : ${verdict}` })));
      if (why) rows.push(el("p", { class: "tc-why", text: why }));
    }
    if (msg.staff) rows.push(el("p", { "data-field": "staff", text: `${T.staff} ${msg.staff.name} (${T["role_" + msg.staff.role] || msg.staff.role})` }));
    patientBox.replaceChildren(...rows);
    for (const v of msg.vitals || []) addVital(v);
    // The prescription carries the identity traits as the station knows them: never retyped.
    if (id) { docPatient.value = patientLine(id, lang); docPatient.readOnly = true; }
    container.dispatchEvent(new CustomEvent("telecabine:patient", { detail: { encounterId, identity: id || null, line: patientLine(id, lang) } }));
  }

  function renderCameras(roles, live) {
    camButtons.replaceChildren(...roles.map((r) => el("button", {
      type: "button", class: "tc-btn" + (r === live ? " tc-on" : ""), "data-role": r, "aria-pressed": String(r === live),
      text: T["cam_" + r] || r, onclick: () => sendReliable({ type: "switch_camera", role: r }) })));
    liveCam.textContent = `${T["cam_" + live] || live} — ${T.live}`;
    liveCam.dataset.role = live;
  }

  function setSteth(on) {
    steth.hidden = !on;
    stethBtn.dataset.on = on ? "1" : "0";
    stethBtn.textContent = on ? T.steth_off : T.steth_on;
  }

  function addVital(v) {
    const prev = state.vitals.get(v.code);
    if (prev && prev.measured_at > v.measured_at) return; // keep the latest per measure
    state.vitals.set(v.code, v);
    vitalsList.replaceChildren(...[...state.vitals.values()].map((x) => el("li", {
      class: "tc-vital" + (x.flag && x.flag !== "normal" ? " tc-flag-" + x.flag : ""), "data-code": x.code,
      text: `${lang === "en" ? x.label_en : x.label_fr} : ${x.value} ${UNITS[x.unit] || x.unit}${x.flag && x.flag !== "normal" ? " (" + (T["flag_" + x.flag] || x.flag) + ")" : ""}` })));
  }

  // --- documents -----------------------------------------------------------------------------
  async function renderAndSend() {
    const body = { kind: docKind.value, patient: docPatient.value || "—", lines: docLines.value.split("\n").filter((l) => l.trim()),
      date: new Date().toISOString().slice(0, 10), lang };
    if (!body.lines.length) return;
    const resp = await fetch("/api/v1/documents/render", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    if (!resp.ok) { docInfo.textContent = T.doc_failed; return; }
    const bytes = new Uint8Array(await resp.arrayBuffer());
    docInfo.textContent = T.st_queued;
    const ack = await sendDocument(bytes, body.kind, `${body.kind}.pdf`);
    docInfo.textContent = ack.ok ? T.doc_sent : `${T.doc_failed} (${ack.error || ""})`;
  }

  // Queued until the channel is open and sent again on every new channel until acknowledged.
  async function sendDocument(bytes, kind, filename) {
    const id = "doc-" + crypto.randomUUID().slice(0, 12);
    const doc = { bytes, kind, filename, sha256: await sha256Hex(bytes) };
    const acked = new Promise((resolve) => {
      state.docs.set(id, resolve);
      setTimeout(() => { if (state.docs.delete(id)) { state.docOut.delete(id); persist(); resolve({ id, ok: false, error: "timeout" }); } }, 120000);
    });
    state.docOut.set(id, doc);
    persist();
    transmitDocument(id, doc).catch(() => {});
    return acked;
  }

  async function transmitDocument(id, doc) {
    const ch = state.channel;
    const chunks = Math.ceil(doc.bytes.length / CHUNK);
    if (doc.sending === ch) return; // already going out on this channel
    if (!sendDc({ type: "document_begin", id, kind: doc.kind, filename: doc.filename, mime: "application/pdf", size: doc.bytes.length, sha256: doc.sha256, chunks })) return;
    doc.sending = ch;
    for (let i = 0; i < chunks; i++) {
      while (ch.readyState === "open" && ch.bufferedAmount > 256 * 1024) await new Promise((r) => setTimeout(r, 20)); // back-pressure
      if (ch !== state.channel || !sendDc({ type: "document_chunk", id, index: i, data: b64(doc.bytes.subarray(i * CHUNK, (i + 1) * CHUNK)) })) { doc.sending = null; return; }
    }
    if (!sendDc({ type: "document_end", id })) doc.sending = null;
  }

  // --- WebRTC --------------------------------------------------------------------------------
  async function localStream() {
    if (!state.stream) {
      try {
        state.stream = await navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 720 }, audio: true });
      } catch (err) {
        console.warn("no local camera/microphone", err);
        state.stream = new MediaStream();
      }
      selfView.srcObject = state.stream;
    }
    return state.stream;
  }

  async function onOffer(msg) {
    state.offers += 1;
    if (state.pc) { status.textContent = T.reconnecting; state.pc.close(); }
    const pc = new RTCPeerConnection({ iceServers, iceTransportPolicy });
    state.pc = pc;
    const stream = await localStream();
    for (const track of stream.getTracks()) pc.addTrack(track, stream);
    // One stream for the cabin's picture and voice: the station sends them in separate
    // MediaStreams (no lip-sync delay), and audio arrives first (first m-line), so playing
    // "the video's stream" would leave the doctor without the patient's voice. A re-offer
    // (reconnection) brings new tracks: they replace the old ones of the same kind.
    pc.ontrack = (ev) => {
      for (const old of remoteStream.getTracks()) {
        if (old.kind === ev.track.kind && old !== ev.track) remoteStream.removeTrack(old);
      }
      remoteStream.addTrack(ev.track);
      if (remote.srcObject !== remoteStream) remote.srcObject = remoteStream;
    };
    pc.ondatachannel = (ev) => {
      state.channel = ev.channel;
      ev.channel.onmessage = (e) => onDcMessage(e.data);
      // Whatever waited (take, reload, reconnection) leaves as soon as the channel opens.
      if (ev.channel.readyState === "open") flushOutbox();
      else ev.channel.addEventListener("open", flushOutbox, { once: true });
    };
    pc.onconnectionstatechange = () => {
      if (pc !== state.pc || state.ended) return;
      const s = pc.connectionState;
      status.textContent = s === "connected" ? T.connected : s === "connecting" || s === "new" ? T.connecting : T.reconnecting;
    };
    pc.onicecandidate = () => {}; // complete SDP is sent after gathering (no trickle needed)
    await pc.setRemoteDescription({ type: "offer", sdp: msg.sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    await waitGathering(pc, 2000);
    if (pc !== state.pc) return; // superseded by a newer offer
    signaling.send({ v: V, type: "answer", encounter_id: encounterId, sdp: pc.localDescription.sdp });
  }

  async function sampleStats() {
    const pc = state.pc;
    if (!pc) return;
    const report = await pc.getStats();
    let bytes = 0, frames = 0, rtt = null, loss = 0, lost = 0, received = 0;
    report.forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "video") { bytes = s.bytesReceived || 0; frames = s.framesDecoded || 0; lost = s.packetsLost || 0; received = s.packetsReceived || 0; }
      if (s.type === "candidate-pair" && s.nominated && s.currentRoundTripTime !== undefined) rtt = s.currentRoundTripTime;
    });
    const now = performance.now();
    if (state.lastBytes && bytes >= state.lastBytes.bytes) state.stats.bitrate = (8 * (bytes - state.lastBytes.bytes)) / ((now - state.lastBytes.at) / 1000);
    state.lastBytes = { bytes, at: now };
    loss = received + lost > 0 ? lost / (received + lost) : 0;
    state.stats = { ...state.stats, framesDecoded: frames, rtt, loss };
    quality.textContent = `${T.quality} : ${(state.stats.bitrate / 1e6).toFixed(2)} Mb/s${rtt !== null ? `, RTT ${Math.round(rtt * 1000)} ms` : ""}, ${(loss * 100).toFixed(1)} %`;
  }
  state.statsTimer = setInterval(() => { sampleStats().catch(() => {}); }, 1000);

  function finish(summary) {
    if (state.ended) return;
    state.ended = true;
    clearInterval(state.statsTimer);
    if (state.pc) state.pc.close();
    if (state.stream) state.stream.getTracks().forEach((t) => t.stop());
    try { sessionStorage.removeItem(storeKey); } catch { /* nothing kept */ }
    status.textContent = T.ended;
    container.dispatchEvent(new CustomEvent("telecabine:call-ended", { detail: { encounterId, summary } }));
  }

  function endCall() {
    const summary = { type: "end_call", act_code: actSel.value, outcome: outcomeSel.value,
      doctor: { name: opts.doctor.name, rpps: opts.doctor.rpps, specialty: opts.doctor.specialty || "" } };
    if (noteInput.value.trim()) summary.note = noteInput.value.trim();
    sendDc(summary);
    // Give the summary time to leave before the hangup tears the connection down.
    setTimeout(() => {
      signaling.send({ v: V, type: "hangup", encounter_id: encounterId, reason: "doctor_ended" });
      finish(summary);
    }, 300);
  }

  signaling.onmessage = (msg) => {
    if (!msg || msg.encounter_id !== encounterId || state.ended) return;
    if (msg.type === "offer") onOffer(msg).catch((err) => { console.warn("offer failed", err); status.textContent = T.reconnecting; });
    else if (msg.type === "ice" && state.pc && msg.candidate) state.pc.addIceCandidate({ candidate: msg.candidate, sdpMid: msg.sdpMid, sdpMLineIndex: msg.sdpMLineIndex }).catch(() => {});
    else if (msg.type === "hangup" || msg.type === "cancelled") finish(null);
  };

  const handle = {
    hangup() { if (!state.ended) { signaling.send({ v: V, type: "hangup", encounter_id: encounterId, reason: "doctor" }); finish(null); } },
    // For tests and the latency bench: read-only views of the call.
    state, sendDc, sendReliable, sendDocument, remoteVideo: remote, endCall, showTab,
  };
  restore();
  window.__telecabineCall = handle;
  return handle;
}
