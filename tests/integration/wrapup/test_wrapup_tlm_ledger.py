"""Closing a consultation is one transaction (documents printed, wrap-up, billing record,
outbox row, the pharmacist's TLM tally); the yearly TLM total survives local retention and
reading it never writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlmodel import func, select
from wrapup_testlib import encounter_in_wrap_up

from telecabine.services.billing_ledger import pharmacist_year_to_date
from telecabine.services.wrapup import (
    DISINFECTION_CHECKLIST,
    Disinfection,
    WrapUpError,
    WrapUpForm,
    WrapUpService,
)
from telecabine.store import tables
from telecabine.store.retention import purge

NOW = datetime(2026, 3, 2, 9, 40, tzinfo=UTC)


def _form(ctx, printed=()) -> WrapUpForm:
    return WrapUpForm(
        doctor=ctx.summary_act, accompanying_role="pharmacist", staff_name="Claire Dubois",
        disinfection=Disinfection(tuple(k for k, _, _ in DISINFECTION_CHECKLIST), NOW, "C"),
        printed_document_ids=tuple(printed),
    )  # fmt: skip


def _close(store, svc: WrapUpService) -> str:
    eid = encounter_in_wrap_up(store)
    return svc.close(eid, _form(svc.load(eid))).record_uuid


def _counts(store) -> dict[str, int]:
    with store.read() as s:
        return {t.__tablename__: s.exec(select(func.count()).select_from(t)).one()
                for t in (tables.BillingRecordRow, tables.OutboxEntry, tables.PharmacistTally,
                          tables.AuditEntry)}  # fmt: skip


def test_year_total_survives_retention_and_reading_never_writes(station_store):
    svc = WrapUpService(station_store, station_id="cabine-test", clock=lambda: NOW)
    uuids = [_close(station_store, svc) for _ in range(3)]
    before = _counts(station_store)
    assert before["pharmacist_tally"] == 3
    assert pharmacist_year_to_date(station_store, "cabine-test", 2026) == Decimal("15.00")
    assert pharmacist_year_to_date(station_store, "cabine-test", 2025) == Decimal("0.00")
    assert pharmacist_year_to_date(station_store, "other-cabin", 2026) == Decimal("0.00")
    assert _counts(station_store) == before  # a read writes nothing

    station_store.outbox.mark_sent(uuids, NOW)  # the hub has them: retention may purge them
    report = purge(station_store, 30, NOW + timedelta(days=31))
    assert report.counts["billing_records"] == 3
    assert pharmacist_year_to_date(station_store, "cabine-test", 2026) == Decimal("15.00")


def test_a_failure_mid_close_leaves_nothing_half_written(station_store, monkeypatch):
    svc = WrapUpService(station_store, station_id="cabine-test", clock=lambda: NOW)
    eid = encounter_in_wrap_up(station_store)
    doc = station_store.encounters.documents(eid)[0]
    draft = station_store.encounters.load_draft(eid)
    before = _counts(station_store)

    # The last write of the transaction fails (disk full, power cut...): after the documents,
    # the wrap-up, the record, the outbox row and the audit entry were already written in it.
    def fail(**_kw):
        raise OSError("disk full")

    monkeypatch.setattr("telecabine.store.repositories.encounters.PharmacistTally", fail)
    with pytest.raises(OSError, match="disk full"):
        svc.close(eid, _form(svc.load(eid), printed=[doc.id]))
    assert _counts(station_store) == before
    assert station_store.encounters.get(eid).state == "wrap_up"
    assert station_store.encounters.documents(eid)[0].printed_at is None
    assert station_store.encounters.load_draft(eid) == draft  # no wrap-up kept
    monkeypatch.undo()

    closed = svc.close(eid, _form(svc.load(eid), printed=[doc.id]))  # staff tries again: fine
    assert station_store.encounters.get(eid).state == "closed"
    assert station_store.encounters.documents(eid)[0].printed_at is not None
    assert "wrap_up" in station_store.encounters.load_draft(eid).data
    after = _counts(station_store)
    assert {k: after[k] - before[k] for k in after} == {
        "billing_record": 1, "outbox": 1, "pharmacist_tally": 1, "audit_log": 1}  # fmt: skip
    with pytest.raises(WrapUpError) as refused:  # the state machine, checked inside the tx
        svc.close(eid, _form(svc.load(eid)))
    assert refused.value.field == "state"
    assert _counts(station_store) == after
    assert closed.record_uuid
