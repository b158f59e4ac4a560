"""Glass-to-glass latency, station (aiortc) -> Debian Chromium, 720p30, with its anchor.

The station side is the real session code (:class:`telecabine.session.call.CallSession` with its
tuned encoders, :mod:`telecabine.session.encoders`; ``BENCH_VIDEO_CODEC=VP8`` prefers VP8 instead
of H.264) fed by a camera thread that draws its capture wall clock into the picture
(``telecabine.devices.timestamp_code``). Chromium (Playwright) answers, and on every presented
frame (``requestVideoFrameCallback``) draws it into a canvas, reads the band back with a JS twin
of ``read_band`` and records ``Date.now() - captured`` (same machine clock).

Anchor, same run, same page: Chromium -> Chromium (a canvas drawing the *same picture* - the
camera's texture scrolled 4 px a frame, and the same band - at 720p30 held at 720p, encoded with
the codec the station negotiated, ``captureStream`` -> RTCPeerConnection -> RTCPeerConnection ->
the same reader). A flat picture would cost Chromium's encoder a fraction of ours and say
nothing about the encoders.
During the station run the page also sends its fake 640x480 camera and microphone to the
station, as the console does, so the station's CPU includes decoding the doctor's video.
Also recorded: the station process's CPU share and per thread (camera, event loop = track +
RTP/SRTP/ICE/SCTP, executor = video+audio encode, decoders), the encoder's CPU and wall time per
frame and the capture -> encoded delay on the station (vs Chromium's own ``totalEncodeTime``),
Chromium's jitter-buffer and decode times, Chromium's CPU in both runs, peak RSS, the first-frame
time after the answer and the p50 drift between the first and last thirds (latency build-up).
A second, shorter station call with the other ``playout-delay`` setting (on by default, see
:mod:`telecabine.session.playout`) shows what that extension is worth
(``station_other_playout_delay``).

Run: ``uv run python -m bench latency`` (``--quick`` for a short pass).
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import threading
import time
from typing import Any

import numpy as np
import psutil

from bench.common import percentile, write_result
from telecabine.session.encoders import ENCODE_STATS, VideoEncoding

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]  # fmt: skip
W, H, FPS = 1280, 720, 30

# JS twin of telecabine.devices.timestamp_code.read_band (layout version 1).
READER_JS = r"""
window.SEND_MEDIA = true;  // the doctor sends camera + microphone, as in a real call
window.tc = { samples: [], frames: 0, firstAt: null };
// The sender may scale the picture (Chromium adapts resolution): cells are located from the
// source width the band was drawn for (SRC_W), scaled to the received width.
const SRC_W = __W__, SRC_H = __H__;
function readBand(g, w, h) {
  const CELLS = 74, cw = Math.floor(SRC_W / CELLS) * w / SRC_W;
  if (cw < 3) return null;
  const bh = Math.max(8, Math.round(SRC_H / 30)) * h / SRC_H;
  const y0 = Math.floor(bh / 4), y1 = Math.max(y0 + 1, Math.floor(3 * bh / 4));
  const rowLen = Math.ceil(CELLS * cw);
  const d = g.getImageData(0, y0, rowLen, y1 - y0).data;
  const means = new Array(CELLS).fill(0);
  for (let i = 0; i < CELLS; i++) {
    let s = 0, n = 0;
    const x0 = Math.floor(i * cw + cw / 4), x1 = Math.max(x0 + 1, Math.floor(i * cw + 3 * cw / 4));
    for (let y = 0; y < y1 - y0; y++) for (let x = x0; x < x1; x++) {
      const p = 4 * (y * rowLen + x);
      s += 0.299 * d[p] + 0.587 * d[p + 1] + 0.114 * d[p + 2]; n++;
    }
    means[i] = s / n;
  }
  const white = means[0], black = means[1];
  if (white - black < 64) return null;
  let word = 0n;
  for (let i = 2; i < CELLS; i++) word = (word << 1n) | (means[i] > (white + black) / 2 ? 1n : 0n);
  const ts = Number(word >> 24n), seq = Number((word >> 8n) & 0xFFFFn), check = Number(word & 0xFFn);
  let sum = 0;
  for (let k = 5; k >= 0; k--) sum += Math.floor(ts / 2 ** (8 * k)) % 256;
  sum += (seq >> 8) + (seq & 255);
  if (((sum % 256) ^ 0xA5) !== check) return null;
  return { ts, seq };
}
function watch(video, into) {
  const c = document.createElement('canvas');
  const g = c.getContext('2d', { willReadFrequently: true });
  const step = () => {
    if (video.videoWidth) {
      c.width = video.videoWidth; c.height = video.videoHeight;
      g.drawImage(video, 0, 0);
      const r = readBand(g, c.width, c.height);
      const now = Date.now();
      into.frames++;
      if (into.firstAt === null) into.firstAt = performance.now();
      // An 8-bit check lets ~1/256 damaged bands through: drop impossible values.
      if (r && now - r.ts >= 0 && now - r.ts < 10000) into.samples.push(now - r.ts);
    }
    video.requestVideoFrameCallback(step);
  };
  video.requestVideoFrameCallback(step);
}
window.answer = async (sdp) => {
  const pc = new RTCPeerConnection();
  window.stationPc = pc;
  const video = document.createElement('video');
  video.muted = true; video.autoplay = true; document.body.append(video);
  pc.ontrack = (ev) => { if (ev.track.kind === 'video') { video.srcObject = new MediaStream([ev.track]); watch(video, window.tc); } };
  // Like the console: the doctor's (fake) camera and microphone go to the station. Having
  // camera permission also makes Chromium show real host candidates instead of mDNS names,
  // which aioice would spend ~1 s resolving.
  const local = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: true });
  if (window.SEND_MEDIA) local.getTracks().forEach((t) => pc.addTrack(t, local));
  await pc.setRemoteDescription({ type: 'offer', sdp });
  await pc.setLocalDescription(await pc.createAnswer());
  await new Promise((r) => { if (pc.iceGatheringState === 'complete') r(); pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r(); setTimeout(r, 2000); });
  window.answeredAt = performance.now();
  return pc.localDescription.sdp;
};
window.anchor = async (w, h, fps, codec) => {
  window.tcA = { samples: [], frames: 0, firstAt: null };
  const c = document.createElement('canvas'); c.width = w; c.height = h;
  const g = c.getContext('2d');
  // The same picture as the station's camera (BandCamera): its texture, scrolled 4 px a
  // frame, so both encoders get the same work (a flat picture costs a fraction to encode).
  const base = new Image(); base.src = '/base.png'; await base.decode();
  let seq = 0;
  const CELLS = 74, cw = Math.floor(w / CELLS), bh = Math.max(8, Math.round(h / 30));
  const draw = () => {
    seq = (seq + 1) & 0xFFFF;
    const t = Date.now() % 2 ** 48;
    const dx = (seq * 4) % w;  // np.roll(base, 4 * seq, axis=1)
    g.drawImage(base, dx, 0); g.drawImage(base, dx - w, 0);
    let sum = 0;
    for (let k = 5; k >= 0; k--) sum += Math.floor(t / 2 ** (8 * k)) % 256;
    sum += (seq >> 8) + (seq & 255);
    const word = (BigInt(t) << 24n) | (BigInt(seq) << 8n) | BigInt((sum % 256) ^ 0xA5);
    const bits = [1, 0];
    for (let i = 71; i >= 0; i--) bits.push(Number((word >> BigInt(i)) & 1n));
    g.fillStyle = 'rgb(128,128,128)'; g.fillRect(0, 0, w, bh);
    bits.forEach((b, i) => { g.fillStyle = b ? '#fff' : '#000'; g.fillRect(i * cw, 0, cw, bh); });
  };
  setInterval(draw, 1000 / fps);
  draw();
  const stream = c.captureStream(fps);
  const a = new RTCPeerConnection(), b = new RTCPeerConnection();
  a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
  b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
  const video = document.createElement('video'); video.muted = true; video.autoplay = true; document.body.append(video);
  b.ontrack = (ev) => { video.srcObject = new MediaStream([ev.track]); watch(video, window.tcA); };
  stream.getTracks().forEach((t) => a.addTrack(t, stream));
  // Keep 720p like the station (which steps down only when its encoder falls behind):
  // otherwise Chromium's CPU-overuse detector halves the anchor's resolution on a loaded box.
  const sender = a.getSenders()[0], params = sender.getParameters();
  params.degradationPreference = 'maintain-resolution';
  await sender.setParameters(params);
  // The codec the station negotiated, so both encoders do the same job.
  const all = RTCRtpSender.getCapabilities('video').codecs;
  const first = all.filter((c) => c.mimeType.toLowerCase() === `video/${codec.toLowerCase()}`);
  if (first.length) a.getTransceivers()[0].setCodecPreferences([...first, ...all.filter((c) => !first.includes(c))]);
  await a.setLocalDescription(await a.createOffer());
  await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(b.localDescription);
  window.anchorPcs = [a, b];
};
"""


class BandCamera:
    """A camera thread: 720p moving picture with the timestamp band, newest frame only."""

    def __init__(self) -> None:
        from telecabine.devices.mailbox import LatestValueMailbox

        self.mailbox = LatestValueMailbox()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-camera", daemon=True)
        rng = np.random.default_rng(7)
        self.base = (
            rng.integers(40, 200, (H // 8, W // 8, 3), dtype=np.uint8).repeat(8, 0).repeat(8, 1)
        )

    def start(self) -> None:
        """Start the capture thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop it."""
        self._stop.set()
        self._thread.join(2)

    def _run(self) -> None:
        from telecabine.devices.mailbox import VideoFrame
        from telecabine.devices.timestamp_code import draw_band

        seq, period, nxt = 0, 1 / FPS, time.monotonic()
        while not self._stop.is_set():
            seq += 1
            img = np.roll(self.base, seq * 4, axis=1)
            wall = time.time()
            draw_band(img, wall, seq)
            self.mailbox.put(VideoFrame(img, seq, time.monotonic(), wall))
            nxt += period
            time.sleep(max(0.0, nxt - time.monotonic()))


class _PageSignaling:
    """Hands the station's offer to the page and the page's answer back to the session."""

    def __init__(self, page) -> None:
        self.page = page
        self.session = None
        self.answered_at: float | None = None

    async def send(self, message: Any) -> None:
        from telecabine.protocol import signaling as sig

        if isinstance(message, sig.Offer):
            sdp = await self.page.evaluate("(sdp) => window.answer(sdp)", message.sdp)
            self.answered_at = time.monotonic()
            await self.session.on_signal(sig.Answer(encounter_id=message.encounter_id, sdp=sdp))


async def _serve_page(script: str, base: np.ndarray):
    import cv2
    from aiohttp import web

    html = f"<!doctype html><html><body><script>{script}</script></body></html>"
    png = cv2.imencode(".png", base)[1].tobytes()

    async def index(_request):
        return web.Response(text=html, content_type="text/html")

    async def base_png(_request):
        return web.Response(body=png, content_type="image/png")

    app = web.Application()
    app.router.add_get("/", index)
    app.router.add_get("/base.png", base_png)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner


def _cpu(procs: list[psutil.Process]) -> float:
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


def _threads(proc: psutil.Process) -> dict[str, float]:
    """CPU seconds per thread of this process, grouped by name (executor workers together)."""
    names = {t.native_id: t.name for t in threading.enumerate()}
    out: dict[str, float] = {}
    for t in proc.threads():
        name = names.get(t.id, "other (native)")
        if name.startswith(("ThreadPoolExecutor", "asyncio_")):  # the loop's default executor
            name = "executor (video+audio encode)"
        elif name == "MainThread":
            name = "event loop (track, RTP/SRTP, ICE, SCTP)"
        out[name] = out.get(name, 0.0) + t.user_time + t.system_time
    return out


def _chromium_procs() -> list[psutil.Process]:
    me = psutil.Process()
    return [p for p in me.children(recursive=True) if "chrom" in p.name().lower()]


INBOUND_JS = """async () => { let o = {}; (await window.stationPc.getStats())
  .forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video') o = {w: s.frameWidth,
  h: s.frameHeight, fps: s.framesPerSecond, bytes: s.bytesReceived, dropped: s.framesDropped,
  decoded: s.framesDecoded, decoder: s.decoderImplementation, jitter_buffer_ms: 1000 *
  s.jitterBufferDelay / Math.max(1, s.jitterBufferEmittedCount), decode_ms: 1000 *
  s.totalDecodeTime / Math.max(1, s.framesDecoded), jitter_ms: 1000 * s.jitter}; }); return o; }"""


async def _station_phase(page, cam: BandCamera, encoding: Any, seconds: float, name: str):
    """One call from the station to the page: latency samples, CPU, encoder and inbound stats."""
    from telecabine.protocol import signaling as sig
    from telecabine.session.call import CallSession

    me = psutil.Process()
    signaling = _PageSignaling(page)
    session = CallSession(
        signaling, "bench", {"room": cam.mailbox}, play_audio=False, encoding=encoding
    )
    signaling.session = session
    await page.evaluate("window.tc = { samples: [], frames: 0, firstAt: null }")
    await session.announce(name, "bench", "40-64", "bench")
    t_call = time.monotonic()
    await session.on_signal(sig.DoctorJoined(
        encounter_id=name, doctor=sig.DoctorPublic(name="bench", specialty="-")))  # fmt: skip
    while await page.evaluate("window.tc.frames") == 0:
        await asyncio.sleep(0.01)
    first_frame_s = time.monotonic() - t_call
    await asyncio.sleep(2)  # warm-up: REMB ramps the bitrate
    await page.evaluate("window.tc.samples = []")
    chrome = _chromium_procs()
    ENCODE_STATS.reset()
    video = session.video
    conv0, sent0 = (video.convert_s, video.converted), (video.frames_sent, video.repeats)
    th0 = _threads(me)
    c0, s0, t0 = _cpu(chrome), _cpu([me]), time.monotonic()
    rss_peak = 0
    while time.monotonic() - t0 < seconds:
        await asyncio.sleep(1)
        rss_peak = max(rss_peak, me.memory_info().rss)
    c1, s1, t1 = _cpu(chrome), _cpu([me]), time.monotonic()
    th1 = _threads(me)
    encode = ENCODE_STATS.summary()
    encode["convert_ms"] = round(
        1000 * (video.convert_s - conv0[0]) / max(1, video.converted - conv0[1]), 2)  # fmt: skip
    encode["sent_fps"] = round((video.frames_sent - sent0[0]) / (t1 - t0), 1)
    encode["repeat_fps"] = round((video.repeats - sent0[1]) / (t1 - t0), 1)
    samples = await page.evaluate("window.tc.samples")
    inbound = await page.evaluate(INBOUND_JS)
    bitrate = None
    if session.peer is not None:
        await session.peer.sample()
        await asyncio.sleep(1)
        bitrate = (await session.peer.sample()).bitrate_bps
    sent_height = video.max_height
    await session.close()
    await page.evaluate("window.stationPc.close()")
    return {
        "samples": samples, "first_frame_s": first_frame_s, "cpu": (s1 - s0) / (t1 - t0),
        "chromium_cpu": (c1 - c0) / (t1 - t0), "rss_peak_mb": rss_peak / 2**20,
        "sent_height": sent_height, "inbound": inbound, "encode": encode,
        "threads": {k: round(100 * (v - th0.get(k, 0.0)) / (t1 - t0), 1) for k, v in th1.items()},
        "bitrate": bitrate,
    }  # fmt: skip


async def _measure(quick: bool) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    seconds = 8 if quick else 30
    encoding = VideoEncoding(codec=os.environ.get("BENCH_VIDEO_CODEC", "H264").upper())
    delay = os.environ.get("BENCH_PLAYOUT_DELAY", "")  # "min,max" in ms, or "none"
    if delay:
        low_high = None if delay == "none" else tuple(int(v) for v in delay.split(","))
        encoding = dataclasses.replace(encoding, playout_delay_ms=low_high)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = await browser.new_page()
        # Served from 127.0.0.1 (a secure context: getUserMedia works there).
        cam = BandCamera()
        script = READER_JS.replace("__W__", str(W)).replace("__H__", str(H))
        runner = await _serve_page(script, cam.base)
        port = runner.addresses[0][1]
        await page.goto(f"http://127.0.0.1:{port}/")
        await page.wait_for_function("typeof window.answer === 'function'")
        cam.start()
        main = await _station_phase(page, cam, encoding, seconds, "bench-1")
        # The same call with the other playout-delay setting, to show what it is worth.
        other = dataclasses.replace(
            encoding, playout_delay_ms=None if encoding.playout_delay_ms else (0, 0)
        )
        compare = await _station_phase(page, cam, other, min(seconds, 10), "bench-2")  # fmt: skip
        cam.stop()

        # Anchor: Chromium -> Chromium in the same page, same band, same size and rate.
        codec = main["encode"]["codec"] or encoding.codec
        await page.evaluate(f"window.anchor({W}, {H}, {FPS}, '{codec}')")
        await asyncio.sleep(2)
        await page.evaluate("window.tcA.samples = []")
        chrome = _chromium_procs()
        a0, ta0 = _cpu(chrome), time.monotonic()
        await asyncio.sleep(seconds)
        a1, ta1 = _cpu(chrome), time.monotonic()
        anchor = await page.evaluate("window.tcA.samples")
        anchor_inbound = await page.evaluate("""async () => { let o = {};
          (await window.anchorPcs[1].getStats()).forEach((s) => { if (s.type === 'inbound-rtp'
          && s.kind === 'video') o = {w: s.frameWidth, h: s.frameHeight, fps: s.framesPerSecond,
          jitter_buffer_ms: 1000 * s.jitterBufferDelay / Math.max(1, s.jitterBufferEmittedCount)};
          }); return o; }""")
        # Chromium's own encoder, same picture: codec and wall time per frame (totalEncodeTime).
        anchor_encode = await page.evaluate("""async () => { let o = {}, codecs = {};
          const r = await window.anchorPcs[0].getStats();
          r.forEach((s) => { if (s.type === 'codec') codecs[s.id] = s.mimeType; });
          r.forEach((s) => { if (s.type === 'outbound-rtp' && s.kind === 'video') o = {
          encoder: s.encoderImplementation, codec: codecs[s.codecId], frames: s.framesEncoded,
          encode_wall_ms: 1000 * s.totalEncodeTime / Math.max(1, s.framesEncoded),
          bitrate_bps: 8 * s.bytesSent / Math.max(1, s.framesEncoded) * 30}; }); return o; }""")
        await browser.close()
        await runner.cleanup()
    cmp_samples = compare["samples"] or [0]
    return {
        "station": main["samples"], "anchor": anchor, "first_frame_s": main["first_frame_s"],
        "station_cpu": main["cpu"], "chromium_cpu_station_run": main["chromium_cpu"],
        "chromium_cpu_anchor_run": (a1 - a0) / (ta1 - ta0), "rss_peak_mb": main["rss_peak_mb"],
        "sent_height": main["sent_height"], "inbound": main["inbound"],
        "encode": main["encode"], "threads": main["threads"], "anchor_encode": anchor_encode,
        "encoding": encoding, "anchor_inbound": anchor_inbound,
        "station_bitrate_bps": main["bitrate"], "seconds": seconds,
        "other_playout_delay": {
            "playout_delay_ms": other.playout_delay_ms, "seconds": min(seconds, 10),
            "p50_ms": percentile(cmp_samples, 50), "p95_ms": percentile(cmp_samples, 95),
            "samples": len(compare["samples"]),
            "jitter_buffer_ms": compare["inbound"].get("jitter_buffer_ms"),
            "station_cpu_pct_of_one_core": round(100 * compare["cpu"], 1),
        },
    }  # fmt: skip


def run(quick: bool = False) -> dict[str, Any]:
    """Measure and write ``results/latency.json``."""
    m = asyncio.run(_measure(quick))
    st, an = m["station"], m["anchor"]
    if len(st) < 10 or len(an) < 10:
        raise RuntimeError(f"too few readable frames (station {len(st)}, anchor {len(an)})")
    third = max(1, len(st) // 3)
    details = {
        "p50_ms": percentile(st, 50), "p95_ms": percentile(st, 95), "samples": len(st),
        "anchor_p50_ms": percentile(an, 50), "anchor_p95_ms": percentile(an, 95),
        "anchor_samples": len(an),
        "buildup_ms": percentile(st[-third:], 50) - percentile(st[:third], 50),
        "first_remote_frame_s": round(m["first_frame_s"], 3),
        "station_cpu_pct_of_one_core": round(100 * m["station_cpu"], 1),
        "chromium_cpu_pct_station_run_decode": round(100 * m["chromium_cpu_station_run"], 1),
        "chromium_cpu_pct_anchor_run_encode_decode": round(100 * m["chromium_cpu_anchor_run"], 1),
        "chromium_encode_cpu_pct_estimate": round(
            100 * (m["chromium_cpu_anchor_run"] - m["chromium_cpu_station_run"]), 1),
        "station_rss_peak_mb": round(m["rss_peak_mb"], 1),
        "station_threads_pct_of_one_core": m["threads"],
        "station_encode": m["encode"], "anchor_encode": m["anchor_encode"],
        "station_encoding": dataclasses.asdict(m["encoding"]),
        "station_video_bitrate_bps": m["station_bitrate_bps"], "inbound": m["inbound"],
        "anchor_inbound": m["anchor_inbound"],
        "station_other_playout_delay": m["other_playout_delay"],
        "station_sent_height_end": m["sent_height"],
        "load_average_1m": round(os.getloadavg()[0], 2),
        "resolution": f"{W}x{H}@{FPS}", "seconds_measured": m["seconds"], "cpus": os.cpu_count(),
    }  # fmt: skip
    return write_result(
        "latency", value=details["p50_ms"], unit="ms", anchor="Chromium -> Chromium, same page",
        anchor_value=details["anchor_p50_ms"],
        goal="glass-to-glass p50 no worse than Chromium<->Chromium, no build-up, CPU no worse",
        details=details, quick=quick,
    )  # fmt: skip


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
