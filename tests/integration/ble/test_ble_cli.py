"""``telecabine ble ...`` against the simulated devices: scan, pair, list, measure, forget."""

from __future__ import annotations

import json

from telecabine.cli import main


def test_ble_cli_scan_pair_measure_forget(data_dir, capsys, monkeypatch):
    monkeypatch.setenv("TELECABINE_BLE_SCAN_TIMEOUT_S", "0.05")
    base = ["--data-dir", str(data_dir), "ble", "--simulated"]
    assert main([*base, "scan", "--kind", "spo2"]) == 0
    out = capsys.readouterr().out
    assert "SIM-Oxy" in out and "SIM-Tensio" not in out
    assert main([*base, "pair", "5A:1D:00:00:00:03"]) == 0
    saved = json.loads((data_dir / "ble_pairing.json").read_text())
    assert saved["devices"]["spo2"]["address"] == "5A:1D:00:00:00:03"
    assert main([*base, "pair", "00:00:00:00:00:00"]) == 1
    monkeypatch.setenv("TELECABINE_BLE_SIMULATED_SCENARIO", "low_spo2")
    capsys.readouterr()
    assert main([*base, "measure", "spo2"]) == 0
    out = capsys.readouterr().out
    assert "Saturation en oxygène" in out and "88.0" in out and "critical" in out
    assert main([*base, "list"]) == 0
    assert "5A:1D:00:00:00:03" in capsys.readouterr().out
    assert main([*base, "forget", "spo2"]) == 0
    assert json.loads((data_dir / "ble_pairing.json").read_text())["devices"] == {}
