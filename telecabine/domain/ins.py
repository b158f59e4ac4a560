"""INS model: traits, status, patient identity, cross-check warnings (see ``identity``).

INS (Identité Nationale de Santé, ANS referential; shared/design/DOMAIN.md §2): matricule (NIR or
NIA) + five traits (birth name, birth first names, date of birth, sex, INSEE code of the birth
place, ``99xxx`` abroad) + a status. Carte Vitale / apCV readers are licensed and closed: they
plug in later behind :class:`IdentitySource`; :class:`ManualEntrySource` ships now. Patients
without NIR (tourists, AME, unknown) can still be seen: they carry a ``no_nir_reason``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from telecabine.domain.errors import DomainError
from telecabine.domain.nir import IdentityWarning, Nir, Sex, check_nir_against

EARLIEST_BIRTH_DATE = date(1890, 1, 1)
_INSEE = re.compile(r"(?:[0-9]{2}|2A|2B)[0-9]{3}")


class IdentityError(DomainError):
    """One invalid identity field; ``field`` names it so the screen can show the message beside it."""


class IdentityInputError(DomainError):
    """Several invalid fields at once; ``errors`` holds one :class:`IdentityError` per field."""

    def __init__(self, errors: Sequence[DomainError]):
        self.errors = tuple(errors)
        first = self.errors[0]
        super().__init__("identity.invalid", first.message_fr, first.message_en, field=first.field)

    def by_field(self) -> dict[str, DomainError]:
        """First error of each field, for showing next to the inputs."""
        out: dict[str, DomainError] = {}
        for err in self.errors:
            out.setdefault(err.field or "", err)
        return out


class InsStatus(StrEnum):
    """INS identity status (ANS referential); only INSi + high-trust document gives qualifiee."""

    PROVISOIRE = "provisoire"
    RECUPEREE = "recuperee"
    VALIDEE = "validee"
    QUALIFIEE = "qualifiee"

    @property
    def label_fr(self) -> str:
        """French label shown on screen."""
        return {
            "provisoire": "Identité provisoire",
            "recuperee": "Identité récupérée",
            "validee": "Identité validée",
            "qualifiee": "Identité qualifiée",
        }[self.value]

    @property
    def label_en(self) -> str:
        """English label shown on screen."""
        return {
            "provisoire": "Provisional identity",
            "recuperee": "Retrieved identity",
            "validee": "Validated identity",
            "qualifiee": "Qualified identity",
        }[self.value]


class NoNirReason(StrEnum):
    """Why a patient is seen without a NIR."""

    TOURIST = "tourist"
    AME = "ame"  # Aide médicale de l'État: no NIR on the AME card
    UNKNOWN = "unknown"

    @property
    def label_fr(self) -> str:
        """French label."""
        return {"tourist": "Touriste / assuré étranger", "ame": "AME", "unknown": "NIR inconnu"}[
            self.value
        ]

    @property
    def label_en(self) -> str:
        """English label."""
        return {"tourist": "Tourist / foreign insured", "ame": "AME", "unknown": "NIR unknown"}[
            self.value
        ]


def _err(field_name: str, code: str, fr: str, en: str) -> IdentityError:
    return IdentityError(code, fr, en, field=field_name)


def _clean(text: str) -> str:
    """NFC, trimmed, inner whitespace collapsed (people type double spaces)."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def _valid_name(text: str) -> bool:
    """Letters (any script, accents) plus space, hyphen and apostrophe; at least one letter."""
    allowed = {" ", "-", "'", "’"}
    return any(c.isalpha() for c in text) and all(c.isalpha() or c in allowed for c in text)


@dataclass(frozen=True, slots=True)
class InsTraits:
    """The five INS traits, checked on construction (raises :class:`IdentityInputError`)."""

    birth_name: str
    birth_first_names: tuple[str, ...]
    birth_date: date
    sex: Sex
    birth_place_insee: str

    def __post_init__(self) -> None:
        errors = _trait_errors(self)
        if errors:
            raise IdentityInputError(errors)

    def __repr__(self) -> str:  # identity traits must never reach a log through a repr
        return "InsTraits(<hidden>)"

    @property
    def born_abroad(self) -> bool:
        """True when the INSEE birth place is ``99xxx``."""
        return self.birth_place_insee.startswith("99")

    @property
    def first_first_name(self) -> str:
        """The first birth first name (used as "premier prénom" in INS displays)."""
        return self.birth_first_names[0]


