"""Equipment check screen: every state rendered, a full run, unplug banner, remembered choices."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from qasync import QEventLoop

from telecabine.config import load_settings
from telecabine.devices.registry import DeviceRegistry, load_device_choices
from telecabine.hub.config import HubSettings
from telecabine.hub.server import start_hub
from telecabine.services.preflight import CheckResult, CheckStatus, Preflight
from telecabine.ui.screens.equipment import EquipmentScreen


@pytest.fixture
def loop(qapp):
    loop = QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    yield loop
    loop.close()  # SPIKES: an unclosed qasync loop aborts the interpreter at exit
    asyncio.set_event_loop(None)


def _dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def build(qtbot, data_dir: Path, lang: str = "fr", **kw):
    base = {"data_dir": data_dir, "simulated_devices": True, "preflight_listen_s": 0.3,
            "camera_width": 640, "camera_height": 480, "preflight_min_free_mb": 1,
            "hub_url": _dead_url()}  # fmt: skip
    settings = load_settings(**(base | kw))
    registry = DeviceRegistry(settings)
    screen = EquipmentScreen(Preflight(settings, registry), lang=lang)
    qtbot.addWidget(screen)
    screen.resize(1280, 800)
    screen.show()
    return screen, registry


def test_every_state_renders(qtbot, data_dir: Path) -> None:
    screen, registry = build(qtbot, data_dir)
    try:
        screen._build_rows()
        words = {}
        for status in CheckStatus:
            res = CheckResult("microphone", status, True, f"fr {status}", f"en {status}")
            screen.show_result(res)
            row = screen.rows["microphone"]
            words[status] = row.badge.text()
            done = status not in (CheckStatus.PENDING, CheckStatus.RUNNING)
            assert row.message.text() == (f"fr {status}" if done else "")
            assert row.name.text() == "Micro"
        assert len(set(words.values())) == len(CheckStatus)
        assert words[CheckStatus.FAILED].startswith("✖") and "Échec" in words[CheckStatus.FAILED]
        assert "Attention" in words[CheckStatus.WARNING]
        screen.show_result(CheckResult("microphone", CheckStatus.RUNNING, True, "", ""))
        assert screen.instruction.text().startswith("Dites quelques mots")
        screen.show_result(
            CheckResult("microphone", CheckStatus.FAILED, True, "fr failed", "en failed")
        )
        assert screen.instruction.text() == ""
        screen.retranslate("en")
        assert screen.rows["microphone"].message.text() == "en failed"
        assert screen.rows["microphone"].name.text() == "Microphone"
    finally:
        screen.clear()
        registry.stop_all()


def test_full_run_asks_about_the_speaker_and_blocks_on_required_failure(
    qtbot, loop, data_dir: Path
) -> None:
    screen, registry = build(qtbot, data_dir)
    asked = []

    def answer_when_asked() -> None:
        if screen.question.isVisible():
            asked.append(screen.question_label.text())
            screen.yes_button.click()

    timer = QTimer()
    timer.timeout.connect(answer_when_asked)
    timer.start(50)
    try:
        screen.on_enter({"lang": "fr"})  # the path app.py takes: check runs as a loop task
        assert screen._task is not None
        report = loop.run_until_complete(asyncio.wait_for(screen._task, 30))
        enabled, summary = screen.next_button.isEnabled(), screen.summary.text()
        assert screen.preview.frames_shown > 0
    finally:
        timer.stop()
        screen.clear()
        registry.stop_all()
    assert asked and "entendu" in asked[0]
    assert screen.rows["speaker"].status == CheckStatus.OK
    assert screen.rows["camera:room"].status == CheckStatus.OK
    assert screen.rows["hub"].status == CheckStatus.FAILED
    assert "Internet" in screen.rows["hub"].message.text()
    assert not report.passed
    assert not enabled and "indispensable" in summary


def test_passing_run_enables_continue(qtbot, loop, data_dir: Path, tmp_path: Path) -> None:
    hub = loop.run_until_complete(
        start_hub(
            HubSettings(
                database_url=f"sqlite+aiosqlite:///{tmp_path}/hub.db",
                data_dir=tmp_path,
                host="127.0.0.1",
                port=0,
            )
        )
    )
    screen, registry = build(qtbot, data_dir, lang="en", hub_url=hub.url)
    timer = QTimer()
    timer.timeout.connect(lambda: screen.question.isVisible() and screen.yes_button.click())
    timer.start(50)
    try:
        report = loop.run_until_complete(asyncio.wait_for(screen.run_check(), 30))
        enabled, summary = screen.next_button.isEnabled(), screen.summary.text()
    finally:
        timer.stop()
        screen.clear()
        registry.stop_all()
        loop.run_until_complete(hub.stop())
    assert report.passed, [(r.key, r.message_en) for r in report.results if r.status != "ok"]
    assert enabled and summary  # no translator loaded in tests: the French source shows
    assert screen.rows["hub"].message.text().startswith("Server reachable")


def test_unplugged_camera_shows_a_message_and_recovers(qtbot, data_dir: Path) -> None:
    screen, registry = build(qtbot, data_dir)
    try:
        screen._build_camera_buttons()
        screen._watch_sources()
        screen.show_camera("room")
        room = registry.video_source("room")
        qtbot.waitUntil(lambda: screen.preview.frames_shown >= 3, timeout=5000)
        room.unplug()
        qtbot.waitUntil(lambda: screen.banner.isVisible(), timeout=5000)
        assert "débranchée" in screen.banner.text()
        assert screen.last_event.kind == "camera_lost" and screen.last_event.at.tzinfo
        room.replug()
        qtbot.waitUntil(lambda: not screen.banner.isVisible(), timeout=6000)
        shown = screen.preview.frames_shown
        qtbot.waitUntil(lambda: screen.preview.frames_shown > shown + 3, timeout=5000)
        screen.show_camera("otoscope")  # another source: the picture goes on
        assert screen._camera_role_buttons["otoscope"].isChecked()
    finally:
        screen.clear()
        registry.stop_all()


def test_role_choices_are_remembered_across_restarts(qtbot, data_dir: Path) -> None:
    screen, registry = build(qtbot, data_dir, simulated_devices=False, camera_room="0")
    try:
        combo = screen.roles.combos["otoscope"]
        combo.setCurrentIndex(combo.findData("sim:otoscope"))
        screen.roles.save()
        assert "prochain démarrage" in screen.roles.saved_label.text()
    finally:
        screen.clear()
        registry.stop_all()
    saved = json.loads((data_dir / "devices.json").read_text())
    assert saved["camera_otoscope"] == "sim:otoscope" and saved["camera_room"] == "0"
    restarted = load_device_choices(load_settings(data_dir=data_dir))
    assert restarted.camera_otoscope == "sim:otoscope"
    explicit = load_device_choices(load_settings(data_dir=data_dir, camera_otoscope="2"))
    assert explicit.camera_otoscope == "2"  # an explicit setting wins over the file


def test_english_translation_file_applies(qtbot, qapp, data_dir: Path, tmp_path: Path) -> None:
    """resources/i18n/equipment_en.ts compiles and the screen's strings switch to English."""
    import subprocess
    import sys

    from PySide6.QtCore import QTranslator

    ts = Path(__file__).resolve().parents[2] / "resources" / "i18n" / "equipment_en.ts"
    qm = tmp_path / "equipment_en.qm"
    lrelease = Path(sys.executable).parent / "pyside6-lrelease"
    subprocess.run([str(lrelease), str(ts), "-qm", str(qm)], check=True, capture_output=True,
                   timeout=60)  # fmt: skip
    translator = QTranslator()
    assert translator.load(str(qm))
    qapp.installTranslator(translator)
    screen, registry = build(qtbot, data_dir, lang="en")
    try:
        assert screen.title.text() == "Equipment check"
        assert screen.next_button.text() == "Continue"
        screen._build_rows()
        screen.show_result(CheckResult("hub", CheckStatus.FAILED, True, "fr", "Server down"))
        assert screen.rows["hub"].badge.text() == "✖ Failed"
        assert screen.rows["hub"].name.text() == "Server"
        assert screen.roles.save_button.text() == "Save the camera choice"
        assert screen.preview.accessibleName() == "Camera preview"
    finally:
        qapp.removeTranslator(translator)
        screen.clear()
        registry.stop_all()


