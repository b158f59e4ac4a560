"""Composition root: builds every service, runs one qasync loop in Qt, shows the window.

One asyncio loop (qasync) runs in the Qt main thread; it is closed explicitly on exit, which
avoids the rc 134 abort at interpreter shutdown seen with qasync + aiortc (SPIKES.md). Heavy
modules (OpenCV, aiortc, the hub) are imported only after the home screen is on screen.
``TELECABINE_QUIT_AFTER_S`` quits after that many seconds (tests, benchmarks); ``0`` quits as
soon as the home or sign-in page is shown.
"""

from __future__ import annotations

import inspect
import logging
import os
import sys
from collections.abc import Coroutine
from typing import Any

from telecabine.config import Settings

log = logging.getLogger(__name__)
READY_MARKER = "telecabine: ready"


class BackgroundTasks:
    """Keeps references to fire-and-forget tasks; every failure reaches one reporter."""

    def __init__(self) -> None:
        self._tasks: set[Any] = set()
        self.failures: list[BaseException] = []

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> Any:
        """Schedule ``coro`` on the running loop and keep it referenced until done."""
        import asyncio

        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def report(self, exc: BaseException) -> None:
        """The one place background errors go (logged without patient data)."""
        self.failures.append(exc)
        log.error("background task failed: %s", type(exc).__name__, exc_info=exc)

    def _done(self, task: Any) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.report(task.exception())

    async def cancel_all(self) -> None:
        """Cancel what is still running (exit)."""
        import asyncio

        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


def run_station(settings: Settings, *, demo: bool) -> int:
    """Start the station UI and block until it exits; returns the process exit code."""
    from concurrent.futures import ThreadPoolExecutor

    from telecabine.crash import install as install_crash_guard
    from telecabine.logs import setup_logging, teardown_logging
    from telecabine.memory import tune_allocator

    tune_allocator()  # video frames on mmap, two arenas: RSS of a call stays flat (memory.py)
    settings.ensure_dirs()
    # JSON lines to data_dir/logs (rotating) and stderr, through the patient-data filter.
    setup_logging(settings)
    crash = install_crash_guard(settings.data_dir)  # faulthandler file; the previous run's end
    log.info("station starting", extra={"mode": "demo" if demo else "run"})
    try:
        if (rules_error := _check_rules_files(settings)) is not None:
            return rules_error
        if not demo:  # open the DB and staff hasher while Qt starts: ~0.3 s saved
            with ThreadPoolExecutor(1, thread_name_prefix="store-open") as pool:
                opening = pool.submit(_open_store_and_staff, settings)
                return _run_loop(settings, demo, opening)
        return _run_loop(settings, demo, None)
    finally:
        log.info("station stopped")
        if sys.exc_info()[0] is None:  # an exception escaping is not a clean exit either
            crash.clean_exit()
        teardown_logging()


def _check_rules_files(settings: Settings) -> int | None:
    """Operator copies of the tariffs / parcours rules (settings paths) are validated before
    anything starts: a broken file stops the station (exit 2) naming the file, field and line,
    rather than billing with figures the operator meant to replace."""
    from telecabine.domain.datafile import DataFileError
    from telecabine.services.billing_rules import rules_from_settings

    try:
        rules_from_settings(settings)
    except DataFileError as exc:
        log.error("rules file refused", extra={"code": exc.code, "field": exc.field})
        print(f"{exc.message_fr}\n{exc.message_en}", file=sys.stderr)
        return 2
    return None


def _open_store_and_staff(settings: Settings):
    """The station store and the staff service (argon2 set-up), built off the UI thread."""
    from telecabine.services.staff import StaffService
    from telecabine.store import open_store

    store = open_store(settings)
    try:
        return store, StaffService(store)
    except BaseException:
        store.close()
        raise


def _run_loop(settings: Settings, demo: bool, opening) -> int:
    import asyncio

    from PySide6.QtWidgets import QApplication
    from qasync import QEventLoop

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Télécabine")
    loop = QEventLoop(app)
    asyncio.set_event_loop(loop)
    tasks = BackgroundTasks()
    loop.set_exception_handler(lambda _loop, context: _loop_error(tasks, context))
    try:
        with loop:
            return loop.run_until_complete(_main(app, settings, demo, tasks, opening))
    finally:
        if not loop.is_closed():
            loop.close()
        asyncio.set_event_loop(None)


def _loop_error(tasks: BackgroundTasks, context: dict[str, Any]) -> None:
    exc = context.get("exception")
    from telecabine.session.peer import orphan_transport_error

    if orphan_transport_error(exc):  # aiortc's own unawaited send on a dropped connection
        log.warning("call transport closed under a pending send: %s", type(exc).__name__)
        return
    tasks.report(exc if exc is not None else RuntimeError(str(context.get("message"))))


