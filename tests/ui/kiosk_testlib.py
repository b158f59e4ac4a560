"""One station window holding every screen (real store, simulated devices), for kiosk checks.

Used by the field-safety (wheel), fit-the-window and screenshot tests: the same screens as the
station, built from the same constructors, with the key banner shown (demo's insecure keyring)
and the sync status line under the flow.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QApplication

from telecabine.config import load_settings
from telecabine.devices.ble.adapters import build_registry
from telecabine.devices.ble.manager import BleDeviceManager, BleTimeouts
from telecabine.devices.ble.pairing import PairingStore
from telecabine.devices.ble.simulated import Scenario, SimulatedAirspace
from telecabine.devices.registry import DeviceRegistry
from telecabine.domain.vitals import default_ranges
from telecabine.services.audit import AuditTrail
from telecabine.services.home import HomeOverview
from telecabine.services.intake import IntakeService
from telecabine.services.measurement import MeasurementService
from telecabine.services.preflight import Preflight
from telecabine.services.staff import StaffService
from telecabine.services.wrapup import WrapUpService
from telecabine.ui.screens.equipment import EquipmentScreen
from telecabine.ui.screens.measurement import MeasurementScreen
from telecabine.ui.screens.wrapup import WrapUpScreen
from telecabine.ui.shell import StationShell
from telecabine.ui.widgets.sync_status import SyncStatusWidget

NOW = datetime(2026, 11, 23, 9, 40, tzinfo=UTC)
SIZES = ((1280, 800), (1366, 768), (1920, 1080))
# Screens of the flow plus the full-window pages (sign-in, lock, staff accounts).
PAGES = ("signin", "lock", "staff_admin")


class _Sink:
    def add_observation(self, encounter_id, **fields):
        return None

    def add_incident(self, encounter_id, kind, detail="", now=None):
        return None


def build_station(
    qtbot, store, data_dir: Path, lang: str = "fr", *, extras: bool = True,
    appointments: bool = True,
):  # fmt: skip
    """A ``StationShell`` with every station screen registered; returns the shell.

    ``extras``: also the residents and télé-expertise screens (reached from home).
    """
    intake = IntakeService(store.encounters, store.patients, "cabine-test",
                           audit=AuditTrail(store))  # fmt: skip
    staff = StaffService(store)
    shell = StationShell(cabin_name="Pharmacie du Centre — cabine 1", lang="fr", intake=intake,
                         staff=staff, idle_lock_seconds=3600,
                         home_overview=HomeOverview(store, "cabine-test"))  # fmt: skip
    window = shell.window
    settings = load_settings(data_dir=data_dir, simulated_devices=True, preflight_min_free_mb=1,
                             hub_url="http://127.0.0.1:9")  # fmt: skip
    window.add_screen("equipment", EquipmentScreen(Preflight(settings, DeviceRegistry(settings))))
    manager = BleDeviceManager(
        build_registry(), PairingStore(data_dir / "ble.json"),
        timeouts=BleTimeouts(scan=0.05, connect=1, measurement=2, burst=0.05),
        airspace=SimulatedAirspace.standard(Scenario.NORMAL, measure_seconds=0.05),
    )  # fmt: skip
    measurement = MeasurementService(manager, _Sink(), ranges=default_ranges(),
                                     clock=lambda: NOW, measurement_timeout=2)  # fmt: skip
    window.add_screen("measurement", MeasurementScreen(measurement))
    window.add_screen("call", _call_screen())
    wrapup = WrapUpService(store, station_id="cabine-test", clock=lambda: NOW)
    window.add_screen("wrapup", WrapUpScreen(wrapup, clock=lambda: NOW))
    # Reached from home (not in the flow): residents, télé-expertise and appointments screens.
    from telecabine.services.appointments import AppointmentsService
    from telecabine.services.expertise import ExpertiseService
    from telecabine.services.residents import ResidentService
    from telecabine.ui.screens.appointments import AppointmentsScreen
    from telecabine.ui.screens.expertise import ExpertiseScreen
    from telecabine.ui.screens.residents import ResidentsScreen

    if extras:
        window.add_screen("residents", ResidentsScreen(ResidentService(store)))
        expertise = ExpertiseService(store, station_id="cabine-test")
        window.add_screen("expertise", ExpertiseScreen(expertise))
    if extras and appointments:
        # Shown without on_enter: the hub client is never called.
        window.add_screen("appointments", AppointmentsScreen(AppointmentsService(client=None)))
    window.add_status_widget(SyncStatusWidget(lang=lang))
    window.show_key_warning(True)
    # An administrator signed in: the fullest header (name + staff accounts button).
    window.set_staff_name("Anne Martin-Dubois")
    window.staff_admin_button.show()
    # Not handed to qtbot: ``dispose`` deletes the window at once (see there).
    if lang != "fr":
        window.set_language(lang)
    return shell


def _call_screen():
    """The call screen over a stand-in consultation (same events, no network)."""
    import time

    import numpy as np

    from telecabine.devices.mailbox import LatestValueMailbox, VideoFrame
    from telecabine.services.consultation import ConsultationEvents
    from telecabine.session.media_in import RemoteVideo
    from telecabine.ui.screens.call import CallScreen

    box: LatestValueMailbox[VideoFrame] = LatestValueMailbox()
    box.put(VideoFrame(np.full((360, 640, 3), 90, np.uint8), 1, time.monotonic(), time.time()))

    async def _noop(*_args) -> None:
        await asyncio.sleep(0)

    consultation = SimpleNamespace(
        events=ConsultationEvents(), printer=None,
        call=SimpleNamespace(remote_video=RemoteVideo(), cameras={"room": box},
                             video=SimpleNamespace(role="room")),
        start_call=_noop, measure=_noop, cancel=_noop, hang_up=_noop,
        set_muted=lambda _m: None, send_chat=lambda text: bool(text.strip()),
    )  # fmt: skip
    return CallScreen(consultation)


def show_page(shell, name: str) -> None:
    """Bring flow screen or page ``name`` to the front without running its use case."""
    window = shell.window
    if name in PAGES:
        page = getattr(shell, name)
        if hasattr(page, "prepare"):
            page.prepare()
        window.show_page(page)
    else:
        window.show_flow()
        window.stack.setCurrentWidget(window.screens[name])
        window._current = name
    QApplication.processEvents()


def all_names(shell) -> list[str]:
    """Every flow screen and page of the station."""
    return list(shell.window.screens) + list(PAGES)


def dispose(shell) -> None:
    """Close and really delete the station window now.

    Left for a later event loop, hundreds of widgets per station would pile up across tests, and
    every application-wide stylesheet change (the accessibility menu) re-polishes them all.
    """
    shell.close()
    shell.window.close()
    shell.window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
