"""``telecabine check --json`` on a machine without PortAudio and without OpenCV's libraries:
each affected item fails with what to install, the JSON is still printed, exit code 1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
# Loaded by Python at start (sitecustomize on PYTHONPATH): the imports fail the way they do on
# such a machine — sounddevice raises OSError when libportaudio is absent, cv2 ImportError
# when libGL is absent.
HIDE = """
import importlib.abc, sys
class _Missing(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
        if name == "cv2":
            raise ImportError("libGL.so.1: cannot open shared object file", name="cv2")
        return None
sys.meta_path.insert(0, _Missing())
"""

pytestmark = pytest.mark.timeout(180)


def test_check_reports_missing_libraries_as_failed_items(tmp_path: Path):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text(HIDE)
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site"),
           "TELECABINE_INSECURE_FILE_KEYRING": "1", "TELECABINE_HUB_URL": "http://127.0.0.1:9",
           "TELECABINE_CAMERA_ROOM": "0", "TELECABINE_STETHOSCOPE_DEVICE": "default"}  # fmt: skip
    for name in ("TELECABINE_SIMULATED_DEVICES", "QT_QPA_PLATFORM"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-m", "telecabine", "check", "--json", "--data-dir", str(tmp_path / "d")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=170,
    )  # fmt: skip
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert done.returncode == 1, done.stderr[-2000:]
    items = {i["key"]: i for i in json.loads(done.stdout)["items"]}
    for key in ("microphone", "speaker", "stethoscope"):
        assert items[key]["status"] == "failed", items[key]
        assert "libportaudio2" in items[key]["message_fr"]
        assert "libportaudio2" in items[key]["message_en"]
    assert items["stethoscope"]["required"] is False
    room = items["camera:room"]
    assert room["status"] == "failed" and room["required"] is True
    assert "libgl1" in room["message_en"] and "libgl1" in room["message_fr"]
    assert items["disk"]["status"] == "ok"  # the items that do not need them still run
