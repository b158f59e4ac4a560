"""Call screen (offscreen): banners, doctor prompts, stethoscope, documents, video, end/cancel,
vitals strip, chat replies (touch buttons and typed), English catalogue."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace

import av
import numpy as np
import pytest
from PySide6.QtCore import Qt

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

    def send_chat(self, text: str) -> bool:
        self.calls.append(("chat", text))
        return bool(text.strip())


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


def _vital(code, label, value, unit, flag, minute=0):
    from datetime import UTC, datetime

    return SimpleNamespace(code=code, label_fr=label, label_en=label + " (en)", value=value,
                           unit=unit, flag=flag,
                           measured_at=datetime(2026, 12, 3, 9, minute, tzinfo=UTC))  # fmt: skip


async def test_vitals_strip_keeps_the_latest_value_per_measure_with_its_flag(screen):
    w, c = screen
    assert w.vitals.text() == "" and not w.vitals._empty.isHidden()
    for cb in c.events.vital:
        cb(_vital("8310-5", "Température", 38.9, "Cel", "high", minute=5))
        cb(_vital("8480-6", "Pression systolique", 182, "mm[Hg]", "critical", minute=6))
        cb(_vital("8310-5", "Température", 37.0, "Cel", "normal", minute=1))  # older, late
    assert w.vitals.text().splitlines() == [
        "Température : 38.9 °C ⚠ élevé", "Pression systolique : 182 mmHg ⚠ critique"]  # fmt: skip
    assert w.vitals.chips["8480-6"].property("flag") == "critical"
    assert w.vitals._empty.isHidden()
    for cb in c.events.vital:
        cb(_vital("8310-5", "Température", 37.2, "Cel", "normal", minute=9))
    assert w.vitals.chips["8310-5"].text() == "Température\n37.2 °C"


async def test_doctor_message_captioned_and_answered_by_touch_or_typing(screen, qtbot):
    w, c = screen
    w.resize(1280, 800)
    w.show()
    for cb in c.events.chat:
        cb("doctor", "Avez-vous de la fièvre ?")
    assert w.caption.text() == "Avez-vous de la fièvre ?" and w.caption.isVisible()
    band, view = w.caption.geometry(), w.doctor_video.rect()
    assert band.bottom() > view.height() * 0.8 and band.width() > view.width() * 0.9  # subtitle
    assert w.chat.item(w.chat.count() - 1).text() == "Médecin : Avez-vous de la fièvre ?"
    for key, button in w.reply_buttons.items():
        assert button.height() >= 48 and button.width() >= 48, key
    qtbot.mouseClick(w.reply_buttons["Oui"], Qt.MouseButton.LeftButton)
    assert ("chat", "Oui") in c.calls
    assert w.chat.item(w.chat.count() - 1).text() == "Cabine : Oui"
    qtbot.keyClicks(w.reply_input, "  Depuis hier soir ")
    qtbot.keyClick(w.reply_input, Qt.Key.Key_Return)
    assert ("chat", "Depuis hier soir") in c.calls and w.reply_input.text() == ""
    count = len(c.calls)
    w.reply_send.click()  # empty field: nothing sent
    assert len(c.calls) == count


async def test_several_requests_queue_and_video_fills_its_area(screen):
    w, c = screen
    w.resize(1280, 800)
    w.show()
    for cb in c.events.prompt:
        cb(
            "temperature",
            "Le médecin demande la température",
            "The doctor asks for the temperature",
        )
        cb("spo2", "Le médecin demande la saturation (SpO₂)", "The doctor asks for the SpO₂")
        cb(
            "temperature",
            "Le médecin demande la température",
            "The doctor asks for the temperature",
        )
    assert w.prompt.text().splitlines() == [
        "Le médecin demande la température", "Le médecin demande la saturation (SpO₂)"]  # fmt: skip
    w.measure_button.click()
    await _settle()
    assert ("measure", "temperature") in c.calls
    assert w.prompt.text() == "Le médecin demande la saturation (SpO₂)"
    frame = av.VideoFrame.from_ndarray(np.full((720, 1280, 3), 200, np.uint8), format="rgb24")
    c.call.remote_video.push(frame)
    w.refresh_video()
    area, picture = w.doctor_video.size(), w.doctor_video.picture_rect()
    # The doctor fills her area on one axis (aspect kept): no large empty band on both sides.
    assert picture.width() == area.width() or picture.height() == area.height()
    assert picture.width() * picture.height() >= 0.7 * area.width() * area.height()
    assert area.width() >= 0.6 * w.width()
    for cb in c.events.vital:  # a full set of measures still fits a 1280 px kiosk
        for i, code in enumerate(("8310-5", "8480-6", "8462-4", "2708-6", "8867-4", "29463-7")):
            cb(_vital(code, "Fréquence cardiaque", 100 + i, "/min", "high"))
    assert w.minimumSizeHint().width() <= 1280


def test_every_call_screen_string_has_english(qapp):
    import re
    from pathlib import Path

    from telecabine.ui.i18n import read_ts

    root = Path(__file__).resolve().parents[2]
    source = (root / "telecabine" / "ui" / "screens" / "call.py").read_text("utf-8")
    literals = set(re.findall(r'_t\("((?:[^"\\]|\\.)*)"\)', source))
    table = read_ts(root / "resources" / "i18n" / "call_en.ts")
    missing = [s for s in literals if ("CallScreen", s) not in table]
    assert len(literals) > 30 and not missing


async def test_screen_in_english(screen, qapp):
    from pathlib import Path

    from telecabine.ui.i18n import TsTranslator, read_ts

    root = Path(__file__).resolve().parents[2]
    translator = TsTranslator(read_ts(root / "resources" / "i18n" / "call_en.ts"))
    qapp.installTranslator(translator)
    try:
        w, c = screen
        w.retranslate("en")
        assert w.reply_buttons["Pouvez-vous répéter ?"].text() == "Could you repeat that?"
        assert w.reply_send.text() == "Send" and w.end_button.text() == "End the call"
        for cb in c.events.vital:
            cb(_vital("8310-5", "Température", 38.9, "Cel", "high"))
        assert w.vitals.text() == "Température (en) : 38.9 °C ⚠ high"
    finally:
        qapp.removeTranslator(translator)
