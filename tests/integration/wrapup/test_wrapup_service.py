"""Wrap-up service on a real station store: billing record + outbox row in one transaction."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from wrapup_testlib import encounter_in_wrap_up

from telecabine.protocol.billing import BillingRecord
from telecabine.services.sync_outbox import StoreOutbox
from telecabine.services.wrapup import (
    DISINFECTION_CHECKLIST,
    Disinfection,
    DoctorAct,
    WrapUpError,
    WrapUpForm,
    WrapUpService,
    act_from_summary,
)
from telecabine.store.tables import BillingRecordRow

NOW = datetime(2026, 3, 2, 9, 40, tzinfo=UTC)
ALL_ITEMS = tuple(k for k, _, _ in DISINFECTION_CHECKLIST)


def _form(ctx, **kw) -> WrapUpForm:
    base = dict(
        doctor=ctx.summary_act, accompanying_role="pharmacist", staff_name="Claire Dubois",
        staff_rpps="10000000002", printed_document_ids=[d.id for d in ctx.documents],
        disinfection=Disinfection(ALL_ITEMS, NOW, "Claire Dubois"),
    )  # fmt: skip
    base.update(kw)
    return WrapUpForm(**base)


def test_close_writes_record_and_outbox_row_and_wakes_sync(station_store):
    eid = encounter_in_wrap_up(station_store)
    woken = []
    svc = WrapUpService(station_store, station_id="cabine-test", clock=lambda: NOW,
                        on_closed=woken.append)  # fmt: skip
    ctx = svc.load(eid)
    assert ctx.summary_act.act_code == "TCG" and ctx.summary_act.from_summary
    assert [d.kind for d in ctx.documents] == ["prescription"]
    closed = svc.close(eid, _form(ctx))
    record = BillingRecord.model_validate(closed.payload)
    assert record.doctor.act_code == "TCG" and record.doctor.amount == 25  # TCG 2026
    assert record.accompanying.act_code == "TLM" and record.patient.nir == "248057512345690"
    c = record.coverage
    assert c.amo + c.amc + c.patient == record.doctor.amount
    assert woken == [closed]
    assert station_store.encounters.get(eid).state == "closed"
    assert StoreOutbox(station_store).counts().pending == 1
    with station_store.read() as s:
        assert s.get(BillingRecordRow, closed.record_uuid).encounter_id == eid
    assert all(d.printed_at is not None for d in station_store.encounters.documents(eid))
    rec = svc.record(eid)
    assert rec.disinfection["by"] == "Claire Dubois" and rec.doctor["act_code"] == "TCG"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (dict(doctor=None), "act_code"),
        (dict(disinfection=None), "disinfection"),
        (dict(disinfection=Disinfection(ALL_ITEMS[:2], NOW, "C")), "disinfection"),
        (dict(staff_name="  "), "staff_name"),
    ],
)
def test_incomplete_wrap_up_is_refused_and_nothing_is_written(station_store, change, field):
    eid = encounter_in_wrap_up(station_store)
    svc = WrapUpService(station_store, station_id="cabine-test", clock=lambda: NOW)
    with pytest.raises(WrapUpError) as err:
        svc.close(eid, _form(svc.load(eid), **change))
    assert err.value.field == field and err.value.message("en")
    assert station_store.encounters.get(eid).state == "wrap_up"
    assert StoreOutbox(station_store).counts().pending == 0


def test_act_entered_by_hand_when_the_summary_never_came(station_store):
    eid = encounter_in_wrap_up(station_store, summary=None)
    svc = WrapUpService(station_store, station_id="cabine-test", clock=lambda: NOW)
    ctx = svc.load(eid)
    assert ctx.summary_act is None
    by_hand = DoctorAct("Dr Anne Roux", "10000000003", "Dermatologie", "TC", "advice")
    with pytest.raises(WrapUpError):  # TC needs a known specialty in the tariff table
        svc.close(eid, _form(ctx, doctor=by_hand))
    ok = DoctorAct("Dr Anne Roux", "10000000003", "", "TCG", "advice")
    closed = svc.close(eid, _form(ctx, doctor=ok, accompanying_role="nurse",
                                  nurse_setting="dedicated_place"))  # fmt: skip
    assert closed.payload["accompanying"]["act_code"] == "TLL"


def test_act_from_summary_ignores_empty():
    assert act_from_summary(None) is None and act_from_summary({"act_code": ""}) is None
