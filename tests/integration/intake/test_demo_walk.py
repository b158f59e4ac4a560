"""The demo station walks from intake into equipment, vitals and the call, then exits cleanly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

DRIVER = Path(__file__).parent / "demo_walk_driver.py"


@pytest.mark.timeout(120)
def test_demo_intake_leads_to_equipment_vitals_and_call(tmp_path):
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "TELECABINE_INSECURE_FILE_KEYRING": "1",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    proc = subprocess.run(
        [sys.executable, str(DRIVER), str(tmp_path / "data")],
        env=env, capture_output=True, text=True, timeout=100,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    steps = [line.split()[1:] for line in proc.stdout.splitlines() if line.startswith("AT ")]
    assert steps == [["home", "True"], ["summary"], ["equipment"], ["measurement"], ["call"]]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert "never retrieved" not in proc.stderr and "destroyed but it is pending" not in proc.stderr
