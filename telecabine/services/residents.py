"""EHPAD residents (issue: EHPAD mode): the list the care team works from, and an encounter
started from a resident with her identity and situation already filled in.

Identity traits are validated by the domain exactly as at intake (NIR key, INS traits); a
resident's teleconsultation consent on file has a renewal date (yearly by default) and the
list says when it is due. Starting an encounter gives intake the form and the situation:
``ehpad_resident`` (a parcours-de-soins exception), ALD, whether she has a médecin traitant.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from telecabine.domain.errors import DomainError
from telecabine.domain.identity import IdentityInputError, ManualEntry, validate_manual_entry

if TYPE_CHECKING:
    from telecabine.store.engine import Store
    from telecabine.store.repositories.residents import ResidentRow

CONSENT_VALID_DAYS = 365


class ResidentError(DomainError):
    """A resident record that cannot be saved as entered (``field`` names what to fix)."""


@dataclass(frozen=True)
class ResidentLine:
    """One line of the residents list (what the screen shows)."""

    resident_id: int
    room: str
    unit: str | None
    display_name: str
    birth_date: date
    medecin_traitant: str | None
    ald: bool
    consent_due: bool

    def __repr__(self) -> str:  # identity never in a log
        return f"ResidentLine({self.resident_id})"


@dataclass(frozen=True)
class IntakePrefill:
    """What intake receives when an encounter starts from a resident."""

    patient_id: int
    form: dict[str, str]
    situation: dict[str, Any]


class ResidentService:
    """Admit, find and start a consultation for residents."""

    def __init__(
        self, store: Store, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._store = store
        self._clock = clock

    def admit(self, form: Mapping[str, str], *, room: str, unit: str | None = None,
              ald: bool = False, trusted_person: str | None = None,
              legal_representative: str | None = None,
              medecin_traitant: Mapping[str, str] | None = None) -> int:  # fmt: skip
        """Validate the identity like intake does, then create patient, resident and médecin
        traitant in one transaction; returns the resident id."""
        if not room.strip():
            raise ResidentError("resident_room", "Indiquez la chambre.", "Enter the room.",
                                field="room")  # fmt: skip
        entry = ManualEntry(
            birth_name=form.get("birth_name", ""), birth_first_names=form.get("first_names", ""),
            birth_date=form.get("birth_date", ""), sex=form.get("sex", ""),
            birth_place_insee=form.get("birth_place_insee", ""), nir=form.get("nir", ""),
            no_nir_reason=form.get("no_nir_reason") or None,
        )  # fmt: skip
        try:
            identity = validate_manual_entry(entry, today=self._clock().date())
        except IdentityInputError as exc:
            first = exc.errors[0]
            raise ResidentError(first.code, first.message_fr, first.message_en,
                                field=first.field) from None  # fmt: skip
        t = identity.traits
        mt = None
        if medecin_traitant and (medecin_traitant.get("name") or "").strip():
            mt = {"name": medecin_traitant["name"].strip(),
                  "rpps": (medecin_traitant.get("rpps") or "").strip() or None,
                  "email": (medecin_traitant.get("email") or "").strip() or None}  # fmt: skip
        row = self._store.residents.create_with_patient(
            {"birth_name": t.birth_name, "first_names": " ".join(t.birth_first_names),
             "birth_date": t.birth_date, "sex": t.sex.value,
             "birth_place_insee": t.birth_place_insee or None,
             "nir": str(identity.nir) if identity.nir else None,
             "no_nir_reason": identity.no_nir_reason.value if identity.no_nir_reason else None,
             "used_name": (form.get("used_name") or "").strip() or None,
             "ins_status": identity.status.value},
            room=room, unit=unit or None, ald=ald, trusted_person=trusted_person or None,
            legal_representative=legal_representative or None, medecin_traitant=mt,
            now=self._clock(),
        )  # fmt: skip
        return int(row.id)

    def search(self, text: str = "", limit: int = 30) -> list[ResidentLine]:
        """Residents by name or room prefix (all, by room, when ``text`` is empty)."""
        today = self._clock().date()
        return [self._line(r, today) for r in self._store.residents.search(text, limit)]

    def record_consent(self, resident_id: int, given_by: str = "patient") -> date:
        """The teleconsultation consent on file, renewed for a year; returns the renewal date."""
        now = self._clock()
        renew = (now + timedelta(days=CONSENT_VALID_DAYS)).date()
        self._store.residents.update(
            resident_id, consent_given_at=now, consent_given_by=given_by, consent_renew_by=renew,
            now=now,
        )  # fmt: skip
        return renew

    def intake_prefill(self, resident_id: int) -> IntakePrefill:
        """Identity form and situation for an encounter started from this resident."""
        row = self._store.residents.get(resident_id)
        p = row.patient
        form = {"birth_name": p.birth_name, "first_names": p.first_names,
                "birth_date": p.birth_date.strftime("%d/%m/%Y"), "sex": p.sex}  # fmt: skip
        for name in ("used_name", "birth_place_insee", "nir", "no_nir_reason"):
            value = getattr(p, name)
            if value:
                form[name] = value
        situation: dict[str, Any] = {
            "ehpad_resident": True,
            "has_medecin_traitant": row.medecin_traitant is not None,
        }
        if row.resident.ald:
            situation["ald"] = True
        return IntakePrefill(p.id, form, situation)

    @staticmethod
    def _line(r: ResidentRow, today: date) -> ResidentLine:
        p, res = r.patient, r.resident
        name = f"{(p.used_name or p.birth_name).upper()} {p.first_names.split()[0]}"
        renew = res.consent_renew_by
        return ResidentLine(
            resident_id=int(res.id), room=res.room, unit=res.unit, display_name=name,
            birth_date=p.birth_date,
            medecin_traitant=r.medecin_traitant.name if r.medecin_traitant else None,
            ald=res.ald, consent_due=renew is None or renew <= today,
        )  # fmt: skip
