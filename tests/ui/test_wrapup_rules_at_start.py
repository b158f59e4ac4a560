"""`telecabine run` refuses to start with a broken operator tariffs file (no window, exit 2),
naming the file, the field and the line in French then English."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import resources

import pytest


@pytest.mark.timeout(120)
def test_run_stops_on_a_broken_tariffs_copy(tmp_path):
    data = json.loads(
        (resources.files("telecabine.domain.billing") / "data/tariffs.json").read_text("utf-8")
    )
    data["participation_forfaitaire"]["periods"][1]["amount"] = "deux euros"
    bad = tmp_path / "tarifs.json"
    bad.write_text(json.dumps(data, indent=2, ensure_ascii=False), "utf-8")
    line = 1 + bad.read_text("utf-8").splitlines().index('        "amount": "deux euros"')
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "TELECABINE_QUIT_AFTER_S": "2",  # were it to start anyway, the test still ends
        "TELECABINE_INSECURE_FILE_KEYRING": "1",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "TELECABINE_TARIFFS_PATH": str(bad),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "telecabine", "run", "--data-dir", str(tmp_path / "data")],
        env=env, capture_output=True, text=True, timeout=100,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert "telecabine: ready" not in proc.stdout
    where = f"{bad}, participation_forfaitaire.periods.1.amount, ligne/line {line}"
    assert f"Fichier de règles invalide ({where}) : montant invalide" in proc.stderr
    assert f"Invalid rules file ({where}): montant invalide / invalid amount" in proc.stderr
    assert "Traceback" not in proc.stderr
