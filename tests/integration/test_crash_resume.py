"""Kill the station (SIGKILL) mid-intake, restart it: the draft is offered back, complete."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

DRIVER = Path(__file__).parent / "intake" / "crash_station_driver.py"


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "TELECABINE_INSECURE_FILE_KEYRING": "1",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "TELECABINE_CAMERA_ROOM": "sim:room",
        "TELECABINE_STATION_ID": "cabine-crash",
    }


@pytest.mark.timeout(150)
def test_killed_mid_intake_then_resumed_with_everything(tmp_path):
    data = str(tmp_path / "data")
    proc = subprocess.Popen(
        [sys.executable, str(DRIVER), "type", data],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        line = ""
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if line.startswith("TYPED") or not line:
                break
        assert line.startswith("TYPED"), proc.stderr.read() if proc.poll() is not None else line
        encounter_id = line.split()[1]
        proc.send_signal(signal.SIGKILL)  # no clean-up, no flush: a crash or power cut
        assert proc.wait(timeout=10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
        proc.stderr.close()

    again = subprocess.run(
        [sys.executable, str(DRIVER), "resume", data],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert again.returncode == 0, again.stderr[-3000:]
    [line] = [x for x in again.stdout.splitlines() if x.startswith("RESUMED ")]
    report = json.loads(line.removeprefix("RESUMED "))
    assert report["offered"] is True
    assert report["encounter_id"] == encounter_id
    assert report["screen"] == "patient"
    assert report["form"] == {
        "birth_name": "DUPONT",
        "first_names": "Jean, Marie",
        "used_name": "MARTIN",
        "birth_date": "12/05/1984",
        "birth_place_insee": "75123",
        "nir": "1 84 05 75 123 456 25",
    }
    assert report["sex"] == "M" and report["ehpad"] is True
    assert report["reason"] == "Toux depuis 3 jours"
    assert report["can_continue"] is True
