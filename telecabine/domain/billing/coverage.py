"""Who pays what for one act: AMO (Assurance Maladie), AMC (complémentaire), the patient.

Rules (shared/design/DOMAIN.md §1; rates are data in ``tariffs.json``):
- doctor acts: AMO 70 % in the parcours de soins, the out-of-parcours rate otherwise (to
  confirm); the complémentaire covers at most the usual ticket modérateur (30 %): "contrats
  responsables" do not cover the out-of-parcours penalty, so the patient pays it;
- ALD / maternity / other exoneration: 100 % AMO; EHPAD resident: financed by the ARS, nothing
  left for the resident (carried in ``amo`` with basis ``ehpad_ars_funded``);
- participation forfaitaire (CSS L160-13) on doctor acts, deducted from AMO, paid by the patient;
  not for minors, maternity, CSS/AME beneficiaries or EHPAD residents;
- tele-expertise and the pharmacist's TLM: 100 % AMO; nurse acts: 60 % AMO.
Every amount is a Decimal rounded to the cent; ``amo + amc + patient == tariff`` always.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from telecabine.domain.billing.tariffs import (
    CENT,
    Payer,
    TariffTable,
    UnknownAct,
    act_info,
    amo_rate,
    load_tariffs,
    participation_forfaitaire,
    tariff,
)
from telecabine.domain.eligibility import EligibilityResult
from telecabine.domain.errors import DomainError

Exoneration = Literal["ald", "maternity", "ehpad", "other"]
EXONERATIONS: tuple[str, ...] = ("ald", "maternity", "ehpad", "other")
PF_MIN_AGE = 18


@dataclass(frozen=True, slots=True)
class Coverage:
    """The split of one act; ``patient`` includes ``participation_forfaitaire``."""

    tariff: Decimal
    amo: Decimal
    amc: Decimal
    patient: Decimal
    participation_forfaitaire: Decimal
    amo_rate: Decimal
    basis: tuple[str, ...]
    to_confirm: bool = False

    def as_record(self) -> dict[str, str]:
        """The four amounts as the billing record's ``coverage`` object ("25.00" strings)."""
        return {
            "amo": f"{self.amo:.2f}",
            "amc": f"{self.amc:.2f}",
            "patient": f"{self.patient:.2f}",
            "participation_forfaitaire": f"{self.participation_forfaitaire:.2f}",
        }


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def split_amount(
    amount: Decimal,
    *,
    payer: Payer,
    on: date,
    in_parcours: bool,
    exoneration: Exoneration | None = None,
    has_complementary: bool = True,
    participation_applies: bool = True,
    table: TariffTable | None = None,
) -> Coverage:
    """Split ``amount`` (euros, ≥ 0, cents) of an act paid under rate family ``payer``."""
    table = table or load_tariffs()
    amount = Decimal(amount)
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(CENT):
        raise DomainError(
            "billing.amount",
            "Montant invalide : un nombre positif avec au plus deux décimales.",
            "Invalid amount: a positive number with at most two decimals.",
            field="amount",
        )
    if exoneration is not None and exoneration not in EXONERATIONS:
        raise DomainError(
            "billing.exoneration",
            f"Exonération inconnue : {exoneration}.",
            f"Unknown exoneration: {exoneration}.",
            field="exoneration",
        )
    basis: list[str] = []
    family = payer
    if payer == "doctor":
        family = "doctor_in_parcours" if in_parcours else "doctor_out_of_parcours"
        basis.append("in_parcours" if in_parcours else "out_of_parcours")
    reference = "doctor_in_parcours" if payer == "doctor" else family
    to_confirm = family in table.amo_rates_to_confirm
    if exoneration is not None:
        rate = Decimal("1.00")
        basis.append("ehpad_ars_funded" if exoneration == "ehpad" else f"exoneration_{exoneration}")
        to_confirm = False
    else:
        rate = amo_rate(family, on, table)
    amo_gross = _cents(amount * rate)
    ticket_moderateur = amount - amo_gross
    amc = Decimal("0.00")
    if has_complementary:
        usual = amount - _cents(amount * amo_rate(reference, on, table))
        amc = min(ticket_moderateur, usual)
    pf = Decimal("0.00")
    pf_due = (
        participation_applies and payer == "doctor" and exoneration not in ("maternity", "ehpad")
    )
    if pf_due:
        pf = min(participation_forfaitaire(on, table), amo_gross)
        if pf:
            basis.append("participation_forfaitaire")
    elif payer == "doctor":
        basis.append("participation_forfaitaire_exempt")
    amo = amo_gross - pf
    patient = amount - amo - amc
    return Coverage(amount, amo, amc, patient, pf, rate, tuple(basis), to_confirm)


def compute_coverage(
    act_code: str,
    on: date,
    *,
    eligibility: EligibilityResult | bool,
    exoneration: Exoneration | None = None,
    specialty: str | None = None,
    has_complementary: bool = True,
    patient_age: int | None = None,
    css_or_ame: bool = False,
    table: TariffTable | None = None,
) -> Coverage:
    """Tariff of ``act_code`` on ``on`` split into AMO / AMC / patient shares.

    ``eligibility`` is the :func:`~telecabine.domain.eligibility.evaluate` result (or just
    in/out of the parcours). Raises :class:`UnknownAct` for an act not reimbursable that day.
    """
    table = table or load_tariffs()
    code = act_code.strip().upper()
    if isinstance(eligibility, EligibilityResult):
        if not eligibility.reimbursable:
            raise UnknownAct(code, on)
        in_parcours = eligibility.in_parcours
    else:
        in_parcours = bool(eligibility)
    amount = tariff(code, on, specialty=specialty, table=table)
    info = act_info(code, table)
    assert info is not None  # tariff() raised otherwise
    minor = patient_age is not None and patient_age < PF_MIN_AGE
    return split_amount(
        amount,
        payer=info.payer,
        on=on,
        in_parcours=in_parcours,
        exoneration=exoneration,
        has_complementary=has_complementary,
        participation_applies=not (minor or css_or_ame),
        table=table,
    )
