"""Composition root: builds every service, runs one qasync loop in Qt, shows the window."""

from __future__ import annotations

from telecabine.config import Settings


def run_station(settings: Settings, *, demo: bool) -> int:
    """Start the station UI and block until it exits; returns the process exit code."""
    import asyncio

    from PySide6.QtWidgets import QApplication, QLabel
    from qasync import QEventLoop

    settings.ensure_dirs()
    app = QApplication.instance() or QApplication([])
    loop = QEventLoop(app)
    asyncio.set_event_loop(loop)
    label = QLabel("Telecabine")
    label.show()
    try:
        with loop:
            if demo:  # in-process hub + demo doctor + call screen (telecabine/demo.py)
                return loop.run_until_complete(_run_demo(app, settings, label))
            return loop.run_until_complete(_wait_closed(app))
    finally:
        if not loop.is_closed():
            loop.close()


async def _run_demo(app, settings: Settings, placeholder) -> int:
    from telecabine.demo import prepare_demo_station
    from telecabine.ui.screens.call import CallScreen
    from telecabine.ui.screens.call_documents import QtPdfPrinter
    from telecabine.ui.screens.measurement import MeasurementScreen

    printer = QtPdfPrinter(settings.data_dir / "printed", settings.printer_name)
    station = await prepare_demo_station(settings, printer=printer)
    screen = CallScreen(station.consultation)
    screen.setWindowTitle("Télécabine — démonstration")
    # Vitals first (simulated BLE devices), then the call; flagged values go to the waiting room.
    vitals = MeasurementScreen(station.consultation.measurement, lang=settings.language)
    vitals.setWindowTitle("Télécabine — démonstration")

    def to_call() -> None:
        vitals.hide()
        screen.show()
        screen.on_enter({"encounter_id": station.encounter_id, "reason": "Démonstration",
                         "age_band": "40-64", "flagged_vitals": vitals.flagged_codes(),
                         "lang": settings.language})  # fmt: skip

    vitals.sig_next.connect(to_call)
    vitals.sig_back.connect(to_call)
    placeholder.hide()
    # Equipment check first (its own simulated devices, stopped when leaving the screen).
    equipment, equipment_devices = _equipment_screen(station.settings)

    def to_vitals() -> None:
        equipment.clear()
        equipment.hide()
        equipment_devices.stop_all()
        vitals.show()
        vitals.on_enter({"encounter_id": station.encounter_id, "lang": settings.language})

    equipment.sig_next.connect(to_vitals)
    equipment.sig_back.connect(to_vitals)
    equipment.show()
    equipment.on_enter({"lang": settings.language})
    try:
        return await _wait_closed(app)
    finally:
        await station.close()


def _equipment_screen(settings: Settings):
    """The equipment check screen over its own device registry (returns both)."""
    from telecabine.devices.registry import DeviceRegistry, load_device_choices
    from telecabine.services.preflight import Preflight
    from telecabine.ui.screens.equipment import EquipmentScreen

    settings = load_device_choices(settings)
    registry = DeviceRegistry(settings)
    screen = EquipmentScreen(Preflight(settings, registry), lang=settings.language)
    screen.setWindowTitle("Télécabine — démonstration")
    return screen, registry


async def _wait_closed(app) -> int:
    import asyncio

    done = asyncio.get_running_loop().create_future()
    app.aboutToQuit.connect(lambda: done.done() or done.set_result(0))
    return await done
