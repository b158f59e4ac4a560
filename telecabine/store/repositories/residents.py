"""EHPAD residents: the list the care team works from, searched by name or room."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import or_
from sqlmodel import col, select

from telecabine.store.clock import utc_now
from telecabine.store.errors import not_found
from telecabine.store.repositories.patients import seen
from telecabine.store.search_keys import name_key, prefix_upper_bound
from telecabine.store.tables import CareContact, Patient, Resident

if TYPE_CHECKING:
    from telecabine.store.engine import Store

RESIDENT_FIELDS = frozenset(
    {"room", "unit", "ald", "ald_label", "trusted_person", "legal_representative",
     "consent_given_at", "consent_given_by", "consent_renew_by", "active"}
)  # fmt: skip


@dataclass(frozen=True)
class ResidentRow:
    """A resident with her identity and médecin traitant, as the list shows her."""

    resident: Resident
    patient: Patient
    medecin_traitant: CareContact | None

    def __repr__(self) -> str:  # identity never in a log
        return f"ResidentRow(id={self.resident.id})"


def room_key(room: str) -> str:
    """Upper-case room number without spaces ("12 b" -> "12B")."""
    return "".join(room.split()).upper()


class ResidentRepository:
    """Create, update, list and search residents (the patient row is created with her)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def admit(self, patient_id: int, *, room: str, now: datetime | None = None,
              **fields: object) -> Resident:  # fmt: skip
        """Make an existing patient a resident of the home."""
        unknown = set(fields) - RESIDENT_FIELDS
        if unknown:
            raise ValueError(f"unknown resident fields: {sorted(unknown)}")
        ts = utc_now(now)
        with self._store.write() as session:
            if session.get(Patient, patient_id) is None:
                raise not_found("patient", patient_id)
            row = Resident(patient_id=patient_id, room=room.strip(), room_key=room_key(room),
                           created_at=ts, updated_at=ts, **fields)  # fmt: skip
            session.add(row)
            session.flush()
        return row

    def create_with_patient(
        self,
        patient: dict[str, object],
        *,
        room: str,
        medecin_traitant: dict[str, object] | None = None,
        now: datetime | None = None,
        **fields: object,
    ) -> Resident:
        """A new patient, her resident record and her médecin traitant in one transaction."""
        from telecabine.store.repositories.patients import _refresh_keys

        unknown = set(fields) - RESIDENT_FIELDS
        if unknown:
            raise ValueError(f"unknown resident fields: {sorted(unknown)}")
        ts = utc_now(now)
        with self._store.write() as session:
            p = Patient(**patient, name_key="", first_name_key="", created_at=ts, updated_at=ts)
            _refresh_keys(p)
            session.add(p)
            session.flush()
            row = Resident(patient_id=p.id, room=room.strip(), room_key=room_key(room),
                           created_at=ts, updated_at=ts, **fields)  # fmt: skip
            session.add(row)
            if medecin_traitant:
                session.add(CareContact(patient_id=p.id, role="medecin_traitant",
                                        updated_at=ts, **medecin_traitant))  # fmt: skip
            session.flush()
        return row

    def update(self, resident_id: int, now: datetime | None = None, **fields: object) -> Resident:
        """Change room, ALD, representatives, consent on file…"""
        unknown = set(fields) - RESIDENT_FIELDS
        if unknown:
            raise ValueError(f"unknown resident fields: {sorted(unknown)}")
        with self._store.write() as session:
            row = session.get(Resident, resident_id)
            if row is None:
                raise not_found("resident", resident_id)
            for name, value in fields.items():
                setattr(row, name, value)
            if "room" in fields:
                row.room_key = room_key(str(fields["room"]))
            row.updated_at = utc_now(now)
            session.add(row)
        return row

    def get(self, resident_id: int) -> ResidentRow:
        """One resident with her identity and médecin traitant."""
        with self._store.read() as session:
            row = session.get(Resident, resident_id)
            if row is None:
                raise not_found("resident", resident_id)
            return self._row(session, row)

    def search(self, text: str, limit: int = 30) -> list[ResidentRow]:
        """Active residents whose birth/used name or room starts with ``text`` (all when
        empty), ordered by room."""
        with self._store.read() as session:
            stmt = (
                select(Resident, Patient)
                .join(Patient, col(Patient.id) == col(Resident.patient_id))
                .where(Resident.active == True)  # noqa: E712 (SQL expression)
            )
            query = text.strip()
            if query:
                key, rkey = name_key(query), room_key(query)
                conds = []
                if key:
                    hi = prefix_upper_bound(key)
                    conds += [(Patient.name_key >= key) & (Patient.name_key < hi),
                              (Patient.used_name_key >= key) & (Patient.used_name_key < hi)]  # fmt: skip
                if rkey:
                    conds.append(
                        (Resident.room_key >= rkey) & (Resident.room_key < prefix_upper_bound(rkey))
                    )
                stmt = stmt.where(or_(*conds))
            stmt = stmt.order_by(col(Resident.room_key), col(Patient.name_key)).limit(limit)
            pairs = list(session.exec(stmt))
            ids = [p.id for _, p in pairs]
            contacts = {
                c.patient_id: c
                for c in session.exec(
                    select(CareContact).where(
                        col(CareContact.patient_id).in_(ids),
                        CareContact.role == "medecin_traitant",
                    )
                )
            } if ids else {}  # fmt: skip
        return [ResidentRow(r, seen(p), contacts.get(p.id)) for r, p in pairs]

    @staticmethod
    def _row(session, row: Resident) -> ResidentRow:
        patient = session.get(Patient, row.patient_id)
        contact = session.exec(
            select(CareContact).where(
                CareContact.patient_id == row.patient_id, CareContact.role == "medecin_traitant"
            )
        ).first()
        return ResidentRow(row, seen(patient), contact)

    def consent_due(self, on: date) -> list[ResidentRow]:
        """Residents whose teleconsultation consent on file is missing or due for renewal."""
        with self._store.read() as session:
            rows = session.exec(
                select(Resident).where(Resident.active == True)  # noqa: E712
            ).all()
            return [self._row(session, r) for r in rows
                    if r.consent_renew_by is None or r.consent_renew_by <= on]  # fmt: skip
