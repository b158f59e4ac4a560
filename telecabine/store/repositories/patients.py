"""Patient identities: create, find by NIR or traits, prefix search on normalised names."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import or_
from sqlmodel import select

from telecabine.logs import register_sensitive
from telecabine.store.clock import utc_now
from telecabine.store.errors import not_found
from telecabine.store.search_keys import name_key, normalise_nir, prefix_upper_bound
from telecabine.store.tables import Patient

if TYPE_CHECKING:
    from telecabine.store.engine import Store

_EDITABLE = frozenset(
    {
        "birth_name",
        "first_names",
        "used_name",
        "birth_date",
        "sex",
        "birth_place_insee",
        "nir",
        "no_nir_reason",
        "ins_status",
    }
)


def seen(p: Patient | None) -> Patient | None:
    """Register the patient's names with the log filter (they must never reach a log line)."""
    if p is not None:
        for value in (p.birth_name, p.first_names, p.used_name):
            register_sensitive(value)
    return p


def _refresh_keys(p: Patient) -> None:
    p.name_key = name_key(p.birth_name)
    p.first_name_key = name_key(p.first_names)
    p.used_name_key = name_key(p.used_name) if p.used_name else None
    p.nir = normalise_nir(p.nir) if p.nir else None


class PatientRepository:
    """The only way to read or write patient identities. Returns detached ``Patient`` rows."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def create(
        self,
        *,
        birth_name: str,
        first_names: str,
        birth_date: date,
        sex: str,
        nir: str | None = None,
        no_nir_reason: str | None = None,
        birth_place_insee: str | None = None,
        used_name: str | None = None,
        ins_status: str = "provisoire",
        now: datetime | None = None,
    ) -> Patient:
        """Insert a patient (validation of NIR/INS traits is the domain's job, done before)."""
        ts = utc_now(now)
        p = Patient(
            birth_name=birth_name.strip(),
            first_names=" ".join(first_names.split()),
            birth_date=birth_date,
            sex=sex,
            nir=nir,
            no_nir_reason=no_nir_reason,
            birth_place_insee=birth_place_insee,
            used_name=used_name.strip() if used_name else None,
            ins_status=ins_status,
            name_key="",
            first_name_key="",
            created_at=ts,
            updated_at=ts,
        )
        _refresh_keys(p)
        seen(p)
        with self._store.write() as session:
            session.add(p)
            session.flush()
        return p

    def get(self, patient_id: int) -> Patient:
        """The patient or ``NotFoundError``."""
        with self._store.read() as session:
            p = session.get(Patient, patient_id)
        if p is None:
            raise not_found("patient", patient_id)
        seen(p)
        return p

    def update(self, patient_id: int, now: datetime | None = None, **fields: object) -> Patient:
        """Change identity fields (names, NIR, INS status...); search keys follow."""
        unknown = set(fields) - _EDITABLE
        if unknown:
            raise TypeError(f"not patient fields: {sorted(unknown)}")
        with self._store.write() as session:
            p = session.get(Patient, patient_id)
            if p is None:
                raise not_found("patient", patient_id)
            for k, v in fields.items():
                setattr(p, k, v)
            _refresh_keys(p)
            p.updated_at = utc_now(now)
            session.add(p)
        seen(p)
        return p

    def find_by_nir(self, nir: str) -> Patient | None:
        """The patient with this NIR (spaces ignored), if known."""
        with self._store.read() as session:
            stmt = select(Patient).where(Patient.nir == normalise_nir(nir)).limit(1)
            return seen(session.exec(stmt).first())

    def find_by_traits(self, birth_name: str, first_names: str, birth_date: date) -> list[Patient]:
        """Patients with the same birth name, first names and date of birth (duplicate check)."""
        with self._store.read() as session:
            stmt = select(Patient).where(
                Patient.name_key == name_key(birth_name),
                Patient.first_name_key == name_key(first_names),
                Patient.birth_date == birth_date,
            )
            return [p for p in session.exec(stmt) if seen(p)]

    def search_by_name(self, prefix: str, limit: int = 20) -> list[Patient]:
        """Birth-name or used-name prefix (accents/case ignored), ordered by name."""
        key = name_key(prefix)
        if not key:
            return []
        hi = prefix_upper_bound(key)
        with self._store.read() as session:
            stmt = (
                select(Patient)
                .where(
                    or_(
                        (Patient.name_key >= key) & (Patient.name_key < hi),
                        (Patient.used_name_key >= key) & (Patient.used_name_key < hi),
                    )
                )
                .order_by(Patient.name_key, Patient.first_name_key)
                .limit(limit)
            )
            return [p for p in session.exec(stmt) if seen(p)]
