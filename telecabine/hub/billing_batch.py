"""Batch billing ingest: ``POST /api/v1/billing-records/batch`` (protocol version 1).

Up to ``MAX_BATCH_RECORDS`` records per request, each with its own idempotency key (the record
UUID), stored in ONE database transaction and answered record by record with what the
single-record endpoint would have said: created (201), replayed (200, same body), conflict
(409, same key, other body), invalid (422, field errors) or forbidden (403, another station's
record). One bad record never blocks the others; an ack (200) is given only after the commit,
so every record answered created/replayed is durable on the hub.

Why it is fast: one auth lookup, one ``SELECT ... IN`` and one multi-row ``INSERT`` per batch
instead of three round trips and a commit per record.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from pydantic import ValidationError
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from telecabine.hub.activity import decode_records, record_facts
from telecabine.hub.billing_api import FOREIGN_ENCOUNTER, encounter_checks, field_errors
from telecabine.hub.db import billing_records
from telecabine.hub.safe_json import BadJson
from telecabine.hub.safe_json import loads as safe_loads
from telecabine.hub.security import PRINCIPAL, STATION, json_error, requires
from telecabine.hub.state import HUB
from telecabine.protocol.billing import (
    BATCH_HTTP_STATUS,
    BATCH_VERSION,
    MAX_BATCH_BYTES,
    MAX_BATCH_RECORDS,
    BatchRequest,
    BillingRecord,
)

_SELECT_CHUNK = 400  # under SQLite's oldest bound-parameter limit (999)
_TX_ATTEMPTS = 4  # a concurrent batch may store one of our keys first: read again and redo

_ERRORS: dict[str, tuple[str, str]] = {
    "conflict": ("conflict", "Même clé, contenu différent / same Idempotency-Key, different body"),
    "forbidden": ("wrong_station", "Cet enregistrement vient d'une autre station / wrong station"),
    "invalid": ("invalid", "Enregistrement invalide / invalid record"),
}


@dataclass(frozen=True)
class _Prepared:
    """A record that passed validation, ready to store or compare with the stored one."""

    index: int
    key: str
    encounter_id: str
    body: str
    digest: str
    encounter_check: str = "unknown"


class HubBusy(Exception):
    """The database stayed locked or unreachable: the station should retry later (503)."""


def _item(
    index: int, key: str, outcome: str, *, received_at: datetime | None = None, fields=None
) -> dict[str, Any]:
    """One ``BatchItemResult`` as JSON (plain dicts: 500 model instances cost ~15 ms a batch)."""
    item: dict[str, Any] = {
        "index": index,
        "idempotency_key": key,
        "outcome": outcome,
        "status": BATCH_HTTP_STATUS[outcome],
    }
    if received_at is not None:
        item["received_at"] = received_at.isoformat()
    if outcome in _ERRORS:
        code, message = _ERRORS[outcome]
        item["error"] = {"code": code, "message": message}
        if fields is not None:
            item["error"]["fields"] = fields
    return item


def prepare(
    index: int, key: str, raw: dict[str, Any], station_name: str
) -> _Prepared | dict[str, Any]:
    """Validate one record of a batch (pure): a ``_Prepared`` or its invalid/forbidden answer."""
    loc = ["records", str(index)]
    try:
        key_uuid = UUID(key)
    except ValueError:
        fields = [{"loc": [*loc, "idempotency_key"], "type": "uuid", "msg": "UUID required"}]
        return _item(index, key, "invalid", fields=fields)
    try:
        record = BillingRecord.model_validate(raw)
    except ValidationError as exc:
        fields = [{**f, "loc": [*loc, "record", *f["loc"]]} for f in field_errors(exc)]
        return _item(index, key, "invalid", fields=fields)
    if record.record_uuid != key_uuid:
        fields = [{"loc": [*loc, "record", "record_uuid"], "type": "mismatch",
                   "msg": "must equal the key"}]  # fmt: skip
        return _item(index, key, "invalid", fields=fields)
    if record.station_id != station_name:
        return _item(index, key, "forbidden")
    body = record.canonical_json()
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
    return _Prepared(index, str(key_uuid), record.encounter_id, body, digest)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _row(p: _Prepared, station_db_id: int, now: datetime) -> dict[str, Any]:
    return {
        "idempotency_key": p.key,
        "station_id": station_db_id,
        "encounter_id": p.encounter_id,
        "body_sha256": p.digest,
        "body": p.body,
        "received_at": now,
        "encounter_check": p.encounter_check,
    }


async def store_batch(
    engine: AsyncEngine, station_db_id: int, records: list[_Prepared]
) -> tuple[dict[str, tuple[str, datetime]], set[str]]:
    """Store the new records in one transaction.

    Returns ``(stored, created)``: for every key of ``records`` the stored ``(sha256,
    received_at)``, and the keys this call inserted. Raises :class:`HubBusy` when the database
    stays locked/unreachable (nothing half-stored: the transaction is all or nothing).
    """
    keys = list(dict.fromkeys(p.key for p in records))
    last: Exception | None = None
    for attempt in range(_TX_ATTEMPTS):
        now = datetime.now(UTC)
        try:
            async with engine.begin() as conn:
                stored: dict[str, tuple[str, datetime]] = {}
                for i in range(0, len(keys), _SELECT_CHUNK):
                    chunk = keys[i : i + _SELECT_CHUNK]
                    rows = await conn.execute(
                        select(
                            billing_records.c.idempotency_key,
                            billing_records.c.body_sha256,
                            billing_records.c.received_at,
                        ).where(billing_records.c.idempotency_key.in_(chunk))
                    )
                    stored.update({r[0]: (r[1], _aware(r[2])) for r in rows})
                new: dict[str, _Prepared] = {}
                for p in records:
                    if p.key not in stored and p.key not in new:
                        new[p.key] = p  # the first of two same-key entries wins, as in order
                if new:
                    await conn.execute(
                        insert(billing_records), [_row(p, station_db_id, now) for p in new.values()]
                    )
                    # Activity facts + rollups in the same transaction (issue 20.2).
                    await record_facts(
                        conn, station_db_id, decode_records([(p.key, p.body) for p in new.values()])
                    )
            for p in new.values():
                stored[p.key] = (p.digest, now)
            return stored, set(new)
        except IntegrityError as exc:
            last = exc  # a concurrent request stored one of these keys: read it and redo
        except (SQLAlchemyError, OSError) as exc:
            # SQLite "database is locked", PostgreSQL connection lost, pool exhausted...
            last = exc
            await asyncio.sleep(0.05 * (attempt + 1))
    raise HubBusy(type(last).__name__)


async def _read_limited(request: web.Request, limit: int) -> bytes | None:
    """The body, or None when it is larger than ``limit`` (without reading it all)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    buf = bytearray()
    async for chunk in request.content.iter_chunked(64 * 1024):
        buf += chunk
        if len(buf) > limit:
            return None
    return bytes(buf)


