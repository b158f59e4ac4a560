"""Billing rules: effective-dated NGAP tariffs, coverage split, accompanying acts.

Import from here: ``from telecabine.domain.billing import tariff, compute_coverage, ...``.
Figures are data (``billing/data/tariffs.json``), correctable by an operator via
:func:`load_tariffs`.
"""

from telecabine.domain.billing.accompanying import (
    AccompanyingAct,
    AccompanyingRole,
    NurseSetting,
    accompanying_act,
    pharmacist_accompaniment,
    pharmacist_annual_forfait,
)
from telecabine.domain.billing.coverage import (
    EXONERATIONS,
    Coverage,
    Exoneration,
    compute_coverage,
    split_amount,
)
from telecabine.domain.billing.tariffs import (
    ActInfo,
    TariffTable,
    UnknownAct,
    act_info,
    amo_rate,
    load_tariffs,
    participation_forfaitaire,
    specialty_code,
    tariff,
)

__all__ = [
    "EXONERATIONS",
    "AccompanyingAct",
    "AccompanyingRole",
    "ActInfo",
    "Coverage",
    "Exoneration",
    "NurseSetting",
    "TariffTable",
    "UnknownAct",
    "accompanying_act",
    "act_info",
    "amo_rate",
    "compute_coverage",
    "load_tariffs",
    "participation_forfaitaire",
    "pharmacist_accompaniment",
    "pharmacist_annual_forfait",
    "specialty_code",
    "split_amount",
    "tariff",
]
