"""The station app starts, shows its first page and exits with code 0 (no abort at shutdown)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.timeout(120)
@pytest.mark.parametrize("command", ["run", "demo"])
def test_app_exits_cleanly(tmp_path, command):
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "TELECABINE_QUIT_AFTER_S": "2",
        "TELECABINE_INSECURE_FILE_KEYRING": "1",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "TELECABINE_CAMERA_ROOM": "sim:room",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "telecabine", command, "--data-dir", str(tmp_path / "data")],
        env=env,
        capture_output=True,
        text=True,
        timeout=100,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "telecabine: ready" in proc.stdout
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
