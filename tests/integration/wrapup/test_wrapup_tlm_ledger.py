"""The pharmacist's yearly TLM total survives local retention (synced records purged after
30 days) and heals itself if the tally entry was lost between closing and writing it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from wrapup_testlib import encounter_in_wrap_up

from telecabine.services.billing_ledger import TALLY_ACTION, pharmacist_year_to_date
from telecabine.services.wrapup import (
    DISINFECTION_CHECKLIST,
    Disinfection,
    WrapUpForm,
    WrapUpService,
)
from telecabine.store.retention import purge

NOW = datetime(2026, 3, 2, 9, 40, tzinfo=UTC)


def _close(store, svc: WrapUpService) -> str:
    eid = encounter_in_wrap_up(store)
    ctx = svc.load(eid)
    closed = svc.close(eid, WrapUpForm(
        doctor=ctx.summary_act, accompanying_role="pharmacist", staff_name="Claire Dubois",
        disinfection=Disinfection(tuple(k for k, _, _ in DISINFECTION_CHECKLIST), NOW, "C"),
    ))  # fmt: skip
    return closed.record_uuid


def test_year_total_survives_retention_and_heals_a_lost_tally(station_store, monkeypatch):
    svc = WrapUpService(station_store, station_id="cabine-test", clock=lambda: NOW)
    uuids = [_close(station_store, svc) for _ in range(3)]
    assert pharmacist_year_to_date(station_store, "cabine-test", 2026) == Decimal("15.00")
    assert pharmacist_year_to_date(station_store, "cabine-test", 2025) == Decimal("0.00")
    assert pharmacist_year_to_date(station_store, "other-cabin", 2026) == Decimal("0.00")

    station_store.outbox.mark_sent(uuids, NOW)  # the hub has them: retention may purge them
    report = purge(station_store, 30, NOW + timedelta(days=31))
    assert report.counts["billing_records"] == 3
    assert pharmacist_year_to_date(station_store, "cabine-test", 2026) == Decimal("15.00")

    # A crash right after the closing transaction: the tally entry is never appended (the
    # audit log is append-only, so the loss is simulated where the entry would be written).
    def crash(*_a, **_k):
        raise OSError("power cut")

    monkeypatch.setattr("telecabine.services.wrapup.note_accompaniment", crash)
    fourth = _close(station_store, svc)
    assert not [e for e in station_store.audit.entries(limit=10_000) if e.object_id == fourth]
    assert pharmacist_year_to_date(station_store, "cabine-test", 2026) == Decimal("20.00")
    healed = [e for e in station_store.audit.entries(limit=10_000) if e.object_id == fourth]
    assert [e.action for e in healed] == [TALLY_ACTION]
    station_store.outbox.mark_sent([fourth], NOW)
    purge(station_store, 30, NOW + timedelta(days=62))
    assert pharmacist_year_to_date(station_store, "cabine-test", 2026) == Decimal("20.00")
