"""Station presence (issue 15 item 4): heartbeats over HTTP, signaling sockets, audit heads.

``POST /api/v1/stations/heartbeat`` (station token) records how a cabin is; a station is
*online* when its heartbeat or its signaling WebSocket was seen within
``presence_window_s`` (60 s). The hub's monitor (``alerts.Monitor``) refreshes ``ws_seen_at``
for the sockets it holds, so presence is in the database and every hub instance, the fleet
page and ``telecabine hub stations`` agree.

Audit head (issue 20.5): the hub keeps the last head each station reported. A head whose seq
went backwards (trail truncated) or whose hash changed at the same seq (rewritten) raises a
sticky ``audit_flag`` on the station; the fleet page shows it and an incident is opened.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from pydantic import ValidationError
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from telecabine.hub.billing_api import field_errors
from telecabine.hub.db import stations
from telecabine.hub.fleet_tables import organisations, station_heartbeats, station_presence
from telecabine.hub.safe_json import read_json
from telecabine.hub.security import PRINCIPAL, STATION, json_error, requires
from telecabine.hub.sqlutil import aware, upsert
from telecabine.hub.state import HUB
from telecabine.protocol.heartbeat import Heartbeat, HeartbeatAck

TRUNCATED = "truncated"
REWRITTEN = "rewritten"


def audit_verdict(prev: tuple[int, str] | None, head: tuple[int, str] | None) -> str | None:
    """``truncated`` / ``rewritten`` when ``head`` does not extend ``prev``, else None."""
    if prev is None or head is None:
        return None
    if head[0] < prev[0]:
        return TRUNCATED
    if head[0] == prev[0] and head[1] != prev[1]:
        return REWRITTEN
    return None


def _equipment_json(hb: Heartbeat) -> str:
    return json.dumps(
        [{"item": e.item, "ok": e.ok, "code": e.code} for e in hb.equipment],
        separators=(",", ":"),
    )


async def record_heartbeat(
    conn: AsyncConnection,
    station_id: int,
    hb: Heartbeat,
    now: datetime,
    *,
    history_every_s: float,
    history_keep: int,
) -> HeartbeatAck:
    """Store one heartbeat (presence row, audit check, bounded history) in ``conn``'s transaction."""
    prev = (
        await conn.execute(
            select(station_presence).where(station_presence.c.station_id == station_id)
        )
    ).first()
    skew = round((hb.sent_at - now).total_seconds())
    head = (hb.audit_head.seq, hb.audit_head.hash) if hb.audit_head else None
    prev_head = (
        (int(prev.audit_seq), prev.audit_hash) if prev and prev.audit_seq is not None else None
    )
    verdict = audit_verdict(prev_head, head)
    equipment = _equipment_json(hb)
    values: dict[str, Any] = {
        "station_id": station_id,
        "heartbeat_at": now,
        "version": hb.version,
        "equipment": equipment,
        "pending_outbox": hb.pending_outbox,
        "last_sync_at": hb.last_sync_at,
        "free_disk_bytes": hb.free_disk_bytes,
        "clock_skew_s": skew,
    }
    if head is not None:
        values.update(audit_seq=head[0], audit_hash=head[1])
    flag = prev.audit_flag if prev else None
    if verdict and not flag:  # sticky: the first break stays until an operator resets it
        values.update(audit_flag=verdict, audit_flag_at=now)
        flag = verdict
    changed = prev is None or prev.equipment != equipment or prev.version != hb.version
    last_kept = aware(prev.history_at) if prev else None
    keep = changed or last_kept is None or (now - last_kept).total_seconds() >= history_every_s
    if keep:
        values["history_at"] = now
    if prev is None:
        await conn.execute(insert(station_presence).values(**values))
    else:
        await conn.execute(
            update(station_presence)
            .where(station_presence.c.station_id == station_id)
            .values(**values)
        )
    if keep:
        body = hb.model_dump_json()
        await conn.execute(
            insert(station_heartbeats).values(station_id=station_id, at=now, body=body)
        )
        cutoff = (
            await conn.execute(
                select(station_heartbeats.c.id)
                .where(station_heartbeats.c.station_id == station_id)
                .order_by(station_heartbeats.c.id.desc())
                .offset(history_keep)
                .limit(1)
            )
        ).scalar()
        if cutoff is not None:
            await conn.execute(
                delete(station_heartbeats).where(
                    station_heartbeats.c.station_id == station_id,
                    station_heartbeats.c.id <= cutoff,
                )
            )
    return HeartbeatAck(received_at=now, clock_skew_s=skew, audit_flag=flag)


