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

    wrapup, wrapup_screen, worker = _wrapup_screen(station)
    station.closers.append(worker.aclose)

    def to_wrapup() -> None:
        screen.hide()
        wrapup.show()
        wrapup_screen.on_enter({"encounter_id": station.encounter_id, "lang": settings.language})

    screen.sig_next.connect(to_wrapup)
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


def _wrapup_screen(station):
    """Wrap-up screen with the billing sync status under it; the sync worker runs on the loop."""
    from PySide6.QtWidgets import QVBoxLayout, QWidget

    from telecabine.services.sync_runtime import build_worker
    from telecabine.services.wrapup import WrapUpService
    from telecabine.ui.screens.wrapup import WrapUpScreen
    from telecabine.ui.widgets.sync_status import SyncStatusWidget

    settings = station.settings
    worker = build_worker(settings, station.store, settings.station_token or "")
    service = WrapUpService(
        station.store, station_id=settings.station_id, on_closed=lambda _c: worker.wake()
    )
    window = QWidget()
    window.setWindowTitle("Télécabine — démonstration")
    screen = WrapUpScreen(service, lang=settings.language)
    status = SyncStatusWidget(lang=settings.language)
    status.bind(worker)
    layout = QVBoxLayout(window)
    layout.addWidget(screen, 1)
    layout.addWidget(status)
    worker.start()
    return window, screen, worker


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
