"""What hangs off an encounter: consent, observations, incidents, documents (PDF blobs)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from sqlmodel import col, select

from telecabine.store.clock import utc_now
from telecabine.store.errors import IntegrityProblem, not_found
from telecabine.store.tables import (
    DOCUMENT_KINDS,
    BillingRecordRow,
    Consent,
    Document,
    Encounter,
    Incident,
    Observation,
)

if TYPE_CHECKING:
    from telecabine.store.engine import Store

T = TypeVar("T")


class EncounterRecordsMixin:
    """Part of ``EncounterRepository``: rows attached to one encounter."""

    _store: Store

    def add_consent(
        self,
        encounter_id: str,
        *,
        kind: str,
        granted: bool,
        text_version: str,
        given_by: str = "patient",
        representative_name: str | None = None,
        staff_id: int | None = None,
        now: datetime | None = None,
    ) -> Consent:
        """Record consent or refusal (both are kept: CSP R6316 requires recording either)."""
        row = Consent(
            encounter_id=encounter_id,
            kind=kind,
            granted=granted,
            text_version=text_version,
            given_by=given_by,
            representative_name=representative_name,
            staff_id=staff_id,
            recorded_at=utc_now(now),
        )
        return self._insert(encounter_id, row)

    def consents(self, encounter_id: str) -> list[Consent]:
        """Consents of the encounter in recording order."""
        with self._store.read() as session:
            stmt = select(Consent).where(Consent.encounter_id == encounter_id)
            return list(session.exec(stmt.order_by(col(Consent.id))))

    def add_observation(
        self,
        encounter_id: str,
        *,
        code: str,
        value: float,
        unit: str,
        method: str,
        measured_at: datetime,
        flag: str | None = None,
    ) -> Observation:
        """Store one vital sign (LOINC ``code``, UCUM ``unit``, ``device:<id>`` or ``manual``)."""
        if not (method == "manual" or method.startswith("device:")):
            raise ValueError("method must be 'manual' or 'device:<id>'")
        row = Observation(
            encounter_id=encounter_id,
            code=code,
            value=float(value),
            unit=unit,
            method=method,
            measured_at=measured_at,
            flag=flag,
        )
        return self._insert(encounter_id, row)

    def observations(self, encounter_id: str) -> list[Observation]:
        """Observations of the encounter, oldest first."""
        with self._store.read() as session:
            stmt = select(Observation).where(Observation.encounter_id == encounter_id)
            return list(session.exec(stmt.order_by(col(Observation.measured_at))))

    def add_incident(
        self, encounter_id: str | None, kind: str, detail: str = "", now: datetime | None = None
    ) -> Incident:
        """Record a technical incident (``encounter_id`` None for one outside any encounter)."""
        row = Incident(encounter_id=encounter_id, kind=kind, detail=detail, at=utc_now(now))
        if encounter_id is None:
            with self._store.write() as session:
                session.add(row)
            return row
        return self._insert(encounter_id, row)

    def incidents(self, encounter_id: str) -> list[Incident]:
        """Incidents of the encounter, oldest first."""
        with self._store.read() as session:
            stmt = select(Incident).where(Incident.encounter_id == encounter_id)
            return list(session.exec(stmt.order_by(col(Incident.at))))

    def add_document(
        self,
        encounter_id: str,
        *,
        kind: str,
        filename: str,
        content: bytes,
        mime: str = "application/pdf",
        sha256: str | None = None,
        document_id: str | None = None,
        now: datetime | None = None,
    ) -> Document:
        """Keep a PDF inside the encrypted DB; refuses it when ``sha256`` does not match."""
        if kind not in DOCUMENT_KINDS:
            raise ValueError(f"unknown document kind {kind!r}")
        digest = hashlib.sha256(content).hexdigest()
        if sha256 is not None and sha256.lower() != digest:
            raise IntegrityProblem(
                "Le document reçu est incomplet ou altéré (empreinte différente).",
                "The received document is incomplete or altered (checksum mismatch).",
            )
        row = Document(
            id=document_id or str(uuid.uuid4()),
            encounter_id=encounter_id,
            kind=kind,
            filename=filename,
            mime=mime,
            sha256=digest,
            size=len(content),
            content=content,
            received_at=utc_now(now),
        )
        return self._insert(encounter_id, row)

    def documents(self, encounter_id: str) -> list[Document]:
        """Documents of the encounter (with their bytes), oldest first."""
        with self._store.read() as session:
            stmt = select(Document).where(Document.encounter_id == encounter_id)
            return list(session.exec(stmt.order_by(col(Document.received_at))))

    def get_document(self, document_id: str) -> Document:
        """One document with its bytes, or ``NotFoundError``."""
        with self._store.read() as session:
            doc = session.get(Document, document_id)
        if doc is None:
            raise not_found("document", document_id)
        return doc

    def mark_printed(self, document_id: str, now: datetime | None = None) -> Document:
        """Remember when the document was printed."""
        with self._store.write() as session:
            doc = session.get(Document, document_id)
            if doc is None:
                raise not_found("document", document_id)
            doc.printed_at = utc_now(now)
            session.add(doc)
        return doc

    def billing_payload(self, encounter_id: str) -> str | None:
        """The JSON billing record written when the encounter was closed, if any."""
        with self._store.read() as session:
            stmt = select(BillingRecordRow).where(BillingRecordRow.encounter_id == encounter_id)
            row = session.exec(stmt.order_by(col(BillingRecordRow.created_at).desc())).first()
        return row.payload_json if row is not None else None

    def _insert(self, encounter_id: str, row: T) -> T:
        with self._store.write() as session:
            if session.get(Encounter, encounter_id) is None:
                raise not_found("encounter", encounter_id)
            session.add(row)
            session.flush()
        return row
