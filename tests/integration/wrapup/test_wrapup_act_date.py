"""The act date is the cabin's calendar day: a consultation at 00:30 in Paris on 1 January 2026
is billed at the 2026 tariff (TE2 23 EUR), though it is still 31 December in UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from wrapup_testlib import encounter_in_wrap_up

from telecabine.services.wrapup import (
    DISINFECTION_CHECKLIST,
    Disinfection,
    DoctorAct,
    WrapUpForm,
    WrapUpService,
)

START = datetime(2025, 12, 31, 23, 30, tzinfo=UTC)  # 00:30 on 1 January in Paris


@pytest.mark.parametrize(
    ("tz", "act_date", "amount"),
    [(ZoneInfo("Europe/Paris"), "2026-01-01", "23.00"), (UTC, "2025-12-31", "20.00")],
)
def test_act_date_follows_the_cabin_time_zone(station_store, tz, act_date, amount):
    eid = encounter_in_wrap_up(station_store)
    with station_store.write() as session:  # the encounter began at START
        from telecabine.store.tables import Encounter

        enc = session.get(Encounter, eid)
        enc.created_at = START
        session.add(enc)
    svc = WrapUpService(station_store, station_id="cabine-test", clock=lambda: START, tz=tz)
    assert svc.load(eid).act_date.isoformat() == act_date
    form = WrapUpForm(
        doctor=DoctorAct("Dr B", "10000000009", "Cardiologie", "TE2", "advice"),
        accompanying_role="pharmacist", staff_name="Claire Dubois",
        disinfection=Disinfection(tuple(k for k, _, _ in DISINFECTION_CHECKLIST), START, "C"),
    )  # fmt: skip
    closed = svc.close(eid, form)
    assert closed.payload["act_date"] == act_date
    assert closed.payload["doctor"]["amount"] == amount