async def _main(app, settings: Settings, demo: bool, tasks: BackgroundTasks, opening) -> int:
    import asyncio

    from telecabine.services.audit import AuditTrail
    from telecabine.services.billing_rules import rules_from_settings
    from telecabine.services.intake import IntakeService
    from telecabine.services.staff import StaffService
    from telecabine.ui.shell import StationShell
    from telecabine.ui.theme import apply_theme

    apply_theme(app)
    closers: list[Any] = []
    station = None
    if demo:  # in-process hub + demo doctor; the station store comes with it (telecabine/demo.py)
        from telecabine.demo import prepare_demo_station
        from telecabine.ui.screens.call_documents import QtPdfPrinter

        printer = QtPdfPrinter(settings.data_dir / "printed", settings.printer_name)
        station = await prepare_demo_station(settings, printer=printer)
        settings, store = station.settings, station.store
        staff = StaffService(store)
    else:
        store, staff = await asyncio.wrap_future(opening)
        closers.append(store.close)
    intake = IntakeService(
        store.encounters,
        store.patients,
        settings.station_id,
        rules=rules_from_settings(settings).parcours,  # operator copy when set (checked at start)
        on_error=tasks.report,
        audit=AuditTrail(store),
    )
    shell = StationShell(
        cabin_name=settings.station_id,
        lang=settings.language,
        intake=intake,
        staff=staff,
        idle_lock_seconds=settings.idle_lock_seconds,
    )
    if demo:
        _bind_call_audit(station.consultation, store, shell)
        _demo_sign_in(shell, staff)
    window = shell.window
    _crash_notice(window)
    if store.key_warning is not None:  # insecure file keyring: say so on every page
        window.show_key_warning(True)
        log.warning("database key kept in an insecure file keyring (tests and demos only)")
    if settings.kiosk:
        window.showFullScreen()
    else:
        window.resize(1280, 800)
        window.show()
    shell.start()
    await _next_turn()  # let Qt expose and paint the first page before saying "ready"
    print(READY_MARKER, flush=True)  # bench/startup.py and the tests wait for this line
    closed = _closed_future(app)
    _quit_after_env(closed)
    tasks.spawn(_retention(store, settings))  # first purge in a thread, after first paint
    tasks.spawn(asyncio.to_thread(staff.warm_up))  # argon2 dummy hash, off the first page's path
    try:
        if demo:
            await _add_demo_screens(shell, station, settings, tasks)
        else:
            _add_device_screens(shell, settings, store, closers)
        return await closed
    finally:
        for screen in shell.window.screens.values():  # closing: a call ending must not navigate
            screen.blockSignals(True)
        shell.window.clear_all()  # screens cancel their own work while widgets still exist
        shell.close()
        await tasks.cancel_all()
        await asyncio.sleep(0)  # let cancelled screen tasks unwind before the loop closes
        if station is not None:
            await station.close()
        for close in reversed(closers):
            result = close()
            if inspect.isawaitable(result):
                await result


def _crash_notice(window) -> None:
    """The previous run ended abruptly: say so above every page (``telecabine/crash.py``)."""
    from telecabine.crash import current

    guard = current()
    if guard is not None and guard.previous is not None:
        from telecabine.ui.widgets.crash_notice import CrashNotice

        notice = CrashNotice(guard.previous)
        window.add_banner(notice)
        window.sig_language_changed.connect(notice.retranslate)


async def _retention(store, settings: Settings) -> None:
    """Retention purge at start, then daily (``services/retention.py``), audited by the store."""
    from telecabine.services.retention import RetentionScheduler

    await RetentionScheduler(store, settings.retention_days).run_forever()


async def _next_turn() -> None:
    """Resolve after Qt processed what is pending (show, expose, first paint)."""
    import asyncio

    from PySide6.QtCore import QTimer

    done = asyncio.get_running_loop().create_future()
    QTimer.singleShot(0, lambda: done.done() or done.set_result(None))
    await done


def _quit_after_env(closed) -> None:
    from PySide6.QtCore import QTimer

    value = os.environ.get("TELECABINE_QUIT_AFTER_S")
    if value:
        QTimer.singleShot(int(float(value) * 1000), lambda: closed.done() or closed.set_result(0))


DEMO_LOGIN, DEMO_PIN = "pharmacien", "246810"


def _bind_call_audit(consultation, store, shell) -> None:
    """Call start/end and documents go to the audit trail under the signed-in staff's id."""
    from telecabine.services.audit import AuditTrail, CallAudit

    consultation.audit = CallAudit(AuditTrail(store), lambda: shell.window.context.staff_id)


def _demo_sign_in(shell, staff) -> None:
    """Demo: a demo admin (printed) is created on first run and signed in."""
    if staff.needs_first_run():
        staff.create_first_admin(DEMO_LOGIN, "Démo Pharmacien", DEMO_PIN)
    print(f"Station : identifiant {DEMO_LOGIN}, PIN {DEMO_PIN} (login / PIN)", flush=True)
    try:
        shell.session.sign_in(DEMO_LOGIN, DEMO_PIN)
    except Exception as exc:  # an operator changed the demo PIN: show the sign-in page
        log.warning("demo sign-in failed: %s", type(exc).__name__)


