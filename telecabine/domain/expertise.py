"""Télé-expertise rules: who may bill, how much, and the yearly limit (DOMAIN.md §1, §7).

From 2022-04-01 a single level: the expert bills **TE2** (20 EUR, 23 EUR from 2026-01-01), the
requesting professional bills **RQD** (10 EUR), 100 % AMO; at most **4** télé-expertises per
patient, per expert, per calendar year. Requérants who may bill RQD: doctors, and since
2022-2023 nurses and pharmacists in some settings *(to confirm for the pharmacist)*; a care
assistant or an administrator may send a request but bills nothing. Amounts come from the
effective-dated tariff table (``billing/data/tariffs.json``), never from constants here.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from telecabine.domain.billing.tariffs import TariffTable, UnknownAct, tariff
from telecabine.domain.errors import DomainError

MAX_PER_PATIENT_EXPERT_YEAR = 4
RQD_ROLES = frozenset({"doctor", "nurse", "pharmacist"})
URGENCIES = ("routine", "urgent")


class ExpertiseLimitReached(DomainError):
    """A fifth request this year for the same patient and expert."""

    def __init__(self, year: int, count: int) -> None:
        super().__init__(
            "expertise_limit",
            f"Limite atteinte : {count} télé-expertises en {year} pour ce patient avec cet "
            f"expert (au plus {MAX_PER_PATIENT_EXPERT_YEAR} par an). Choisissez un autre expert "
            "ou proposez une téléconsultation.",
            f"Limit reached: {count} tele-expertises in {year} for this patient with this expert "
            f"(at most {MAX_PER_PATIENT_EXPERT_YEAR} a year). Choose another expert or offer a "
            "teleconsultation.",
            field="expert",
        )


@dataclass(frozen=True)
class ExpertiseAct:
    """One billable act of a télé-expertise: code, amount, who bills it."""

    code: str  # TE2 | RQD
    amount: Decimal
    biller: str  # "expert" | "requester"


@dataclass(frozen=True)
class ExpertiseBilling:
    """The acts of one answered télé-expertise, and why RQD is absent when it is."""

    acts: tuple[ExpertiseAct, ...]
    rqd_refused: str | None = None  # code: "role_not_eligible" | "not_in_force"


def check_yearly_limit(count_this_year: int, year: int) -> None:
    """Raise :class:`ExpertiseLimitReached` when ``count_this_year`` requests already exist."""
    if count_this_year >= MAX_PER_PATIENT_EXPERT_YEAR:
        raise ExpertiseLimitReached(year, count_this_year)


def expertise_billing(
    requester_role: str, on: date, table: TariffTable | None = None
) -> ExpertiseBilling:
    """TE2 for the expert, RQD for an eligible requérant, amounts in force on ``on``."""
    acts = [ExpertiseAct("TE2", tariff("TE2", on, table=table), "expert")]
    refused = None
    if requester_role not in RQD_ROLES:
        refused = "role_not_eligible"
    else:
        try:
            acts.append(ExpertiseAct("RQD", tariff("RQD", on, table=table), "requester"))
        except UnknownAct:
            refused = "not_in_force"
    return ExpertiseBilling(tuple(acts), refused)


def _fold(text: str) -> str:
    norm = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in norm if not unicodedata.combining(c)).upper().split())


def patient_key(nir: str | None, birth_name: str, first_names: str, birth_date: date) -> str:
    """A pseudonymous key for counting requests per patient (SHA-256 of the NIR, else of the
    folded identity traits); never stored next to the identity in logs."""
    basis = (
        nir.replace(" ", "").upper()
        if nir
        else (f"{_fold(birth_name)}|{_fold(first_names)}|{birth_date.isoformat()}")
    )
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()
