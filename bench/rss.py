"""Station resident memory during a 720p call, against a Chromium doing the station's job.

Ours: a separate station process (``python -m bench.rss --station ...``) built like the demo
station: encrypted store, the device registry with simulated cameras (all four roles, 1280x720
at 30 fps, as ``telecabine demo`` opens them; then again with the default configuration, the
room camera only, reported in details), the real
:class:`~telecabine.services.consultation.ConsultationService` and the Qt
:class:`~telecabine.ui.screens.call.CallScreen` shown offscreen (it paints the doctor's video
and the self view). It announces to a real hub on 127.0.0.1; the doctor takes the call in the
real console in Debian Chromium, and the doctor's 720p fake camera comes back. The process's
RSS is sampled every second during the call (peak reported; PSS too).

Anchor, same run (chosen because it is the same job): Chromium as the station, i.e. a browser
instance sending the 720p30 canvas and showing the doctor's camera through the same hub and
console; its memory is the PSS sum over all its processes (shared pages counted once; summing
RSS would double count them and flatter us). The station process's RSS is compared with it,
which is conservative (RSS >= PSS). Also recorded: the station idle at its first page
(``telecabine run``), so the cost of the call itself shows.

Run: ``uv run python -m bench rss`` (``--quick`` for a short pass).
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

from bench.call_harness import (
    SENDER_JS,
    cpu_seconds,
    launch_browser,
    load_average,
    memory_mb,
    running_hub,
    serve_page,
    sign_in_console,
)
from bench.common import write_result

READY = "bench-station: encounter "
MILESTONE = "bench-station: rss_mb "
EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception)):")
CONSOLE_INBOUND_JS = """async () => { const c = window.__telecabineCall;
  if (!c || !c.state.pc) return null; let o = null;
  (await c.state.pc.getStats()).forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video')
    o = { decoded: s.framesDecoded || 0, w: s.frameWidth || 0, h: s.frameHeight || 0,
          fps: s.framesPerSecond || 0 }; }); return o; }"""


def _station_env() -> dict[str, str]:
    return {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "TELECABINE_INSECURE_FILE_KEYRING": "1",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }


# Station device configurations: the full cabin as ``telecabine demo`` opens it, and the
# default configuration (room camera only; simulated microphone and stethoscope).
CONFIGS = {
    "full_cabin": {"simulated_devices": True},
    "room_camera_only": {"simulated_devices": False, "camera_room": "sim:room",
                         "audio_input": "sim", "stethoscope_device": "sim"},
}  # fmt: skip


def station_main(hub_url: str, token: str, data_dir: str, config: str) -> int:
    """Child process: a station in a call (Qt call screen offscreen) until stdin closes."""
    from PySide6.QtWidgets import QApplication
    from qasync import QEventLoop

    from telecabine.memory import tune_allocator

    tune_allocator()  # as app.run_station does first
    app = QApplication.instance() or QApplication(sys.argv[:1])
    loop = QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        with loop:
            return loop.run_until_complete(_station(hub_url, token, data_dir, config))
    finally:
        if not loop.is_closed():
            loop.close()
        asyncio.set_event_loop(None)


async def _station(hub_url: str, token: str, data_dir: str, config: str) -> int:
    from telecabine.config import load_settings
    from telecabine.devices.registry import DeviceRegistry
    from telecabine.station import build_consultation
    from telecabine.store import open_store
    from telecabine.ui.screens.call import CallScreen

    _milestone("qt_and_station_modules_loaded")
    settings = load_settings(data_dir=Path(data_dir), insecure_file_keyring=True,
                             hub_url=hub_url, station_token=token, station_id="bench-cabin",
                             **CONFIGS[config])  # fmt: skip
    settings.ensure_dirs()
    store = open_store(settings)
    _milestone("store_open")
    registry = DeviceRegistry(settings)
    consultation, devices = build_consultation(settings, store.encounters, registry)
    for device in devices:  # the station starts them when the call screen shows
        device.start()
    await asyncio.sleep(2)  # cameras and audio running
    _milestone("devices_running")
    try:
        enc = store.encounters.create(settings.station_id)
        for state in ("identified", "consented"):  # the encounter state machine's steps
            store.encounters.set_state(enc.id, state)
        screen = CallScreen(consultation)
        screen.resize(1280, 800)
        screen.show()
        screen.on_enter({"encounter_id": enc.id, "reason": "Bench", "age_band": "40-64",
                         "flagged_vitals": [], "lang": "fr"})  # fmt: skip
        await asyncio.sleep(1)
        _milestone("call_screen_shown_waiting")
        print(f"{READY}{enc.id}", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        if consultation.call is not None:
            await consultation.call.hangup("station")
        screen.hide()
        await asyncio.sleep(2)
        _milestone("after_hangup")
    finally:
        registry.stop_all()
        store.close()
    return 0


def _milestone(label: str) -> None:
    """Child: print this process's RSS at a step (read back by the parent)."""
    rss = psutil.Process().memory_info().rss / 2**20
    print(f"{MILESTONE}{label} {rss:.1f}", flush=True)


