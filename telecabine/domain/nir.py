"""NIR (numéro d'inscription au répertoire, "numéro de sécurité sociale") parsing and checks.

Layout (INSEE; shared/design/DOMAIN.md §2), 15 characters:
sex (1) · year (2) · month (2) · place (5: department 2 + commune 3; overseas 97x/98x use
department 3 + commune 2; ``99`` + country code when born abroad; Corsica ``2A``/``2B``) ·
order (3) · key (2). Key = 97 − (first 13 digits mod 97), with 2A → 19 and 2B → 18 for the
computation.

Decision on the first digit: 1/2 are the permanent NIR (male/female). 3/4 (foreign persons being
registered) and 7/8 (temporary numbers, "NIA") are accepted too, flagged ``is_temporary`` so the
INS can be emitted under the NIA OID; odd = male, even = female as for 1/2. Other digits are
refused. Months 01-12 are real months; 20-42 and 50-99 occur when the civil record was
incomplete and are accepted with ``birth_month = None``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from telecabine.domain.errors import DomainError

INS_NIR_OID = "urn:oid:1.2.250.1.213.1.4.8"
INS_NIA_OID = "urn:oid:1.2.250.1.213.1.4.9"

_SPACES = str.maketrans("", "", " \t\u00a0\u202f")
_SHAPE = re.compile(r"[0-9]{5}(?:[0-9]{2}|2A|2B)[0-9]{8}")
_CORSICA = {"2A": "19", "2B": "18"}
_SEX_DIGITS = "123478"


class Sex(StrEnum):
    """Administrative sex as in the INS traits (M, F, or I for indeterminate)."""

    MALE = "M"
    FEMALE = "F"
    INDETERMINATE = "I"

    @property
    def label_fr(self) -> str:
        """French label."""
        return {"M": "Homme", "F": "Femme", "I": "Indéterminé"}[self.value]

    @property
    def label_en(self) -> str:
        """English label."""
        return {"M": "Male", "F": "Female", "I": "Indeterminate"}[self.value]


class NirError(DomainError):
    """A NIR that cannot be accepted; ``code`` is one of ``nir.*``, messages fit for the screen."""

    def __init__(self, code: str, message_fr: str, message_en: str):
        super().__init__(code, message_fr, message_en, field="nir")


def _fail(code: str, fr: str, en: str) -> NirError:
    return NirError(code, fr, en)


def nir_key(body: str) -> int:
    """The NIR key (1..97) of a 13-character body; 2A/2B are replaced by 19/18 first."""
    if len(body) != 13:
        raise _fail(
            "nir.length",
            "Le corps du NIR doit compter 13 caractères.",
            "The NIR body must have 13 characters.",
        )
    digits = body[:5] + _CORSICA.get(body[5:7], body[5:7]) + body[7:]
    if not digits.isascii() or not digits.isdigit():
        raise _fail(
            "nir.characters",
            "Le NIR ne peut contenir que des chiffres (et 2A/2B pour la Corse).",
            "The NIR may contain only digits (and 2A/2B for Corsica).",
        )
    return 97 - int(digits) % 97


@dataclass(frozen=True, slots=True)
class Nir:
    """A checked NIR; ``str()`` is the normalised 15 characters. Build it with :func:`parse_nir`."""

    value: str

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:  # never leak the number into logs through a repr
        return f"Nir({self.masked()!r})"

    @property
    def sex(self) -> Sex:
        """Male for odd first digits (1, 3, 7), female for even (2, 4, 8)."""
        return Sex.MALE if int(self.value[0]) % 2 else Sex.FEMALE

    @property
    def is_temporary(self) -> bool:
        """True for 3/4/7/8 numbers: a temporary number (NIA), not a permanent NIR."""
        return self.value[0] not in "12"

    @property
    def ins_oid(self) -> str:
        """FHIR identifier system of the INS matricule (INS-NIR or INS-NIA)."""
        return INS_NIA_OID if self.is_temporary else INS_NIR_OID

    @property
    def birth_year(self) -> str:
        """Last two digits of the birth year, as written."""
        return self.value[1:3]

    @property
    def month_code(self) -> int:
        """The month field as written (01-12, or 20-42 / 50-99 for an incomplete record)."""
        return int(self.value[3:5])

    @property
    def birth_month(self) -> int | None:
        """The birth month 1-12, or None when the civil record was incomplete."""
        return self.month_code if self.month_code <= 12 else None

    @property
    def born_abroad(self) -> bool:
        """True when the place field is 99 + country code."""
        return self.value[5:7] == "99"

    @property
    def department(self) -> str:
        """Department of birth (2A/2B for Corsica, 3 digits overseas, 99 when born abroad)."""
        return self.value[5:8] if self.value[5:7] in ("97", "98") else self.value[5:7]

    @property
    def commune(self) -> str:
        """Commune code within the department (country code when born abroad)."""
        return self.value[8:10] if self.value[5:7] in ("97", "98") else self.value[7:10]

    @property
    def birth_place(self) -> str:
        """The 5-character place code as written (department + commune, or 99 + country)."""
        return self.value[5:10]

    @property
    def order(self) -> str:
        """Order number of the birth in that place and month."""
        return self.value[10:13]

    @property
    def key(self) -> str:
        """The two key digits."""
        return self.value[13:15]

    def formatted(self) -> str:
        """Grouped for reading aloud: ``1 84 12 75 056 123 35``."""
        v = self.value
        return f"{v[0]} {v[1:3]} {v[3:5]} {v[5:7]} {v[7:10]} {v[10:13]} {v[13:15]}"

    def masked(self) -> str:
        """For screens that confirm a number without showing it: ``1 84 •• •• ••• ••• 35``.

        Still derived from patient data: never write it to logs either.
        """
        v = self.value
        return f"{v[0]} {v[1:3]} •• •• ••• ••• {v[13:15]}"


def parse_nir(text: str) -> Nir:
    """Parse a typed NIR (spaces and tabs allowed, any case) or raise :class:`NirError`."""
    if not isinstance(text, str):
        raise _fail("nir.empty", "Saisissez le NIR.", "Enter the NIR.")
    compact = text.translate(_SPACES).upper()
    if not compact:
        raise _fail("nir.empty", "Saisissez le NIR.", "Enter the NIR.")
    if len(compact) != 15:
        raise _fail(
            "nir.length",
            f"Le NIR compte 15 caractères, clé comprise ({len(compact)} saisis).",
            f"The NIR has 15 characters including the key ({len(compact)} entered).",
        )
    if not _SHAPE.fullmatch(compact):
        raise _fail(
            "nir.characters",
            "Le NIR ne peut contenir que des chiffres (et 2A/2B pour la Corse).",
            "The NIR may contain only digits (and 2A/2B for Corsica).",
        )
    if compact[0] not in _SEX_DIGITS:
        raise _fail(
            "nir.sex",
            "Le premier chiffre du NIR doit être 1 ou 2 (3, 4, 7, 8 pour un numéro provisoire).",
            "The first NIR digit must be 1 or 2 (3, 4, 7, 8 for a temporary number).",
        )
    month = int(compact[3:5])
    if not (1 <= month <= 12 or 20 <= month <= 42 or month >= 50):
        raise _fail(
            "nir.month",
            "Le mois de naissance du NIR (4e et 5e chiffres) est impossible.",
            "The NIR birth month (4th and 5th digits) is impossible.",
        )
    if compact[10:13] == "000":
        raise _fail(
            "nir.order",
            "Le numéro d'ordre du NIR (chiffres 11 à 13) ne peut pas être 000.",
            "The NIR order number (digits 11 to 13) cannot be 000.",
        )
    if int(compact[13:15]) != nir_key(compact[:13]):
        raise _fail(
            "nir.key_mismatch",
            "La clé du NIR ne correspond pas : vérifiez les deux derniers chiffres",
            "NIR key does not match: check the last two digits",
        )
    return Nir(compact)


@dataclass(frozen=True, slots=True)
class IdentityWarning:
    """An inconsistency the user may override with a reason (never blocks on its own)."""

    code: str
    message_fr: str
    message_en: str

    def message(self, lang: str = "fr") -> str:
        """The message in ``lang`` ("fr" or "en")."""
        return self.message_en if lang == "en" else self.message_fr


def check_nir_against(
    nir: Nir, sex: Sex | str | None, birth_date: date | None
) -> list[IdentityWarning]:
    """Warnings when the NIR disagrees with the entered sex or date of birth (empty if all agree)."""
    warnings: list[IdentityWarning] = []
    if sex is not None and Sex(sex) is not Sex.INDETERMINATE and Sex(sex) is not nir.sex:
        warnings.append(
            IdentityWarning(
                "nir.sex_mismatch",
                "Le sexe saisi ne correspond pas au premier chiffre du NIR.",
                "The sex entered does not match the first digit of the NIR.",
            )
        )
    if birth_date is not None:
        if f"{birth_date.year % 100:02d}" != nir.birth_year:
            warnings.append(
                IdentityWarning(
                    "nir.year_mismatch",
                    "L'année de naissance ne correspond pas aux chiffres 2 et 3 du NIR.",
                    "The year of birth does not match NIR digits 2 and 3.",
                )
            )
        if nir.birth_month is not None and nir.birth_month != birth_date.month:
            warnings.append(
                IdentityWarning(
                    "nir.month_mismatch",
                    "Le mois de naissance ne correspond pas aux chiffres 4 et 5 du NIR.",
                    "The month of birth does not match NIR digits 4 and 5.",
                )
            )
    return warnings
