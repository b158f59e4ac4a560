"""The billing outbox: what the sync worker sends, with retry bookkeeping."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func
from sqlmodel import col, select

from telecabine.store.clock import utc_now
from telecabine.store.errors import not_found
from telecabine.store.tables import BillingRecordRow, Encounter, OutboxEntry

if TYPE_CHECKING:
    from telecabine.store.engine import Store

MAX_ERROR_CHARS = 500


@dataclass(frozen=True)
class PendingRecord:
    """A billing record due for sending: its uuid (the Idempotency-Key) and JSON body."""

    record_uuid: str
    encounter_id: str
    payload: dict[str, Any]
    attempts: int
    next_attempt_at: datetime


@dataclass(frozen=True)
class OutboxCounts:
    """How many records wait, and how many went out."""

    pending: int
    sent: int
    failing: int  # pending with at least one failed attempt


class OutboxRepository:
    """Read and update the outbox. Writing a record happens in ``close_with_billing``."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def pending(self, limit: int = 50, now: datetime | None = None) -> list[PendingRecord]:
        """Records whose next attempt is due at ``now``, oldest due first."""
        ts = utc_now(now)
        with self._store.read() as session:
            stmt = (
                select(OutboxEntry, BillingRecordRow)
                .join(BillingRecordRow)
                .where(OutboxEntry.status == "pending", OutboxEntry.next_attempt_at <= ts)
                .order_by(col(OutboxEntry.next_attempt_at), col(OutboxEntry.created_at))
                .limit(limit)
            )
            return [
                PendingRecord(
                    record_uuid=o.record_uuid,
                    encounter_id=r.encounter_id,
                    payload=json.loads(r.payload_json),
                    attempts=o.attempts,
                    next_attempt_at=o.next_attempt_at,
                )
                for o, r in session.exec(stmt)
            ]

    def mark_sent(self, uuids: list[str], now: datetime | None = None) -> int:
        """Mark records delivered; an encounter whose records are all sent gets ``synced_at``."""
        ts = utc_now(now)
        changed = 0
        with self._store.write() as session:
            encounter_ids: set[str] = set()
            for u in uuids:
                o = session.get(OutboxEntry, u)
                if o is None or o.status == "sent":
                    continue
                o.status = "sent"
                o.sent_at = ts
                o.attempts += 1
                o.last_error = None
                session.add(o)
                changed += 1
                record = session.get(BillingRecordRow, u)
                if record is not None:
                    encounter_ids.add(record.encounter_id)
            session.flush()
            for eid in encounter_ids:
                still_pending = session.exec(
                    select(func.count())
                    .select_from(OutboxEntry)
                    .join(BillingRecordRow)
                    .where(BillingRecordRow.encounter_id == eid, OutboxEntry.status != "sent")
                ).one()
                enc = session.get(Encounter, eid)
                if enc is not None and still_pending == 0:
                    enc.synced_at = ts
                    session.add(enc)
        return changed

    def mark_failed(self, uuid: str, error: str, next_attempt_at: datetime) -> None:
        """Count a failed attempt, keep a short error text (no payload), schedule the retry."""
        with self._store.write() as session:
            o = session.get(OutboxEntry, uuid)
            if o is None:
                raise not_found("outbox", uuid)
            o.attempts += 1
            o.last_error = error[:MAX_ERROR_CHARS]
            o.next_attempt_at = next_attempt_at
            session.add(o)

    def get(self, uuid: str) -> OutboxEntry:
        """One outbox row (status, attempts, last error)."""
        with self._store.read() as session:
            o = session.get(OutboxEntry, uuid)
        if o is None:
            raise not_found("outbox", uuid)
        return o

    def counts(self) -> OutboxCounts:
        """Pending / sent / failing counts for the status bar and ``telecabine check``."""
        with self._store.read() as session:
            rows = session.exec(
                select(OutboxEntry.status, func.count()).group_by(OutboxEntry.status)
            ).all()
            failing = session.exec(
                select(func.count())
                .select_from(OutboxEntry)
                .where(OutboxEntry.status == "pending", OutboxEntry.attempts > 0)
            ).one()
        by_status = dict(rows)
        return OutboxCounts(by_status.get("pending", 0), by_status.get("sent", 0), failing)