def _trait_errors(t: InsTraits) -> list[IdentityError]:
    errors: list[IdentityError] = []
    if not isinstance(t.birth_name, str) or not _valid_name(t.birth_name):
        errors.append(
            _err(
                "birth_name",
                "identity.birth_name",
                "Nom de naissance : lettres, espaces, tirets et apostrophes uniquement.",
                "Birth name: letters, spaces, hyphens and apostrophes only.",
            )
        )
    names = t.birth_first_names
    if not names or not all(isinstance(n, str) and _valid_name(n) for n in names):
        errors.append(
            _err(
                "birth_first_names",
                "identity.first_names",
                "Prénoms de naissance : au moins un, lettres, espaces, tirets et apostrophes.",
                "Birth first names: at least one; letters, spaces, hyphens and apostrophes.",
            )
        )
    if not isinstance(t.birth_date, date) or t.birth_date < EARLIEST_BIRTH_DATE:
        errors.append(
            _err(
                "birth_date",
                "identity.birth_date",
                "Date de naissance invalide.",
                "Invalid date of birth.",
            )
        )
    if not isinstance(t.sex, Sex):
        errors.append(_err("sex", "identity.sex", "Indiquez le sexe.", "Select the sex."))
    place = t.birth_place_insee
    if not isinstance(place, str) or not _INSEE.fullmatch(place) or place.startswith("00"):
        errors.append(
            _err(
                "birth_place_insee",
                "identity.birth_place",
                "Lieu de naissance : code INSEE à 5 caractères (99xxx si né à l'étranger), "
                "pas le code postal.",
                "Place of birth: 5-character INSEE code (99xxx if born abroad), not the postcode.",
            )
        )
    return errors


@dataclass(frozen=True, slots=True)
class AcknowledgedWarning:
    """An identity warning the staff chose to override, with their reason."""

    code: str
    reason: str
    by_staff_id: str


def acknowledge(warning: IdentityWarning, reason: str, by_staff_id: str) -> AcknowledgedWarning:
    """Override ``warning``; the reason is mandatory (kept in the encounter's record)."""
    if not reason or not reason.strip():
        raise _err(
            "override_reason",
            "identity.override_reason",
            "Indiquez pourquoi vous passez outre cet avertissement.",
            "Say why you are overriding this warning.",
        )
    return AcknowledgedWarning(warning.code, reason.strip(), by_staff_id)


@dataclass(frozen=True, slots=True)
class PatientIdentity:
    """Who the patient is: INS traits, optional NIR, INS status, where it came from."""

    traits: InsTraits
    nir: Nir | None
    status: InsStatus
    source: str
    no_nir_reason: NoNirReason | None = None
    acknowledged: tuple[AcknowledgedWarning, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.nir is None and self.no_nir_reason is None:
            raise IdentityInputError(
                [
                    _err(
                        "no_nir_reason",
                        "identity.no_nir_reason",
                        "Sans NIR, indiquez pourquoi (touriste, AME, inconnu).",
                        "Without a NIR, say why (tourist, AME, unknown).",
                    )
                ]
            )
        if self.nir is None and self.status in (InsStatus.RECUPEREE, InsStatus.QUALIFIEE):
            raise IdentityInputError(
                [
                    _err(
                        "status",
                        "identity.status_needs_nir",
                        "Une identité récupérée ou qualifiée exige un NIR.",
                        "A retrieved or qualified identity requires a NIR.",
                    )
                ]
            )

    def __repr__(self) -> str:  # no patient data in logs
        return f"PatientIdentity(<hidden>, status={self.status.value}, source={self.source})"

    @property
    def warnings(self) -> list[IdentityWarning]:
        """Warnings not yet acknowledged (see :func:`pending_warnings`)."""
        return pending_warnings(self)


def check_identity(identity: PatientIdentity) -> list[IdentityWarning]:
    """All cross-check warnings: NIR vs sex and date of birth, NIR place vs INSEE birth place."""
    if identity.nir is None:
        return []
    t = identity.traits
    warnings = check_nir_against(identity.nir, t.sex, t.birth_date)
    if identity.nir.born_abroad != t.born_abroad:
        warnings.append(
            IdentityWarning(
                "nir.place_mismatch",
                "Le lieu de naissance (France / étranger) ne correspond pas au NIR.",
                "The place of birth (France / abroad) does not match the NIR.",
            )
        )
    return warnings


def pending_warnings(identity: PatientIdentity) -> list[IdentityWarning]:
    """Warnings of :func:`check_identity` that have not been acknowledged."""
    done = {a.code for a in identity.acknowledged}
    return [w for w in check_identity(identity) if w.code not in done]


def age_on(birth_date: date, on: date) -> int:
    """Age in whole years on ``on`` (a 29 February birthday counts on 1 March)."""
    before_birthday = (on.month, on.day) < (birth_date.month, birth_date.day)
    return on.year - birth_date.year - before_birthday


# Upper bounds (exclusive) of the bands the doctor's waiting room shows instead of a birth date
# (data minimisation); 16 and 18 are where the parcours and participation rules change.
_AGE_BANDS = ((2, "0-1"), (16, "2-15"), (18, "16-17"), (40, "18-39"), (65, "40-64"), (75, "65-74"))


def age_band(birth_date: date, on: date) -> str:
    """Coarse age band for the waiting room (``"0-1"`` … ``"65-74"``, ``"75+"``), never the date."""
    age = age_on(birth_date, on)
    return next((label for upper, label in _AGE_BANDS if age < upper), "75+")
