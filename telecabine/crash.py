"""Crash containment: what killed the previous run, said in words at the next start.

:func:`install` (called by ``app.run_station``) turns :mod:`faulthandler` on, writing to
``<data_dir>/crash/fault.log`` (a native crash — segmentation fault, abort, "Fatal Python
error" — leaves the Python stack of every thread there: file and function names, never
values, so no patient data), and leaves a ``running`` marker that a clean exit removes. At
the next start the marker or a non-empty fault file means the previous run did not end
normally: :class:`PreviousCrash` says when and what kind of end it was (a code; the words are
in the UI's catalogue: ``ui/widgets/crash_notice.py``), for the banner on the first page (the encounter in progress is offered back by the drafts, and its call can be
announced again). The fault file of that run is kept as ``fault-previous.log`` for support.

A station restarted by systemd (``Restart=on-failure``) or the Windows kiosk launcher shows
the same banner.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import faulthandler
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)

FOLDER = "crash"
FAULT_LOG = "fault.log"
PREVIOUS_LOG = "fault-previous.log"
MARKER = "running"


@dataclass(frozen=True)
class PreviousCrash:
    """How the previous run ended: ``fatal`` (a native fault was recorded) or ``killed``
    (no clean exit and nothing recorded: power cut, killed, frozen then stopped)."""

    kind: str
    started_at: dt.datetime | None
    fault_line: str  # the "Fatal Python error: ..." line, or "" (no values in it)


class CrashGuard:
    """The running station's fault file and marker (one per process)."""

    def __init__(self, folder: Path, previous: PreviousCrash | None, fault: IO[str]) -> None:
        self.folder = folder
        self.previous = previous
        self._fault = fault

    def clean_exit(self) -> None:
        """The station is ending normally: no crash to report at the next start."""
        faulthandler.disable()
        self._fault.close()
        (self.folder / MARKER).unlink(missing_ok=True)
        if (self.folder / FAULT_LOG).stat().st_size == 0:
            (self.folder / FAULT_LOG).unlink(missing_ok=True)


def previous_crash(data_dir: Path) -> PreviousCrash | None:
    """How the previous run ended, if not cleanly (reads; changes nothing)."""
    folder = Path(data_dir) / FOLDER
    marker, fault = folder / MARKER, folder / FAULT_LOG
    text = fault.read_text(errors="replace") if fault.exists() else ""
    if not marker.exists() and not text.strip():
        return None
    started = None
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        started = dt.datetime.fromisoformat(json.loads(marker.read_text())["started_at"])
    fatal = next((ln.strip() for ln in text.splitlines() if ln.startswith("Fatal Python")), "")
    return PreviousCrash("fatal" if text.strip() else "killed", started, fatal[:200])


def install(data_dir: Path) -> CrashGuard:
    """Report the previous run's end (log), then record this run's native faults."""
    folder = Path(data_dir) / FOLDER
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    previous = previous_crash(data_dir)
    if previous is not None:
        log.warning("previous run ended abruptly (%s): %s", previous.kind, previous.fault_line)
        if (folder / FAULT_LOG).exists():
            os.replace(folder / FAULT_LOG, folder / PREVIOUS_LOG)
    marker = {"pid": os.getpid(), "started_at": dt.datetime.now(dt.UTC).isoformat()}
    (folder / MARKER).write_text(json.dumps(marker))
    # Kept open for the whole run: faulthandler writes to its descriptor from a signal handler.
    fault = open(folder / FAULT_LOG, "w", encoding="utf-8")  # noqa: SIM115
    faulthandler.enable(file=fault, all_threads=True)
    global _current
    _current = CrashGuard(folder, previous, fault)
    return _current


_current: CrashGuard | None = None


def current() -> CrashGuard | None:
    """The guard :func:`install` set up in this process (None before)."""
    return _current
