"""The station database seen by the sync worker (``telecabine.sync.worker.OutboxPort``).

``telecabine.sync`` may not import ``telecabine.store`` (sibling layers), so this adapter lives
in services. It reuses ``OutboxRepository`` for sending bookkeeping and adds what the worker
needs beyond it: parking a record for a person (409 conflict, 422 rejected), counts including
parked records, tolerance to the station clock jumping backwards, and the operator's CSV export.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_
from sqlmodel import col, select

from telecabine.protocol.billing import CSV_COLUMNS, flatten
from telecabine.store.repositories.outbox import MAX_ERROR_CHARS
from telecabine.store.tables import BillingRecordRow, OutboxEntry
from telecabine.sync.status import SyncCounts

if TYPE_CHECKING:
    from telecabine.store.engine import Store

PARKED_STATUSES = ("conflict", "rejected")
# A retry is never scheduled further than the backoff cap; a row due later than this horizon
# means the clock went backwards (NTP step, dead RTC battery): treat it as due now.
CLOCK_JUMP_HORIZON = timedelta(minutes=10)


@dataclass(frozen=True)
class DueRecord:
    """A record due for sending."""

    record_uuid: str
    payload: dict[str, Any]
    attempts: int


class StoreOutbox:
    """``OutboxPort`` over the station's SQLCipher store (short transactions only)."""

    def __init__(self, store: Store, horizon: timedelta = CLOCK_JUMP_HORIZON) -> None:
        self._store = store
        self._horizon = horizon

    def pending(self, limit: int, now: datetime) -> list[DueRecord]:
        """Records due at ``now`` (or scheduled implausibly far ahead), oldest due first."""
        with self._store.read() as session:
            stmt = (
                select(OutboxEntry, BillingRecordRow)
                .join(BillingRecordRow)
                .where(
                    OutboxEntry.status == "pending",
                    or_(
                        col(OutboxEntry.next_attempt_at) <= now,
                        col(OutboxEntry.next_attempt_at) > now + self._horizon,
                    ),
                )
                .order_by(col(OutboxEntry.next_attempt_at), col(OutboxEntry.created_at))
                .limit(limit)
            )
            return [
                DueRecord(o.record_uuid, json.loads(r.payload_json), o.attempts)
                for o, r in session.exec(stmt)
            ]

    def mark_sent(self, uuids: list[str], now: datetime) -> int:
        """Delivered (sets the encounter's ``synced_at`` when all its records are out)."""
        return self._store.outbox.mark_sent(uuids, now) if uuids else 0

    def mark_failed(self, uuid: str, error: str, next_attempt_at: datetime) -> None:
        """One failed attempt, retry at ``next_attempt_at``."""
        self._store.outbox.mark_failed(uuid, error, next_attempt_at)

    def mark_failed_many(self, failures: list[tuple[str, str, datetime]]) -> int:
        """A whole failed batch in one transaction (``(uuid, error, next_attempt_at)`` each)."""
        return self._store.outbox.mark_failed_many(failures)

    def park(self, uuid: str, status: str, error: str, now: datetime) -> None:
        """Out of the queue until a person acts; the record itself is kept unchanged."""
        if status not in PARKED_STATUSES:
            raise ValueError(f"unknown parked status {status!r}")
        with self._store.write() as session:
            o = session.get(OutboxEntry, uuid)
            if o is None or o.status == "sent":
                return
            o.status = status
            o.attempts += 1
            o.last_error = error[:MAX_ERROR_CHARS]
            o.next_attempt_at = now
            session.add(o)

    def requeue(self, uuid: str, now: datetime) -> None:
        """Put a parked record back in the queue (after the operator fixed the cause)."""
        with self._store.write() as session:
            o = session.get(OutboxEntry, uuid)
            if o is not None and o.status in PARKED_STATUSES:
                o.status = "pending"
                o.next_attempt_at = now
                session.add(o)

    def counts(self) -> SyncCounts:
        """Pending / sent / parked counts."""
        with self._store.read() as session:
            rows = dict(
                session.exec(
                    select(OutboxEntry.status, func.count()).group_by(OutboxEntry.status)
                ).all()
            )
        return SyncCounts(
            pending=rows.get("pending", 0),
            sent=rows.get("sent", 0),
            attention=sum(rows.get(s, 0) for s in PARKED_STATUSES),
        )

    def parked(self) -> list[tuple[str, str, str | None]]:
        """(record uuid, status, short error) of records needing a person."""
        with self._store.read() as session:
            stmt = select(OutboxEntry).where(col(OutboxEntry.status).in_(PARKED_STATUSES))
            return [(o.record_uuid, o.status, o.last_error) for o in session.exec(stmt)]

    def export_csv(self, out: io.TextIOBase | Any, since: datetime | None = None) -> int:
        """Write every local billing record as ``;``-CSV (same columns as the hub's export)."""
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow(("sync_status", *CSV_COLUMNS))
        n = 0
        with self._store.read() as session:
            stmt = select(BillingRecordRow, OutboxEntry).join(OutboxEntry)
            if since is not None:
                stmt = stmt.where(col(BillingRecordRow.created_at) > since)
            for record, o in session.exec(stmt.order_by(col(BillingRecordRow.created_at))):
                writer.writerow((o.status, *flatten(json.loads(record.payload_json))))
                n += 1
        return n
