"""Station CallSession <-> an aiortc doctor on this machine: media, data channel, switching."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from session_testlib import ROLE_COLORS, AiortcDoctor, PatternCamera, StationSide, near, wait_for

from telecabine.protocol import datachannel as dc
from telecabine.protocol import signaling as sig
from telecabine.session.call import CallSession
from telecabine.session.documents import split_document

PDF = b"%PDF-1.7\n" + b"0123456789" * 5000 + b"\n%%EOF\n"


@pytest.fixture
async def call():
    cams = {r: PatternCamera(r) for r in ("room", "otoscope")}
    for c in cams.values():
        c.start()
    doctor = AiortcDoctor()
    session = CallSession(StationSide(doctor), "cabine-test",
                          {r: c.mailbox for r, c in cams.items()}, play_audio=False)  # fmt: skip
    doctor.station = session
    yield session, doctor, cams
    await session.close()
    await doctor.close()
    for c in cams.values():
        await c.stop()


async def _join(session: CallSession) -> None:
    await session.announce("enc-1", "fièvre", "30-39", "cabine-test")
    await session.on_signal(sig.DoctorJoined(
        encounter_id="enc-1", doctor=sig.DoctorPublic(name="Dr Test", specialty="MG")))  # fmt: skip


async def test_call_connects_and_carries_media_both_ways(call):
    session, doctor, _ = call
    t0 = time.monotonic()
    await _join(session)
    await wait_for(lambda: doctor.frames > 0, 10, "first station frame at the doctor")
    first_frame_s = time.monotonic() - t0
    await wait_for(lambda: session.remote_video.frames > 5, 10, "doctor video at the station")
    await wait_for(lambda: session.state == "in_call", 5, "in_call state")
    assert near(doctor.last_center, ROLE_COLORS["room"])
    assert first_frame_s < 5  # loaded 2-core box; the e2e bench measures the real figure
    hello = doctor.of_type("hello")
    assert hello and hello[0].cameras == ["room", "otoscope"] and hello[0].live_camera == "room"


async def test_doctor_switches_camera_on_the_same_track(call):
    session, doctor, _ = call
    await _join(session)
    await wait_for(lambda: near(doctor.last_center, ROLE_COLORS["room"]), 10, "room picture")
    # Video can arrive before the data channel is open (SCTP starts after DTLS): wait for it.
    await doctor.wait_channel()
    offers = doctor.offers
    doctor.send(dc.SwitchCamera(role="otoscope"))
    await wait_for(lambda: near(doctor.last_center, ROLE_COLORS["otoscope"]), 5, "otoscope")
    assert doctor.offers == offers  # no renegotiation
    await wait_for(lambda: doctor.of_type("camera_changed"), 2, "camera_changed")
    doctor.send(dc.SwitchCamera(role="dermatoscope"))  # not connected in this cabin
    await wait_for(lambda: doctor.of_type("error"), 2, "error for a missing camera")


async def test_document_is_verified_and_acknowledged(call):
    session, doctor, _ = call
    received = []

    async def store(doc):
        received.append(doc)

    session.observers.on_document.append(store)
    await _join(session)
    await doctor.wait_channel()
    begin, chunks, end = split_document("rx-1", "prescription", "ordonnance.pdf", PDF)
    for m in (begin, *chunks, end):
        doctor.send(m)
    await wait_for(lambda: doctor.of_type("document_ack"), 5, "document ack")
    assert doctor.of_type("document_ack")[0].ok and received[0].data == PDF
    bad_begin = begin.model_copy(update={"id": "rx-2", "sha256": "f" * 64})
    for m in (bad_begin, *[c.model_copy(update={"id": "rx-2"}) for c in chunks],
              dc.DocumentEnd(id="rx-2")):  # fmt: skip
        doctor.send(m)
    await wait_for(lambda: len(doctor.of_type("document_ack")) == 2, 5, "second ack")
    ack = doctor.of_type("document_ack")[1]
    assert not ack.ok and ack.error == "checksum_mismatch"
    assert [i.kind for i in session.incidents] == ["document_rejected"]


async def test_vitals_reach_the_doctor_and_requests_reach_the_service(call):
    session, doctor, _ = call
    requests = []
    session.observers.on_doctor_message.append(requests.append)
    await _join(session)
    await doctor.wait_channel()
    vital = dc.Vital(code="8310-5", label_fr="Température", label_en="Temperature", value=38.2,
                     unit="Cel", method="device:sim-thermo", measured_at=datetime.now(UTC),
                     flag="high")  # fmt: skip
    await wait_for(lambda: session.send(vital), 2, "send vital")
    await wait_for(lambda: doctor.of_type("vital"), 5, "vital at the doctor")
    assert doctor.of_type("vital")[0].value == 38.2
    doctor.send(dc.RequestMeasurement(kind="blood_pressure"))
    doctor.send(dc.StethoscopeRequest(on=True))
    await wait_for(lambda: len(requests) == 2, 5, "doctor requests")
    assert requests[0].kind == "blood_pressure" and session.audio.stethoscope_on
    await wait_for(lambda: doctor.of_type("stethoscope_changed"), 2, "stethoscope indicator")


async def test_device_loss_switches_to_remaining_camera_and_is_recorded(call):
    session, doctor, cams = call
    await _join(session)
    await doctor.wait_channel()
    session.switch_camera("otoscope")
    await wait_for(lambda: near(doctor.last_center, ROLE_COLORS["otoscope"]), 5, "otoscope")
    await cams["otoscope"].stop()
    await session.device_lost("otoscope")
    await wait_for(lambda: near(doctor.last_center, ROLE_COLORS["room"]), 5, "back to room")
    assert session.incidents[-1].kind == "device_lost"
    assert session.incidents[-1].detail == "camera:otoscope"


async def test_station_offers_h264_first_with_playout_delay_and_encodes_with_the_tuned_encoder(
    call,
):
    from telecabine.session.encoders import ENCODE_STATS
    from telecabine.session.playout import PLAYOUT_DELAY_URI

    session, doctor, _ = call
    ENCODE_STATS.reset()
    await _join(session)
    await wait_for(lambda: doctor.frames > 3, 10, "station frames at the doctor")
    offer = session.peer.pc.localDescription.sdp
    video = offer[offer.index("m=video") :]
    first_pt = video.split("\r\n")[0].split()[3]  # m=video <port> <proto> <first payload type>
    assert f"a=rtpmap:{first_pt} H264/90000" in video
    assert "VP8/90000" in video  # still offered: a browser without H.264 falls back to it
    assert PLAYOUT_DELAY_URI in video
    assert ENCODE_STATS.summary()["codec"] == "H264" and ENCODE_STATS.frames > 3
