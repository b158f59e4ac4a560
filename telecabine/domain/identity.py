"""Patient identity: the one import for NIR, INS traits/status, and identity sources.

The NIR lives in ``nir.py``, the INS model in ``ins.py``; this module re-exports both and defines
the :class:`IdentitySource` seam. A licensed Carte Vitale (GIE SESAM-Vitale API) or apCV reader
plugs in later behind it; :class:`ManualEntrySource` (full validation) ships now.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol, runtime_checkable

from telecabine.domain.errors import DomainError
from telecabine.domain.ins import (
    EARLIEST_BIRTH_DATE,
    AcknowledgedWarning,
    IdentityError,
    IdentityInputError,
    InsStatus,
    InsTraits,
    NoNirReason,
    PatientIdentity,
    acknowledge,
    age_band,
    age_on,
    check_identity,
    pending_warnings,
)
from telecabine.domain.nir import (
    INS_NIA_OID,
    INS_NIR_OID,
    IdentityWarning,
    Nir,
    NirError,
    Sex,
    check_nir_against,
    nir_key,
    parse_nir,
)

__all__ = [
    "EARLIEST_BIRTH_DATE",
    "INS_NIA_OID",
    "INS_NIR_OID",
    "MANUAL_SOURCE",
    "AcknowledgedWarning",
    "IdentityError",
    "IdentityInputError",
    "IdentitySource",
    "IdentityWarning",
    "InsStatus",
    "InsTraits",
    "ManualEntry",
    "ManualEntrySource",
    "Nir",
    "NirError",
    "NoNirReason",
    "PatientIdentity",
    "Sex",
    "acknowledge",
    "age_band",
    "age_on",
    "check_identity",
    "check_nir_against",
    "nir_key",
    "parse_nir",
    "pending_warnings",
    "validate_manual_entry",
]

MANUAL_SOURCE = "manual"
_FR_DATE = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


@runtime_checkable
class IdentitySource(Protocol):
    """Something that yields a patient identity: manual entry now, Carte Vitale / apCV later."""

    name: str

    async def read(self) -> PatientIdentity:
        """Return the identity read from the source (raises a DomainError on bad data)."""
        ...


@dataclass(frozen=True, slots=True)
class ManualEntry:
    """The identity form as typed by the staff (raw values; validated by the source).

    ``birth_first_names`` may be a sequence or one string separated by commas; ``birth_date`` a
    ``date`` or text ``JJ/MM/AAAA`` / ``AAAA-MM-JJ``; ``sex`` "M", "F" or "I". Leave ``nir`` empty
    and give ``no_nir_reason`` for a patient without NIR. ``document_checked`` means the
    identity was checked on a high-trust document (ID card, passport, residence permit), which
    makes the status *validée* instead of *provisoire* (only INSi can make it *qualifiée*).
    """

    birth_name: str
    birth_first_names: str | Sequence[str]
    birth_date: date | str
    sex: Sex | str
    birth_place_insee: str
    nir: str = ""
    no_nir_reason: NoNirReason | str | None = None
    document_checked: bool = False

    def __repr__(self) -> str:  # no patient data in logs
        return "ManualEntry(<hidden>)"


def _parse_date(value: date | str) -> date | None:
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        if m := _FR_DATE.fullmatch(text):
            return date(int(m[3]), int(m[2]), int(m[1]))
        if m := _ISO_DATE.fullmatch(text):
            return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None
    return None


def _split_first_names(value: str | Sequence[str]) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(" ".join(str(n).split()) for n in items if str(n).strip())


def validate_manual_entry(entry: ManualEntry, *, today: date) -> PatientIdentity:
    """Validate every field at once and build the identity, or raise :class:`IdentityInputError`.

    Cross-check inconsistencies (NIR vs sex / date of birth) are not errors: read them with
    :func:`pending_warnings` and let the staff :func:`acknowledge` them with a reason.
    """
    errors: list[DomainError] = []
    birth_date = _parse_date(entry.birth_date)
    if birth_date is not None and birth_date > today:
        birth_date = None
    if birth_date is None:
        errors.append(
            IdentityError(
                "identity.birth_date",
                "Date de naissance invalide (JJ/MM/AAAA, pas dans le futur).",
                "Invalid date of birth (DD/MM/YYYY, not in the future).",
                field="birth_date",
            )
        )
    try:
        sex: Sex | None = Sex(str(entry.sex).strip().upper())
    except ValueError:
        sex = None  # reported by InsTraits below
    nir: Nir | None = None
    if entry.nir and entry.nir.strip():
        try:
            nir = parse_nir(entry.nir)
        except NirError as exc:
            errors.append(exc)
    reason: NoNirReason | None = None
    if nir is None and not errors_for(errors, "nir"):
        try:
            reason = NoNirReason(entry.no_nir_reason) if entry.no_nir_reason else None
        except ValueError:
            reason = None
        if reason is None:
            errors.append(
                IdentityError(
                    "identity.no_nir_reason",
                    "Sans NIR, indiquez pourquoi (touriste, AME, inconnu).",
                    "Without a NIR, say why (tourist, AME, unknown).",
                    field="no_nir_reason",
                )
            )
    traits: InsTraits | None = None
    try:
        traits = InsTraits(
            birth_name=" ".join(str(entry.birth_name).split()),
            birth_first_names=_split_first_names(entry.birth_first_names),
            birth_date=birth_date or EARLIEST_BIRTH_DATE,  # already reported if missing
            sex=sex,  # type: ignore[arg-type]  # None is reported as a field error
            birth_place_insee=str(entry.birth_place_insee).strip().upper(),
        )
    except IdentityInputError as exc:
        errors.extend(exc.errors)
    if errors or traits is None:
        raise IdentityInputError(errors)
    status = InsStatus.VALIDEE if entry.document_checked else InsStatus.PROVISOIRE
    return PatientIdentity(
        traits=traits, nir=nir, status=status, source=MANUAL_SOURCE, no_nir_reason=reason
    )


def errors_for(errors: Sequence[DomainError], field_name: str) -> list[DomainError]:
    """The errors among ``errors`` that belong to ``field_name``."""
    return [e for e in errors if e.field == field_name]


class ManualEntrySource:
    """The identity source shipped now: the staff types the form, every field is validated."""

    name = MANUAL_SOURCE

    def __init__(self, entry: ManualEntry, *, today: date):
        self._entry = entry
        self._today = today

    async def read(self) -> PatientIdentity:
        """Validate the typed form (raises :class:`IdentityInputError` listing every bad field)."""
        return validate_manual_entry(self._entry, today=self._today)
