"""Télé-expertise requests at the station: queued with their photos in one transaction, sent
once by ``services.expertise.ExpertiseSyncWorker``, answered by the expert through the hub."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func
from sqlmodel import col, select

from telecabine.store.clock import utc_now
from telecabine.store.errors import not_found
from telecabine.store.tables import ExpertisePhoto, ExpertiseRequestRow, Patient

if TYPE_CHECKING:
    from telecabine.store.engine import Store

MAX_ERROR_CHARS = 1000


@dataclass(frozen=True)
class PhotoIn:
    """A photo to keep with a request."""

    content: bytes
    sha256: str
    width: int
    height: int
    source: str


class ExpertiseRepository:
    """Read and write télé-expertise requests, their photos and answers."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def create(
        self,
        request_uuid: str,
        *,
        patient_id: int,
        payload: dict[str, Any],
        photos: list[PhotoIn],
        encounter_id: str | None = None,
        staff_id: int | None = None,
        now: datetime | None = None,
    ) -> ExpertiseRequestRow:
        """The request and every photo, in one transaction (nothing half-queued)."""
        ts = utc_now(now)
        with self._store.write() as session:
            if session.get(Patient, patient_id) is None:
                raise not_found("patient", patient_id)
            row = ExpertiseRequestRow(
                request_uuid=request_uuid, patient_id=patient_id, encounter_id=encounter_id,
                staff_id=staff_id, payload_json=json.dumps(payload, sort_keys=True),
                next_attempt_at=ts, created_at=ts,
            )  # fmt: skip
            session.add(row)
            session.flush()
            for i, p in enumerate(photos):
                session.add(
                    ExpertisePhoto(
                        request_uuid=request_uuid,
                        idx=i,
                        sha256=p.sha256,
                        width=p.width,
                        height=p.height,
                        source=p.source,
                        content=p.content,
                    )
                )
        return row

    def get(self, request_uuid: str) -> ExpertiseRequestRow:
        """One request, or ``NotFoundError``."""
        with self._store.read() as session:
            row = session.get(ExpertiseRequestRow, request_uuid)
        if row is None:
            raise not_found("expertise", request_uuid)
        return row

    def photos(self, request_uuid: str) -> list[ExpertisePhoto]:
        """The request's photos in order, with their bytes."""
        with self._store.read() as session:
            stmt = select(ExpertisePhoto).where(ExpertisePhoto.request_uuid == request_uuid)
            return list(session.exec(stmt.order_by(col(ExpertisePhoto.idx))))

    def due(self, limit: int = 10, now: datetime | None = None) -> list[ExpertiseRequestRow]:
        """Pending requests whose next attempt is due, oldest first."""
        with self._store.read() as session:
            stmt = (
                select(ExpertiseRequestRow)
                .where(ExpertiseRequestRow.status == "pending")
                .where(col(ExpertiseRequestRow.next_attempt_at) <= utc_now(now))
                .order_by(col(ExpertiseRequestRow.created_at))
                .limit(limit)
            )
            return list(session.exec(stmt))

    def recent(self, limit: int = 50) -> list[ExpertiseRequestRow]:
        """The latest requests, newest first (the screen's list)."""
        with self._store.read() as session:
            stmt = (
                select(ExpertiseRequestRow)
                .order_by(col(ExpertiseRequestRow.created_at).desc())
                .limit(limit)
            )
            return list(session.exec(stmt))

    def awaiting_answer(self) -> int:
        """How many sent requests wait for their answer."""
        with self._store.read() as session:
            stmt = select(func.count()).where(ExpertiseRequestRow.status == "sent")
            return int(session.exec(stmt).one())

    def mark_sent(self, request_uuid: str, now: datetime | None = None) -> None:
        """The hub has the request and every photo."""
        self._update(request_uuid, status="sent", sent_at=utc_now(now), last_error=None)

    def mark_retry(self, request_uuid: str, error: str, next_attempt_at: datetime) -> None:
        """A failed attempt to try again (network, 5xx)."""
        with self._store.write() as session:
            row = self._get(session, request_uuid)
            row.attempts += 1
            row.last_error, row.next_attempt_at = error[:MAX_ERROR_CHARS], next_attempt_at
            session.add(row)

    def park(self, request_uuid: str, status: str, error: str) -> None:
        """Out of the queue for a person: ``refused`` (422, e.g. the yearly limit, the reason
        kept as JSON) or ``conflict`` (409)."""
        self._update(request_uuid, status=status, last_error=error[:MAX_ERROR_CHARS])

    def last_answered_at(self) -> datetime | None:
        """The newest answer time received (the ``since`` of the next answers poll)."""
        with self._store.read() as session:
            return session.exec(select(func.max(ExpertiseRequestRow.answered_at))).one()

    def save_answer(
        self, request_uuid: str, answer: dict[str, Any], answered_at: datetime, pdf: bytes | None
    ) -> bool:
        """Keep the expert's answer (idempotent); False when the request is not ours."""
        with self._store.write() as session:
            row = session.get(ExpertiseRequestRow, request_uuid)
            if row is None:
                return False
            if row.status != "answered":
                row.status, row.answered_at = "answered", answered_at
                row.answer_json, row.answer_pdf = json.dumps(answer, sort_keys=True), pdf
                session.add(row)
        return True

    def mark_printed(self, request_uuid: str, now: datetime | None = None) -> None:
        """The answer was printed for the patient's file."""
        self._update(request_uuid, printed_at=utc_now(now))

    def _update(self, request_uuid: str, **fields: object) -> None:
        with self._store.write() as session:
            row = self._get(session, request_uuid)
            for name, value in fields.items():
                setattr(row, name, value)
            session.add(row)

    @staticmethod
    def _get(session, request_uuid: str) -> ExpertiseRequestRow:
        row = session.get(ExpertiseRequestRow, request_uuid)
        if row is None:
            raise not_found("expertise", request_uuid)
        return row
