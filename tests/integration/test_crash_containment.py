"""A native crash of ``telecabine run`` is written down (faulthandler, data dir) and the next
start reports it; a clean exit leaves nothing to report."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from telecabine.crash import previous_crash

pytestmark = pytest.mark.timeout(240)


def _env(quit_after: str) -> dict[str, str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TELECABINE_INSECURE_FILE_KEYRING": "1",
           "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
           "TELECABINE_QUIT_AFTER_S": quit_after}  # fmt: skip
    return env


def _start(data: Path, quit_after: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "telecabine", "run", "--data-dir", str(data)],
        env=_env(quit_after), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _wait_ready(proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            pytest.fail(f"station exited before its first page: {proc.stderr.read()[-2000:]}")
        if line.startswith("telecabine: ready"):
            return
    pytest.fail("no first page within 120 s")


def test_segfault_is_recorded_and_reported_at_the_next_start(tmp_path: Path):
    data = tmp_path / "data"
    proc = _start(data, "120")
    try:
        _wait_ready(proc)
        os.kill(proc.pid, signal.SIGSEGV)  # what a native fault in Qt, PyAV or aiortc does
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGSEGV
    fault = (data / "crash" / "fault.log").read_text()
    assert "Fatal Python error: Segmentation fault" in fault
    assert "most recent call first" in fault  # the Python stack of the threads
    before = previous_crash(data)
    assert before is not None and before.kind == "fatal" and before.started_at is not None

    again = _start(data, "0")  # quits once its first page is shown
    _out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err[-2000:]
    assert "previous run ended abruptly (fatal): Fatal Python error: Segmentation fault" in err
    assert (data / "crash" / "fault-previous.log").read_text() == fault  # kept for support
    assert previous_crash(data) is None  # that start ended cleanly: nothing more to say
    assert "Traceback" not in err
