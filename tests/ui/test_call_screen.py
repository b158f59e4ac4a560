"""Call screen (offscreen): banners, doctor prompts, stethoscope, documents, video, end/cancel."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace

import av
import numpy as np
import pytest

from telecabine.devices.mailbox import LatestValueMailbox, VideoFrame
from telecabine.services.consultation import ConsultationEvents
from telecabine.session.media_in import RemoteVideo

PDF_MINI = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]"
    b"/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


class FakeConsultation:
    """Stands in for ConsultationService: same events, records commands."""

    def __init__(self) -> None:
        self.events = ConsultationEvents()
        box: LatestValueMailbox[VideoFrame] = LatestValueMailbox()
        box.put(VideoFrame(np.full((360, 640, 3), 90, np.uint8), 1, time.monotonic(), time.time()))
        self.call = SimpleNamespace(remote_video=RemoteVideo(), cameras={"room": box},
                                    video=SimpleNamespace(role="room"))  # fmt: skip
        self.printer = None
        self.calls: list[tuple] = []

    async def start_call(self, *args) -> None:
        self.calls.append(("start", *args))

    async def measure(self, kind: str) -> None:
        self.calls.append(("measure", kind))

    async def cancel(self) -> None:
        self.calls.append(("cancel",))

    async def hang_up(self) -> None:
        self.calls.append(("hang_up",))

    def set_muted(self, muted: bool) -> None:
        self.calls.append(("mute", muted))


@pytest.fixture
def screen(qtbot):
    from telecabine.ui.screens.call import CallScreen

    consult = FakeConsultation()
    w = CallScreen(consult)
    qtbot.addWidget(w)
    return w, consult


async def _settle():
    await asyncio.sleep(0)
    await asyncio.sleep(0)


async def test_waiting_reconnecting_and_prompt(screen):
    w, c = screen
    w.on_enter({"encounter_id": "e1", "reason": "Toux", "age_band": "40-64", "lang": "fr"})
    await _settle()
    assert c.calls[0] == ("start", "e1", "Toux", "40-64", [])
    for cb in c.events.state:
        cb("waiting")
    for cb in c.events.position:
        cb(2)
    assert w.banner.text() == "En attente d'un médecin — position 2"
    for cb in c.events.state:
        cb("reconnecting")
    assert w.banner.text() == "Reconnexion… l'appel va reprendre"
    for cb in c.events.prompt:
        cb("blood_pressure", "Le médecin demande la tension", "The doctor asks for the BP")
    assert not w.prompt.isHidden() and w.prompt.text() == "Le médecin demande la tension"
    w.measure_button.click()
    await _settle()
    assert ("measure", "blood_pressure") in c.calls and w.prompt.isHidden()


async def test_stethoscope_quality_document_and_video(screen):
    w, c = screen
    for cb in c.events.stethoscope:
        cb(True)
    assert not w.stethoscope.isHidden()
    for cb in c.events.quality:
        cb("poor", "Mauvaise connexion : l'image ou le son peuvent couper")
    assert w.quality.text().startswith("Mauvaise connexion")
    for cb in c.events.document:
        cb("prescription", "rx.pdf", PDF_MINI, "/tmp/x.pdf")
    assert w.document_info.text() == "Ordonnance reçue — imprimée"
    assert not w.document_preview.pixmap().isNull()
    frame = av.VideoFrame.from_ndarray(np.full((240, 320, 3), 200, np.uint8), format="rgb24")
    c.call.remote_video.push(frame)
    w.refresh_video()
    assert not w.doctor_video.pixmap().isNull() and not w.self_view.pixmap().isNull()
    assert w.live_camera.text() == "En direct : Caméra de la pièce"


async def test_end_button_cancels_while_waiting_and_hangs_up_in_call(screen, qtbot):
    w, c = screen
    for cb in c.events.state:
        cb("waiting")
    with qtbot.waitSignal(w.sig_back, timeout=1000):
        w.end_button.click()
    await _settle()
    assert ("cancel",) in c.calls
    for cb in c.events.state:
        cb("in_call")
    w.end_button.click()
    await _settle()
    assert ("hang_up",) in c.calls
    with qtbot.waitSignal(w.sig_next, timeout=1000):
        for cb in c.events.ended:
            cb({"act_code": "TCG"})
