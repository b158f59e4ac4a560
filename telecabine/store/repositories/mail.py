"""The médecin traitant of a patient, and the outbox of report e-mails sent to her.

A report e-mail is queued once per encounter (``(encounter_id, kind)`` is unique, so a second
queueing is a no-op), sent by ``services.mt_report.ReportMailWorker``, retried with back-off
while the mail relay is unreachable, and marked ``sent`` (with the time) or ``failed`` (refused
for good by the relay: a person must look).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlmodel import col, select

from telecabine.store.clock import utc_now
from telecabine.store.errors import not_found
from telecabine.store.tables import CareContact, Encounter, MailOutboxEntry, Patient

if TYPE_CHECKING:
    from telecabine.store.engine import Store

MAX_ERROR_CHARS = 500


@dataclass(frozen=True)
class MailCounts:
    """How many report e-mails wait, left, or were refused for good."""

    pending: int
    sent: int
    failed: int


class CareContactRepository:
    """The médecin traitant (name, RPPS, secure e-mail) of each patient."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def set_medecin_traitant(
        self,
        patient_id: int,
        *,
        name: str,
        rpps: str | None = None,
        email: str | None = None,
        now: datetime | None = None,
    ) -> CareContact:
        """Create or replace the patient's médecin traitant."""
        with self._store.write() as session:
            if session.get(Patient, patient_id) is None:
                raise not_found("patient", patient_id)
            stmt = select(CareContact).where(
                CareContact.patient_id == patient_id, CareContact.role == "medecin_traitant"
            )
            row = session.exec(stmt).first() or CareContact(patient_id=patient_id, name=name)
            row.name, row.rpps, row.email = name.strip(), rpps, (email or "").strip() or None
            row.updated_at = utc_now(now)
            session.add(row)
            session.flush()
        return row

    def medecin_traitant(self, patient_id: int) -> CareContact | None:
        """The patient's médecin traitant, if recorded."""
        with self._store.read() as session:
            stmt = select(CareContact).where(
                CareContact.patient_id == patient_id, CareContact.role == "medecin_traitant"
            )
            return session.exec(stmt).first()


class MailOutboxRepository:
    """Queue, pick and settle report e-mails."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def enqueue(
        self,
        encounter_id: str,
        *,
        recipient: str,
        document_id: str,
        kind: str = "mt_report",
        now: datetime | None = None,
    ) -> MailOutboxEntry:
        """Queue one e-mail for the encounter; queueing the same (encounter, kind) again returns
        the existing entry unchanged (a report leaves once)."""
        ts = utc_now(now)
        with self._store.write() as session:
            if session.get(Encounter, encounter_id) is None:
                raise not_found("encounter", encounter_id)
            existing = session.exec(
                select(MailOutboxEntry).where(
                    MailOutboxEntry.encounter_id == encounter_id, MailOutboxEntry.kind == kind
                )
            ).first()
            if existing is not None:
                return existing
            row = MailOutboxEntry(
                id=str(uuid.uuid4()), encounter_id=encounter_id, kind=kind,
                recipient=recipient, document_id=document_id, next_attempt_at=ts, created_at=ts,
            )  # fmt: skip
            session.add(row)
            session.flush()
        return row

    def due(self, limit: int = 10, now: datetime | None = None) -> list[MailOutboxEntry]:
        """Pending e-mails whose next attempt is due, oldest first."""
        with self._store.read() as session:
            stmt = (
                select(MailOutboxEntry)
                .where(MailOutboxEntry.status == "pending")
                .where(col(MailOutboxEntry.next_attempt_at) <= utc_now(now))
                .order_by(col(MailOutboxEntry.created_at))
                .limit(limit)
            )
            return list(session.exec(stmt))

    def get(self, mail_id: str) -> MailOutboxEntry:
        """One queued e-mail, or ``NotFoundError``."""
        with self._store.read() as session:
            return self._get(session, mail_id)

    def for_encounter(self, encounter_id: str) -> list[MailOutboxEntry]:
        """Every e-mail queued for the encounter."""
        with self._store.read() as session:
            stmt = select(MailOutboxEntry).where(MailOutboxEntry.encounter_id == encounter_id)
            return list(session.exec(stmt))

    def mark_sent(self, mail_id: str, now: datetime | None = None) -> None:
        """The relay accepted the message."""
        self._update(mail_id, status="sent", sent_at=utc_now(now), last_error=None)

    def mark_retry(self, mail_id: str, error: str, next_attempt_at: datetime) -> None:
        """A failed attempt that may succeed later (relay down, timeout, 4xx reply)."""
        with self._store.write() as session:
            row = self._get(session, mail_id)
            row.attempts += 1
            row.last_error = error[:MAX_ERROR_CHARS]
            row.next_attempt_at = next_attempt_at
            session.add(row)

    def mark_failed(self, mail_id: str, error: str) -> None:
        """Refused for good (5xx reply, e.g. unknown recipient): out of the queue."""
        with self._store.write() as session:
            row = self._get(session, mail_id)
            row.attempts += 1
            row.status, row.last_error = "failed", error[:MAX_ERROR_CHARS]
            session.add(row)

    def counts(self) -> MailCounts:
        """Pending / sent / failed totals."""
        with self._store.read() as session:
            rows = session.exec(
                select(MailOutboxEntry.status, func.count()).group_by(MailOutboxEntry.status)
            ).all()
        by = dict(rows)
        return MailCounts(by.get("pending", 0), by.get("sent", 0), by.get("failed", 0))

    def _update(self, mail_id: str, **fields: object) -> None:
        with self._store.write() as session:
            row = self._get(session, mail_id)
            for name, value in fields.items():
                setattr(row, name, value)
            session.add(row)

    @staticmethod
    def _get(session, mail_id: str) -> MailOutboxEntry:
        row = session.get(MailOutboxEntry, mail_id)
        if row is None:
            raise not_found("mail", mail_id)
        return row
