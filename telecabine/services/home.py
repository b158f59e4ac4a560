"""What the home screen shows: today's encounters, drafts, appointments, billing, equipment.

One read of the store's repositories per refresh (the home screen asks when it is shown). No
patient name leaves this module: a line carries initials only, since the home screen faces the
room between two patients.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any, Protocol

INTAKE_STATES = ("created", "identified", "consented")


@dataclass(frozen=True)
class EncounterLine:
    """One of today's encounters: when, its state, the patient's initials (or "")."""

    encounter_id: str
    created_at: datetime
    state: str
    initials: str


@dataclass(frozen=True)
class Appointment:
    """A booked visit (no appointment source exists yet: see ``AppointmentSource``)."""

    starts_at: datetime
    initials: str
    reason: str = ""


class AppointmentSource(Protocol):
    """Where booked appointments come from (a future hub or agenda connector)."""

    def appointments_between(self, start: datetime, end: datetime) -> Sequence[Appointment]:
        """Appointments starting in ``[start, end)``, in time order."""
        ...


@dataclass(frozen=True)
class EquipmentSummary:
    """The last equipment check of this session: when, passed, and the items not OK."""

    checked_at: datetime
    passed: bool
    problems_fr: tuple[str, ...] = ()
    problems_en: tuple[str, ...] = ()


@dataclass(frozen=True)
class BillingBacklog:
    """Billing records waiting for the hub (``failing`` = at least one failed attempt)."""

    pending: int
    failing: int


@dataclass(frozen=True)
class HomeSnapshot:
    """Everything the home screen shows, read at one moment."""

    today: list[EncounterLine]
    drafts: list[EncounterLine]
    appointments: list[Appointment] | None  # None = no appointment source configured
    billing: BillingBacklog
    equipment: EquipmentSummary | None  # None = not checked since the station started
    counts: dict[str, int] = field(default_factory=dict)  # today's encounters per state


class _Store(Protocol):
    @property
    def encounters(self) -> Any: ...
    @property
    def outbox(self) -> Any: ...


def _initials(first_names: str | None, birth_name: str | None) -> str:
    first = (first_names or "").replace(",", " ").split()
    parts = [first[0][:1]] if first else []
    if birth_name:
        parts.append(birth_name.strip()[:1])
    return ". ".join(p.upper() for p in parts) + ("." if parts else "")


class HomeOverview:
    """Reads the home screen's overview from the store (repositories only, no SQL here)."""

    def __init__(
        self,
        store: _Store,
        station_id: str,
        *,
        appointments: AppointmentSource | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        local_tz: Any = None,
    ) -> None:
        self._store = store
        self._station_id = station_id
        self._appointments = appointments
        self._clock = clock
        self._tz = local_tz
        self._equipment: EquipmentSummary | None = None

    def note_equipment_report(self, report: Any) -> None:
        """Keep the last equipment check (``PreflightReport``; wire ``EquipmentScreen.sig_report``)."""
        problems = [r for r in report.results if str(r.status) in ("warning", "failed")]
        self._equipment = EquipmentSummary(
            checked_at=self._clock(),
            passed=bool(report.passed),
            problems_fr=tuple(f"{r.label_fr} : {r.message_fr}" for r in problems),
            problems_en=tuple(f"{r.label_en}: {r.message_en}" for r in problems),
        )

    def today_bounds(self) -> tuple[datetime, datetime]:
        """Start and end (UTC) of the local calendar day."""
        now = self._clock().astimezone(self._tz)
        start = datetime.combine(now.date(), time(0), tzinfo=now.tzinfo)
        return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)

    def snapshot(self) -> HomeSnapshot:
        """Read everything once (a few indexed queries)."""
        start, end = self.today_bounds()
        rows = self._store.encounters.created_between(start, end, self._station_id)
        today = [
            EncounterLine(
                r.encounter_id, r.created_at, r.state, _initials(r.first_names, r.birth_name)
            )
            for r in rows
        ]
        drafts = [
            EncounterLine(e.id, e.created_at, e.state, "")
            for e in self._store.encounters.find_resumable(self._station_id)
            if e.state in INTAKE_STATES and e.draft_step
        ]
        counts: dict[str, int] = {}
        for line in today:
            counts[line.state] = counts.get(line.state, 0) + 1
        outbox = self._store.outbox.counts()
        appointments = (
            list(self._appointments.appointments_between(start, end))
            if self._appointments is not None
            else None
        )
        return HomeSnapshot(
            today=today,
            drafts=drafts,
            appointments=appointments,
            billing=BillingBacklog(outbox.pending, outbox.failing),
            equipment=self._equipment,
            counts=counts,
        )
