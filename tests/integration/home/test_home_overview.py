"""HomeOverview over a real encrypted store: today's encounters, drafts, billing, equipment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from telecabine.services.home import Appointment, HomeOverview
from telecabine.services.preflight import CheckResult, CheckStatus, PreflightReport

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def _patient(store, name: str, first: str):
    return store.patients.create(
        birth_name=name, first_names=first, birth_date=date(1984, 5, 12), sex="M", now=NOW
    )


def _fill(store):
    s = store
    yesterday = s.encounters.create("cab-1", now=NOW - timedelta(days=1))
    closed = s.encounters.create("cab-1", now=NOW.replace(hour=9))
    s.encounters.attach_patient(closed.id, _patient(s, "DUPONT", "Jean, Paul").id, now=NOW)
    s.encounters.close_with_billing(
        closed.id, {"n": 1}, "rec-1", now=NOW.replace(hour=9, minute=30)
    )
    draft = s.encounters.create("cab-1", now=NOW.replace(hour=11))
    s.encounters.set_state(draft.id, "identified", now=NOW.replace(hour=11, minute=5))
    s.encounters.save_draft(draft.id, "consent", {"form": {}})
    other_station = s.encounters.create("cab-2", now=NOW.replace(hour=10))
    return yesterday, closed, draft, other_station


def test_snapshot_reads_today_drafts_and_billing(station_store) -> None:
    _yesterday, closed, draft, _other = _fill(station_store)
    overview = HomeOverview(station_store, "cab-1", clock=lambda: NOW, local_tz=UTC)
    snap = overview.snapshot()
    assert [line.encounter_id for line in snap.today] == [draft.id, closed.id]  # newest first
    assert snap.today[1].initials == "J. D." and snap.today[1].state == "closed"
    assert snap.counts == {"identified": 1, "closed": 1}
    assert [d.encounter_id for d in snap.drafts] == [draft.id]
    assert (snap.billing.pending, snap.billing.failing) == (1, 0)
    assert snap.appointments is None  # no agenda connected: the panel stays hidden
    assert snap.equipment is None
    station_store.outbox.mark_sent(["rec-1"], now=NOW)
    assert overview.snapshot().billing.pending == 0


def test_equipment_report_and_appointment_source(station_store) -> None:
    @dataclass
    class Agenda:
        asked: list

        def appointments_between(self, start, end):
            self.asked.append((start, end))
            return [Appointment(NOW.replace(hour=16), "A. B.", "Renouvellement")]

    agenda = Agenda([])
    overview = HomeOverview(
        station_store, "cab-1", appointments=agenda, clock=lambda: NOW, local_tz=UTC
    )
    report = PreflightReport(
        [
            CheckResult("microphone", CheckStatus.FAILED, True, "Muet", "Silent"),
            CheckResult("disk", CheckStatus.OK, True, "OK", "OK"),
        ],
        NOW,
    )
    overview.note_equipment_report(report)
    snap = overview.snapshot()
    assert snap.equipment is not None and not snap.equipment.passed
    assert snap.equipment.problems_fr == ("Micro : Muet",)
    assert snap.equipment.problems_en[0].endswith(": Silent")
    assert snap.appointments[0].reason == "Renouvellement"
    assert agenda.asked == [(NOW.replace(hour=0), NOW.replace(hour=0) + timedelta(days=1))]
