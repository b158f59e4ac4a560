"""Booked teleconsultations: Europe/Paris wall-clock times, DST-correct, and the territorial
rule of the teleconsultation référentiel (arrêté of 9 February 2024, ETHT.02: offer a doctor of
the patient's territory first).

Times are stored in UTC and shown in Paris time. A wall-clock time that does not exist (the
spring-forward hour, e.g. 29 March 2026 02:30) is refused with a message; one that happens
twice (the autumn fall-back hour, 25 October 2026 02:30) means the first occurrence (summer
time) unless ``second=True``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from telecabine.domain.errors import DomainError

PARIS = ZoneInfo("Europe/Paris")
REMINDERS = (timedelta(hours=24), timedelta(hours=1))
_DAYS_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
              "septembre", "octobre", "novembre", "décembre")  # fmt: skip


class AppointmentError(DomainError):
    """A booking that cannot be made as asked."""


def paris_to_utc(local: datetime, *, second: bool = False) -> datetime:
    """A naive Paris wall-clock time to UTC; refuses times skipped by the spring change."""
    if local.tzinfo is not None:
        return local.astimezone(UTC)
    aware = local.replace(tzinfo=PARIS, fold=1 if second else 0)
    back = aware.astimezone(UTC).astimezone(PARIS).replace(tzinfo=None)
    if back != local:
        raise AppointmentError(
            "appointment_time_gap",
            f"{local:%H:%M} n'existe pas ce jour-là (passage à l'heure d'été) : choisissez une "
            "autre heure.",
            f"{local:%H:%M} does not exist that day (clocks go forward): choose another time.",
            field="starts_at",
        )
    return aware.astimezone(UTC)


def is_ambiguous(local: datetime) -> bool:
    """True for a Paris wall-clock time that happens twice (the autumn fall-back hour)."""
    first = local.replace(tzinfo=PARIS, fold=0).astimezone(UTC)
    second = local.replace(tzinfo=PARIS, fold=1).astimezone(UTC)
    return first != second and first.astimezone(PARIS).replace(tzinfo=None) == local


def format_paris(when: datetime, lang: str = "fr") -> str:
    """``dimanche 29 mars 2026 à 10:00 (heure de Paris)`` / ``Sunday 29 March 2026, 10:00
    (Paris time)``."""
    local = when.astimezone(PARIS)
    if lang == "en":
        return f"{local:%A} {local.day} {local:%B %Y}, {local:%H:%M} (Paris time)"
    day = _DAYS_FR[local.weekday()]
    month = _MONTHS_FR[local.month - 1]
    return f"{day} {local.day} {month} {local.year} à {local:%H:%M} (heure de Paris)"


def reminder_times(starts_at: datetime) -> list[datetime]:
    """When the 24 h and 1 h reminders go (UTC): exact durations before the start, so a DST
    change in between does not move them by an hour."""
    return [starts_at.astimezone(UTC) - delta for delta in REMINDERS]


@dataclass(frozen=True)
class DoctorChoice:
    """A doctor who can be booked, and whether she covers the patient's département."""

    username: str
    name: str
    specialty: str
    departements: tuple[str, ...]

    def in_territory(self, departement: str | None) -> bool:
        """True when she covers ``departement``."""
        return departement is not None and departement in self.departements


def territorial_first(
    doctors: Sequence[DoctorChoice], departement: str | None
) -> list[DoctorChoice]:
    """Doctors of the patient's département first (ETHT.02), then the others, each by name."""
    return sorted(doctors, key=lambda d: (not d.in_territory(departement), d.name))