def _add_device_screens(shell, settings: Settings, store, closers: list[Any]) -> None:
    """Equipment check and vitals for ``telecabine run`` (no hub: no call screen)."""
    equipment, registry = _equipment_screen(settings)
    shell.window.add_screen("equipment", equipment)
    _audit_settings_saved(shell, equipment, store)
    closers.append(registry.stop_all)
    _stop_devices_when_leaving(shell, equipment, registry)
    from telecabine.services.measurement import build_measurement_service
    from telecabine.ui.screens.measurement import MeasurementScreen

    measurement, ble = build_measurement_service(settings, store.encounters)
    closers.append(ble.close)
    shell.window.add_screen("measurement", MeasurementScreen(measurement, lang=settings.language))


async def _add_demo_screens(shell, station, settings: Settings, tasks) -> None:
    """Equipment, vitals, call and wrap-up over the demo station (simulated devices)."""
    from telecabine.ui.screens.call import CallScreen
    from telecabine.ui.screens.measurement import MeasurementScreen

    window = shell.window
    equipment, registry = _equipment_screen(station.settings)
    window.add_screen("equipment", equipment)
    _audit_settings_saved(shell, equipment, station.store)
    _stop_devices_when_leaving(shell, equipment, registry)
    vitals = MeasurementScreen(station.consultation.measurement, lang=settings.language)
    window.add_screen("measurement", vitals)
    window.add_screen("call", CallScreen(station.consultation))
    shell.reset_listeners.append(lambda: _withdraw_waiting_call(station.consultation, tasks))
    wrapup_screen, status, worker = _wrapup_parts(station)
    window.add_screen("wrapup", wrapup_screen)
    window.add_status_widget(status)
    station.closers.append(worker.aclose)

    def on_screen(name: str) -> None:
        if name == "call":  # flagged vitals go to the doctor's waiting room
            window.context.flagged_vitals = vitals.flagged_codes()

    window.sig_screen_changed.connect(on_screen)


def _audit_settings_saved(shell, equipment, store) -> None:
    """Saving the camera choices is a settings change: audited (names only, no values)."""
    from telecabine.services.audit import AuditTrail

    trail = AuditTrail(store)
    equipment.roles.sig_saved.connect(
        lambda keys: trail.settings_changed(shell.window.context.staff_id, list(keys))
    )


def _withdraw_waiting_call(consultation, tasks) -> None:
    """The cabin forgot the patient (next patient, sign-out): a call still in the waiting room
    is withdrawn, so no doctor takes an encounter nobody is sitting in front of."""
    call = consultation.call
    if call is not None and call.state == "waiting":
        tasks.spawn(consultation.cancel("staff_cancelled"))


def _stop_devices_when_leaving(shell, equipment, registry) -> None:
    """The equipment check opens cameras and microphones: once left, stop its check and them."""
    shown = {"name": None}

    def on_screen(name: str) -> None:
        if shown["name"] == "equipment" and name != "equipment":
            equipment.clear()  # cancels a check still waiting for an answer
            registry.stop_all()
        shown["name"] = name

    shell.window.sig_screen_changed.connect(on_screen)


def _wrapup_parts(station):
    """Wrap-up screen and the billing sync status; the sync worker runs on the loop."""
    from telecabine.services.billing_rules import rules_from_settings
    from telecabine.services.sync_runtime import build_worker
    from telecabine.services.wrapup import WrapUpService
    from telecabine.ui.screens.wrapup import WrapUpScreen
    from telecabine.ui.widgets.sync_status import SyncStatusWidget

    settings = station.settings
    worker = build_worker(settings, station.store, settings.station_token or "")
    service = WrapUpService(
        station.store,
        station_id=settings.station_id,
        on_closed=lambda _c: worker.wake(),
        rules=rules_from_settings(settings),  # tariffs / parcours rules, operator copies if set
    )
    # The record is printed for the patient only on request (QtPdfPrinter: printer or PDF file).
    printer = getattr(station.consultation, "printer", None)
    screen = WrapUpScreen(
        service, lang=settings.language, print_record=getattr(printer, "print_now", None)
    )
    status = SyncStatusWidget(lang=settings.language)
    status.bind(worker)
    worker.start()
    return screen, status, worker


def _equipment_screen(settings: Settings):
    """The equipment check screen over its own device registry (returns both)."""
    from telecabine.devices.registry import DeviceRegistry, load_device_choices
    from telecabine.services.preflight import Preflight
    from telecabine.ui.screens.equipment import EquipmentScreen

    settings = load_device_choices(settings)
    registry = DeviceRegistry(settings)
    screen = EquipmentScreen(Preflight(settings, registry), lang=settings.language)
    return screen, registry


def _closed_future(app):
    """Resolved when the window closes or a quit is asked; clean-up then runs on the loop.

    ``app.quit()`` would stop the qasync loop at once and leave the clean-up coroutines
    (hub, devices, store) unfinished, so the last window closing only resolves this future.
    """
    import asyncio

    done = asyncio.get_running_loop().create_future()
    app.setQuitOnLastWindowClosed(False)
    app.lastWindowClosed.connect(lambda: done.done() or done.set_result(0))
    app.aboutToQuit.connect(lambda: done.done() or done.set_result(0))
    return done