def test_level_bar_follows_a_meter(qtbot) -> None:
    from telecabine.devices.audio_dsp import LevelMeter, tone
    from telecabine.ui.widgets.level_meter import LevelBar

    bar = LevelBar()
    qtbot.addWidget(bar)
    meter = LevelMeter()
    bar.set_meter(meter, "Micro")
    assert bar.value() == -60
    meter.update(tone(440, 0.1, 48_000, volume=0.1, fade_s=0))  # -23 dBFS RMS, -20 peak
    bar.refresh()
    assert bar.value() == -23
    assert bar.format() == "Micro : -23 dB (crête -20 dB)"
    bar.set_meter(None, "Micro")
    assert bar.value() == -60


def test_keyboard_back_and_primary(qtbot, data_dir: Path) -> None:
    from PySide6.QtCore import Qt

    screen, registry = build(qtbot, data_dir)
    try:
        with qtbot.waitSignal(screen.sig_back, timeout=1000):
            qtbot.keyClick(screen, Qt.Key.Key_Escape)
        with qtbot.assertNotEmitted(screen.sig_next):
            qtbot.keyClick(screen, Qt.Key.Key_Return)  # nothing checked yet: Continue disabled
        screen.next_button.setEnabled(True)
        with qtbot.waitSignal(screen.sig_next, timeout=1000):
            qtbot.keyClick(screen, Qt.Key.Key_Return)
    finally:
        screen.clear()
        registry.stop_all()
