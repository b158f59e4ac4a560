"""Equipment check against simulated devices, a real hub on loopback, and the CLI."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from telecabine.config import load_settings
from telecabine.devices.registry import DeviceRegistry
from telecabine.hub.config import HubSettings
from telecabine.hub.server import start_hub
from telecabine.services.preflight import CheckResult, CheckStatus, Preflight


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _settings(data_dir: Path, **kw):
    base = {"data_dir": data_dir, "simulated_devices": True, "preflight_listen_s": 0.5,
            "camera_width": 640, "camera_height": 480, "preflight_min_free_mb": 1}  # fmt: skip
    return load_settings(**(base | kw))


async def test_all_green_with_simulated_devices_and_a_real_hub(
    data_dir: Path, tmp_path: Path
) -> None:
    hub = await start_hub(
        HubSettings(
            database_url=f"sqlite+aiosqlite:///{tmp_path}/hub.db",
            data_dir=tmp_path,
            host="127.0.0.1",
            port=0,
        )
    )
    settings = _settings(data_dir, hub_url=hub.url, preflight_min_fps=5)
    registry = DeviceRegistry(settings)
    asked: list[tuple[str, str]] = []

    async def confirm(fr: str, en: str) -> bool:
        asked.append((fr, en))
        return True

    seen: list[CheckResult] = []
    try:
        report = await Preflight(settings, registry, confirm=confirm).run(seen.append)
    finally:
        registry.stop_all()
        await hub.stop()
    by_key = {r.key: r for r in report.results}
    assert list(by_key) == [
        "camera:room", "camera:otoscope", "camera:dermatoscope", "camera:document",
        "microphone", "speaker", "stethoscope", "bluetooth", "hub", "disk", "clock",
    ]  # fmt: skip
    hub_result = by_key.pop("hub")
    # a loaded CI machine may make the first request slow: that is a warning, never a failure
    assert hub_result.status == CheckStatus.OK or hub_result.measures["rtt_ms"] > 400
    bad = {k: (r.status, r.message_en) for k, r in by_key.items() if r.status != CheckStatus.OK}
    assert not bad
    by_key["hub"] = hub_result
    assert report.passed and report.exit_code == 0
    room = by_key["camera:room"].measures
    assert (room["width"], room["height"]) == (640, 480) and 10 < room["fps"] < 40
    assert by_key["microphone"].measures["max_rms_dbfs"] > -50
    assert by_key["hub"].measures["rtt_ms"] < 5000
    assert abs(by_key["clock"].measures["skew_s"]) < 3
    assert asked and "entendu" in asked[0][0] and "hear" in asked[0][1]
    assert [r.status for r in seen[:2]] == [CheckStatus.RUNNING, CheckStatus.OK]
    json.dumps(report.to_json())


async def test_failures_are_typed_and_say_what_to_do(data_dir: Path, tmp_path: Path) -> None:
    settings = _settings(
        data_dir, simulated_devices=False, camera_room=str(tmp_path / "missing.avi"),
        audio_input="sim", audio_output="sim", hub_url=f"http://127.0.0.1:{_dead_port()}",
        preflight_min_free_mb=10**9,
    )  # fmt: skip
    registry = DeviceRegistry(settings)

    async def no_bluetooth() -> bool:
        return False

    pf = Preflight(settings, registry, bluetooth_probe=no_bluetooth, interactive=False,
                   wall_clock=lambda: time.time())  # fmt: skip
    try:
        report = await pf.run()
    finally:
        registry.stop_all()
    by_key = {r.key: r for r in report.results}
    assert by_key["camera:room"].status == CheckStatus.FAILED and by_key["camera:room"].required
    assert "USB" in by_key["camera:room"].message_fr
    assert by_key["speaker"].status == CheckStatus.WARNING  # played, nobody to confirm
    assert by_key["stethoscope"].status == CheckStatus.WARNING
    assert by_key["bluetooth"].status == CheckStatus.WARNING
    assert "dongle" in by_key["bluetooth"].message_en
    assert by_key["hub"].status == CheckStatus.FAILED and "Internet" in by_key["hub"].message_fr
    assert by_key["disk"].status == CheckStatus.FAILED
    assert by_key["clock"].status == CheckStatus.OK
    assert not report.passed and report.exit_code == 1


async def test_clock_checks(data_dir: Path) -> None:
    settings = _settings(data_dir)
    registry = DeviceRegistry(settings)
    old = Preflight(settings, registry, wall_clock=lambda: 1_577_836_800.0)  # 2020-01-01
    assert (await old.check_clock()).status == CheckStatus.FAILED
    ahead = Preflight(settings, registry, wall_clock=lambda: time.time() + 600)
    ahead._hub_date = (time.time(), time.time() + 600)
    res = await ahead.check_clock()
    assert res.status == CheckStatus.WARNING and res.measures["skew_s"] == pytest.approx(600, 1)


def test_cli_check_json_exits_non_zero_when_required_fails(data_dir: Path) -> None:
    env = os.environ | {
        "TELECABINE_SIMULATED_DEVICES": "1", "TELECABINE_PREFLIGHT_LISTEN_S": "0.3",
        "TELECABINE_HUB_URL": f"http://127.0.0.1:{_dead_port()}",
        "TELECABINE_CAMERA_WIDTH": "640", "TELECABINE_CAMERA_HEIGHT": "480",
    }  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-m", "telecabine", "--data-dir", str(data_dir), "check", "--json"],
        env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    assert out["passed"] is False
    hub = next(i for i in out["items"] if i["key"] == "hub")
    assert hub["status"] == "failed" and hub["required"] is True and hub["message_en"]
    assert next(i for i in out["items"] if i["key"] == "camera:room")["status"] == "ok"


async def test_microphone_unplugged_fails_with_a_sentence(data_dir: Path) -> None:
    settings = _settings(data_dir)
    registry = DeviceRegistry(settings)
    mic = registry.microphone()
    mic.plugged = False  # the simulated device that errors: no more blocks
    try:
        res = await Preflight(settings, registry).check_microphone()
    finally:
        registry.stop_all()
    assert res.status == CheckStatus.FAILED and res.required
    assert "branché" in res.message_fr and "plugged in" in res.message_en


def test_cli_lists_devices(capsys) -> None:
    from telecabine import cli

    assert cli.main(["check", "--list-devices", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert set(listed) == {"cameras", "audio"}
    assert all({"index", "name", "inputs", "outputs"} <= set(d) for d in listed["audio"])
    assert cli.main(["check", "--list-devices"]) == 0
    out = capsys.readouterr().out
    assert "Caméras / cameras" in out and "Audio" in out