async def _sample(procs_fn, seconds: float) -> dict[str, Any]:
    """Sample memory every second; peak and last RSS/PSS, and CPU over the window."""
    peak: dict[str, float] = {"rss_mb": 0.0, "pss_mb": 0.0}
    c0, t0 = cpu_seconds(procs_fn()), time.monotonic()
    samples = []
    while time.monotonic() - t0 < seconds:
        await asyncio.sleep(1)
        m = memory_mb(procs_fn())
        samples.append(m["rss_mb"])
        peak = {k: max(peak[k], m[k]) for k in peak}
    c1, t1 = cpu_seconds(procs_fn()), time.monotonic()
    return {"peak": peak, "last": m, "rss_first_mb": samples[0], "rss_last_mb": samples[-1],
            "cpu_pct": round(100 * (c1 - c0) / (t1 - t0), 1)}  # fmt: skip


async def _ours(hub, page, seconds: float, tmp: Path, config: str) -> dict[str, Any]:
    from bench.call_setup import back_to_queue, console_take

    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.rss", "--station", hub.url, hub.station_token,
        str(tmp / config), config, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env=_station_env(),
    )  # fmt: skip
    errors = asyncio.ensure_future(_errors(proc.stderr))
    try:
        assert proc.stdout is not None and proc.stdin is not None
        milestones: dict[str, float] = {}
        while not (line := (await asyncio.wait_for(proc.stdout.readline(), 60)).decode()).startswith(READY):  # fmt: skip
            if not line:
                raise RuntimeError("station exited before announcing")
            if line.startswith(MILESTONE):
                label, value = line[len(MILESTONE) :].split()
                milestones[label] = float(value)
        took = await console_take(page, line[len(READY) :].strip())
        deadline = time.monotonic() + 20
        while ((await page.evaluate(CONSOLE_INBOUND_JS)) or {}).get("decoded", 0) < 30:
            if time.monotonic() > deadline:
                raise RuntimeError("station video not decoded in the console")
            await asyncio.sleep(0.2)
        station = psutil.Process(proc.pid)
        measured = await _sample(lambda: [station], seconds)
        measured["doctor_sees"] = await page.evaluate(CONSOLE_INBOUND_JS)
        measured["setup_ms"] = round(took["ms"], 1)
        proc.stdin.write(b"stop\n")
        await proc.stdin.drain()
        for raw in (await asyncio.wait_for(proc.stdout.read(), 30)).decode().splitlines():
            if raw.startswith(MILESTONE):
                label, value = raw[len(MILESTONE) :].split()
                milestones[label] = float(value)
        await asyncio.wait_for(proc.wait(), 30)
        measured["milestones_rss_mb"] = milestones
        measured["station_errors"] = await asyncio.wait_for(errors, 10)
        await back_to_queue(page)
        return measured
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        errors.cancel()


async def _errors(stream) -> dict[str, Any]:
    """Count the tracebacks the station printed (a memory figure of a failing station is
    not the station's figure), keeping the last exception line of each kind."""
    count, kinds = 0, {}
    while line := (await stream.readline()).decode(errors="replace"):
        if line.startswith("Traceback"):
            count += 1
        elif count and (match := EXCEPTION_LINE.match(line)):
            kinds[match.group(1)] = line.strip()[:300]
    return {"tracebacks": count, "last_by_kind": kinds}


async def _anchor(hub, page, pw, seconds: float) -> dict[str, Any]:
    from bench.call_setup import chromium_station_call

    srv, url = await serve_page(SENDER_JS)
    try:
        station = await launch_browser(pw)
        spage = await station.browser.new_page()
        await spage.goto(url)
        await spage.evaluate("window.grantCamera()")
        idle = station.memory_mb()
        async with chromium_station_call(hub, page, spage, "bench-rss-anchor",
                                         keep_resolution=True):  # fmt: skip
            await asyncio.sleep(3)  # same warm-up as ours (frames flowing both ways)
            measured = await _sample(station.procs, seconds)
            measured["by_process"] = len(station.procs())
        measured["idle_page_loaded"] = idle
        await station.browser.close()
    finally:
        await srv.cleanup()
    return measured


