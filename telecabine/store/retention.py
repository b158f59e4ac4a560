"""Local retention (issue 9 item 4): purge synced encounters older than ``retention_days``.

An encounter may go when it is finished (closed or abandoned) for longer than the retention, and
either the hub has acknowledged all its billing records (``synced_at`` set, no outbox row
pending) or it was abandoned with no billing record at all (nothing to sync). Unsynced data is
never purged. Each purge removes the encounter's documents, observations, consents, incidents,
billing and outbox rows, then patients left without encounters, and writes one audit entry in
the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, exists, func, or_
from sqlmodel import Session, col, select

from telecabine.store.clock import utc_now
from telecabine.store.repositories.audit import append_in
from telecabine.store.tables import (
    BillingRecordRow,
    Consent,
    Document,
    Encounter,
    Incident,
    Observation,
    OutboxEntry,
    Patient,
)

if TYPE_CHECKING:
    from telecabine.store.engine import Store

_CHUNK = 500  # stay far below SQLite's bound-parameter limit
_AUDITED_IDS = 1000


@dataclass
class PurgeReport:
    """What a purge removed (or would remove, for a dry run): counts and encounter ids only."""

    cutoff: datetime
    dry_run: bool
    encounter_ids: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def _eligible(session: Session, cutoff: datetime) -> list[str]:
    billing_exists = exists().where(BillingRecordRow.encounter_id == Encounter.id)
    unsent_exists = exists().where(
        BillingRecordRow.encounter_id == Encounter.id,
        OutboxEntry.record_uuid == BillingRecordRow.record_uuid,
        OutboxEntry.status != "sent",
    )
    finished_at = func.coalesce(Encounter.closed_at, Encounter.updated_at)
    stmt = (
        select(Encounter.id)
        .where(col(Encounter.state).in_(("closed", "abandoned")))
        .where(finished_at < cutoff)
        .where(
            or_(
                col(Encounter.synced_at).is_not(None),
                (Encounter.state == "abandoned") & ~billing_exists,
            )
        )
        .where(~unsent_exists)
        .order_by(col(Encounter.created_at))
    )
    return list(session.exec(stmt))


def _count(session: Session, model: type, column, ids: list[str]) -> int:
    total = 0
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i : i + _CHUNK]
        total += session.exec(
            select(func.count()).select_from(model).where(column.in_(chunk))
        ).one()
    return total


def _delete(session: Session, model: type, column, ids: list) -> int:
    total = 0
    for i in range(0, len(ids), _CHUNK):
        result = session.exec(delete(model).where(column.in_(ids[i : i + _CHUNK])))
        total += result.rowcount or 0
    return total


def purge(
    store: Store,
    retention_days: int,
    now: datetime | None = None,
    *,
    dry_run: bool = False,
    actor: str = "system",
) -> PurgeReport:
    """Purge (or with ``dry_run`` only list) what the retention rule lets go."""
    ts = utc_now(now)
    report = PurgeReport(cutoff=ts - timedelta(days=retention_days), dry_run=dry_run)
    ctx = store.read() if dry_run else store.write()
    with ctx as session:
        ids = _eligible(session, report.cutoff)
        report.encounter_ids = ids
        record_uuids = [
            u
            for i in range(0, len(ids), _CHUNK)
            for u in session.exec(
                select(BillingRecordRow.record_uuid).where(
                    col(BillingRecordRow.encounter_id).in_(ids[i : i + _CHUNK])
                )
            )
        ]
        patient_ids = sorted(
            {
                p
                for i in range(0, len(ids), _CHUNK)
                for p in session.exec(
                    select(Encounter.patient_id).where(col(Encounter.id).in_(ids[i : i + _CHUNK]))
                )
                if p is not None
            }
        )
        children = (
            ("documents", Document, col(Document.encounter_id)),
            ("observations", Observation, col(Observation.encounter_id)),
            ("consents", Consent, col(Consent.encounter_id)),
            ("incidents", Incident, col(Incident.encounter_id)),
        )
        if dry_run:
            for name, model, column in children:
                report.counts[name] = _count(session, model, column, ids)
            report.counts["billing_records"] = len(record_uuids)
            report.counts["encounters"] = len(ids)
            report.counts["patients"] = _orphaned_patients(session, patient_ids, ids)
            return report
        for name, model, column in children:
            report.counts[name] = _delete(session, model, column, ids)
        _delete(session, OutboxEntry, col(OutboxEntry.record_uuid), record_uuids)
        report.counts["billing_records"] = _delete(
            session, BillingRecordRow, col(BillingRecordRow.record_uuid), record_uuids
        )
        report.counts["encounters"] = _delete(session, Encounter, col(Encounter.id), ids)
        orphans = [
            p
            for p in patient_ids
            if not session.exec(select(Encounter.id).where(Encounter.patient_id == p)).first()
        ]
        report.counts["patients"] = _delete(session, Patient, col(Patient.id), orphans)
        append_in(
            session,
            actor=actor,
            action="purge",
            details={
                "cutoff": report.cutoff.isoformat(),
                "retention_days": retention_days,
                "counts": report.counts,
                "encounter_ids": ids[:_AUDITED_IDS],
                "encounter_ids_truncated": len(ids) > _AUDITED_IDS,
            },
            now=ts,
        )
    # Old page images of purged rows also live in the WAL until a checkpoint: fold them now.
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return report


def _orphaned_patients(session: Session, patient_ids: list[int], purged: list[str]) -> int:
    purged_set = set(purged)
    n = 0
    for p in patient_ids:
        remaining = session.exec(select(Encounter.id).where(Encounter.patient_id == p)).all()
        if all(r in purged_set for r in remaining):
            n += 1
    return n
