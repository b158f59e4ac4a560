"""The running station (``telecabine demo``, a real subprocess) against issue 9's promises.

One scripted encounter with a distinctive patient, DEBUG logging: the app itself writes JSON
lines to ``data_dir/logs/telecabine.log``; neither that file (nor its rotations) nor stderr
holds the patient's name, NIR, date of birth or free text. The insecure-key banner is on
screen; the audit trail holds the expected kinds and ``telecabine audit verify`` passes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

DRIVER = Path(__file__).parent / "app_security_driver.py"
NEEDLES = (
    "QUILLEBEUFZAC", "Quillebeufzac", "quillebeufzac", "Anthelme", "ANTHELME", "Prudence",
    "184057512345625", "1 84 05 75 123 456 25", "12/05/1984", "1984-05-12",
)  # fmt: skip


@pytest.fixture(scope="module")
def app_run(tmp_path_factory):
    data = tmp_path_factory.mktemp("secapp") / "data"
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "TELECABINE_LOG_LEVEL": "DEBUG",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    proc = subprocess.run(
        [sys.executable, str(DRIVER), str(data)], env=env, capture_output=True, text=True,
        timeout=100,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return data, proc


@pytest.mark.timeout(120)
def test_app_walks_locks_and_signs_out(app_run):
    _, proc = app_run
    lines = proc.stdout.splitlines()
    assert "BANNER True" in lines  # insecure file keyring: the station says so on screen
    assert "AT equipment" in lines and "AT call" in lines
    assert {"LOCKED True", "UNLOCKED True", "SIGNIN True"} <= set(lines)
    assert "CALL ended None" in lines  # the waiting call was withdrawn, nothing navigated
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]


def test_app_log_file_and_stderr_hold_no_patient_data(app_run):
    data, proc = app_run
    logs = sorted((data / "logs").iterdir())
    assert logs and logs[0].name == "telecabine.log"
    text = "\n".join(f.read_text(encoding="utf-8") for f in logs)
    entries = [json.loads(line) for line in text.splitlines() if line.strip()]
    messages = [e["msg"] for e in entries]
    assert "station starting" in messages and "station stopped" in messages
    assert "retention purge done" in messages  # the automatic purge ran at start
    assert any(e["level"] == "DEBUG" for e in entries)  # DEBUG really reached the file
    everything = text + "\n" + proc.stderr + "\n" + proc.stdout
    assert [n for n in NEEDLES if n in everything] == []


def test_app_audit_trail_has_the_flow_and_verifies(app_run, capsys):
    from telecabine.cli import main
    from telecabine.config import load_settings
    from telecabine.store import open_store

    data, _ = app_run
    store = open_store(load_settings(data_dir=data, insecure_file_keyring=True))
    try:
        actions = [e.action for e in store.audit.entries()]
    finally:
        store.close()
    expected = ["sign_in", "purge", "patient_created", "consent_recorded", "settings_changed",
                "lock", "sign_out"]  # fmt: skip
    assert set(expected) <= set(actions), actions
    assert actions.index("patient_created") < actions.index("consent_recorded")
    assert actions.count("sign_in") >= 2  # demo sign-in, then the unlock
    assert main(["--data-dir", str(data), "audit", "verify"]) == 0
    assert "intact" in capsys.readouterr().out
