"""Billing ingest (stations) and export (operator): idempotent by ``Idempotency-Key``.

First POST of a key stores the record (201); a replay with the same body returns the stored
result (200); the same key with another body is a conflict (409). Concurrent replays race on
the unique constraint of ``idempotency_key``: the loser reads the winner's row, never a 2nd row.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import UTC, datetime
from uuid import UUID

from aiohttp import web
from pydantic import ValidationError
from sqlalchemy import and_, insert, or_, select
from sqlalchemy.exc import IntegrityError

from telecabine.hub.activity import record_facts
from telecabine.hub.csvsafe import neutralise
from telecabine.hub.db import billing_records, encounters, stations
from telecabine.hub.safe_json import BadJson, read_json
from telecabine.hub.security import ADMIN, PRINCIPAL, STATION, json_error, requires
from telecabine.hub.state import HUB
from telecabine.protocol.billing import CSV_COLUMNS, BillingRecord, flatten


def field_errors(exc: ValidationError) -> list[dict]:
    """Pydantic errors as ``[{loc, type, msg}]``, no input values echoed (may be patient data)."""
    return [
        {"loc": [str(p) for p in e["loc"]], "type": e["type"], "msg": e["msg"]}
        for e in exc.errors(include_input=False, include_url=False)
    ]


def _unprocessable(errors: list[dict]) -> web.Response:
    return json_error(422, "invalid", "Enregistrement invalide / invalid record", fields=errors)


def _result(row) -> dict:
    received = row.received_at
    if received.tzinfo is None:
        received = received.replace(tzinfo=UTC)
    return {
        "record": json.loads(row.body),
        "received_at": received.isoformat(),
        "encounter_check": row.encounter_check,
    }


FOREIGN_ENCOUNTER = {
    "type": "foreign_encounter",
    "msg": "encounter belongs to another station / consultation d'une autre station",
}


async def encounter_checks(engine, station_db_id: int, encounter_ids: list[str]) -> dict[str, str]:
    """For each encounter id: ``ok`` (this station's, known to the waiting room),
    ``unknown`` (the hub never saw it: stored, flagged for review) or ``foreign`` (another
    station's: refused)."""
    wanted = list(dict.fromkeys(encounter_ids))
    owners: dict[str, int] = {}
    async with engine.connect() as conn:
        for i in range(0, len(wanted), 400):
            rows = await conn.execute(
                select(encounters.c.encounter_id, encounters.c.station_id).where(
                    encounters.c.encounter_id.in_(wanted[i : i + 400])
                )
            )
            owners.update({r.encounter_id: r.station_id for r in rows})
    return {
        e: "unknown" if e not in owners else "ok" if owners[e] == station_db_id else "foreign"
        for e in wanted
    }


@requires(STATION)
async def ingest(request: web.Request) -> web.Response:
    """``POST /api/v1/billing-records``: store one record idempotently."""
    hub = request.app[HUB]
    station = request[PRINCIPAL].station
    key = request.headers.get("Idempotency-Key", "").strip()
    try:
        key_uuid = UUID(key)
    except ValueError:
        return _unprocessable(
            [{"loc": ["header", "Idempotency-Key"], "type": "uuid", "msg": "UUID required"}]
        )
    try:
        raw = await read_json(request)
    except BadJson as exc:
        return _unprocessable([{"loc": ["body"], "type": exc.code, "msg": "JSON body required"}])
    try:
        record = BillingRecord.model_validate(raw)
    except ValidationError as exc:
        return _unprocessable(field_errors(exc))
    if record.record_uuid != key_uuid:
        return _unprocessable(
            [{"loc": ["body", "record_uuid"], "type": "mismatch", "msg": "must equal the key"}]
        )
    if record.station_id != station.name:
        return json_error(
            403, "wrong_station", "Cet enregistrement vient d'une autre station / wrong station"
        )
    check = (await encounter_checks(hub.engine, station.id, [record.encounter_id]))[
        record.encounter_id
    ]
    if check == "foreign":
        return _unprocessable([{"loc": ["body", "encounter_id"], **FOREIGN_ENCOUNTER}])
    body = record.canonical_json()
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
    values = {
        "encounter_check": check,
        "idempotency_key": str(key_uuid),
        "station_id": station.id,
        "encounter_id": record.encounter_id,
        "body_sha256": digest,
        "body": body,
        "received_at": datetime.now(UTC),
    }
    created = True
    try:
        async with hub.engine.begin() as conn:
            await conn.execute(insert(billing_records).values(**values))
            # Activity facts + rollups in the same transaction (issue 20.2).
            await record_facts(conn, station.id, [(str(key_uuid), json.loads(body))])
    except IntegrityError:
        created = False
    async with hub.engine.connect() as conn:
        row = (
            await conn.execute(
                select(billing_records).where(billing_records.c.idempotency_key == str(key_uuid))
            )
        ).one()
    if row.body_sha256 != digest:
        return json_error(
            409,
            "conflict",
            "Même clé, contenu différent / same Idempotency-Key, different body",
        )
    return web.json_response(_result(row), status=201 if created else 200)


def _since(request: web.Request) -> datetime | None:
    raw = request.query.get("since")
    if not raw:
        return None
    parsed = datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "+"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _bounded_int(raw: str, low: int, high: int) -> int:
    """An integer query parameter within [low, high]; ValueError (-> 422) otherwise."""
    if len(raw) > 20:
        raise ValueError("integer too long")
    value = int(raw)
    if value < low or value > high:
        raise ValueError("integer out of range")
    return value


def csv_cell(value: str) -> str:
    """OWASP CSV injection defence (``csvsafe.neutralise``): a cell a spreadsheet would read
    as a formula is prefixed with ``'``; the JSON export and the database keep the original."""
    return str(neutralise(value))


async def _rows(request: web.Request):
    since = _since(request)
    limit = max(1, min(_bounded_int(request.query.get("limit", "1000"), -(2**63), 2**63), 10_000))
    query = (
        select(billing_records, stations.c.name.label("station_name"))
        .join(stations, stations.c.id == billing_records.c.station_id)
        .order_by(billing_records.c.received_at, billing_records.c.id)
        .limit(limit)
    )
    after_id = request.query.get("after_id")
    if since is not None and after_id is not None:
        # Keyset paging: records received in the same instant are not skipped between pages.
        query = query.where(
            or_(
                billing_records.c.received_at > since,
                and_(
                    billing_records.c.received_at == since,
                    billing_records.c.id > _bounded_int(after_id, 0, 2**63 - 1),
                ),
            )
        )
    elif since is not None:
        query = query.where(billing_records.c.received_at > since)
    async with request.app[HUB].engine.connect() as conn:
        return (await conn.execute(query)).all()


def _bad_query() -> web.Response:
    return json_error(
        422, "invalid_query", "Paramètre invalide (since=ISO 8601, limit) / invalid parameter"
    )


@requires(ADMIN)
async def list_records(request: web.Request) -> web.Response:
    """``GET /api/v1/billing-records?since=ISO&limit=N`` (operator): records received after."""
    try:
        rows = await _rows(request)
    except ValueError:
        return _bad_query()
    items = [_result(r) for r in rows]
    return web.json_response(
        {
            "records": items,
            # Pass both back as ?since=…&after_id=… for the next page.
            "next_since": items[-1]["received_at"] if items else None,
            "next_after_id": rows[-1].id if rows else None,
        }
    )


@requires(ADMIN)
async def export_csv(request: web.Request) -> web.Response:
    """``GET /api/v1/billing-records.csv?since=ISO``: ``;``-separated, UTF-8 with BOM (Excel FR)."""
    try:
        rows = await _rows(request)
    except ValueError:
        return _bad_query()
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(("received_at", *CSV_COLUMNS, "encounter_check"))
    for row in rows:
        result = _result(row)
        cells = (result["received_at"], *flatten(result["record"]), row.encounter_check)
        writer.writerow([csv_cell(c) for c in cells])
    return web.Response(
        body=("\ufeff" + out.getvalue()).encode("utf-8"),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": 'attachment; filename="billing-records.csv"'},
    )
