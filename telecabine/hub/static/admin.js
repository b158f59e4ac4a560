// Operator pages: fleet list, cabin page, activity plots. Data from /api/v1/admin/*; plots are
// SVG rendered by the hub (inserted as DOM, no script); words from i18n.js (French first).
import { t } from "/static/i18n.js";

const $ = (id) => document.getElementById(id);
const lang = (() => {
  const fromUrl = new URLSearchParams(location.search).get("lang");
  const l = fromUrl || localStorage.getItem("telecabine.lang") || "fr";
  return l === "en" ? "en" : "fr";
})();

function translatePage() {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(lang, el.dataset.i18n);
  $("lang-switch").addEventListener("click", () => {
    localStorage.setItem("telecabine.lang", lang === "fr" ? "en" : "fr");
    const url = new URL(location.href);
    url.searchParams.set("lang", lang === "fr" ? "en" : "fr");
    location.href = url.toString();
  });
}

function when(iso) {
  if (!iso) return t(lang, "none");
  return new Date(iso).toLocaleString(lang === "fr" ? "fr-FR" : "en-GB", { timeZone: "UTC" }) + " UTC";
}

function cell(row, text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  row.appendChild(td);
  return td;
}

async function getJson(url) {
  const resp = await fetch(url, { credentials: "same-origin" });
  if (!resp.ok) throw new Error(String(resp.status));
  return resp.json();
}

function stateWords(cabin) {
  return cabin.states.map((s) => {
    if (s === "offline" && !cabin.last_seen) return t(lang, "st_never_seen");
    if (s === "offline" && cabin.offline_since) return t(lang, "st_offline_since", { when: when(cabin.offline_since) });
    if (s === "equipment_failing") {
      const items = cabin.equipment.filter((e) => !e.ok).map((e) => e.item).join(", ");
      return t(lang, "st_equipment_failing_items", { items });
    }
    return t(lang, `st_${s}`);
  });
}

async function fillOrganisations() {
  const { organisations } = await getJson("/api/v1/admin/organisations");
  const sel = $("f-org");
  for (const o of organisations) {
    const opt = document.createElement("option");
    opt.value = o.name;
    opt.textContent = o.name;
    sel.appendChild(opt);
  }
  const wanted = new URLSearchParams(location.search).get("organisation");
  if (wanted) sel.value = wanted;
}

function bindFilters(load) {
  const form = $("filters");
  const params = new URLSearchParams(location.search);
  for (const el of form.elements) if (el.name && params.get(el.name)) el.value = params.get(el.name);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams();
    for (const el of form.elements) if (el.name && el.value) q.set(el.name, el.value);
    q.set("lang", lang);
    history.replaceState(null, "", `${location.pathname}?${q}`);
    load(q);
  });
  const q = new URLSearchParams();
  for (const el of form.elements) if (el.name && el.value) q.set(el.name, el.value);
  return q;
}

async function fleetPage() {
  await fillOrganisations();
  const load = async (q) => {
    const data = await getJson(`/api/v1/admin/stations?${q}`);
    const body = $("fleet-body");
    body.replaceChildren();
    for (const c of data.stations) {
      const tr = document.createElement("tr");
      const th = document.createElement("th");
      th.scope = "row";
      const a = document.createElement("a");
      a.href = `/admin/cabin?name=${encodeURIComponent(c.station_id)}&lang=${lang}`;
      a.textContent = c.station_id;
      th.appendChild(a);
      tr.appendChild(th);
      cell(tr, c.organisation || t(lang, "none"));
      cell(tr, stateWords(c).join(" · "), `state-${c.states[c.states.length > 1 ? 1 : 0]}`);
      cell(tr, when(c.last_seen));
      cell(tr, c.version || t(lang, "none"));
      cell(tr, c.pending_outbox ?? t(lang, "none"), "num");
      body.appendChild(tr);
    }
    $("counts").textContent = t(lang, "adm_counts", {
      n: data.stations.length, online: data.counts.online, offline: data.counts.offline,
    });
  };
  await load(bindFilters(load));
}

