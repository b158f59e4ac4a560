"""Summary rows for the answers that change billing or eligibility (issue 17 item 1).

A specialty or a situation box changed by mistake (a stray wheel turn, a stray tap) changes the
tariff or the parcours de soins verdict: the recap shows them, in words, before they count.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QCoreApplication

from telecabine.ui.screens.patient import _SITUATION, _SPECIALTIES

_CTX = "KioskSummary"
ROWS = (
    ("specialty", "Spécialité du téléconsultant"),
    ("situation", "Situation déclarée (parcours de soins)"),
)


def row_label(key: str) -> str:
    """The translated label of row ``key``."""
    return QCoreApplication.translate(_CTX, dict(ROWS)[key])


def billing_values(situation: Mapping[str, Any]) -> dict[str, str]:
    """Specialty and the situation answers given, in the current language."""
    code = situation.get("specialty") or "general_practice"
    specialty = dict(_SPECIALTIES).get(code, code)
    answers = []
    for name, label in _SITUATION:
        given = (
            situation.get("has_medecin_traitant") is False
            if name == "no_medecin_traitant"
            else bool(situation.get(name))
        )
        if given:
            answers.append(QCoreApplication.translate("PatientScreen", label))
    return {
        "specialty": QCoreApplication.translate("PatientScreen", specialty),
        "situation": "\n".join(f"• {a}" for a in answers)
        or QCoreApplication.translate(_CTX, "Aucune réponse cochée"),
    }
