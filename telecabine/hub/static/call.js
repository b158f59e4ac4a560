// Doctor's side of the video consultation (WebRTC). Started by console.js via startCall(opts).
// Contract (shared/contracts): the station offers a complete SDP; we answer (after ICE gathering
// completes). A new offer at any time is an ICE restart: the station rebuilds its peer, so we
// build a fresh RTCPeerConnection too and keep the same camera stream. The data channel
// "telecabine" is created by the station; every message is {"v": 1, "type": ...} <= 64 KiB.

const V = 1;
const CHUNK = 16 * 1024; // decoded bytes per document_chunk
const MAX_MSG = 64 * 1024;

const TEXT = {
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
  },
};

const ACTS = ["TCG", "TC", "TE2", "TLC"];
const OUTCOMES = ["prescription", "advice", "referral", "emergency", "other"];
const KINDS = ["temperature", "blood_pressure", "spo2", "weight", "heart_rate"];

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

export function startCall(opts) {
  ensureCss();
  const { encounterId, signaling, container } = opts;
  const T = TEXT[opts.lang === "en" ? "en" : "fr"];
  const iceServers = (opts.iceServers || []).map((s) => ({ ...s }));
  // "relay": TURN relay candidates only (the hub's TELECABINE_HUB_FORCE_RELAY).
  const iceTransportPolicy = opts.iceTransportPolicy === "relay" ? "relay" : "all";
  const state = {
    pc: null, channel: null, stream: null, ended: false, hello: null, vitals: new Map(),
    messages: [], docs: new Map(), stats: { framesDecoded: 0, bitrate: 0, rtt: null, loss: 0 },
    lastBytes: null, offers: 0, statsTimer: null,
  };

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
  const measureStatus = el("p", { class: "tc-measure-status", "aria-live": "polite" });
  const chatLog = el("ol", { class: "tc-chat", "aria-live": "polite" });
  const chatInput = el("input", { type: "text", maxlength: "2000", placeholder: T.chat_placeholder, "aria-label": T.chat_placeholder });
  const docInfo = el("p", { class: "tc-doc-info", "aria-live": "polite" });

  const stethBtn = el("button", { type: "button", class: "tc-btn", text: T.steth_on, onclick: () => {
    const on = stethBtn.dataset.on !== "1";
    sendDc({ type: "stethoscope", on });
  } });
  const measureButtons = el("div", { class: "tc-buttons", role: "group", "aria-label": T.measure },
    ...KINDS.map((k) => el("button", { type: "button", class: "tc-btn", "data-kind": k, text: T["m_" + k],
      onclick: () => sendDc({ type: "request_measurement", kind: k }) })));

  const docKind = el("select", { "aria-label": T.doc_title },
    el("option", { value: "prescription", text: T.doc_kind_prescription }),
    el("option", { value: "report", text: T.doc_kind_report }));
  const docPatient = el("input", { type: "text", maxlength: "120" });
  const docLines = el("textarea", { rows: "4" });
  const docForm = el("form", { class: "tc-form", onsubmit: (ev) => { ev.preventDefault(); renderAndSend(); } },
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
    const msg = { type: "chat", id: crypto.randomUUID(), text, at: new Date().toISOString(), from: "doctor" };
    if (sendDc(msg)) { addChat(msg); chatInput.value = ""; }
  } }, chatInput, el("button", { type: "submit", class: "tc-btn", text: T.send }));

  const root = el("div", { class: "tc-call" },
    el("div", { class: "tc-media" }, remote, selfView, el("div", { class: "tc-overlay" }, liveCam, steth, quality)),
    el("aside", { class: "tc-side" },
      status,
      el("h3", { text: T.vitals }), vitalsList,
      el("h3", { text: T.cameras }), camButtons,
      stethBtn,
      el("h3", { text: T.measure }), measureButtons, measureStatus,
      el("h3", { text: T.chat }), chatLog, chatForm,
      docForm, endForm));
  container.replaceChildren(root);

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
    switch (msg.type) {
      case "hello": state.hello = msg; renderCameras(msg.cameras || [], msg.live_camera); setSteth(!!msg.stethoscope); break;
      case "vital": addVital(msg); break;
      case "camera_changed": renderCameras(state.hello ? state.hello.cameras : [msg.role], msg.role); break;
      case "stethoscope_changed": setSteth(!!msg.on); break;
      case "measurement_status": measureStatus.textContent = `${T.status_measure} ${T["m_" + msg.kind] || msg.kind} : ${T[msg.status] || msg.status}${msg.detail ? " — " + msg.detail : ""}`; break;
      case "chat": addChat(msg); break;
      case "document_ack": {
        const waiter = state.docs.get(msg.id);
        if (waiter) { state.docs.delete(msg.id); waiter(msg); }
        break;
      }
      case "error": status.textContent = `${T.error} : ${msg.message || msg.code}`; break;
      default: break;
    }
  }

  function renderCameras(roles, live) {
    camButtons.replaceChildren(...roles.map((r) => el("button", {
      type: "button", class: "tc-btn" + (r === live ? " tc-on" : ""), "data-role": r, "aria-pressed": String(r === live),
      text: T["cam_" + r] || r, onclick: () => sendDc({ type: "switch_camera", role: r }) })));
    liveCam.textContent = `${T["cam_" + live] || live} — ${T.live}`;
    liveCam.dataset.role = live;
  }

  function setSteth(on) {
    steth.hidden = !on;
    stethBtn.dataset.on = on ? "1" : "0";
    stethBtn.textContent = on ? T.steth_off : T.steth_on;
  }

  function addVital(v) {
    state.vitals.set(v.code, v);
    vitalsList.replaceChildren(...[...state.vitals.values()].map((x) => el("li", {
      class: "tc-vital" + (x.flag && x.flag !== "normal" ? " tc-flag-" + x.flag : ""), "data-code": x.code,
      text: `${opts.lang === "en" ? x.label_en : x.label_fr} : ${x.value} ${x.unit}${x.flag && x.flag !== "normal" ? " (" + x.flag + ")" : ""}` })));
  }

  function addChat(m) {
    chatLog.append(el("li", { class: "tc-from-" + m.from, text: m.text }));
  }

  // --- documents -----------------------------------------------------------------------------
  async function renderAndSend() {
    const body = { kind: docKind.value, patient: docPatient.value || "—", lines: docLines.value.split("\n").filter((l) => l.trim()),
      date: new Date().toISOString().slice(0, 10), lang: opts.lang === "en" ? "en" : "fr" };
    if (!body.lines.length) return;
    const resp = await fetch("/api/v1/documents/render", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    if (!resp.ok) { docInfo.textContent = T.doc_failed; return; }
    const bytes = new Uint8Array(await resp.arrayBuffer());
    const ack = await sendDocument(bytes, body.kind, `${body.kind}.pdf`);
    docInfo.textContent = ack.ok ? T.doc_sent : `${T.doc_failed} (${ack.error || ""})`;
  }

  async function sendDocument(bytes, kind, filename) {
    const id = "doc-" + crypto.randomUUID().slice(0, 12);
    const chunks = Math.ceil(bytes.length / CHUNK);
    const acked = new Promise((resolve) => {
      state.docs.set(id, resolve);
      setTimeout(() => { if (state.docs.delete(id)) resolve({ id, ok: false, error: "timeout" }); }, 20000);
    });
    if (!sendDc({ type: "document_begin", id, kind, filename, mime: "application/pdf", size: bytes.length, sha256: await sha256Hex(bytes), chunks })) {
      state.docs.delete(id);
      return { id, ok: false, error: "not_connected" };
    }
    for (let i = 0; i < chunks; i++) {
      const ch = state.channel;
      while (ch.bufferedAmount > 256 * 1024) await new Promise((r) => setTimeout(r, 20)); // back-pressure
      sendDc({ type: "document_chunk", id, index: i, data: b64(bytes.subarray(i * CHUNK, (i + 1) * CHUNK)) });
    }
    sendDc({ type: "document_end", id });
    return acked;
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
    state, sendDc, sendDocument, remoteVideo: remote, endCall,
  };
  window.__telecabineCall = handle;
  return handle;
}
