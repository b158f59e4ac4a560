"""Cold start of the station to its first page (sign-in / home), against a bare Qt window.

Each run is a fresh interpreter: ``python -m telecabine run`` on an installed station (DB
already created, an admin exists) until it prints ``telecabine: ready`` (after the first page
is shown and painted); the anchor is a bare ``QApplication`` + ``QWidget`` shown in the same
way. Median of 10 (3 with ``--quick``). Also reports the first run (DB creation + migrations).
Children get a bytecode cache (``PYTHONPYCACHEPREFIX`` in a temp dir) as an installed station
has; this dev shell sets ``PYTHONDONTWRITEBYTECODE=1``, which makes every start recompile
everything (reported apart).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import write_result

MARKER = "telecabine: ready"
BARE = """
import sys
from PySide6.QtWidgets import QApplication, QWidget
from PySide6.QtCore import QTimer
app = QApplication(sys.argv[:1])
w = QWidget(); w.resize(1280, 800); w.show()
QTimer.singleShot(0, lambda: (print("telecabine: ready", flush=True), app.quit()))
app.exec()
"""
# Imported only once the first page is up (they would cost hundreds of ms before it).
HEAVY = ("cv2", "aiortc", "av", "bleak", "aiohttp")
PROBE = """
import sys, runpy
import telecabine.app as app_module
original = app_module._next_turn
async def probe():
    await original()
    heavy = [m for m in {heavy!r} if m in sys.modules]
    print("HEAVY", ",".join(heavy), flush=True)
app_module._next_turn = probe
sys.argv = ["telecabine", "run", "--data-dir", {data!r}]
runpy.run_module("telecabine", run_name="__main__")
"""


def _env(pycache: str | None = None) -> dict[str, str]:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
        "TELECABINE_QUIT_AFTER_S": "0",
        "TELECABINE_INSECURE_FILE_KEYRING": "1",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "TELECABINE_CAMERA_ROOM": "sim:room",
    }
    if pycache:  # an installed station has compiled bytecode; this shell may forbid writing it
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = pycache
    return env


def _time_to_marker(args: list[str], pycache: str | None = None) -> tuple[float, list[str]]:
    start = time.perf_counter()
    proc = subprocess.Popen(args, env=_env(pycache), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)  # fmt: skip
    elapsed = None
    lines: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line.strip())
        if elapsed is None and line.startswith(MARKER):
            elapsed = time.perf_counter() - start
    proc.wait(timeout=120)
    if elapsed is None:
        raise RuntimeError(f"no ready marker (rc {proc.returncode})")
    return elapsed, lines


def run(quick: bool = False) -> dict[str, Any]:
    """Measure and write ``results/startup.json``."""
    n = 3 if quick else 10
    with tempfile.TemporaryDirectory() as tmp:
        data = str(Path(tmp) / "data")
        station = [sys.executable, "-m", "telecabine", "run", "--data-dir", data]
        cache = str(Path(tmp) / "pycache")
        first_run, _ = _time_to_marker(station, cache)  # creates the DB, fills the pyc cache
        _seed_admin(data)
        _time_to_marker([sys.executable, "-c", BARE], cache)
        bare = [_time_to_marker([sys.executable, "-c", BARE], cache)[0] for _ in range(n)]
        ours = [_time_to_marker(station, cache)[0] for _ in range(n)]
        no_pyc = [_time_to_marker(station)[0] for _ in range(min(n, 3))]
        probe = [sys.executable, "-c", PROBE.format(heavy=HEAVY, data=data)]
        _, lines = _time_to_marker(probe, cache)
    heavy = next((x.split(" ", 1)[1] if " " in x else "" for x in lines if x.startswith("HEAVY")),
                 "?")  # fmt: skip
    median, anchor = statistics.median(ours), statistics.median(bare)
    return write_result(
        "startup",
        value=round(median, 3),
        unit=f"s, process start to first page painted (median of {n} cold starts, offscreen)",
        anchor="bare PySide6 QApplication + QWidget shown, same measurement",
        anchor_value=round(anchor, 3),
        goal="< 1.5 s to the first page; cv2/aiortc not imported before it",
        details={
            "runs_s": [round(x, 3) for x in ours],
            "anchor_runs_s": [round(x, 3) for x in bare],
            "first_run_with_db_creation_s": round(first_run, 3),
            "without_bytecode_cache_s (PYTHONDONTWRITEBYTECODE=1 as in this dev shell)": [
                round(x, 3) for x in no_pyc
            ],
            "heavy_modules_loaded_at_ready": heavy.split(",") if heavy else [],
            "load_average_1min": round(os.getloadavg()[0], 2),
        },
        quick=quick,
    )


def _seed_admin(data: str) -> None:
    """An installed station: the admin exists, so start-up shows the sign-in page."""
    os.environ.update({k: v for k, v in _env().items() if k.startswith(("TELECABINE_", "PYTHON_"))})
    from telecabine.config import load_settings
    from telecabine.services.staff import StaffService
    from telecabine.store import open_store

    store = open_store(load_settings(data_dir=Path(data)))
    try:
        staff = StaffService(store)
        if staff.needs_first_run():
            staff.create_first_admin("admin", "Admin", "482913")
    finally:
        store.close()


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
