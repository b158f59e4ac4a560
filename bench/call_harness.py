"""Shared machinery for the call benchmarks (``cpu``, ``rss``, ``call_setup``, ``buildup``).

It reuses ``bench/latency.py`` by import (the reader page, the band camera, the page-as-doctor
signaling) and adds what those benchmarks need on top: a Chromium *sender* page that encodes a
720p30 canvas with the same timestamp band (the anchor), per-process CPU and memory accounting
of a browser's process tree with :mod:`psutil`, a real hub on 127.0.0.1 with a doctor and a
station, and a CPU stress load.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from bench.latency import ARGS, CHROMIUM, FPS, H, W  # noqa: F401  (re-exported for the call benches)

PASSWORD = "bench-correct-horse-battery"

# A Chromium page doing the station's job in a browser: a 720p30 canvas with the same moving
# picture and timestamp band as the anchor in bench/latency.py, captured and sent (VP8 by
# default, like the station) with an audio track, optionally receiving and showing the
# doctor's video. ``window.startSender(...)`` returns a complete SDP (gathering done, as aiortc).
SENDER_JS = r"""
window.sender = { pc: null, firstRemoteAt: null, base: null };
function drawLoop(w, h, fps) {
  const c = document.createElement('canvas'); c.width = w; c.height = h;
  const g = c.getContext('2d');
  let seq = 0;
  const CELLS = 74, cw = Math.floor(w / CELLS), bh = Math.max(8, Math.round(h / 30));
  const base = window.sender.base;
  const draw = () => {
    seq = (seq + 1) & 0xFFFF;
    const t = Date.now() % 2 ** 48;
    const dx = (seq * 4) % w;  // the station camera's np.roll(base, 4 * seq, axis=1)
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
  window.sender.timer = setInterval(draw, 1000 / fps);
  draw();
  return c.captureStream(fps);
}
function gathered(pc) {
  return new Promise((r) => {
    if (pc.iceGatheringState === 'complete') r();
    pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && r());
    setTimeout(r, 2000);
  });
}
// Permission for the (fake) camera makes Chromium put real host addresses in its candidates
// instead of mDNS names, as the console does; the tracks are not used.
window.grantCamera = async () => {
  const s = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
  s.getTracks().forEach((t) => t.stop());
};
window.startSender = async (w, h, fps, iceServers, codec, keepResolution = true) => {
  if (!window.sender.base) {
    const img = new Image(); img.src = '/base.png'; await img.decode(); window.sender.base = img;
  }
  if (!window.sender.stream) {
    const video = drawLoop(w, h, fps);
    const ac = new AudioContext();
    const osc = ac.createOscillator(); osc.frequency.value = 440;
    const gain = ac.createGain(); gain.gain.value = 0.05;
    const dest = ac.createMediaStreamDestination();
    osc.connect(gain).connect(dest); osc.start();
    window.sender.stream = new MediaStream([...video.getVideoTracks(), ...dest.stream.getAudioTracks()]);
  }
  const pc = new RTCPeerConnection({ iceServers: iceServers || [] });
  window.sender.pc = pc;
  window.sender.firstRemoteAt = null;
  const stream = window.sender.stream;
  stream.getTracks().forEach((t) => pc.addTrack(t, stream));
  // Same pixels as the station (which keeps 720p unless its encoder lags): Chromium would
  // otherwise start at 640x360 while its bandwidth estimate ramps up, and do less work.
  // (call_setup keeps Chromium's defaults: a web cabin would not change them.)
  for (const s of pc.getSenders()) {
    if (keepResolution && s.track && s.track.kind === 'video') {
      const p = s.getParameters(); p.degradationPreference = 'maintain-resolution';
      await s.setParameters(p).catch(() => {});
    }
  }
  if (codec) {  // the codec the station negotiated, so both encoders do the same job
    const all = RTCRtpReceiver.getCapabilities('video').codecs;
    const first = all.filter((c) => c.mimeType.toLowerCase() === `video/${codec.toLowerCase()}`);
    for (const t of pc.getTransceivers()) {
      if (t.sender.track && t.sender.track.kind === 'video' && first.length) {
        t.setCodecPreferences([...first, ...all.filter((c) => !first.includes(c))]);
      }
    }
  }
  pc.createDataChannel('telecabine', { ordered: true });
  pc.ontrack = (ev) => {
    if (ev.track.kind !== 'video') return;
    const v = document.createElement('video'); v.muted = true; v.autoplay = true;
    document.body.append(v); v.srcObject = new MediaStream([ev.track]);
    v.requestVideoFrameCallback(() => { window.sender.firstRemoteAt = performance.now(); });
  };
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  return pc.localDescription.sdp;
};
window.acceptAnswer = async (sdp) => { await window.sender.pc.setRemoteDescription({ type: 'answer', sdp }); };
window.addIce = async (c) => { await window.sender.pc.addIceCandidate(c); };
window.stopSender = () => { if (window.sender.pc) window.sender.pc.close(); window.sender.pc = null; };
window.outboundStats = async () => {
  let o = {};
  if (!window.sender.pc) return o;
  const report = await window.sender.pc.getStats();
  report.forEach((s) => {
    if (s.type === 'outbound-rtp' && s.kind === 'video') o = { w: s.frameWidth, h: s.frameHeight,
      fps: s.framesPerSecond, bytes: s.bytesSent, encoder: s.encoderImplementation,
      codecId: s.codecId, limitation: s.qualityLimitationReason,
      encode_ms: 1000 * s.totalEncodeTime / Math.max(1, s.framesEncoded) };
  });
  if (o.codecId && report.get(o.codecId)) o.codec = report.get(o.codecId).mimeType;
  delete o.codecId;
  return o;
};
"""


def base_texture():
    """The station band camera's picture (same formula as ``bench.latency.BandCamera``).

    Both senders encode this texture scrolled 4 px a frame: a flat picture would cost the
    anchor a fraction of the work.
    """
    import numpy as np

    rng = np.random.default_rng(7)
    return rng.integers(40, 200, (H // 8, W // 8, 3), dtype=np.uint8).repeat(8, 0).repeat(8, 1)


async def serve_page(script: str) -> tuple[Any, str]:
    """Serve ``script`` in a page (plus ``/base.png``) on 127.0.0.1; returns (runner, url).

    127.0.0.1 is a secure context, so getUserMedia works there.
    """
    import cv2
    from aiohttp import web

    html = f"<!doctype html><html><body><script>{script}</script></body></html>"
    png = cv2.imencode(".png", base_texture())[1].tobytes()

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
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}/"


def station_codec() -> str:
    """The video codec the station prefers (its default encoding; VP8 before it had one)."""
    try:
        from telecabine.session import encoders
    except ImportError:
        return "VP8"
    default = getattr(encoders, "DEFAULT_ENCODING", None)
    return str(getattr(default, "codec", "VP8"))


def load_average() -> list[float]:
    """1, 5 and 15 minute load averages, rounded."""
    return [round(x, 2) for x in os.getloadavg()]


def _kind(p: psutil.Process) -> str:
    """Chromium process type from its command line (``browser`` for the main process)."""
    try:
        for arg in p.cmdline():
            if arg.startswith("--type="):
                return arg[len("--type=") :]
    except psutil.Error:
        return "gone"
    return "browser"


def _chromium_children() -> set[int]:
    me = psutil.Process()
    out = set()
    for p in me.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if "chrom" in p.name().lower():
                out.add(p.pid)
    return out


@dataclass
class BrowserProcs:
    """The processes of one Chromium instance (found as new descendants after its launch)."""

    browser: Any
    pids: set[int]

    def procs(self) -> list[psutil.Process]:
        """Live processes of this browser (children it spawned later included)."""
        found: dict[int, psutil.Process] = {}
        for pid in self.pids:
            with contextlib.suppress(psutil.Error):
                p = psutil.Process(pid)
                found[pid] = p
                for c in p.children(recursive=True):
                    found[c.pid] = c
        self.pids = set(found)
        return list(found.values())

    def cpu_by_kind(self) -> dict[str, float]:
        """CPU seconds so far per Chromium process type (renderer, gpu-process, utility...)."""
        out: dict[str, float] = {}
        for p in self.procs():
            kind = _kind(p)
            out[kind] = out.get(kind, 0.0) + cpu_seconds([p])
        return out

    def memory_mb(self) -> dict[str, float]:
        """Total RSS and PSS (shared pages counted once) of the whole browser, in MiB."""
        return memory_mb(self.procs())


async def launch_browser(pw, extra_args: list[str] | None = None) -> BrowserProcs:
    """Launch Debian Chromium headless and find its processes (launch one at a time)."""
    before = _chromium_children()
    browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS + (extra_args or []))
    return BrowserProcs(browser, _chromium_children() - before)


def cpu_seconds(procs: list[psutil.Process]) -> float:
    """User + system CPU seconds of these processes (vanished ones count 0)."""
    total = 0.0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            t = p.cpu_times()
            total += t.user + t.system
    return total


def thread_cpu_seconds(native_id: int | None) -> float:
    """CPU seconds of one thread of this process (by native id; 0 if unknown)."""
    if native_id is None:
        return 0.0
    for t in psutil.Process().threads():
        if t.id == native_id:
            return t.user_time + t.system_time
    return 0.0


def memory_mb(procs: list[psutil.Process]) -> dict[str, float]:
    """Sum of RSS and of PSS over processes, MiB (PSS needs /proc/PID/smaps_rollup)."""
    rss = pss = 0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            full = p.memory_full_info()
            rss += full.rss
            pss += getattr(full, "pss", full.rss)
    return {"rss_mb": round(rss / 2**20, 1), "pss_mb": round(pss / 2**20, 1)}


@dataclass
class HubForBench:
    """A real hub on 127.0.0.1 with one doctor and one registered station."""

    running: Any  # telecabine.hub.server.RunningHub
    url: str
    username: str
    password: str
    station_token: str


@contextlib.asynccontextmanager
async def running_hub(station_id: str = "bench-cabin") -> AsyncIterator[HubForBench]:
    """Start the hub (fresh SQLite DB in a temp folder) with a doctor and a station token."""
    from telecabine.hub.accounts import create_doctor, register_station
    from telecabine.hub.config import HubSettings
    from telecabine.hub.server import start_hub
    from telecabine.hub.state import HUB

    with tempfile.TemporaryDirectory(prefix="tc-bench-hub-") as tmp:
        folder = Path(tmp)
        settings = HubSettings(database_url=f"sqlite+aiosqlite:///{folder / 'hub.db'}",
                               data_dir=folder, host="127.0.0.1", port=0)  # fmt: skip
        running = await start_hub(settings, host="127.0.0.1", port=0)
        engine = running.app[HUB].engine
        await create_doctor(engine, username="dr.bench", password=PASSWORD, name="Dr Bench",
                            rpps="10000000001", specialty="Médecine générale")  # fmt: skip
        token = await register_station(engine, station_id)
        try:
            yield HubForBench(running, running.url, "dr.bench", PASSWORD, token)
        finally:
            await running.stop()


async def sign_in_console(page, hub: HubForBench) -> None:
    """Sign the doctor in to the real console and wait until its waiting room is live."""
    await page.goto(hub.url + "/")
    await page.fill("#username", hub.username)
    await page.fill("#password", hub.password)
    await page.click("button[type=submit]")
    await page.wait_for_selector("body[data-ready='1']", timeout=15_000)


@contextlib.contextmanager
def cpu_stress(workers: int = 2) -> Iterator[dict[str, Any]]:
    """Load ``workers`` cores for the duration: ``stress-ng --cpu N`` or Python busy loops.

    Only the processes started here are stopped afterwards (by their own ids).
    """
    stress_ng = shutil.which("stress-ng")
    if stress_ng:
        cmds = [[stress_ng, "--cpu", str(workers), "--cpu-method", "matrixprod", "--quiet"]]
        how = f"stress-ng --cpu {workers} --cpu-method matrixprod"
    else:
        cmds = [[sys.executable, "-c", "while True: pass"] for _ in range(workers)]
        how = f"{workers} Python busy-loop processes"
    procs = [subprocess.Popen(c, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for c in cmds]  # fmt: skip
    try:
        yield {"how": how, "pids": [p.pid for p in procs]}
    finally:
        for p in procs:
            # stress-ng forwards SIGTERM to its workers and waits for them.
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
