"""Composition root: builds every service, runs one qasync loop in Qt, shows the window.

One asyncio loop (qasync) runs in the Qt main thread; it is closed explicitly on exit, which
avoids the rc 134 abort at interpreter shutdown seen with qasync + aiortc (SPIKES.md). Heavy
modules (OpenCV, aiortc, the hub) are imported only after the home screen is on screen.
``TELECABINE_QUIT_AFTER_S`` quits after that many seconds (tests, benchmarks); ``0`` quits as
soon as the home or sign-in page is shown.
"""

from __future__ import annotations

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
    """Start the station UI and block until it exits; returns the process exit code.

    ``run`` and ``demo`` build the same station (``telecabine/station.py``); the demo only adds
    an in-process hub and settings selecting simulated devices (``telecabine/demo.py``).
    """
    from concurrent.futures import ThreadPoolExecutor

    from telecabine.crash import install as install_crash_guard
    from telecabine.logs import setup_logging, teardown_logging
    from telecabine.memory import tune_allocator
    from telecabine.services.enrolment import apply_enrolment

    tune_allocator()  # video frames on mmap, two arenas: RSS of a call stays flat (memory.py)
    settings.ensure_dirs()
    settings = apply_enrolment(settings)  # hub URL and station id of `telecabine enroll`
    # JSON lines to data_dir/logs (rotating) and stderr, through the patient-data filter.
    setup_logging(settings)
    crash = install_crash_guard(settings.data_dir)  # faulthandler file; the previous run's end
    log.info("station starting", extra={"mode": "demo" if demo else "run"})
    try:
        if (rules_error := _check_rules_files(settings)) is not None:
            return rules_error
        if demo:  # the demo hub migrates first: alembic's context is one per process
            return _run_loop(settings, demo, None)
        # open the DB and staff hasher while Qt starts: ~0.3 s saved
        with ThreadPoolExecutor(1, thread_name_prefix="store-open") as pool:
            opening = pool.submit(_open_store_and_staff, settings)
            return _run_loop(settings, demo, opening)
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

    from telecabine.station import build_station
    from telecabine.ui.theme import ThemeModes, apply_theme

    apply_theme(app, ThemeModes(settings.large_text, settings.high_contrast))
    demo_hub = None
    store = None
    station = None
    try:
        if demo:  # in-process hub + demo doctor (telecabine/demo.py); everything else is shared
            from telecabine.demo import demo_settings, start_demo_hub

            demo_hub = await start_demo_hub(settings)
            settings = demo_settings(settings, demo_hub)
            print(demo_hub.banner(), flush=True)
            store, staff = await asyncio.to_thread(_open_store_and_staff, settings)
        else:
            store, staff = await asyncio.wrap_future(opening)
        station = build_station(settings, store, staff, spawn=tasks.spawn, report=tasks.report)
        shell = station.shell
        if demo:
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
        tasks.spawn(asyncio.to_thread(staff.warm_up))  # argon2 dummy hash, off the first page
        await station.start_services()  # equipment, vitals, call, wrap-up, billing sync
        return await closed
    finally:
        if station is not None:
            shell = station.shell
            for screen in shell.window.screens.values():  # closing: no navigation any more
                screen.blockSignals(True)
            shell.window.clear_all()  # screens cancel their own work while widgets exist
            shell.close()
        await tasks.cancel_all()
        await asyncio.sleep(0)  # let cancelled screen tasks unwind before the loop closes
        if station is not None:
            await station.close()
        if store is not None:
            store.close()
        if demo_hub is not None:
            await demo_hub.stop()


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


def _demo_sign_in(shell, staff) -> None:
    """Demo: a demo admin (printed) is created on first run and signed in."""
    if staff.needs_first_run():
        staff.create_first_admin(DEMO_LOGIN, "Démo Pharmacien", DEMO_PIN)
    print(f"Station : identifiant {DEMO_LOGIN}, PIN {DEMO_PIN} (login / PIN)", flush=True)
    try:
        shell.session.sign_in(DEMO_LOGIN, DEMO_PIN)
    except Exception as exc:  # an operator changed the demo PIN: show the sign-in page
        log.warning("demo sign-in failed: %s", type(exc).__name__)


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