async function cabinPage() {
  const name = new URLSearchParams(location.search).get("name") || "";
  let data;
  try {
    data = await getJson(`/api/v1/admin/stations/${encodeURIComponent(name)}`);
  } catch {
    $("status").textContent = t(lang, "adm_unknown_cabin");
    return;
  }
  const c = data.station;
  $("cabin-name").textContent = t(lang, "adm_cabin_named", { name: c.station_id });
  const dl = $("cabin-summary");
  const rows = [
    ["adm_col_state", stateWords(c).join(" · ")],
    ["adm_col_org", c.organisation || t(lang, "none")],
    ["adm_col_last_seen", when(c.last_seen)],
    ["adm_col_version", c.version || t(lang, "none")],
    ["adm_col_pending", c.pending_outbox ?? t(lang, "none")],
    ["adm_col_last_sync", when(c.last_sync_at)],
    ["adm_col_disk", c.free_disk_bytes == null ? t(lang, "none") : `${(c.free_disk_bytes / 1e9).toFixed(1)} GB`],
    ["adm_col_skew", c.clock_skew_s == null ? t(lang, "none") : `${c.clock_skew_s} s`],
    ["adm_col_audit", c.audit_seq ?? t(lang, "none")],
  ];
  for (const [k, v] of rows) {
    const dt = document.createElement("dt");
    dt.textContent = t(lang, k);
    const dd = document.createElement("dd");
    dd.textContent = String(v);
    dl.append(dt, dd);
  }
  const inc = $("incidents-body");
  for (const i of data.incidents) {
    const tr = document.createElement("tr");
    const kind = i.kind.startsWith("equipment:")
      ? t(lang, "st_equipment_failing_items", { items: i.kind.slice(10) })
      : t(lang, i.kind === "audit" ? "st_audit_broken" : `st_${i.kind}`);
    cell(tr, kind);
    cell(tr, when(i.opened_at));
    cell(tr, i.closed_at ? when(i.closed_at) : t(lang, "adm_ongoing"));
    cell(tr, t(lang, i.notified ? "adm_yes" : "adm_no"));
    inc.appendChild(tr);
  }
  const hist = $("history-body");
  for (const h of data.history) {
    const tr = document.createElement("tr");
    cell(tr, when(h.at));
    cell(tr, h.version);
    cell(tr, h.equipment.map((e) => `${e.item} ${e.ok ? "✓" : "✗"}`).join(", ") || t(lang, "none"));
    cell(tr, h.pending_outbox, "num");
    cell(tr, h.audit_head ? h.audit_head.seq : t(lang, "none"), "num");
    hist.appendChild(tr);
  }
}

const CHARTS = ["per_week", "per_month", "by_act", "by_specialty", "by_cabin", "by_organisation"];

async function activityPage() {
  await fillOrganisations();
  const load = async (q) => {
    q.set("lang", lang);
    let data;
    try {
      data = await getJson(`/api/v1/admin/activity?${q}`);
    } catch {
      $("status").textContent = t(lang, "adm_bad_period");
      return;
    }
    $("status").textContent = "";
    const s = data.summary;
    const dl = $("summary");
    dl.replaceChildren();
    const pct = s.incident_share == null ? t(lang, "none") : `${(s.incident_share * 100).toFixed(1)} %`;
    const secs = (v) => (v == null ? t(lang, "none") : `${v} s`);
    for (const [k, v] of [["adm_acts", s.acts], ["adm_wait_p50", secs(s.wait_p50_s)],
      ["adm_wait_p95", secs(s.wait_p95_s)], ["adm_mean_duration", secs(s.mean_duration_s)],
      ["adm_incident_share", pct]]) {
      const dt = document.createElement("dt");
      dt.textContent = t(lang, k);
      const dd = document.createElement("dd");
      dd.id = `sum-${k}`;
      dd.textContent = String(v);
      dl.append(dt, dd);
    }
    const host = $("charts");
    host.replaceChildren();
    for (const chart of CHARTS) {
      const fig = document.createElement("figure");
      fig.id = `chart-${chart}`;
      const resp = await fetch(`/api/v1/admin/activity/${chart}.svg?${q}`, { credentials: "same-origin" });
      const doc = new DOMParser().parseFromString(await resp.text(), "image/svg+xml");
      fig.appendChild(document.importNode(doc.documentElement, true));
      const table = document.createElement("table");
      const cap = document.createElement("caption");
      cap.textContent = t(lang, `chart_${chart}`);
      const head = document.createElement("tr");
      for (const [k, cls] of [[`col_${chart}`, ""], ["adm_acts", "num"]]) {
        const th = document.createElement("th");
        th.scope = "col";
        th.textContent = t(lang, k);
        if (cls) th.className = cls;
        head.appendChild(th);
      }
      const thead = document.createElement("thead");
      thead.appendChild(head);
      const tbody = document.createElement("tbody");
      for (const [label, n] of data[chart]) {
        const tr = document.createElement("tr");
        cell(tr, label);
        cell(tr, String(n), "num");
        tbody.appendChild(tr);
      }
      table.append(cap, thead, tbody);
      const a = document.createElement("a");
      a.href = `/api/v1/admin/activity/${chart}.csv?${q}`;
      a.textContent = t(lang, "adm_csv");
      a.className = "button-link";
      fig.append(table, a);
      host.appendChild(fig);
    }
    document.body.dataset.loaded = "1";
  };
  await load(bindFilters(load));
}

translatePage();
const pages = { fleet: fleetPage, cabin: cabinPage, activity: activityPage };
pages[document.body.dataset.page]().catch((err) => {
  $("status").textContent = t(lang, "error", { message: err.message });
});
