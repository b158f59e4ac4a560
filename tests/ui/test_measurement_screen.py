"""Measurement screen with simulated BLE devices under every scenario (pytest-qt, qasync loop)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import Qt
from qasync import QEventLoop

from telecabine.devices.ble.adapters import build_registry
from telecabine.devices.ble.manager import BleDeviceManager, BleTimeouts
from telecabine.devices.ble.pairing import PairingStore
from telecabine.devices.ble.simulated import Scenario, SimulatedAirspace
from telecabine.domain.vitals import MeasurementKind as K
from telecabine.domain.vitals import default_ranges
from telecabine.services.measurement import MeasurementService
from telecabine.ui.screens.measurement import MeasurementScreen

NOW = datetime(2026, 11, 23, 8, 15, tzinfo=UTC)


class MemorySink:
    """Observation sink kept in memory (the store path is covered by tests/integration/ble)."""

    def __init__(self) -> None:
        self.observations: list[dict] = []
        self.incidents: list[str] = []

    def add_observation(self, encounter_id, **fields):
        self.observations.append({"encounter_id": encounter_id, **fields})

    def add_incident(self, encounter_id, kind, detail="", now=None):
        self.incidents.append(kind)


@pytest.fixture
def loop(qapp):
    loop = QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    yield loop
    loop.close()  # SPIKES: an unclosed qasync loop aborts the interpreter at exit
    asyncio.set_event_loop(None)


def build(qtbot, tmp_path, scenario=Scenario.NORMAL, sink=None, lang="fr"):
    space = SimulatedAirspace.standard(scenario, measure_seconds=0.08)
    manager = BleDeviceManager(
        build_registry(),
        PairingStore(tmp_path / "ble_pairing.json"),
        timeouts=BleTimeouts(scan=0.05, connect=1, measurement=2, burst=0.05),
        airspace=space,
    )
    sink = sink or MemorySink()
    service = MeasurementService(
        manager, sink, ranges=default_ranges(), clock=lambda: NOW, measurement_timeout=2
    )
    screen = MeasurementScreen(service, lang=lang)
    qtbot.addWidget(screen)
    screen.on_enter({"encounter_id": "enc-1"})
    screen.show()
    return screen, sink, space, manager


def measure(loop, qtbot, screen, statuses=None):
    if statuses is not None:
        screen._service.add_status_listener(lambda u: statuses.append(screen.status_label.text()))
    qtbot.mouseClick(screen.measure_button, Qt.MouseButton.LeftButton)
    assert screen.is_busy()
    loop.run_until_complete(asyncio.wait_for(screen.wait_idle(), 5))


def test_normal_all_steps_then_next(loop, qtbot, tmp_path):
    screen, sink, _, manager = build(qtbot, tmp_path)
    statuses: list[str] = []
    measure(loop, qtbot, screen, statuses)
    # live status went through searching -> connected -> measuring -> done
    assert statuses[0] == "Recherche de l'appareil…"
    assert "Appareil connecté\nBatterie 87 %" in statuses
    assert "Mesure en cours…\nBatterie 87 %" in statuses
    assert statuses[-1] == "Mesure terminée"
    assert screen.value_label.text() == "36,8 °C"
    assert screen.measure_button.isEnabled() and screen.manual_button.isEnabled()
    assert "Normal" in screen.detail_label.text()
    expected = {K.BLOOD_PRESSURE: "122/78 mmHg", K.SPO2: "97 %", K.WEIGHT: "72,4 kg"}
    for kind, text in expected.items():
        screen.next_button.click()
        assert screen.current_kind == kind
        assert screen.value_label.text() == "—"
        measure(loop, qtbot, screen)
        assert screen.value_label.text() == text
    assert screen.next_button.text() == "Terminer"
    with qtbot.waitSignal(screen.sig_next, timeout=1000):
        screen.next_button.click()
    assert {o["method"] for o in sink.observations} == {
        "device:5A:1D:00:00:00:01",
        "device:5A:1D:00:00:00:02",
        "device:5A:1D:00:00:00:03",
        "device:5A:1D:00:00:00:04",
    }
    loop.run_until_complete(manager.close())


@pytest.mark.parametrize(
    ("scenario", "kind", "value", "flag"),
    [
        (Scenario.FEVER, K.TEMPERATURE, "39,2 °C", "Élevé"),
        (Scenario.HYPERTENSION, K.BLOOD_PRESSURE, "168/102 mmHg", "Élevé"),
        (Scenario.LOW_SPO2, K.SPO2, "88 %", "À signaler au médecin"),
    ],
)
def test_abnormal_scenarios(loop, qtbot, tmp_path, scenario, kind, value, flag):
    screen, sink, _, manager = build(qtbot, tmp_path, scenario)
    screen.select_step(kind)
    measure(loop, qtbot, screen)
    assert screen.value_label.text() == value
    assert flag in screen.detail_label.text()
    assert (
        screen.flagged_codes()
        == {
            K.TEMPERATURE: ["8310-5"],
            K.BLOOD_PRESSURE: ["8462-4", "8478-0", "8480-6"],
            K.SPO2: ["2708-6", "8867-4"],
        }[kind]
    )
    assert sink.observations
    loop.run_until_complete(manager.close())


def test_device_error_shows_message_retry_and_manual(loop, qtbot, tmp_path):
    screen, sink, _, manager = build(qtbot, tmp_path, Scenario.DEVICE_ERROR)
    screen.select_step(K.BLOOD_PRESSURE)
    measure(loop, qtbot, screen)
    assert screen.status_label.text() == "La mesure a échoué"
    assert "Brassard mal placé" in screen.error_label.text()
    assert screen.retry_button.isVisible() and not screen.measure_button.isVisible()
    assert sink.observations == [] and sink.incidents == ["ble.device_error"]
    # fallback: manual entry, marked manual
    assert screen.manual_button.isEnabled() and screen.retry_button.isEnabled()
    qtbot.mouseClick(screen.manual_button, Qt.MouseButton.LeftButton)
    assert screen.manual.isVisible()
    qtbot.keyClicks(screen.manual.field("systolic"), "135")
    qtbot.keyClicks(screen.manual.field("diastolic"), "85")
    qtbot.mouseClick(screen.manual.save_button, Qt.MouseButton.LeftButton)
    assert not screen.manual.isVisible()
    assert screen.value_label.text() == "135/85 mmHg"
    assert "(saisie manuelle)" in screen.detail_label.text()
    assert {o["method"] for o in sink.observations} == {"manual"}
    loop.run_until_complete(manager.close())


def test_disconnect_mid_measurement_then_retry(loop, qtbot, tmp_path):
    screen, sink, space, manager = build(qtbot, tmp_path, Scenario.DISCONNECT)
    space.by_kind(K.SPO2).battery = 12
    screen.select_step(K.SPO2)
    statuses: list[str] = []
    measure(loop, qtbot, screen, statuses)
    assert any("Batterie faible (12 %)" in line for line in statuses)
    assert "déconnecté" in screen.error_label.text()
    assert screen.retry_button.isVisible()
    qtbot.mouseClick(screen.retry_button, Qt.MouseButton.LeftButton)
    loop.run_until_complete(asyncio.wait_for(screen.wait_idle(), 5))
    assert screen.value_label.text() == "97 %"
    assert screen.error_label.text() == ""
    assert space.by_kind(K.SPO2).connections == 2
    assert sink.incidents == ["ble.disconnected"]
    loop.run_until_complete(manager.close())


def test_manual_entry_rejects_bad_input_and_impossible_values(loop, qtbot, tmp_path):
    screen, sink, _, _ = build(qtbot, tmp_path)
    screen.show_manual()
    field = screen.manual.field("temperature")
    qtbot.keyClicks(field, "abc")
    qtbot.mouseClick(screen.manual.save_button, Qt.MouseButton.LeftButton)
    assert "saisissez un nombre" in screen.manual.error.text()
    field.clear()
    qtbot.keyClicks(field, "52")
    qtbot.mouseClick(screen.manual.save_button, Qt.MouseButton.LeftButton)
    assert "impossible" in screen.manual.error.text()
    assert sink.observations == []
    field.clear()
    qtbot.keyClicks(field, "100,4")
    screen.manual.unit_box("temperature").setCurrentIndex(1)  # °F
    qtbot.mouseClick(screen.manual.save_button, Qt.MouseButton.LeftButton)
    assert screen.value_label.text() == "38 °C"
    assert [(o["value"], o["unit"], o["method"]) for o in sink.observations] == [
        (38.0, "Cel", "manual")
    ]


def test_doctor_request_switches_step_and_measures(loop, qtbot, tmp_path):
    screen, _sink, _, manager = build(qtbot, tmp_path)
    with qtbot.waitSignal(screen.sig_observations, timeout=5000) as blocker:
        screen.request_measurement("weight")
        assert screen.current_kind == K.WEIGHT and screen.is_busy()
        loop.run_until_complete(asyncio.wait_for(screen.wait_idle(), 5))
    assert [o.code for o in blocker.args[0]] == ["29463-7"]
    assert screen.value_label.text() == "72,4 kg"
    loop.run_until_complete(manager.close())


def test_clear_forgets_previous_patient_and_english(loop, qtbot, tmp_path):
    screen, _, _, manager = build(qtbot, tmp_path, Scenario.FEVER, lang="en")
    measure(loop, qtbot, screen)
    assert screen.value_label.text() == "39.2 °C"
    screen.on_enter({"encounter_id": "enc-2"})
    assert screen.value_label.text() == "—" and screen.detail_label.text() == ""
    assert screen.step_buttons[K.TEMPERATURE].text() == "Température"
    loop.run_until_complete(manager.close())


def test_real_store_receives_screen_values(loop, qtbot, tmp_path, station_store):
    enc = station_store.encounters.create("cabine-test", now=NOW)
    screen, _, _, manager = build(qtbot, tmp_path, sink=station_store.encounters)
    screen.on_enter({"encounter_id": enc.id})
    screen.select_step(K.SPO2)
    measure(loop, qtbot, screen)
    loop.run_until_complete(manager.close())
    assert sorted(o.code for o in station_store.encounters.observations(enc.id)) == [
        "2708-6",
        "8867-4",
    ]


def test_english_translation_file_applies(loop, qtbot, tmp_path, qapp):
    """resources/i18n/measurement_en.ts compiles and every screen string switches to English."""
    import subprocess
    import sys
    from pathlib import Path

    from PySide6.QtCore import QTranslator

    ts = Path(__file__).resolve().parents[2] / "resources" / "i18n" / "measurement_en.ts"
    qm = tmp_path / "measurement_en.qm"
    lrelease = Path(sys.executable).parent / "pyside6-lrelease"
    subprocess.run(
        [str(lrelease), str(ts), "-qm", str(qm)], check=True, capture_output=True, timeout=60
    )
    translator = QTranslator()
    assert translator.load(str(qm))
    qapp.installTranslator(translator)
    try:
        screen, _, _, manager = build(qtbot, tmp_path, Scenario.DEVICE_ERROR, lang="en")
        assert screen.measure_button.text() == "Start the measurement"
        assert screen.step_buttons[K.BLOOD_PRESSURE].text() == "Blood pressure"
        assert screen.instruction.text().startswith("Place the thermometer")
        assert screen.device_button.text() == "Change device"
        measure(loop, qtbot, screen)
        assert screen.status_label.text() == "The measurement failed"
        assert screen.error_label.text().startswith("The device could not measure")
        loop.run_until_complete(manager.close())
    finally:
        qapp.removeTranslator(translator)


def test_previous_patients_running_measurement_never_shows(loop, qtbot, tmp_path):
    """Staff move to the next patient mid-measurement: its late values stay off this screen."""
    screen, sink, _, manager = build(qtbot, tmp_path)
    service = screen._service
    running = asyncio.ensure_future(service.measure("enc-1", K.TEMPERATURE))  # e.g. the doctor's
    loop.run_until_complete(asyncio.sleep(0.03))
    screen.on_enter({"encounter_id": "enc-2"})
    loop.run_until_complete(asyncio.wait_for(running, 5))
    assert [o["encounter_id"] for o in sink.observations] == ["enc-1"]
    assert screen.value_label.text() == "—" and screen.status_label.text() == "Prêt"
    assert screen.flagged_codes() == []
    loop.run_until_complete(manager.close())


class BrokenSink(MemorySink):
    def add_observation(self, encounter_id, **fields):
        raise OSError("disk full")


def test_store_failure_is_shown_not_swallowed(loop, qtbot, tmp_path):
    screen, sink, _, manager = build(qtbot, tmp_path, sink=BrokenSink())
    measure(loop, qtbot, screen)
    assert screen.status_label.text() == "La mesure a échoué"
    assert "n'a pas pu être enregistrée" in screen.error_label.text()
    assert sink.incidents == ["ble.store"]
    screen.show_manual()
    qtbot.keyClicks(screen.manual.field("temperature"), "37,5")
    qtbot.mouseClick(screen.manual.save_button, Qt.MouseButton.LeftButton)
    assert "n'a pas pu être enregistrée" in screen.manual.error.text()
    assert screen.manual.isVisible()  # the typed value stays on screen, nothing lost
    assert screen.manual.field("temperature").text() == "37,5"
    loop.run_until_complete(manager.close())


def test_change_device_lists_nearby_and_remembers_choice(loop, qtbot, tmp_path):
    screen, _, space, manager = build(qtbot, tmp_path)
    screen.select_step(K.SPO2)
    assert "le premier trouvé" in screen.device_label.text()
    qtbot.mouseClick(screen.device_button, Qt.MouseButton.LeftButton)
    assert screen.picker.isVisible()
    loop.run_until_complete(asyncio.wait_for(screen.picker.wait_idle(), 5))
    assert screen.picker.devices.count() == 1
    assert "SIM-Oxy" in screen.picker.devices.item(0).text()
    qtbot.mouseClick(screen.picker.use_button, Qt.MouseButton.LeftButton)
    assert not screen.picker.isVisible()
    assert screen.device_label.text() == "Appareil : SIM-Oxy"
    saved = json.loads((tmp_path / "ble_pairing.json").read_text())
    assert saved["devices"]["spo2"]["address"] == space.by_kind(K.SPO2).address
    # nothing of that kind in range: a clear message, nothing to choose
    space.by_kind(K.WEIGHT).in_range = False
    screen.select_step(K.WEIGHT)
    screen.show_devices()
    loop.run_until_complete(asyncio.wait_for(screen.picker.wait_idle(), 5))
    assert screen.picker.devices.count() == 0 and not screen.picker.use_button.isEnabled()
    assert "Aucun appareil trouvé" in screen.picker.status.text()
    loop.run_until_complete(manager.close())
