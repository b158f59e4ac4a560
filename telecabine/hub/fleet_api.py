"""Operator's view (issue 20): fleet list, cabin page, activity figures, plots, CSV.

Admin-only JSON/SVG/CSV endpoints under ``/api/v1/admin/``; the pages themselves are static
files (``static/fleet.html``, ``cabin.html``, ``activity.html``) that fetch them and render
words through the console's ``i18n.js``. States are codes here (``online``, ``offline``,
``equipment_failing``, ``billing_stale``, ``old_version``, ``audit_broken``), words in the page.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from aiohttp import web

from telecabine.hub import activity, svg
from telecabine.hub.alerts import incidents_of
from telecabine.hub.csvsafe import to_csv
from telecabine.hub.organisations import list_organisations
from telecabine.hub.pages import STATIC_DIR
from telecabine.hub.presence import StationPresence, history, list_presence
from telecabine.hub.security import ADMIN, json_error, requires
from telecabine.hub.sqlutil import aware
from telecabine.hub.state import HUB

STATES = ("online", "offline", "equipment_failing", "billing_stale", "old_version", "audit_broken")


def _version_key(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", v)[:4])


def states_of(p: StationPresence, now: datetime, settings) -> list[str]:
    """The state codes of one cabin, most important first."""
    out = ["online" if p.online else "offline"]
    if p.audit_flag:
        out.append("audit_broken")
    if any(not e.get("ok", True) for e in p.equipment):
        out.append("equipment_failing")
    stale = now - timedelta(seconds=settings.billing_stale_after_s)
    if p.pending_outbox and (p.last_sync_at is None or p.last_sync_at < stale):
        out.append("billing_stale")
    minimum = settings.fleet_min_version
    if minimum and p.version and _version_key(p.version) < _version_key(minimum):
        out.append("old_version")
    return out


def _cabin_json(p: StationPresence, now: datetime, settings) -> dict:
    d = p.as_json()
    d["states"] = states_of(p, now, settings)
    # Offline since: the moment it stopped being seen (last_seen + the presence window).
    if not p.online and p.last_seen is not None:
        since = p.last_seen + timedelta(seconds=settings.presence_window_s)
        d["offline_since"] = since.isoformat().replace("+00:00", "Z")
    else:
        d["offline_since"] = None
    return d


@requires(ADMIN)
async def stations_route(request: web.Request) -> web.Response:
    """``GET /api/v1/admin/stations?state=&organisation=&q=``: the fleet, filtered."""
    hub = request.app[HUB]
    now = datetime.now(UTC)
    state = request.query.get("state") or None
    if state is not None and state not in STATES:
        return json_error(422, "invalid_query", "État inconnu / unknown state")
    org = request.query.get("organisation") or None
    q = (request.query.get("q") or "").strip().lower()[:64]
    items = []
    for p in await list_presence(hub.engine, now, hub.settings.presence_window_s):
        d = _cabin_json(p, now, hub.settings)
        if state and state not in d["states"]:
            continue
        if org and p.organisation != org:
            continue
        if q and q not in p.station_id.lower():
            continue
        items.append(d)
    counts = {s: 0 for s in STATES}
    for d in items:
        for s in d["states"]:
            counts[s] += 1
    return web.json_response({"stations": items, "counts": counts})


@requires(ADMIN)
async def station_route(request: web.Request) -> web.Response:
    """``GET /api/v1/admin/stations/{name}``: one cabin, its heartbeats and incidents."""
    hub = request.app[HUB]
    now = datetime.now(UTC)
    found = await list_presence(
        hub.engine, now, hub.settings.presence_window_s, request.match_info["name"]
    )
    if not found:
        return json_error(404, "not_found", "Cabine inconnue / unknown cabin")
    p = found[0]
    beats = await history(hub.engine, p.id)
    incidents = await incidents_of(hub.engine, p.id)

    def iso(d):
        d = aware(d)
        return d.isoformat().replace("+00:00", "Z") if d else None

    return web.json_response(
        {
            "station": _cabin_json(p, now, hub.settings),
            "history": [{**b, "at": iso(b["at"])} for b in beats],
            "incidents": [
                {
                    "kind": i.kind,
                    "opened_at": iso(i.opened_at),
                    "closed_at": iso(i.closed_at),
                    "notified": i.notified_at is not None,
                }
                for i in incidents
            ],
        }
    )


@requires(ADMIN)
async def organisations_route(request: web.Request) -> web.Response:
    """``GET /api/v1/admin/organisations``."""
    return web.json_response({"organisations": await list_organisations(request.app[HUB].engine)})


async def _dashboard(request: web.Request) -> activity.Dashboard:
    hub = request.app[HUB]
    start, end = activity.parse_period(request.query, datetime.now(UTC).date())
    org_id = None
    org = request.query.get("organisation")
    if org:
        orgs = {o["name"]: o["id"] for o in await list_organisations(hub.engine)}
        if org not in orgs:
            raise ValueError("organisation")
        org_id = orgs[org]
    async with hub.engine.connect() as conn:
        return await activity.dashboard(conn, start, end, organisation_id=org_id)


def _bad() -> web.Response:
    return json_error(
        422,
        "invalid_query",
        "Période ou organisation invalide (from/to = AAAA-MM-JJ) / invalid period or organisation",
    )


@requires(ADMIN)
async def activity_route(request: web.Request) -> web.Response:
    """``GET /api/v1/admin/activity?from=&to=&organisation=``: every figure as JSON."""
    try:
        dash = await _dashboard(request)
    except ValueError:
        return _bad()
    return web.json_response(dash.as_json())


# Chart titles, French first (the page's tables and labels come from i18n.js).
CHART_TITLES = {
    "per_week": ("Actes par semaine", "Acts per week"),
    "per_month": ("Actes par mois", "Acts per month"),
    "by_act": ("Actes par code", "Acts by act code"),
    "by_specialty": ("Actes par spécialité", "Acts by specialty"),
    "by_cabin": ("Actes par cabine (50 premières)", "Acts by cabin (top 50)"),
    "by_organisation": ("Actes par organisation (50 premières)", "Acts by organisation (top 50)"),
}
EMPTY = ("Aucune donnée sur la période", "No data for this period")
COLUMNS = {
    "per_week": ("semaine/week", "actes/acts"),
    "per_month": ("mois/month", "actes/acts"),
    "by_act": ("code", "actes/acts"),
    "by_specialty": ("spécialité/specialty", "actes/acts"),
    "by_cabin": ("cabine/cabin", "actes/acts"),
    "by_organisation": ("organisation", "actes/acts"),
}


def _series(dash: activity.Dashboard, chart: str) -> list[tuple[str, int]]:
    data = dash.as_json()[chart]
    return [(str(k), int(v)) for k, v in data]


@requires(ADMIN)
async def chart_svg(request: web.Request) -> web.Response:
    """``GET /api/v1/admin/activity/{chart}.svg``: the plot, rendered here."""
    chart = request.match_info["chart"]
    if chart not in CHART_TITLES:
        return json_error(404, "not_found", "Graphique inconnu / unknown chart")
    try:
        dash = await _dashboard(request)
    except ValueError:
        return _bad()
    i = 1 if request.query.get("lang") == "en" else 0
    body = svg.bar_chart(CHART_TITLES[chart][i], _series(dash, chart), empty_text=EMPTY[i])
    return web.Response(text=body, content_type="image/svg+xml")


@requires(ADMIN)
async def chart_csv(request: web.Request) -> web.Response:
    """``GET /api/v1/admin/activity/{chart}.csv``: the table under the plot."""
    chart = request.match_info["chart"]
    if chart not in CHART_TITLES:
        return json_error(404, "not_found", "Tableau inconnu / unknown table")
    try:
        dash = await _dashboard(request)
    except ValueError:
        return _bad()
    return web.Response(
        body=to_csv(COLUMNS[chart], _series(dash, chart)),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="activity-{chart}.csv"'},
    )


@requires(ADMIN)
async def stations_csv(request: web.Request) -> web.Response:
    """``GET /api/v1/admin/stations.csv``: the fleet table."""
    hub = request.app[HUB]
    now = datetime.now(UTC)
    rows = []
    for p in await list_presence(hub.engine, now, hub.settings.presence_window_s):
        d = _cabin_json(p, now, hub.settings)
        rows.append(
            (
                d["station_id"],
                d["organisation"] or "",
                " ".join(d["states"]),
                d["last_seen"] or "",
                d["version"] or "",
                d["pending_outbox"] or 0,
            )
        )
    return web.Response(
        body=to_csv(
            ("station_id", "organisation", "states", "last_seen", "version", "pending_outbox"), rows
        ),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": 'attachment; filename="fleet.csv"'},
    )


PAGES = ("fleet", "cabin", "activity")


@requires(ADMIN)
async def admin_page(request: web.Request) -> web.StreamResponse:
    """``GET /admin/fleet|cabin|activity``: the operator's pages (static HTML + admin.js)."""
    page = request.match_info["page"]
    if page not in PAGES:
        return json_error(404, "not_found", "Introuvable / not found")
    return web.FileResponse(STATIC_DIR / f"{page}.html", headers={"Cache-Control": "no-store"})


def add_routes(r: web.UrlDispatcher) -> None:
    """Register the operator's routes."""
    r.add_get("/admin/{page}", admin_page)
    r.add_get("/api/v1/admin/stations", stations_route)
    r.add_get("/api/v1/admin/stations.csv", stations_csv)
    r.add_get("/api/v1/admin/stations/{name}", station_route)
    r.add_get("/api/v1/admin/organisations", organisations_route)
    r.add_get("/api/v1/admin/activity", activity_route)
    r.add_get("/api/v1/admin/activity/{chart}.svg", chart_svg)
    r.add_get("/api/v1/admin/activity/{chart}.csv", chart_csv)