@requires(STATION)
async def heartbeat(request: web.Request) -> web.Response:
    """``POST /api/v1/stations/heartbeat``: 200 with the hub's clock and the audit verdict."""
    hub = request.app[HUB]
    station = request[PRINCIPAL].station
    try:
        raw = await read_json(request)
    except (ValueError, UnicodeDecodeError):
        return json_error(422, "invalid", "JSON attendu / JSON body required")
    try:
        hb = Heartbeat.model_validate(raw)
    except ValidationError as exc:
        return json_error(
            422, "invalid", "Battement invalide / invalid heartbeat", fields=field_errors(exc)
        )
    now = datetime.now(UTC)
    async with hub.engine.begin() as conn:
        ack = await record_heartbeat(
            conn,
            station.id,
            hb,
            now,
            history_every_s=hub.settings.heartbeat_history_every_s,
            history_keep=hub.settings.heartbeat_history_keep,
        )
    return web.Response(text=ack.model_dump_json(), content_type="application/json")


async def touch_sockets(engine: AsyncEngine, station_ids: list[int], now: datetime) -> None:
    """Mark stations whose signaling socket this process holds as seen ``now``."""
    if not station_ids:
        return
    async with engine.begin() as conn:
        await upsert(
            conn,
            station_presence,
            [{"station_id": i, "ws_seen_at": now} for i in station_ids],
            ["station_id"],
            set_=["ws_seen_at"],
        )


@dataclass(frozen=True)
class StationPresence:
    """One registered station as the operator sees it."""

    id: int
    station_id: str
    organisation: str | None
    online: bool
    last_seen: datetime | None
    heartbeat_at: datetime | None
    version: str | None
    equipment: list[dict]
    pending_outbox: int | None
    last_sync_at: datetime | None
    free_disk_bytes: int | None
    clock_skew_s: int | None
    audit_seq: int | None
    audit_flag: str | None

    def as_json(self) -> dict[str, Any]:
        """JSON-ready dict (ISO 8601 UTC datetimes)."""

        def iso(d: datetime | None) -> str | None:
            return d.astimezone(UTC).isoformat().replace("+00:00", "Z") if d else None

        return {
            "station_id": self.station_id,
            "organisation": self.organisation,
            "online": self.online,
            "last_seen": iso(self.last_seen),
            "heartbeat_at": iso(self.heartbeat_at),
            "version": self.version,
            "equipment": self.equipment,
            "pending_outbox": self.pending_outbox,
            "last_sync_at": iso(self.last_sync_at),
            "free_disk_bytes": self.free_disk_bytes,
            "clock_skew_s": self.clock_skew_s,
            "audit_seq": self.audit_seq,
            "audit_flag": self.audit_flag,
        }


_P = station_presence.c
_PRESENCE_COLUMNS = (
    stations.c.id,
    stations.c.name,
    organisations.c.name.label("org"),
    _P.heartbeat_at,
    _P.ws_seen_at,
    _P.version,
    _P.equipment,
    _P.pending_outbox,
    _P.last_sync_at,
    _P.free_disk_bytes,
    _P.clock_skew_s,
    _P.audit_seq,
    _P.audit_flag,
)


def _presence_query(station_name: str | None):
    query = (
        select(*_PRESENCE_COLUMNS)
        .select_from(
            stations.outerjoin(
                station_presence, station_presence.c.station_id == stations.c.id
            ).outerjoin(organisations, organisations.c.id == stations.c.organisation_id)
        )
        .order_by(stations.c.name)
    )
    if station_name is not None:
        query = query.where(stations.c.name == station_name)
    return query


async def list_presence(
    engine: AsyncEngine, now: datetime, window_s: float, station_name: str | None = None
) -> list[StationPresence]:
    """Every registered station (or one) with its presence, ordered by name.

    Runs every monitor tick over the whole fleet: plain tuples, and the equipment JSON parsed
    once per distinct value (most cabins report the same list).
    """
    async with engine.connect() as conn:
        rows = (await conn.execute(_presence_query(station_name))).all()
    horizon = now - timedelta(seconds=window_s)
    parsed: dict[str | None, list] = {None: [], "": []}
    out = []
    for (
        id_,
        name,
        org,
        hb_at,
        ws_at,
        version,
        equipment,
        pending,
        sync_at,
        disk,
        skew,
        audit_seq,
        audit_flag,
    ) in rows:
        hb_at, ws_at = aware(hb_at), aware(ws_at)
        last = hb_at if ws_at is None or (hb_at is not None and hb_at >= ws_at) else ws_at
        items = parsed.get(equipment)
        if items is None:
            items = parsed[equipment] = json.loads(equipment)
        out.append(
            StationPresence(
                id_,
                name,
                org,
                last is not None and last >= horizon,
                last,
                hb_at,
                version,
                items,
                pending,
                aware(sync_at),
                disk,
                skew,
                audit_seq,
                audit_flag,
            )
        )
    return out


async def history(engine: AsyncEngine, station_db_id: int, limit: int = 100) -> list[dict]:
    """The cabin's kept heartbeats, newest first."""
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(station_heartbeats.c.at, station_heartbeats.c.body)
                .where(station_heartbeats.c.station_id == station_db_id)
                .order_by(station_heartbeats.c.id.desc())
                .limit(limit)
            )
        ).all()
    return [{"at": aware(r.at), **json.loads(r.body)} for r in rows]
