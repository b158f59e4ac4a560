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
            return loop.run_until_complete(_wait_closed(app))
    finally:
        if not loop.is_closed():
            loop.close()


async def _wait_closed(app) -> int:
    import asyncio

    done = asyncio.get_running_loop().create_future()
    app.aboutToQuit.connect(lambda: done.done() or done.set_result(0))
    return await done
