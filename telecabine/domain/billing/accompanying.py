"""The accompanying professional's act: pharmacist TLM (per-act amount with a yearly cap) or
nurse TLS / TLL / TLD chosen by the setting (shared/design/DOMAIN.md §1, "accompanying
professional"). The doctor's own act is reported by the console at the end of the call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from telecabine.domain.billing.tariffs import (
    TariffTable,
    UnknownAct,
    load_tariffs,
    tariff,
    to_amount,
)
from telecabine.domain.datafile import DataFileError, parse_date
from telecabine.domain.errors import DomainError

ZERO = Decimal("0.00")


class AccompanyingRole(StrEnum):
    """Who is at the cabin with the patient (values match the billing record)."""

    PHARMACIST = "pharmacist"
    NURSE = "nurse"
    DOCTOR = "doctor"
    OTHER = "other"


class NurseSetting(StrEnum):
    """Where the nurse accompanies the teleconsultation; decides TLS / TLL / TLD."""

    PLANNED_VISIT = "planned_visit"  # TLS: during a nursing visit already planned
    DEDICATED_PLACE = "dedicated_place"  # TLL: in a place dedicated to teleconsultation
    HOME_VISIT = "home_visit"  # TLD: home visit organised for the teleconsultation

    @property
    def act_code(self) -> str:
        """The NGAP code for this setting."""
        return {"planned_visit": "TLS", "dedicated_place": "TLL", "home_visit": "TLD"}[self.value]


@dataclass(frozen=True, slots=True)
class AccompanyingAct:
    """What the accompanying professional records for this teleconsultation."""

    role: AccompanyingRole
    act_code: str | None
    amount: Decimal
    cap_reached: bool = False
    year_to_date_after: Decimal | None = None
    annual_cap: Decimal | None = None
    note: str | None = None


def _pharmacist_terms(on: date, table: TariffTable) -> tuple[Decimal, Decimal] | None:
    """(per act, annual cap) in force on ``on``, or None under the 2019 yearly-forfait regime."""
    where = f"{table.where} pharmacist_accompaniment"
    try:
        for p in table.pharmacist["periods"]:
            until = p.get("until")
            if parse_date(where, p["from"]) <= on and (
                until is None or on <= parse_date(where, until)
            ):
                return to_amount(where, p["per_act"]), to_amount(where, p["annual_cap"])
    except (KeyError, TypeError) as exc:
        raise DataFileError(where, f"champ manquant / missing field {exc}") from exc
    return None


def pharmacist_accompaniment(
    on: date, year_to_date: Decimal, table: TariffTable | None = None
) -> AccompanyingAct:
    """TLM for one teleconsultation given the amount already billed this calendar year.

    Since 2022-05-07: 5 EUR per act, at most 750 EUR a year: the billable amount is what is left
    under the cap. Before (2019 regime) TLM is a tracer at 0 EUR and the pharmacist is paid a
    yearly forfait (see :func:`pharmacist_annual_forfait`).
    """
    table = table or load_tariffs()
    year_to_date = Decimal(year_to_date)
    if not year_to_date.is_finite() or year_to_date < 0:
        raise DomainError(
            "billing.year_to_date",
            "Cumul annuel invalide (doit être positif).",
            "Invalid year-to-date total (must be positive).",
        )
    tariff("TLM", on, table=table)  # raises UnknownAct before the tracer existed
    terms = _pharmacist_terms(on, table)
    if terms is None:
        return AccompanyingAct(AccompanyingRole.PHARMACIST, "TLM", ZERO, note="annual_forfait_2019")
    per_act, cap = terms
    billable = max(ZERO, min(per_act, cap - year_to_date))
    after = year_to_date + billable
    return AccompanyingAct(
        AccompanyingRole.PHARMACIST,
        "TLM",
        billable,
        cap_reached=after >= cap,
        year_to_date_after=after,
        annual_cap=cap,
        note="annual_cap_reached" if billable < per_act else None,
    )


def pharmacist_annual_forfait(
    act_count: int, year: int, table: TariffTable | None = None
) -> Decimal:
    """2019 regime (avenant 15): yearly forfait by number of accompanied teleconsultations."""
    table = table or load_tariffs()
    raw = table.pharmacist.get("annual_forfait_2019")
    where = f"{table.where} annual_forfait_2019"
    if raw is None:
        return ZERO
    start, end = parse_date(where, raw["from"]), parse_date(where, raw["until"])
    if not start.year <= year <= end.year or act_count <= 0:
        return ZERO
    amount = ZERO
    for tier in sorted(raw["tiers"], key=lambda t: t["min_acts"]):
        if act_count >= tier["min_acts"]:
            amount = to_amount(where, tier["amount"])
    return amount


def accompanying_act(
    role: AccompanyingRole | str,
    on: date,
    *,
    nurse_setting: NurseSetting | str | None = None,
    pharmacist_year_to_date: Decimal = ZERO,
    table: TariffTable | None = None,
) -> AccompanyingAct:
    """The act of whoever accompanies the patient: TLM, TLS/TLL/TLD, or none (doctor, other)."""
    role = AccompanyingRole(role)
    if role is AccompanyingRole.PHARMACIST:
        return pharmacist_accompaniment(on, pharmacist_year_to_date, table)
    if role is AccompanyingRole.NURSE:
        if nurse_setting is None:
            raise DomainError(
                "billing.nurse_setting",
                "Précisez le cadre de l'accompagnement infirmier (soin prévu, lieu dédié, "
                "domicile).",
                "Select the nursing setting (planned visit, dedicated place, home visit).",
                field="nurse_setting",
            )
        code = NurseSetting(nurse_setting).act_code
        return AccompanyingAct(role, code, tariff(code, on, table=table))
    return AccompanyingAct(role, None, ZERO)


__all__ = [
    "AccompanyingAct",
    "AccompanyingRole",
    "NurseSetting",
    "UnknownAct",
    "accompanying_act",
    "pharmacist_accompaniment",
    "pharmacist_annual_forfait",
]
