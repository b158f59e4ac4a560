"""CPU share of the station sending 720p30, against a Chromium sender doing the same job.

Two separate Debian Chromium instances: a *receiver* (the doctor's side: the latency reader page
of ``bench/latency.py``) and, for the anchor, a *sender* that draws the same 720p30 moving
picture with the same timestamp band into a canvas, captures it and sends it (video + an audio
track + the ``telecabine`` data channel, as the station does), held at 720p, with the codec the
station negotiated and Chromium's own rate control (bitrates and frame rates of both sides are
in details). The station side is the real
:class:`telecabine.session.call.CallSession` in this process, fed by the band camera thread.

Four phases, each measured over the same time after a warm-up (REMB ramps the bitrate):
ours send-only, anchor send-only, ours sending *and* decoding the doctor's camera (640x480 fake
camera + microphone from the receiver, as the console does), anchor sending and decoding.
CPU is user+system seconds from :mod:`psutil`: the whole station process (its synthetic camera
thread reported apart), and every process of the sender browser (per process type in details:
the renderer encodes, the browser/network processes send). The headline is send-only.

Run: ``uv run python -m bench cpu`` (``--quick`` for a short pass).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import psutil

from bench.call_harness import (
    FPS,
    SENDER_JS,
    H,
    W,
    cpu_seconds,
    launch_browser,
    load_average,
    serve_page,
    station_codec,
    thread_cpu_seconds,
)
from bench.common import percentile, write_result

# Lets the receiver page stop the camera streams its answer() opened (between phases).
TRACK_STREAMS_JS = """
(() => {
  const md = navigator.mediaDevices; if (!md) return;
  const orig = md.getUserMedia.bind(md);
  window.__streams = [];
  md.getUserMedia = async (c) => { const s = await orig(c); window.__streams.push(s); return s; };
})();
"""
RESET_RECEIVER_JS = """(sendMedia) => {
  if (window.stationPc) { window.stationPc.close(); window.stationPc = null; }
  (window.__streams || []).forEach((s) => s.getTracks().forEach((t) => t.stop()));
  window.__streams = [];
  document.querySelectorAll('video').forEach((v) => v.remove());
  window.SEND_MEDIA = sendMedia;
  window.tc = { samples: [], frames: 0, firstAt: null };
}"""
STOP_SENDER_JS = """() => {
  const s = window.sender;
  if (s.pc) s.pc.close();
  clearInterval(s.timer);
  if (s.stream) s.stream.getTracks().forEach((t) => t.stop());
  document.querySelectorAll('video').forEach((v) => v.remove());
  window.sender = { pc: null, firstRemoteAt: null };
}"""
INBOUND_JS = """async () => { let o = {}; if (!window.stationPc) return o;
  const r = await window.stationPc.getStats();
  r.forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video') o = {w: s.frameWidth,
  h: s.frameHeight, fps: s.framesPerSecond, decoded: s.framesDecoded, bytes: s.bytesReceived,
  codec: s.codecId && r.get(s.codecId) ? r.get(s.codecId).mimeType : null}; }); return o; }"""


async def _until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def _frames(page) -> bool:
    return await page.evaluate("window.tc.frames") > 0


def _latency(samples: list[float]) -> dict[str, Any]:
    if not samples:
        return {"p50_ms": None, "samples": 0}
    return {"p50_ms": percentile(samples, 50), "p95_ms": percentile(samples, 95),
            "samples": len(samples)}  # fmt: skip


async def _ours(rpage, recv, decode: bool, seconds: float, warm: float) -> dict[str, Any]:
    from bench.latency import BandCamera, _PageSignaling
    from telecabine.protocol import signaling as sig
    from telecabine.session.call import CallSession

    await rpage.evaluate(RESET_RECEIVER_JS, decode)
    cam = BandCamera()
    cam.start()
    signaling = _PageSignaling(rpage)
    session = CallSession(signaling, "bench", {"room": cam.mailbox}, play_audio=False)
    signaling.session = session
    try:
        await session.announce("bench-cpu", "bench", "40-64", "bench")
        await session.on_signal(sig.DoctorJoined(
            encounter_id="bench-cpu", doctor=sig.DoctorPublic(name="bench", specialty="-")))  # fmt: skip
        await _until(lambda: _frames(rpage), 20, "station video in Chromium")
        if decode:
            await _until(_async(lambda: session.remote_video.frames > 0), 20, "doctor video")
        await asyncio.sleep(warm)
        me, tid = psutil.Process(), cam._thread.native_id
        frames0 = session.remote_video.frames
        await rpage.evaluate("window.tc.samples = []")
        in0 = await rpage.evaluate(INBOUND_JS)
        s0, k0, r0, t0 = cpu_seconds([me]), thread_cpu_seconds(tid), cpu_seconds(recv.procs()), time.monotonic()  # fmt: skip
        await asyncio.sleep(seconds)
        s1, k1, r1, t1 = cpu_seconds([me]), thread_cpu_seconds(tid), cpu_seconds(recv.procs()), time.monotonic()  # fmt: skip
        in1 = await rpage.evaluate(INBOUND_JS)
        samples = await rpage.evaluate("window.tc.samples")
        dt = t1 - t0
        return {
            "cpu_pct": round(100 * (s1 - s0) / dt, 1),
            "cpu_pct_without_synthetic_camera_thread": round(100 * ((s1 - s0) - (k1 - k0)) / dt, 1),
            "synthetic_camera_thread_pct": round(100 * (k1 - k0) / dt, 1),
            "receiver_browser_cpu_pct": round(100 * (r1 - r0) / dt, 1),
            "doctor_frames_decoded_per_s": round((session.remote_video.frames - frames0) / dt, 1),
            "received_in_chromium": _rate(in0, in1, dt),
            "sent_height_end": session.video.max_height,
            "latency": _latency(samples),
            "seconds": round(dt, 1),
        }  # fmt: skip
    finally:
        await session.close()
        cam.stop()
        await rpage.evaluate(RESET_RECEIVER_JS, False)


def _async(fn):
    async def pred() -> bool:
        return bool(fn())

    return pred


def _rate(a: dict, b: dict, dt: float) -> dict[str, Any]:
    """Receiver-side view: size, fps and bitrate over the window."""
    out = {k: b.get(k) for k in ("w", "h", "fps", "codec")}
    if a.get("bytes") is not None and b.get("bytes") is not None:
        out["kbps"] = round(8 * (b["bytes"] - a["bytes"]) / dt / 1000)
    if a.get("decoded") is not None and b.get("decoded") is not None:
        out["decoded_fps"] = round((b["decoded"] - a["decoded"]) / dt, 1)
    return out


async def _anchor(
    spage, send, rpage, recv, decode: bool, seconds: float, warm: float, codec: str
) -> dict[str, Any]:
    await rpage.evaluate(RESET_RECEIVER_JS, decode)
    try:
        offer = await spage.evaluate("([w, h, f, c]) => window.startSender(w, h, f, [], c)",
                                     [W, H, FPS, codec])  # fmt: skip
        answer = await rpage.evaluate("(sdp) => window.answer(sdp)", offer)
        await spage.evaluate("(sdp) => window.acceptAnswer(sdp)", answer)
        await _until(lambda: _frames(rpage), 20, "anchor video in the receiver")
        if decode:
            await _until(_async_eval(spage, "window.sender.firstRemoteAt !== null"), 20,
                         "doctor video in the sender")  # fmt: skip
        ramp0 = time.monotonic()
        await _until(_async_eval(spage, f"window.outboundStats().then((o) => o.w >= {W})"), 20,
                     "Chromium sending 720p")  # fmt: skip
        ramp_s = time.monotonic() - ramp0
        await asyncio.sleep(warm)
        await rpage.evaluate("window.tc.samples = []")
        in0, out0 = await rpage.evaluate(INBOUND_JS), await spage.evaluate("window.outboundStats()")
        k0, r0, t0 = send.cpu_by_kind(), cpu_seconds(recv.procs()), time.monotonic()
        await asyncio.sleep(seconds)
        k1, r1, t1 = send.cpu_by_kind(), cpu_seconds(recv.procs()), time.monotonic()
        in1, out1 = await rpage.evaluate(INBOUND_JS), await spage.evaluate("window.outboundStats()")
        samples = await rpage.evaluate("window.tc.samples")
        dt = t1 - t0
        by_kind = {k: round(100 * (k1.get(k, 0.0) - k0.get(k, 0.0)) / dt, 1) for k in k1}
        sent = {k: out1.get(k) for k in ("w", "h", "fps", "codec", "encoder", "limitation",
                                         "encode_ms")}  # fmt: skip
        if out0.get("bytes") is not None and out1.get("bytes") is not None:
            sent["kbps"] = round(8 * (out1["bytes"] - out0["bytes"]) / dt / 1000)
        return {
            "cpu_pct": round(sum(by_kind.values()), 1),
            "cpu_pct_by_process_type": by_kind,
            "receiver_browser_cpu_pct": round(100 * (r1 - r0) / dt, 1),
            "sent": sent,
            "waited_for_720p_s": round(ramp_s, 1),
            "received_in_chromium": _rate(in0, in1, dt),
            "latency": _latency(samples),
            "seconds": round(dt, 1),
        }  # fmt: skip
    finally:
        await spage.evaluate(STOP_SENDER_JS)
        await rpage.evaluate(RESET_RECEIVER_JS, False)


def _async_eval(page, expr: str):
    async def pred() -> bool:
        return bool(await page.evaluate(expr))

    return pred


async def _measure(quick: bool) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    from bench.latency import READER_JS

    seconds, warm = (6, 2) if quick else (20, 3)
    phases: dict[str, Any] = {}
    reader, reader_url = await serve_page(
        READER_JS.replace("__W__", str(W)).replace("__H__", str(H))
    )
    sender_srv, sender_url = await serve_page(SENDER_JS)
    try:
        async with async_playwright() as pw:
            recv = await launch_browser(pw)
            send = await launch_browser(pw)
            rpage = await recv.browser.new_page()
            await rpage.add_init_script(TRACK_STREAMS_JS)
            await rpage.goto(reader_url)
            await rpage.wait_for_function("typeof window.answer === 'function'")
            spage = await send.browser.new_page()
            await spage.goto(sender_url)
            await spage.evaluate("window.grantCamera()")
            for decode in (False, True):
                tag = "send_and_decode" if decode else "send_only"
                ours = phases[f"station_{tag}"] = await _ours(rpage, recv, decode, seconds, warm)
                # The anchor encodes with the codec the station negotiated (video/H264 -> H264).
                # Its own rate control is kept: capped at the station's bitrate, Chromium holds
                # 720p by dropping to a few fps on this picture, i.e. it would do less work.
                got = (ours["received_in_chromium"].get("codec") or "").split("/")[-1]
                phases[f"chromium_{tag}"] = await _anchor(spage, send, rpage, recv, decode,
                                                          seconds, warm, got or station_codec())  # fmt: skip
            await send.browser.close()
            await recv.browser.close()
    finally:
        await reader.cleanup()
        await sender_srv.cleanup()
    return phases


def run(quick: bool = False) -> dict[str, Any]:
    """Measure and write ``results/cpu.json``."""
    phases = asyncio.run(_measure(quick))
    ours, anchor = phases["station_send_only"], phases["chromium_send_only"]
    details = {
        "station_send_only_pct": ours["cpu_pct"],
        "chromium_send_only_pct": anchor["cpu_pct"],
        "station_send_and_decode_pct": phases["station_send_and_decode"]["cpu_pct"],
        "chromium_send_and_decode_pct": phases["chromium_send_and_decode"]["cpu_pct"],
        "ratio_send_and_decode": round(phases["station_send_and_decode"]["cpu_pct"]
                                       / max(0.1, phases["chromium_send_and_decode"]["cpu_pct"]), 3),
        "phases": phases,
        "how": "user+system CPU seconds / wall seconds (psutil), 100 % = one core. Station: this "
               "whole process (real CallSession, aiortc VP8, synthetic 720p30 band camera thread "
               "included as a real camera thread would be). Chromium: every process of a second "
               "browser instance that only draws the 720p30 canvas, encodes and sends it.",
        "load_average_1_5_15": load_average(),
        "resolution": f"{W}x{H}@{FPS}", "cpus": psutil.cpu_count(),
    }  # fmt: skip
    return write_result(
        "cpu", value=ours["cpu_pct"], unit="% of one core, sending 720p30",
        anchor="Chromium sender (own browser instance, canvas 720p30, station's codec), same run",
        anchor_value=anchor["cpu_pct"], goal="no more CPU than Chromium sending the same video",
        details=details, quick=quick,
    )  # fmt: skip


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
