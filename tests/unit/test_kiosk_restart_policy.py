"""Both kiosk entries restart the station after a crash, with a burst limit, not after a
normal exit."""

from __future__ import annotations

import configparser
from pathlib import Path

INSTALLERS = Path(__file__).resolve().parents[2] / "installers"


def test_systemd_unit_restarts_on_failure_with_a_burst_limit():
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.read(INSTALLERS / "linux" / "telecabine-kiosk.service")
    assert unit["Service"]["Restart"] == "on-failure"
    assert int(unit["Unit"]["StartLimitBurst"]) == 5
    assert int(unit["Unit"]["StartLimitIntervalSec"]) == 300


def test_windows_kiosk_entry_goes_through_the_restart_launcher():
    iss = (INSTALLERS / "windows" / "telecabine.iss").read_text(encoding="utf-8")
    kiosk = [ln for ln in iss.splitlines() if ln.startswith('Name: "{commonstartup}')]
    assert len(kiosk) == 1 and "telecabine-kiosk.ps1" in kiosk[0] and "Tasks: kiosk" in kiosk[0]
    assert 'Source: "telecabine-kiosk.ps1"' in iss
    ps1 = (INSTALLERS / "windows" / "telecabine-kiosk.ps1").read_text(encoding="utf-8")
    assert "'run', '--kiosk'" in ps1
    assert "if ($station.ExitCode -eq 0) { break }" in ps1  # a normal exit is not restarted
    assert "$recent.Count -ge 5" in ps1 and "TotalMinutes -lt 5" in ps1