def _too_large() -> web.Response:
    return json_error(
        413, "batch_too_large",
        "Lot trop gros : envoyer moins d'enregistrements / batch too large: send fewer records",
        max_records=MAX_BATCH_RECORDS, max_bytes=MAX_BATCH_BYTES,
    )  # fmt: skip


def _answer(p: _Prepared, stored: dict[str, tuple[str, datetime]], created: set[str],
            first_index: dict[str, int]) -> dict[str, Any]:  # fmt: skip
    digest, received_at = stored[p.key]
    if digest != p.digest:
        return _item(p.index, p.key, "conflict")
    # Only the first entry of a key repeated inside the batch counts as the creation.
    fresh = p.key in created and first_index[p.key] == p.index
    return _item(p.index, p.key, "created" if fresh else "replayed", received_at=received_at)


@requires(STATION)
async def ingest_batch(request: web.Request) -> web.Response:
    """``POST /api/v1/billing-records/batch``: store up to 500 records idempotently."""
    station = request[PRINCIPAL].station
    try:
        raw_body = await _read_limited(request, MAX_BATCH_BYTES)
    except (ConnectionError, HttpProcessingError):
        # The station went away mid-body (killed, network cut): nothing stored, it will resend.
        return json_error(400, "incomplete_body", "Corps incomplet / incomplete body")
    if raw_body is None:
        return _too_large()
    try:
        raw = safe_loads(raw_body)
    except BadJson as exc:
        return json_error(400, exc.code, str(exc))
    records_raw = raw.get("records") if isinstance(raw, dict) else None
    if isinstance(records_raw, list) and len(records_raw) > MAX_BATCH_RECORDS:
        return _too_large()
    try:
        batch = BatchRequest.model_validate(raw)
    except ValidationError as exc:
        return json_error(422, "invalid_batch", "Lot invalide / invalid batch",
                          fields=field_errors(exc))  # fmt: skip
    results: list[dict[str, Any] | None] = [None] * len(batch.records)
    ready: list[_Prepared] = []
    for i, item in enumerate(batch.records):
        prepared = prepare(i, item.idempotency_key, item.record, station.name)
        if isinstance(prepared, _Prepared):
            ready.append(prepared)
        else:
            results[i] = prepared
    if ready:
        checks = await encounter_checks(
            request.app[HUB].engine, station.id, [p.encounter_id for p in ready]
        )
        kept: list[_Prepared] = []
        for p in ready:
            if checks[p.encounter_id] == "foreign":
                fields = [{"loc": ["records", str(p.index), "record", "encounter_id"],
                           **FOREIGN_ENCOUNTER}]  # fmt: skip
                results[p.index] = _item(p.index, p.key, "invalid", fields=fields)
            else:
                kept.append(replace(p, encounter_check=checks[p.encounter_id]))
        ready = kept
    if ready:
        try:
            stored, created = await store_batch(request.app[HUB].engine, station.id, ready)
        except HubBusy:
            resp = json_error(503, "busy", "Serveur occupé, réessayer / hub busy, retry later")
            resp.headers["Retry-After"] = "1"
            return resp
        first_index: dict[str, int] = {}
        for p in ready:
            first_index.setdefault(p.key, p.index)
        for p in ready:
            results[p.index] = _answer(p, stored, created, first_index)
    # Same shape as ``BatchResponse`` (the protocol model the station validates it with).
    return web.json_response({"v": BATCH_VERSION, "results": results})
