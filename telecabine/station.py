"""The station's composition root: one build for ``telecabine run`` and ``telecabine demo``.

:func:`build_station` wires the shell and intake (before the first paint), then
:meth:`Station.start_services` — after the first page is on screen, so OpenCV, aiortc and
bleak never slow the cold start — adds the equipment check, vitals, the call (consultation
session over the device registry), wrap-up (printer, record), the audit bindings, the call
availability line and the billing sync worker. Services receive their collaborators here;
nothing a real cabin needs exists only on the demo path: ``demo`` is this same station plus an
in-process hub (``telecabine/demo.py``) and settings that select simulated devices.

Imported only by ``app.py`` (import-linter: nothing imports the composition root).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from telecabine.config import Settings

if TYPE_CHECKING:
    from telecabine.services.call_availability import CallAvailability
    from telecabine.services.consultation import ConsultationService
    from telecabine.services.intake import IntakeService
    from telecabine.services.staff import StaffService
    from telecabine.store.engine import Store
    from telecabine.sync.worker import SyncWorker
    from telecabine.ui.shell import StationShell

log = logging.getLogger(__name__)

Spawn = Callable[[Any], Any]


@dataclass
class Station:
    """Everything one cabin runs; :meth:`close` stops it in reverse order of building."""

    settings: Settings
    store: Store
    staff: StaffService
    intake: IntakeService
    shell: StationShell
    spawn: Spawn
    report: Callable[[BaseException], None]
    consultation: ConsultationService | None = None
    worker: SyncWorker | None = None
    availability: CallAvailability | None = None
    closers: list[Callable[[], Any]] = field(default_factory=list)

    # --- step 2: after the first paint ------------------------------------------------------
    async def start_services(self) -> None:
        """Equipment, vitals, call, wrap-up, call status and billing sync (heavy imports)."""
        from telecabine.services.measurement import build_measurement_service
        from telecabine.ui.screens.measurement import MeasurementScreen

        settings, window = self.settings, self.shell.window
        self._add_equipment()
        measurement, ble = build_measurement_service(settings, self.store.encounters)
        self.closers.append(ble.close)
        vitals = MeasurementScreen(measurement, lang=settings.language)
        window.add_screen("measurement", vitals)
        token = station_token(settings)
        self._add_call(measurement, token, vitals)
        self._add_wrapup(token)
        self._add_call_status(token)
        # heartbeat: wired by the integrator (services/heartbeat.py, another helper's part)

    def _add_equipment(self) -> None:
        """The equipment check over its own registry; its devices stop once it is left."""
        from telecabine.devices.registry import DeviceRegistry, load_device_choices
        from telecabine.services.audit import AuditTrail
        from telecabine.services.preflight import Preflight
        from telecabine.ui.screens.equipment import EquipmentScreen

        settings = load_device_choices(self.settings)
        registry = DeviceRegistry(settings)
        screen = EquipmentScreen(Preflight(settings, registry), lang=settings.language)
        window = self.shell.window
        window.add_screen("equipment", screen)
        self.closers.append(registry.stop_all)
        trail = AuditTrail(self.store)  # saving camera choices is an audited settings change
        screen.roles.sig_saved.connect(
            lambda keys: trail.settings_changed(window.context.staff_id, list(keys))
        )
        _while_shown(window, "equipment", on_leave=lambda: (screen.clear(), registry.stop_all()))

    def _add_call(self, measurement, token: str | None, vitals) -> None:
        """The consultation (call session, documents printed) and its screen."""
        from telecabine.devices.registry import DeviceRegistry, load_device_choices
        from telecabine.services.audit import AuditTrail, CallAudit
        from telecabine.ui.screens.call import CallScreen
        from telecabine.ui.screens.call_documents import QtPdfPrinter

        settings = self.settings
        window = self.shell.window
        registry = DeviceRegistry(load_device_choices(settings))
        printer = QtPdfPrinter(settings.data_dir / "printed", settings.printer_name)
        consultation, devices = build_consultation(
            settings, self.store.encounters, registry, token=token, measurement=measurement,
            printer=printer,
        )  # fmt: skip
        consultation.audit = CallAudit(AuditTrail(self.store), lambda: window.context.staff_id)
        self.consultation = consultation
        self.closers.append(registry.stop_all)
        self.closers.append(self._close_call)
        window.add_screen("call", CallScreen(consultation))
        self.shell.reset_listeners.append(self._withdraw_waiting_call)

        def entering() -> None:  # devices run only while the call screen is shown
            window.context.flagged_vitals = vitals.flagged_codes()  # to the waiting room
            for device in devices:
                try:
                    device.start()
                except Exception as exc:  # absent microphone...: the call screen says it
                    log.warning("device did not start: %s", type(exc).__name__)

        _while_shown(window, "call", on_enter=entering, on_leave=registry.stop_all)

    async def _close_call(self) -> None:
        if self.consultation is not None and self.consultation.call is not None:
            await self.consultation.call.close()

    def _withdraw_waiting_call(self) -> None:
        """The cabin forgot the patient (next patient, sign-out): a call still in the waiting
        room is withdrawn, so no doctor takes an encounter nobody is sitting in front of."""
        consultation = self.consultation
        call = consultation.call if consultation is not None else None
        if call is not None and call.state == "waiting":
            self.spawn(consultation.cancel("staff_cancelled"))

    def _add_wrapup(self, token: str | None) -> None:
        """Wrap-up (billing record, record PDF printed on request) and the sync worker."""
        from telecabine.services.billing_rules import rules_from_settings
        from telecabine.services.sync_runtime import build_worker
        from telecabine.services.wrapup import WrapUpService
        from telecabine.ui.screens.wrapup import WrapUpScreen
        from telecabine.ui.widgets.sync_status import SyncStatusWidget

        settings, window = self.settings, self.shell.window
        worker = build_worker(settings, self.store, token or "")
        service = WrapUpService(
            self.store,
            station_id=settings.station_id,
            on_closed=lambda _c: worker.wake(),
            rules=rules_from_settings(settings),  # tariffs / parcours rules, operator copies
        )
        printer = self.consultation.printer if self.consultation is not None else None
        screen = WrapUpScreen(
            service, lang=settings.language, print_record=getattr(printer, "print_now", None)
        )
        window.add_screen("wrapup", screen)
        status = SyncStatusWidget(lang=settings.language)
        status.bind(worker)
        window.add_status_widget(status)
        window.sig_language_changed.connect(status.retranslate)
        self.worker = worker
        self.closers.append(worker.aclose)
        if token:
            worker.start()  # records wait in the outbox while the hub is away, then leave
        else:
            log.warning("billing sync idle: station not enrolled")

    def _add_call_status(self, token: str | None) -> None:
        """The "can we call a doctor" line, probing the hub in the background."""
        from telecabine.services.call_availability import CallAvailability
        from telecabine.ui.widgets.call_status import CallStatusWidget

        settings, window = self.settings, self.shell.window
        availability = CallAvailability(
            settings.hub_url, token, ca_bundle=settings.hub_ca_bundle,
            interval_s=settings.hub_probe_interval_s,
            retry_s=min(settings.hub_probe_interval_s, 10.0),
            timeout_s=min(settings.sync_timeout_s, 5.0),
        )  # fmt: skip
        widget = CallStatusWidget(lang=settings.language)
        widget.bind(availability)
        window.add_status_widget(widget)
        window.sig_language_changed.connect(widget.retranslate)
        self.availability = availability
        worker = self.worker
        if worker is not None:  # the hub is back: send what waited, without the backoff delay
            availability.add_listener(lambda a: worker.wake() if a.available else None)
        self.spawn(availability.run_forever())

    # --- exit ---------------------------------------------------------------------------------
    async def close(self) -> None:
        """Stop workers, devices and the call; the store is closed by its owner (app.py)."""
        for close in reversed(self.closers):
            try:
                result = close()
                if inspect.isawaitable(result):
                    await result
            except Exception as exc:  # one part failing to stop must not keep the others
                self.report(exc)
        self.closers.clear()


def station_token(settings: Settings) -> str | None:
    """The station token: the settings (demo, tests) or the keyring (``telecabine enroll``)."""
    if settings.station_token:
        return settings.station_token
    from telecabine.services.sync_runtime import load_station_token

    try:
        return load_station_token(settings)
    except Exception as exc:  # no keyring backend at all: not enrolled, said on screen
        log.warning("station token unavailable: %s", type(exc).__name__)
        return None


def build_station(
    settings: Settings,
    store: Store,
    staff: StaffService,
    *,
    spawn: Spawn,
    report: Callable[[BaseException], None],
) -> Station:
    """Step 1 (before the first paint): the shell with intake, sign-in and audit.

    Call :meth:`Station.start_services` once the first page is painted for the rest.
    """
    from telecabine.services.audit import AuditTrail
    from telecabine.services.billing_rules import rules_from_settings
    from telecabine.services.intake import IntakeService
    from telecabine.ui.shell import StationShell

    intake = IntakeService(
        store.encounters,
        store.patients,
        settings.station_id,
        rules=rules_from_settings(settings).parcours,  # operator copy when set (checked at start)
        on_error=report,
        audit=AuditTrail(store),
    )
    shell = StationShell(
        cabin_name=settings.station_id,
        lang=settings.language,
        intake=intake,
        staff=staff,
        idle_lock_seconds=settings.idle_lock_seconds,
    )
    return Station(settings, store, staff, intake, shell, spawn, report)


def build_consultation(
    settings: Settings,
    encounters,
    registry,
    *,
    token: str | None = None,
    measurement=None,
    printer=None,
) -> tuple[ConsultationService, list[Any]]:
    """A ConsultationService fed by the registry's cameras and audio, and the devices to
    start for a call (the caller starts them; the registry stops them)."""
    from telecabine.services.consultation import CallSetup, ConsultationService
    from telecabine.services.enrolment import EnrolmentError, client_ssl

    cameras = {}
    sources: list[Any] = []
    for role in registry.configured_roles():
        source = registry.video_source(role)
        if source is not None:
            cameras[role] = source.mailbox
            sources.append(source)
    devices: list[Any] = list(sources)
    microphone = registry.microphone()
    stethoscope = registry.stethoscope()
    devices.extend(d for d in (microphone, stethoscope) if d is not None)
    try:
        tls = client_ssl(settings)
    except EnrolmentError:  # unreadable CA bundle: the call status line says it
        tls = None
    setup = CallSetup(
        hub_url=settings.hub_url, station_token=token or station_token(settings) or "",
        station_id=settings.station_id, cabin=settings.station_id, cameras=cameras,
        microphone=microphone, stethoscope=stethoscope, max_height=settings.call_max_height,
        tls=tls, relay_only=settings.ice_relay_only,
    )  # fmt: skip
    service = ConsultationService(encounters, setup, measurement=measurement, printer=printer)
    for source in sources:
        service.watch_camera(source)
    return service, devices


def _while_shown(
    window,
    name: str,
    *,
    on_enter: Callable[[], Any] | None = None,
    on_leave: Callable[[], Any] | None = None,
) -> None:
    """Run ``on_enter`` when screen ``name`` is shown and ``on_leave`` once it is left."""
    shown: dict[str, str | None] = {"name": None}

    def changed(new: str) -> None:
        if shown["name"] == name and new != name and on_leave is not None:
            on_leave()
        if new == name and shown["name"] != name and on_enter is not None:
            on_enter()
        shown["name"] = new

    window.sig_screen_changed.connect(changed)
