"""What the intake answers say about billing, recomputed for the act date: in or out of the
parcours de soins (``domain.eligibility`` with the station's rules) and the exoneration to
propose (EHPAD resident, maternity, ALD). The staff confirms or corrects them on the wrap-up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from telecabine.domain.eligibility import ParcoursRules, PatientSituation, evaluate

_SITUATION_FIELDS = frozenset(PatientSituation.__dataclass_fields__) - {"birth_date"}


@dataclass(frozen=True, slots=True)
class EligibilityHints:
    """Pre-filled answers for the wrap-up screen (None = nothing known)."""

    in_parcours: bool | None = None
    exoneration: str | None = None
    explanation_fr: str = ""
    explanation_en: str = ""


def exoneration_of(situation: Mapping[str, Any]) -> str | None:
    """EHPAD first (ARS-funded, nothing for the resident), then maternity, then ALD."""
    if situation.get("ehpad_resident") is True:
        return "ehpad"
    if situation.get("maternity") is True:
        return "maternity"
    if situation.get("ald") is True:
        return "ald"
    return None


def eligibility_hints(
    draft: Mapping[str, Any], birth_date: date | None, on: date, rules: ParcoursRules | None
) -> EligibilityHints:
    """Hints from the encounter's draft (``situation`` saved by the intake, ``in_parcours``)."""
    raw = draft.get("situation")
    explicit = draft.get("in_parcours")
    if not isinstance(raw, Mapping):
        return EligibilityHints(explicit if isinstance(explicit, bool) else None)
    known = {k: v for k, v in raw.items() if k in _SITUATION_FIELDS and v is not None}
    try:
        result = evaluate(PatientSituation(birth_date=birth_date, **known), on, rules)
    except (TypeError, ValueError):  # a draft from an older version: let the staff decide
        return EligibilityHints(explicit if isinstance(explicit, bool) else None,
                                exoneration_of(raw))  # fmt: skip
    in_parcours = explicit if isinstance(explicit, bool) else result.in_parcours
    return EligibilityHints(
        in_parcours, exoneration_of(raw), result.explanation_fr, result.explanation_en
    )
