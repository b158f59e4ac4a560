"""Texts of the measurement screen: step titles, guidance sentences, statuses, flags, numbers.

Kept apart from the widget code so the screen stays short; every string is a literal
``QCoreApplication.translate("MeasurementScreen", ...)`` call so pyside6-lupdate extracts it.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QCoreApplication

from telecabine.domain.vitals import MeasurementKind, Observation, display_unit
from telecabine.services.measurement import Status


# Source strings (French first) are written as literal QCoreApplication.translate("Context",
# "text") calls: pyside6-lupdate only extracts that form (not a one-argument wrapper).
def step_title(kind: MeasurementKind) -> str:
    """Short name of a step (button text)."""
    return {
        MeasurementKind.TEMPERATURE: QCoreApplication.translate("MeasurementScreen", "Température"),
        MeasurementKind.BLOOD_PRESSURE: QCoreApplication.translate("MeasurementScreen", "Tension"),
        MeasurementKind.SPO2: QCoreApplication.translate("MeasurementScreen", "Oxygène"),
        MeasurementKind.WEIGHT: QCoreApplication.translate("MeasurementScreen", "Poids"),
        MeasurementKind.HEART_RATE: QCoreApplication.translate("MeasurementScreen", "Pouls"),
    }[kind]


def instruction(kind: MeasurementKind) -> str:
    """The one guidance sentence shown with the picture."""
    return {
        MeasurementKind.TEMPERATURE: QCoreApplication.translate(
            "MeasurementScreen",
            "Placez le thermomètre sous la langue, bouche fermée, jusqu'au signal sonore.",
        ),
        MeasurementKind.BLOOD_PRESSURE: QCoreApplication.translate(
            "MeasurementScreen",
            "Placez le brassard sur le bras gauche, deux doigts au-dessus du coude, "
            "bras posé sur la table à hauteur du cœur.",
        ),
        MeasurementKind.SPO2: QCoreApplication.translate(
            "MeasurementScreen",
            "Placez l'oxymètre au bout de l'index, main posée sur la table et immobile.",
        ),
        MeasurementKind.WEIGHT: QCoreApplication.translate(
            "MeasurementScreen", "Montez sur la balance pieds nus et restez immobile."
        ),
        MeasurementKind.HEART_RATE: QCoreApplication.translate(
            "MeasurementScreen",
            "Attachez la ceinture sous la poitrine, capteur au centre, contre la peau.",
        ),
    }[kind]


def status_text(status: Status) -> str:
    """Live status line."""
    return {
        Status.SEARCHING: QCoreApplication.translate(
            "MeasurementScreen", "Recherche de l'appareil…"
        ),
        Status.CONNECTED: QCoreApplication.translate("MeasurementScreen", "Appareil connecté"),
        Status.MEASURING: QCoreApplication.translate("MeasurementScreen", "Mesure en cours…"),
        Status.DONE: QCoreApplication.translate("MeasurementScreen", "Mesure terminée"),
        Status.FAILED: QCoreApplication.translate("MeasurementScreen", "La mesure a échoué"),
    }[status]


def flag_text(flag: str | None) -> str:
    """Words for a flag (colour is never the only carrier)."""
    return {
        "normal": QCoreApplication.translate("MeasurementScreen", "Normal"),
        "low": QCoreApplication.translate("MeasurementScreen", "Bas"),
        "high": QCoreApplication.translate("MeasurementScreen", "Élevé"),
        "critical": QCoreApplication.translate("MeasurementScreen", "À signaler au médecin"),
    }.get(flag or "", "")


def format_number(value: float, lang: str) -> str:
    """``38.5`` -> ``38,5`` in French; integers without decimals."""
    text = f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
    return text.replace(".", ",") if lang == "fr" else text


def battery_text(level: int) -> str:
    """Battery line shown once connected; a low battery asks for a recharge."""
    if level < 20:
        return QCoreApplication.translate(
            "MeasurementScreen", "Batterie faible ({n} %) : rechargez l'appareil après la mesure."
        ).format(n=level)
    return QCoreApplication.translate("MeasurementScreen", "Batterie {n} %").format(n=level)


def live_text(live: Mapping[str, tuple[float, str]], lang: str) -> str:
    """A progress value (cuff pressure while inflating, live SpO2...)."""
    key = "cuff" if "cuff" in live else next(iter(live))
    value, unit = live[key]
    return f"{format_number(value, lang)} {display_unit(unit)}"


_SEVERITY = ["normal", "low", "high", "critical"]


def observations_text(observations: tuple[Observation, ...], lang: str) -> tuple[str, str]:
    """(the large value, the lines under it): worst flag, other values, "manual" mark."""
    by_code = {o.code: o for o in observations}
    if "8480-6" in by_code and "8462-4" in by_code:
        s, d = by_code["8480-6"], by_code["8462-4"]
        main = f"{format_number(s.value, lang)}/{format_number(d.value, lang)} mmHg"
        flags = [s.flag, d.flag]
        rest = [o for o in observations if o.code not in ("8480-6", "8462-4", "8478-0")]
    else:
        first = observations[0]
        main = f"{format_number(first.value, lang)} {display_unit(first.unit)}"
        flags = [first.flag]
        rest = list(observations[1:])
    worst = max(flags, key=lambda f: _SEVERITY.index(f) if f else -1)
    lines = [flag_text(worst)] if worst else []
    for o in rest:
        label = o.label_en if lang == "en" else o.label_fr
        lines.append(f"{label} : {format_number(o.value, lang)} {display_unit(o.unit)}")
    if observations and observations[0].is_manual:
        lines.append(QCoreApplication.translate("MeasurementScreen", "(saisie manuelle)"))
    return main, "\n".join(line for line in lines if line)
