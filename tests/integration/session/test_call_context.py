"""What the doctor is told (patient_context from the encrypted store) and reliable delivery in
the station's call session: ack, resend on a new channel, duplicates ignored by id."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import numpy as np
import pytest

from telecabine.devices.mailbox import LatestValueMailbox, VideoFrame
from telecabine.protocol import datachannel as dc
from telecabine.services.call_context import CallContextReader
from telecabine.services.consultation import CallSetup, ConsultationService
from telecabine.session.call import CallSession

NIR = "184127505612355"
T0 = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


def _encounter(store, ins_status: str, *, staff: bool = True):
    staff_id = None
    if staff:
        staff_id = store.staff.add(login=f"ph-{ins_status}", display_name="Anne Pharma",
                                   role="pharmacist", pin_hash="x").id  # fmt: skip
    enc = store.encounters.create("cabine-1", staff_id=staff_id)
    patient = store.patients.create(birth_name="MARTIN", first_names="Paul Louis",
                                    birth_date=date(1984, 12, 1), sex="M", nir=NIR,
                                    used_name="DURAND", ins_status=ins_status)  # fmt: skip
    store.encounters.attach_patient(enc.id, patient.id)
    store.encounters.save_draft(enc.id, "measuring", {
        "reason": "Fièvre depuis 3 jours",
        "situation": {"has_medecin_traitant": True, "orientation_by_medecin_traitant": True,
                      "alternance_respected": True, "teleconsultant_in_territory": True}})  # fmt: skip
    store.encounters.add_observation(enc.id, code="8310-5", value=38.9, unit="Cel",
                                     method="manual", measured_at=T0, flag="high")  # fmt: skip
    store.encounters.add_observation(enc.id, code="8480-6", value=128, unit="mm[Hg]",
                                     method="device:cuff-1", measured_at=T0 + timedelta(minutes=1),
                                     flag="normal")  # fmt: skip
    return enc.id


def test_qualified_identity_shows_the_ins_matricule(station_store):
    ctx = CallContextReader(station_store).read(_encounter(station_store, "qualifiee"))
    ident = ctx.identity
    assert (ident.birth_name, ident.first_names, ident.used_name) == (
        "MARTIN",
        "Paul Louis",
        "DURAND",
    )
    assert ident.birth_date == date(1984, 12, 1) and ident.sex == "M"
    assert (
        ident.matricule == "1 84 12 75 056 123 55"
        and ident.ins_oid == "urn:oid:1.2.250.1.213.1.4.8"
    )
    assert ident.nir_masked is None
    assert ctx.reason == "Fièvre depuis 3 jours"
    assert ctx.eligibility.in_parcours is True and ctx.eligibility.explanation_fr
    assert [(v.code, v.flag) for v in ctx.vitals] == [("8310-5", "high"), ("8480-6", "normal")]
    assert ctx.vitals[0].label_fr == "Température" and ctx.vitals[0].id is None
    assert (ctx.staff.name, ctx.staff.role) == ("Anne Pharma", "pharmacist")
    assert dc.parse(dc.encode(ctx), dc.STATION_TO_DOCTOR) == ctx  # what goes on the wire


@pytest.mark.parametrize("status", ["provisoire", "recuperee", "validee"])
def test_unqualified_identity_never_carries_the_matricule(station_store, status):
    ctx = CallContextReader(station_store).read(_encounter(station_store, status, staff=False))
    assert ctx.identity.matricule is None and ctx.identity.ins_oid is None
    assert ctx.identity.nir_masked == "1 84 •• •• ••• ••• 55"
    assert NIR not in dc.encode(ctx) and "1 84 12 75" not in dc.encode(ctx)
    assert ctx.staff is None


def test_service_defaults_to_the_store_of_its_repository(station_store):
    eid = _encounter(station_store, "validee")
    setup = CallSetup(hub_url="http://127.0.0.1:9", station_token="t", station_id="cabine-1",
                      cabin="Cabine", cameras={})  # fmt: skip
    service = ConsultationService(station_store.encounters, setup)
    service.encounter_id = eid
    shown: list = []
    service.events.vital.append(shown.append)
    service._show_known_vitals()
    assert [v.code for v in shown] == ["8310-5", "8480-6"]
    assert service._patient_context().identity.nir_masked


class FakePeer:
    """Records what the session sends; ``open`` says whether the channel is up."""

    def __init__(self, open_: bool = True) -> None:
        self.open = open_
        self.sent: list = []

    def send(self, message) -> bool:
        if self.open:
            self.sent.append(message)
        return self.open


def _session() -> CallSession:
    box: LatestValueMailbox[VideoFrame] = LatestValueMailbox()
    box.put(VideoFrame(np.zeros((36, 64, 3), np.uint8), 1, 0.0, 0.0))
    call = CallSession(SimpleNamespace(), "cabine-1", {"room": box}, play_audio=False)
    call.encounter_id = "enc-1"
    return call


async def test_doctor_messages_acked_and_resent_ids_ignored():
    call = _session()
    call.peer = FakePeer()
    seen: list = []
    call.observers.on_doctor_message.append(seen.append)
    chat = dc.Chat(id="c-1", text="Bonjour", at=T0, **{"from": "doctor"})
    req = dc.RequestMeasurement(kind="spo2", id="m-1")
    for msg in (chat, req, chat, req):  # the console resent both after a reconnection
        await call._on_channel_message(msg)
    assert seen == [chat, req]
    assert call.peer.sent == [dc.Ack(id="c-1"), dc.Ack(id="m-1")] * 2
    await call._on_channel_message(dc.RequestMeasurement(kind="weight"))  # no id: older console
    assert len(seen) == 3 and len(call.peer.sent) == 4
    call.video.stop()


async def test_station_messages_kept_until_acked_and_resent_on_a_new_channel():
    call = _session()
    call.peer = FakePeer(open_=False)  # channel not open yet: nothing leaves, nothing is lost
    vital = dc.Vital(code="8310-5", label_fr="T", label_en="T", value=38.0, unit="Cel",
                     method="manual", measured_at=T0, id="v-1")  # fmt: skip
    chat = dc.Chat(id="s-1", text="Oui", at=T0, **{"from": "station"})
    assert call.send_reliable(vital) is False and call.send_reliable(chat) is False
    assert call.unacknowledged == 2
    context = dc.PatientContext(encounter_id="enc-1", reason="Toux")
    call.context = lambda: context
    call.peer = FakePeer()  # the channel opens
    call._send_hello()
    assert [m.type for m in call.peer.sent] == ["hello", "patient_context", "vital", "chat"]
    await call._on_channel_message(dc.Ack(id="v-1"))
    assert call.unacknowledged == 1
    call.peer = FakePeer()  # reconnection: only the unacknowledged chat goes again
    call._send_hello()
    assert [m.type for m in call.peer.sent] == ["hello", "patient_context", "chat"]
    call.video.stop()


async def test_a_context_that_cannot_be_read_does_not_stop_the_hello():
    call = _session()
    call.peer = FakePeer()

    def broken():
        raise RuntimeError("store closed")

    call.context = broken
    call._send_hello()
    assert [m.type for m in call.peer.sent] == ["hello"]
    call.video.stop()