async def _idle_station(tmp: Path) -> dict[str, Any]:
    """The station app idle at its first page (``telecabine run``), RSS after it settles."""
    env = {**_station_env(), "TELECABINE_QUIT_AFTER_S": "8"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "telecabine", "run", "--data-dir", str(tmp / "idle"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL, env=env,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        while True:
            line = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode()
            if not line:
                raise RuntimeError("station exited before its first page")
            if line.startswith("telecabine: ready"):
                break
        await asyncio.sleep(4)
        m = memory_mb([psutil.Process(proc.pid)])
        await asyncio.wait_for(proc.wait(), 30)
        return m
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def _measure(quick: bool) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    seconds = 8 if quick else 30
    with tempfile.TemporaryDirectory(prefix="tc-bench-rss-") as tmp_name:
        tmp = Path(tmp_name)
        idle = await _idle_station(tmp)
        async with running_hub() as hub, async_playwright() as pw:
            doctor = await launch_browser(pw)
            page = await (await doctor.browser.new_context(
                viewport={"width": 1280, "height": 900})).new_page()  # fmt: skip
            await sign_in_console(page, hub)
            ours = await _ours(hub, page, seconds, tmp, "full_cabin")
            anchor = await _anchor(hub, page, pw, seconds)
            room_only = await _ours(hub, page, seconds, tmp, "room_camera_only")
            await doctor.browser.close()
    return {"ours": ours, "anchor": anchor, "idle": idle, "seconds": seconds,
            "room_only": room_only}  # fmt: skip


def run(quick: bool = False) -> dict[str, Any]:
    """Measure and write ``results/rss.json``."""
    m = asyncio.run(_measure(quick))
    ours, anchor = m["ours"], m["anchor"]
    details = {
        "station_rss_peak_mb": ours["peak"]["rss_mb"], "station_pss_peak_mb": ours["peak"]["pss_mb"],
        "station_rss_first_last_mb": [ours["rss_first_mb"], ours["rss_last_mb"]],
        "station_cpu_pct_in_call": ours["cpu_pct"], "doctor_sees": ours["doctor_sees"],
        "station_idle_first_page": m["idle"],
        "call_cost_mb": round(ours["peak"]["rss_mb"] - m["idle"]["rss_mb"], 1),
        "station_rss_by_step_mb": ours["milestones_rss_mb"],
        "station_errors_during_call": ours["station_errors"],
        "room_camera_only": {"rss_peak_mb": m["room_only"]["peak"]["rss_mb"],
                             "pss_peak_mb": m["room_only"]["peak"]["pss_mb"],
                             "rss_by_step_mb": m["room_only"]["milestones_rss_mb"],
                             "cpu_pct_in_call": m["room_only"]["cpu_pct"],
                             "doctor_sees": m["room_only"]["doctor_sees"],
                             "station_errors": m["room_only"]["station_errors"]},
        "chromium_station_pss_peak_mb": anchor["peak"]["pss_mb"],
        "chromium_station_rss_sum_peak_mb": anchor["peak"]["rss_mb"],
        "chromium_station_processes": anchor["by_process"],
        "chromium_station_idle_page_loaded": anchor["idle_page_loaded"],
        "chromium_station_cpu_pct_in_call": anchor["cpu_pct"],
        "seconds_sampled": m["seconds"],
        "station_config": "headline = full cabin: simulated room/otoscope/dermatoscope/"
                          "document cameras 1280x720@30 all open (as telecabine demo), simulated "
                          "microphone and stethoscope, Qt call screen offscreen, encrypted store, "
                          "real hub and console; room_camera_only = the default configuration",
        "load_average_1_5_15": load_average(),
    }  # fmt: skip
    return write_result(
        "rss", value=ours["peak"]["rss_mb"], unit="MiB, station process RSS peak in a 720p call",
        anchor="Chromium as the station, PSS of all its processes, same call, same run",
        anchor_value=anchor["peak"]["pss_mb"], goal="< 350 MB, no more than Chromium",
        details=details, quick=quick,
    )  # fmt: skip


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--station":
        raise SystemExit(station_main(*sys.argv[2:]))
    import json

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
