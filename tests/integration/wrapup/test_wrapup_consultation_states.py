"""Every encounter state change of the consultation and the wrap-up goes through the domain
state machine: illegal steps raise, nothing is stored, and the legal path still works."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from wrapup_testlib import T_START, encounter_in_wrap_up

from telecabine.domain.encounter import IllegalTransition
from telecabine.services.consultation import CallSetup, ConsultationError, ConsultationService
from telecabine.services.wrapup import (
    DISINFECTION_CHECKLIST,
    Disinfection,
    WrapUpError,
    WrapUpForm,
    WrapUpService,
)

NOW = datetime(2026, 3, 2, 9, 40, tzinfo=UTC)
# Port 9 (discard) on loopback: nothing listens; the state check must refuse before any I/O.
SETUP = CallSetup(hub_url="http://127.0.0.1:9", station_token="t", station_id="cabine-test",
                  cabin="cabine-test", cameras={})  # fmt: skip
DOCTOR = SimpleNamespace(name="Dr A", specialty="MG")


def _encounter(store, *states: str) -> str:
    enc = store.encounters.create("cabine-test", now=T_START)
    for state in states:
        store.encounters.set_state(enc.id, state, now=T_START)
    return enc.id


async def test_a_call_cannot_start_before_consent(station_store):
    eid = _encounter(station_store, "identified")
    service = ConsultationService(station_store.encounters, SETUP)
    with pytest.raises(ConsultationError, match="identified"):
        await service.start_call(eid, "fièvre", "40-49")
    assert service.call is None and station_store.encounters.get(eid).state == "identified"


async def test_doctor_joining_then_hanging_up_walks_in_call_then_wrap_up(station_store):
    eid = _encounter(station_store, "identified", "consented", "measuring")
    service = ConsultationService(station_store.encounters, SETUP)
    service.encounter_id = eid
    service._on_doctor(DOCTOR)
    assert station_store.encounters.get(eid).state == "in_call"
    service._on_doctor(DOCTOR)  # a second doctor_joined (reconnect): no new step, no error
    await service._after_end()
    assert station_store.encounters.get(eid).state == "wrap_up"


async def test_doctor_joining_an_abandoned_encounter_is_refused_and_kept_abandoned(station_store):
    eid = _encounter(station_store, "identified", "consented")
    station_store.encounters.set_state(eid, "abandoned", abandon_reason="staff_cancelled")
    service = ConsultationService(station_store.encounters, SETUP)
    service.encounter_id = eid
    joined: list = []
    service.events.doctor.append(lambda *a: joined.append(a))
    with pytest.raises(IllegalTransition):
        service._on_doctor(DOCTOR)
    assert station_store.encounters.get(eid).state == "abandoned"
    assert joined == []  # the screen never shows a doctor for it
    kinds = [i.kind for i in station_store.encounters.incidents(eid)]
    assert kinds == ["encounter_not_callable"]
    await service._after_end()  # the end of such a call does not revive it
    assert station_store.encounters.get(eid).state == "abandoned"


def test_wrap_up_closes_once_and_only_from_wrap_up(station_store):
    svc = WrapUpService(station_store, station_id="cabine-test", clock=lambda: NOW)
    eid = encounter_in_wrap_up(station_store)
    ctx = svc.load(eid)
    form = WrapUpForm(
        doctor=ctx.summary_act, accompanying_role="pharmacist", staff_name="Claire Dubois",
        disinfection=Disinfection(tuple(k for k, _, _ in DISINFECTION_CHECKLIST), NOW, "C"),
    )  # fmt: skip
    svc.close(eid, form)
    with pytest.raises(WrapUpError) as again:
        svc.close(eid, form)
    assert again.value.field == "state" and again.value.code == "encounter.illegal_transition"
    early = _encounter(station_store, "identified", "consented", "in_call")
    station_store.encounters.attach_patient(early, station_store.encounters.get(eid).patient_id)
    with pytest.raises(WrapUpError) as not_yet:
        svc.close(early, form)
    assert "in_call" in not_yet.value.message_fr
    assert station_store.encounters.get(early).state == "in_call"


async def test_a_call_without_an_encounter_is_refused_in_words(station_store):
    service = ConsultationService(station_store.encounters, SETUP)
    for missing in (None, "no-such-encounter"):
        with pytest.raises(ConsultationError, match="Aucune consultation en cours"):
            await service.start_call(missing, "fièvre", "40-49")
    assert service.call is None
