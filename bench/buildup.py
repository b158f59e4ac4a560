"""Latency build-up: the ``latency`` measurement held for 10 minutes with both cores stressed.

The station (real :class:`~telecabine.session.call.CallSession`, 720p30 band camera) sends to
the latency reader page in Debian Chromium, which also sends its fake camera and microphone
back (as the console does). A baseline is read for a short while, then a stress process loads
both cores (``stress-ng --cpu 2``, else two Python busy loops) for the whole measurement. The
page's glass-to-glass samples are collected every second with their time, so the first
and the last minute can be compared: ratio = p95 of the last minute / p95 of the first minute
(1.0 = no build-up; a queue growing somewhere would show as a ratio well above 1).

Duration: ``BENCH_BUILDUP_S`` seconds (default 600; ``--quick`` 60, where "minute" becomes a
third of the run).

Run: ``uv run python -m bench buildup`` (``--quick`` for a short pass).
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

from bench.common import percentile, write_result

DRAIN_JS = "() => { const s = window.tc.samples; window.tc.samples = []; return s; }"
INBOUND_JS = """async () => { let o = {}; (await window.stationPc.getStats()).forEach((s) => {
  if (s.type === 'inbound-rtp' && s.kind === 'video') o = {w: s.frameWidth, h: s.frameHeight,
  fps: s.framesPerSecond, dropped: s.framesDropped, decoded: s.framesDecoded,
  jitter_buffer_ms: 1000 * s.jitterBufferDelay / Math.max(1, s.jitterBufferEmittedCount)}; });
  return o; }"""


def duration_s(quick: bool) -> float:
    """Seconds under stress: ``BENCH_BUILDUP_S`` if set, else 600 (60 with ``--quick``)."""
    raw = os.environ.get("BENCH_BUILDUP_S")
    if raw:
        value = float(raw)
        if value < 30:
            raise ValueError("BENCH_BUILDUP_S must be at least 30 seconds")
        return value
    return 60.0 if quick else 600.0


def _stats(samples: list[float]) -> dict[str, Any]:
    if not samples:
        return {"samples": 0}
    return {"p50_ms": percentile(samples, 50), "p95_ms": percentile(samples, 95),
            "samples": len(samples)}  # fmt: skip


def _window(samples: list[float], seconds: float) -> dict[str, Any]:
    """Percentiles plus the readable frames per second the page saw."""
    return {**_stats(samples), "readable_fps": round(len(samples) / seconds, 1)}


async def _measure(quick: bool) -> dict[str, Any]:
    import psutil
    from playwright.async_api import async_playwright

    from bench.call_harness import (
        H,
        W,
        cpu_seconds,
        cpu_stress,
        launch_browser,
        load_average,
        serve_page,
    )
    from bench.latency import READER_JS, BandCamera, _PageSignaling
    from telecabine.protocol import signaling as sig
    from telecabine.session.call import CallSession

    total = duration_s(quick)
    baseline_s = 10 if quick else 20
    every = 1.0  # samples are timed when drained: drain often
    timed: list[tuple[float, float]] = []  # (seconds since stress started, latency ms)
    heights: list[tuple[float, int]] = []
    rss: list[tuple[float, float]] = []  # station process memory: a leak would show here
    reader, url = await serve_page(READER_JS.replace("__W__", str(W)).replace("__H__", str(H)))
    cam = BandCamera()
    try:
        async with async_playwright() as pw:
            browser = await launch_browser(pw)
            page = await browser.browser.new_page()
            await page.goto(url)
            await page.wait_for_function("typeof window.answer === 'function'")
            cam.start()
            signaling = _PageSignaling(page)
            session = CallSession(signaling, "bench", {"room": cam.mailbox}, play_audio=False)
            signaling.session = session
            try:
                await session.announce("bench-buildup", "bench", "40-64", "bench")
                await session.on_signal(sig.DoctorJoined(encounter_id="bench-buildup",
                    doctor=sig.DoctorPublic(name="bench", specialty="-")))  # fmt: skip
                deadline = time.monotonic() + 20
                while await page.evaluate("window.tc.frames") == 0:
                    if time.monotonic() > deadline:
                        raise RuntimeError("no station video in Chromium")
                    await asyncio.sleep(0.05)
                await asyncio.sleep(3)  # warm-up: REMB ramps the bitrate
                await page.evaluate(DRAIN_JS)
                await asyncio.sleep(baseline_s)
                baseline = await page.evaluate(DRAIN_JS)
                me = psutil.Process()
                with cpu_stress(2) as stress:
                    s0, t0 = cpu_seconds([me]), time.monotonic()
                    while (now := time.monotonic() - t0) < total:
                        await asyncio.sleep(min(every, max(0.1, total - now)))
                        at = time.monotonic() - t0
                        timed.extend((at, v) for v in await page.evaluate(DRAIN_JS))
                        heights.append((round(at, 1), session.video.max_height))
                        rss.append((round(at, 1), round(me.memory_info().rss / 2**20, 1)))
                    s1, t1 = cpu_seconds([me]), time.monotonic()
                    inbound = await page.evaluate(INBOUND_JS)
                    stress_load = load_average()
            finally:
                await session.close()
                cam.stop()
            await browser.browser.close()
    finally:
        await reader.cleanup()
    return {
        "timed": timed, "baseline": baseline, "total": total, "stress": stress["how"],
        "station_cpu_pct": round(100 * (s1 - s0) / (t1 - t0), 1), "inbound_end": inbound,
        "heights": heights, "load_under_stress": stress_load, "rss": rss,
    }  # fmt: skip


def run(quick: bool = False) -> dict[str, Any]:
    """Measure and write ``results/buildup.json``."""
    from bench.call_harness import FPS, H, W

    m = asyncio.run(_measure(quick))
    total, timed = m["total"], m["timed"]
    window = min(60.0, total / 3)
    first = [v for at, v in timed if at <= window]
    last = [v for at, v in timed if at > total - window]
    if len(first) < 10 or len(last) < 10:
        raise RuntimeError(f"too few readable frames (first {len(first)}, last {len(last)})")
    per_minute = []
    for start in range(0, int(total), 60):
        chunk = [v for at, v in timed if start < at <= start + 60]
        span = min(60.0, total - start)
        per_minute.append({"from_s": start, **_window(chunk, span)})
    lowest = min(h for _, h in m["heights"]) if m["heights"] else None
    details = {
        "first_window": _window(first, window), "last_window": _window(last, window), "window_s": window,
        "baseline_without_stress": _stats(m["baseline"]), "per_minute": per_minute,
        "seconds_under_stress": total, "stress": m["stress"],
        "station_cpu_pct_of_one_core_under_stress": m["station_cpu_pct"],
        "station_sent_height_lowest": lowest, "station_sent_height_end": m["heights"][-1][1]
        if m["heights"] else None,
        "received_in_chromium_end": m["inbound_end"],
        "station_rss_mb_first_last_max": [m["rss"][0][1], m["rss"][-1][1],
                                          max(v for _, v in m["rss"])] if m["rss"] else None,
        "load_average_1_5_15_under_stress": m["load_under_stress"],
        "resolution": f"{W}x{H}@{FPS}",
    }  # fmt: skip
    return write_result(
        "buildup", value=details["last_window"]["p95_ms"],
        unit=f"ms, p95 glass-to-glass in the last {window:.0f} s of {total:.0f} s, cores stressed",
        anchor=f"p95 in the first {window:.0f} s of the same run",
        anchor_value=details["first_window"]["p95_ms"],
        goal="ratio <= 1.1 (no latency build-up under CPU stress)", details=details, quick=quick,
    )  # fmt: skip


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
