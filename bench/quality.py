"""What the doctor sees: picture quality (SSIM, PSNR) and bitrate ramp-up, station vs Chromium.

Two senders, one after the other, each in a call to the same receiving Debian Chromium (the
doctor's side: the reader page of ``bench/latency.py`` answering, sending its fake camera and
microphone back as the console does):

* the station: the real :class:`telecabine.session.call.CallSession` (tuned encoders of
  :mod:`telecabine.session.encoders`, aiortc, REMB from Chromium) fed by a camera thread;
* Chromium as the station (anchor): a second Chromium instance drawing the *same pixels* into a
  720p30 canvas (``bench.call_harness.SENDER_JS``: captureStream, audio track, data channel,
  the codec the station negotiated, Chromium's own defaults for bitrate and resolution).

Scenes (``scene_frame``; exact same pixels on both sides: a background, possibly larger than
the frame, cropped at an integer offset, plus an opaque sprite pasted at an integer position,
from one table of positions, so a canvas ``drawImage`` reproduces them bit for bit):

* ``room``: the simulated room camera (colour bars, floor, a face moving across);
* ``texture``: a dermatoscope-like close-up (fine skin grain, pores, creases, hairs, a
  pigmented lesion with a reticular network and globules) drifting slowly (30 px/s, 15 px/s).

Both carry the timestamp band of :mod:`telecabine.devices.timestamp_code`; its frame counter
names the source frame (``seq = 8192 * segment + n``, the segment says which scene).

On the receiving side every decoded frame is seen through ``requestVideoFrameCallback``; a few
per second (``CAPTURE_EVERY_MS``) are drawn into a canvas *at the sent resolution* (a picture
Chromium received scaled down is scaled back up, as the doctor's screen would), the band is read
by the JS twin, and the RGBA pixels are POSTed to this process. Each is compared with its
source frame by scikit-image's ``structural_similarity`` and ``peak_signal_noise_ratio`` on luma
(BT.601, OpenCV), rows of the band and the macroblock row under it excluded. Cells: each scene
at the bitrate each side settled on by itself, then both capped at 2.5 and 1.0 Mb/s (station:
:meth:`telecabine.session.peer.StationPeer.set_max_bitrate`; Chromium:
``RTCRtpSender.setParameters`` ``maxBitrate``).

Ramp-up: the first ``RAMP_S`` seconds of each call (texture scene), the receiver's
``inbound-rtp`` ``bytesReceived`` and ``frameWidth/Height`` every 250 ms; time to 1.5 Mb/s
(1 s window) and to 720p, plotted (``quality_ramp.png``). A side-by-side crop of source vs
received, texture at 1 Mb/s, both senders, is saved as ``quality_texture_1mbps.png``.

Run: ``uv run python -m bench quality`` (``--quick`` for a short pass).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from bench.call_harness import FPS, SENDER_JS, H, W, launch_browser, load_average
from bench.common import percentile, results_dir, write_result

SEGMENT = 8192  # frame counter = SEGMENT * segment + n; the band carries 16 bits
TABLE = 960  # positions repeat every 960 frames (32 s)
PAN_X, PAN_Y = 240, 120  # texture: background margin the crop drifts over
EXCLUDE_ROWS = 32  # band (24 rows at 720p) and the rest of its 16-px macroblock row
CAPTURE_EVERY_MS = 200
RAMP_TARGET_BPS = 1_500_000
CAPS = (2_500_000, 1_000_000)


# --- scenes ---------------------------------------------------------------------------------
@dataclass
class Scene:
    """A background (cropped at ``(bx, by)``) and an optional sprite (pasted at ``(sx, sy)``)."""

    name: str
    background: np.ndarray  # BGR, at least H x W
    sprite: np.ndarray | None  # BGRA, alpha 0 or 255 only
    positions: np.ndarray = field(repr=False)  # TABLE x 4 int: bx, by, sx, sy


def _tri(n: int, m: int) -> int:
    """Triangle wave 0..m..0 of period 2m over integers."""
    k = n % (2 * m)
    return k if k <= m else 2 * m - k


def _room() -> Scene:
    from telecabine.devices.simulated import _background

    bg = _background("room", W, H)
    s = min(W, H) / 720
    r = int(110 * s)
    sw, sh = 2 * r + 4, int(2.6 * r) + 4
    c = (sw // 2, sh // 2)
    # The simulated room's face (telecabine.devices.simulated._draw_moving), without
    # anti-aliasing so the alpha is 0 or 255 and a canvas composites it exactly.
    colour = np.zeros((sh, sw, 3), np.uint8)
    alpha = np.zeros((sh, sw), np.uint8)
    cv2.ellipse(colour, c, (r, int(r * 1.3)), 0, 0, 360, (150, 190, 235), -1)
    cv2.ellipse(alpha, c, (r, int(r * 1.3)), 0, 0, 360, 255, -1)
    for dx in (-r // 2.5, r // 2.5):
        cv2.circle(colour, (int(c[0] + dx), c[1] - r // 3), max(2, r // 8), (40, 30, 30), -1)
    cv2.ellipse(colour, (c[0], c[1] + r // 2), (r // 2, r // 5), 0, 0, 180, (60, 60, 160), 3)
    sprite = np.dstack([colour, alpha])
    pos = np.zeros((TABLE, 4), np.int32)
    for n in range(TABLE):
        t = n / FPS
        cx = int(W / 2 + W * 0.25 * math.sin(t * 0.9))
        cy = int(H / 2 + H * 0.15 * math.sin(t * 1.3))
        pos[n] = (0, 0, cx - sw // 2, cy - sh // 2)
    return Scene("room", bg, sprite, pos)


def _texture() -> Scene:
    """Skin seen through a dermatoscope: detail at every scale, a pigmented lesion."""
    rng = np.random.default_rng(11)
    h, w = H + PAN_Y, W + PAN_X

    def noise(step: int, sigma: float) -> np.ndarray:
        small = rng.normal(0, sigma, (h // step + 2, w // step + 2)).astype(np.float32)
        return cv2.resize(small, (w + step, h + step), interpolation=cv2.INTER_CUBIC)[:h, :w]

    lum = noise(64, 10) + noise(12, 6) + noise(3, 5) + rng.normal(0, 4, (h, w)).astype(np.float32)
    img = np.array([150, 178, 222], np.float32)[None, None, :] + lum[..., None]
    img[..., 0] += noise(20, 4)  # uneven redness
    img = np.clip(img, 0, 255).astype(np.uint8)
    # skin creases: two crossing families of fine darker lines
    for angle in (0.45, 2.2):
        for _ in range(90):
            x, y = rng.uniform(0, w), rng.uniform(0, h)
            length = rng.uniform(60, 260)
            a = angle + rng.normal(0, 0.12)
            p2 = (int(x + length * math.cos(a)), int(y + length * math.sin(a)))
            cv2.line(img, (int(x), int(y)), p2, (118, 140, 186), 1, cv2.LINE_AA)
    for _ in range(2500):  # pores
        cv2.circle(img, (int(rng.uniform(0, w)), int(rng.uniform(0, h))),
                   int(rng.integers(1, 3)), (105, 125, 170), -1, cv2.LINE_AA)  # fmt: skip
    # lesion: irregular pigmented blot with a reticular network and dark globules
    cx, cy = w // 2, h // 2
    mask = np.zeros((h, w), np.uint8)
    for _ in range(14):
        ax, ay = int(rng.uniform(50, 130)), int(rng.uniform(40, 110))
        ox, oy = int(rng.normal(0, 55)), int(rng.normal(0, 40))
        cv2.ellipse(mask, (cx + ox, cy + oy), (ax, ay), rng.uniform(0, 180), 0, 360, 255, -1)
    soft = cv2.GaussianBlur(mask, (0, 0), 6).astype(np.float32)[..., None] / 255
    net = np.zeros((h, w), np.uint8)
    for k in range(-400, 400, 11):
        cv2.line(net, (cx + k - 300, cy - 300), (cx + k + 300, cy + 300), 255, 2, cv2.LINE_AA)
        cv2.line(net, (cx + k + 300, cy - 300), (cx + k - 300, cy + 300), 255, 2, cv2.LINE_AA)
    net_f = net.astype(np.float32)[..., None] / 255
    brown = np.array([40, 70, 120], np.float32) + noise(6, 10)[..., None]
    dark = np.array([25, 38, 70], np.float32)
    lesion = brown * (1 - 0.6 * net_f) + dark * 0.6 * net_f
    img = (img * (1 - soft) + lesion * soft).astype(np.uint8)
    for _ in range(40):  # globules inside
        gx, gy = int(cx + rng.normal(0, 55)), int(cy + rng.normal(0, 40))
        if mask[gy, gx]:
            cv2.circle(img, (gx, gy), int(rng.integers(3, 7)), (20, 28, 55), -1, cv2.LINE_AA)
    for _ in range(45):  # hairs: thin dark curves
        pts = [np.array([rng.uniform(0, w), rng.uniform(0, h)])]
        a = rng.uniform(0, 2 * math.pi)
        for _ in range(12):
            a += rng.normal(0, 0.15)
            pts.append(pts[-1] + 18 * np.array([math.cos(a), math.sin(a)]))
        cv2.polylines(img, [np.array(pts, np.int32)], False, (30, 35, 45),
                      int(rng.integers(1, 3)), cv2.LINE_AA)  # fmt: skip
    img = cv2.GaussianBlur(img, (0, 0), 0.6)  # optics
    pos = np.zeros((TABLE, 4), np.int32)
    for n in range(TABLE):
        pos[n] = (_tri(n, PAN_X), _tri(n // 2, PAN_Y), 0, 0)
    return Scene("texture", img, None, pos)


_SCENES: dict[str, Scene] = {}


def scene(name: str) -> Scene:
    """The scene called ``name`` (``room`` or ``texture``), built once."""
    if name not in _SCENES:
        _SCENES[name] = {"room": _room, "texture": _texture}[name]()
    return _SCENES[name]


def scene_frame(sc: Scene, seq: int) -> np.ndarray:
    """Source picture (BGR, H x W) of frame ``seq`` of scene ``sc`` (band not drawn)."""
    bx, by, sx, sy = (int(v) for v in sc.positions[seq % TABLE])
    img = sc.background[by : by + H, bx : bx + W].copy()
    if sc.sprite is not None:
        sh, sw = sc.sprite.shape[:2]
        x0, y0, x1, y1 = max(sx, 0), max(sy, 0), min(sx + sw, W), min(sy + sh, H)
        if x1 > x0 and y1 > y0:
            part = sc.sprite[y0 - sy : y1 - sy, x0 - sx : x1 - sx]
            opaque = part[..., 3] == 255
            img[y0:y1, x0:x1][opaque] = part[..., :3][opaque]
    return img


# --- the station's camera ---------------------------------------------------------------------
class SceneCamera:
    """Camera thread at 30 fps: frames of the current scene + band, into that scene's mailbox."""

    def __init__(self, names: tuple[str, ...]) -> None:
        from telecabine.devices.mailbox import LatestValueMailbox

        self.mailboxes = {n: LatestValueMailbox() for n in names}
        self.current = names[0]
        self.segment = 0
        self._n = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-camera", daemon=True)

    def show(self, name: str, segment: int) -> None:
        """Switch to scene ``name``, numbering frames from ``SEGMENT * segment``."""
        with self._lock:
            self.current, self.segment, self._n = name, segment, 0

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

        period, nxt = 1 / FPS, time.monotonic()
        while not self._stop.is_set():
            with self._lock:
                self._n += 1
                name, seq = self.current, SEGMENT * self.segment + self._n
            img = scene_frame(scene(name), seq)
            wall = time.time()
            draw_band(img, wall, seq)
            self.mailboxes[name].put(VideoFrame(img, seq, time.monotonic(), wall))
            nxt += period
            time.sleep(max(0.0, nxt - time.monotonic()))


# --- pages ------------------------------------------------------------------------------------
# The sender page: SENDER_JS with its drawLoop replaced by one drawing the bench scenes (the
# later declaration of a function wins in a script).
SCENE_SENDER_JS = r"""
window.scenes = {};
window.loadScenes = async (names) => {
  for (const n of names) {
    const bg = new Image(); bg.src = `/scene/${n}/bg.png`; await bg.decode();
    let sprite = null;
    const pos = await (await fetch(`/scene/${n}/pos.json`)).json();
    if (pos.sprite) { sprite = new Image(); sprite.src = `/scene/${n}/sprite.png`; await sprite.decode(); }
    window.scenes[n] = { bg, sprite, table: pos.table };
  }
  window.sender.base = true;  // SENDER_JS's /base.png is not needed
  window.show = { name: names[0], segment: 0, n: 0 };
};
window.showScene = (name, segment) => { window.show = { name, segment, n: 0 }; };
window.setMaxBitrate = async (bps) => {
  for (const s of window.sender.pc.getSenders()) {
    if (!s.track || s.track.kind !== 'video') continue;
    const p = s.getParameters();
    if (!p.encodings || !p.encodings.length) p.encodings = [{}];
    if (bps) p.encodings[0].maxBitrate = bps; else delete p.encodings[0].maxBitrate;
    await s.setParameters(p);
  }
};
function drawLoop(w, h, fps) {
  const c = document.createElement('canvas'); c.width = w; c.height = h;
  const g = c.getContext('2d');
  g.imageSmoothingEnabled = false;
  const CELLS = 74, cw = Math.floor(w / CELLS), bh = Math.max(8, Math.round(h / 30));
  const draw = () => {
    const sh = window.show; sh.n += 1;
    const seq = (8192 * sh.segment + sh.n) & 0xFFFF;
    const sc = window.scenes[sh.name], p = sc.table[seq % sc.table.length];
    g.drawImage(sc.bg, -p[0], -p[1]);
    if (sc.sprite) g.drawImage(sc.sprite, p[2], p[3]);
    const t = Date.now() % 2 ** 48;
    let sum = 0;
    for (let k = 5; k >= 0; k--) sum += Math.floor(t / 2 ** (8 * k)) % 256;
    sum += (seq >> 8) + (seq & 255);
    const word = (BigInt(t) << 24n) | (BigInt(seq) << 8n) | BigInt((sum % 256) ^ 0xA5);
    const bits = [1, 0];
    for (let i = 71; i >= 0; i--) bits.push(Number((word >> BigInt(i)) & 1n));
    g.fillStyle = 'rgb(128,128,128)'; g.fillRect(0, 0, w, bh);
    bits.forEach((b, i) => { g.fillStyle = b ? '#fff' : '#000'; g.fillRect(i * cw, 0, cw, bh); });
    if (window.probe && window.probe.want) {  // the sender's own pixels, to check the scenes
      window.probe.want = false;
      window.probe.seq = seq;
      window.probe.pixels = g.getImageData(0, 0, w, h).data;
    }
  };
  window.sender.timer = setInterval(draw, 1000 / fps);
  draw();
  return c.captureStream(fps);
}
window.postProbe = async () => {
  window.probe = { want: true };
  for (let i = 0; i < 100 && window.probe.want; i++) await new Promise((r) => setTimeout(r, 20));
  await fetch(`/probe?seq=${window.probe.seq}`, { method: 'POST', body: window.probe.pixels });
  return window.probe.seq;
};
"""

# The receiver page: READER_JS (window.answer, readBand) with its per-frame latency reader
# replaced by the capture below, and a getStats sampler for the ramp-up.
CAPTURE_JS = r"""
window.cap = { on: false, cell: '', every: 200, busy: false, sent: 0, unread: 0, seen: 0 };
function watch(video, into) {
  const c = document.createElement('canvas'); c.width = SRC_W; c.height = SRC_H;
  const g = c.getContext('2d', { willReadFrequently: true });
  let last = 0;
  const step = (now) => {
    into.frames++;
    if (into.firstAt === null) into.firstAt = performance.now();
    const q = window.cap;
    if (q.on && !q.busy && now - last >= q.every && video.videoWidth) {
      last = now;
      // At the sent resolution whatever arrived: a smaller picture is scaled up, as on screen.
      g.drawImage(video, 0, 0, SRC_W, SRC_H);
      const r = readBand(g, SRC_W, SRC_H);
      q.seen++;
      if (r) {
        q.busy = true; q.sent++;
        const d = g.getImageData(0, 0, SRC_W, SRC_H).data;
        const url = `/frame?cell=${encodeURIComponent(q.cell)}&seq=${r.seq}` +
                    `&w=${video.videoWidth}&h=${video.videoHeight}`;
        fetch(url, { method: 'POST', body: d }).finally(() => { q.busy = false; });
      } else q.unread++;
    }
    video.requestVideoFrameCallback(step);
  };
  video.requestVideoFrameCallback(step);
}
window.ramp = { samples: [], timer: null };
window.startRamp = (everyMs) => {
  window.ramp.samples = [];
  const t0 = performance.now();
  window.ramp.timer = setInterval(async () => {
    if (!window.stationPc) return;
    const r = await window.stationPc.getStats();
    r.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') window.ramp.samples.push({
        t: (performance.now() - t0) / 1000, bytes: s.bytesReceived, w: s.frameWidth || 0,
        h: s.frameHeight || 0, fps: s.framesPerSecond || 0, decoded: s.framesDecoded || 0,
        codec: s.codecId && r.get(s.codecId) ? r.get(s.codecId).mimeType : null });
    });
  }, everyMs);
};
window.stopRamp = () => { clearInterval(window.ramp.timer); return window.ramp.samples; };
"""


@dataclass
class Capture:
    """One received frame: luma, its source frame number, the size Chromium received."""

    cell: str
    seq: int
    received: tuple[int, int]
    luma: np.ndarray
    bgr: np.ndarray | None  # kept for the side-by-side cell only


@dataclass
class Sink:
    """What the pages POST back."""

    keep_colour: set[str]
    frames: list[Capture] = field(default_factory=list)
    probe: tuple[int, np.ndarray] | None = None


async def _serve(sink: Sink, names: tuple[str, ...]) -> tuple[Any, str, str]:
    """One aiohttp app on 127.0.0.1 for both pages; returns (runner, receiver url, sender url)."""
    import json

    from aiohttp import web

    from bench.latency import READER_JS

    reader = READER_JS.replace("__W__", str(W)).replace("__H__", str(H)) + CAPTURE_JS
    pages = {"recv": reader, "send": SENDER_JS + SCENE_SENDER_JS}
    assets: dict[str, tuple[bytes, str]] = {}
    for n in names:
        sc = scene(n)
        assets[f"{n}/bg.png"] = (cv2.imencode(".png", sc.background)[1].tobytes(), "image/png")
        if sc.sprite is not None:
            assets[f"{n}/sprite.png"] = (cv2.imencode(".png", sc.sprite)[1].tobytes(), "image/png")
        pos = {"table": sc.positions.tolist(), "sprite": sc.sprite is not None}
        assets[f"{n}/pos.json"] = (json.dumps(pos).encode(), "application/json")

    def rgba(body: bytes) -> np.ndarray:
        if len(body) != W * H * 4:
            raise web.HTTPBadRequest(text=f"expected {W}x{H} RGBA, got {len(body)} bytes")
        return np.frombuffer(body, np.uint8).reshape(H, W, 4)

    async def page(request):
        html = f"<!doctype html><html><body><script>{pages[request.match_info['which']]}"
        return web.Response(text=html + "</script></body></html>", content_type="text/html")

    async def asset(request):
        body, kind = assets[request.match_info["path"]]
        return web.Response(body=body, content_type=kind)

    async def frame(request):
        px = rgba(await request.read())
        q = request.query
        cell = q["cell"]
        bgr = cv2.cvtColor(px, cv2.COLOR_RGBA2BGR) if cell in sink.keep_colour else None
        sink.frames.append(Capture(cell, int(q["seq"]), (int(q["w"]), int(q["h"])),
                                   cv2.cvtColor(px, cv2.COLOR_RGBA2GRAY), bgr))  # fmt: skip
        return web.Response(text="ok")

    async def probe(request):
        sink.probe = (int(request.query["seq"]), cv2.cvtColor(rgba(await request.read()),
                                                              cv2.COLOR_RGBA2BGR))  # fmt: skip
        return web.Response(text="ok")

    app = web.Application(client_max_size=W * H * 4 + 1024)
    app.router.add_get("/p/{which}", page)
    app.router.add_get("/scene/{path:.+}", asset)
    app.router.add_post("/frame", frame)
    app.router.add_post("/probe", probe)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    return runner, f"{base}/p/recv", f"{base}/p/send"


# --- one call per sender ----------------------------------------------------------------------
@dataclass
class Plan:
    """Durations (seconds) and the cells of one call, in order."""

    ramp_s: float
    capture_s: float
    settle_s: float  # after a cap change or a scene switch
    # (label, scene, segment, cap in bps or None)
    cells: list[tuple[str, str, int, int | None]]


def plan(quick: bool) -> Plan:
    """The full run, or a short one that still exercises every path (CI)."""
    if quick:
        return Plan(4, 2.5, 1.5, [("texture@settled", "texture", 0, None),
                                  ("texture@1.0", "texture", 0, 1_000_000),
                                  ("room@1.0", "room", 1, 1_000_000)])  # fmt: skip
    return Plan(20, 7, 4, [
        ("texture@settled", "texture", 0, None),
        ("texture@2.5", "texture", 0, 2_500_000),
        ("texture@1.0", "texture", 0, 1_000_000),
        ("room@1.0", "room", 1, 1_000_000),
        ("room@2.5", "room", 1, 2_500_000),
        ("room@settled", "room", 1, None),
    ])  # fmt: skip


async def _until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


class _StationSide:
    """The station sending: real CallSession, camera thread, cap through StationPeer."""

    name = "station"

    def __init__(self, rpage) -> None:
        self.rpage = rpage
        self.cam = SceneCamera(("texture", "room"))
        self.session: Any = None
        self.targets: list[tuple[float, int | None, int]] = []  # t, encoder target bps, height
        self._sampler: asyncio.Task | None = None

    async def _sample_targets(self) -> None:
        from telecabine.session.encoders import encoder_of

        t0 = time.monotonic()
        while True:
            peer = self.session.peer
            enc = encoder_of(peer.video_sender) if peer is not None else None
            target = int(enc.target_bitrate) if enc is not None else None
            self.targets.append((round(time.monotonic() - t0, 2), target,
                                 int(self.session.video.max_height)))  # fmt: skip
            await asyncio.sleep(0.25)

    async def start(self) -> None:
        from bench.latency import _PageSignaling
        from telecabine.protocol import signaling as sig
        from telecabine.session.call import CallSession

        self.cam.start()
        signaling = _PageSignaling(self.rpage)
        cams = {"dermatoscope": self.cam.mailboxes["texture"], "room": self.cam.mailboxes["room"]}
        self.session = CallSession(signaling, "bench", cams, live_camera="dermatoscope",
                                   play_audio=False)  # fmt: skip
        signaling.session = self.session
        await self.session.announce("bench-quality", "bench", "40-64", "bench")
        await self.rpage.evaluate("window.startRamp(250)")
        self._sampler = asyncio.ensure_future(self._sample_targets())
        await self.session.on_signal(sig.DoctorJoined(
            encounter_id="bench-quality", doctor=sig.DoctorPublic(name="bench", specialty="-")))  # fmt: skip

    async def show(self, name: str, segment: int) -> None:
        self.cam.show(name, segment)
        self.session.switch_camera("dermatoscope" if name == "texture" else "room")

    async def cap(self, bps: int | None) -> None:
        self.session.peer.set_max_bitrate(bps)

    def sent_height(self) -> int:
        return int(self.session.video.max_height)

    def extra(self) -> dict[str, Any]:
        return {
            "encoder_target_kbps_every_250ms": [
                (t, None if b is None else round(b / 1000), h) for t, b, h in self.targets
            ]
        }

    async def stop(self) -> None:
        if self._sampler is not None:
            self._sampler.cancel()
        with contextlib.suppress(Exception):
            await self.session.close()
        self.cam.stop()


class _ChromiumSide:
    """Chromium as the station: the same scenes in a canvas, sent from its own instance."""

    name = "chromium"

    def __init__(self, rpage, spage, codec: str) -> None:
        self.rpage, self.spage, self.codec = rpage, spage, codec

    async def start(self) -> None:
        await self.spage.evaluate("window.loadScenes(['texture', 'room'])")
        offer = await self.spage.evaluate(
            "([w, h, f, c]) => window.startSender(w, h, f, [], c, false)", [W, H, FPS, self.codec]
        )
        await self.rpage.evaluate("window.startRamp(250)")
        answer = await self.rpage.evaluate("(sdp) => window.answer(sdp)", offer)
        await self.spage.evaluate("(sdp) => window.acceptAnswer(sdp)", answer)

    async def show(self, name: str, segment: int) -> None:
        await self.spage.evaluate("([n, s]) => window.showScene(n, s)", [name, segment])

    async def cap(self, bps: int | None) -> None:
        await self.spage.evaluate("(b) => window.setMaxBitrate(b)", bps)

    def sent_height(self) -> int:
        return H

    def extra(self) -> dict[str, Any]:
        return {}

    async def stop(self) -> None:
        with contextlib.suppress(Exception):
            await self.spage.evaluate("() => { if (window.sender.pc) window.sender.pc.close(); "
                                      "clearInterval(window.sender.timer); }")  # fmt: skip


RESET_RECEIVER_JS = """() => {
  if (window.stationPc) { window.stationPc.close(); window.stationPc = null; }
  document.querySelectorAll('video').forEach((v) => v.remove());
  window.tc = { samples: [], frames: 0, firstAt: null };
  window.cap.on = false;
}"""
INBOUND_JS = """async () => { let o = {}; if (!window.stationPc) return o;
  const r = await window.stationPc.getStats();
  r.forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video') o = {w: s.frameWidth,
  h: s.frameHeight, decoded: s.framesDecoded, bytes: s.bytesReceived, keys: s.keyFramesDecoded,
  codec: s.codecId && r.get(s.codecId) ? r.get(s.codecId).mimeType : null}; }); return o; }"""


async def _call(side, rpage, p: Plan) -> dict[str, Any]:
    """One call: ramp-up, then each cell (settle, capture); receiver-side rates per cell."""
    await rpage.evaluate(RESET_RECEIVER_JS)
    await side.start()
    try:
        await _until(_evaluates(rpage, "window.tc.frames > 0"), 30, f"{side.name} video")
        started = time.monotonic()
        await asyncio.sleep(max(0.0, p.ramp_s - (time.monotonic() - started)))
        samples = await rpage.evaluate("window.stopRamp()")
        cells: dict[str, Any] = {}
        shown = ("texture", 0)
        cap: int | None = None
        for label, name, segment, bps in p.cells:
            if (name, segment) != shown:
                await side.show(name, segment)
                shown = (name, segment)
            if bps != cap:
                await side.cap(bps)
                cap = bps
            if label != p.cells[0][0]:
                await asyncio.sleep(p.settle_s)
            before, t0 = await rpage.evaluate(INBOUND_JS), time.monotonic()
            await rpage.evaluate(f"Object.assign(window.cap, {{on: true, cell: '{label}', "
                                 f"every: {CAPTURE_EVERY_MS}}})")  # fmt: skip
            await asyncio.sleep(p.capture_s)
            await rpage.evaluate("window.cap.on = false")
            after, dt = await rpage.evaluate(INBOUND_JS), time.monotonic() - t0
            cells[label] = {
                "cap_bps": bps,
                "received_kbps": round(8 * (after["bytes"] - before["bytes"]) / dt / 1000),
                "received_fps": round((after["decoded"] - before["decoded"]) / dt, 1),
                "received_size_end": f"{after.get('w')}x{after.get('h')}",
                "keyframes": (after.get("keys") or 0) - (before.get("keys") or 0),
                "codec": after.get("codec"),
            }  # fmt: skip
        await _until(_evaluates(rpage, "!window.cap.busy"), 10, "last frame upload")
        return {"ramp_samples": samples, "cells": cells, "sent_height_end": side.sent_height(),
                "capture": await rpage.evaluate("({seen: window.cap.seen, unread: window.cap.unread})"),
                **side.extra()}  # fmt: skip
    finally:
        await side.stop()
        await rpage.evaluate(RESET_RECEIVER_JS)


def _evaluates(page, expr: str):
    async def pred() -> bool:
        return bool(await page.evaluate(expr))

    return pred


# --- analysis ---------------------------------------------------------------------------------
def _reference_luma(seq: int, segments: dict[int, str]) -> np.ndarray:
    img = scene_frame(scene(segments[seq // SEGMENT]), seq)
    return cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)


def score(frames: list[Capture], segments: dict[int, str]) -> dict[str, Any]:
    """SSIM and PSNR (luma, band rows excluded) of each received frame against its source."""
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    out: dict[str, Any] = {}
    by_cell: dict[str, list[Capture]] = {}
    for f in frames:
        by_cell.setdefault(f.cell, []).append(f)
    for cell, group in by_cell.items():
        ssim, psnr, control, sizes = [], [], [], {}
        for i, f in enumerate(group):
            if f.seq // SEGMENT not in segments:
                continue
            ref = _reference_luma(f.seq, segments)[EXCLUDE_ROWS:]
            got = f.luma[EXCLUDE_ROWS:]
            ssim.append(float(structural_similarity(ref, got, data_range=255)))
            psnr.append(float(peak_signal_noise_ratio(ref, got, data_range=255)))
            key = f"{f.received[0]}x{f.received[1]}"
            sizes[key] = sizes.get(key, 0) + 1
            if i % 4 == 0:  # matching control: the source 15 frames later must score lower
                wrong = _reference_luma(f.seq + 15, segments)[EXCLUDE_ROWS:]
                control.append(float(structural_similarity(wrong, got, data_range=255)))
        if not ssim:
            continue
        out[cell] = {
            "frames": len(ssim),
            "ssim_p5": round(percentile(ssim, 5), 4), "ssim_p50": round(percentile(ssim, 50), 4),
            "psnr_p5_db": round(percentile(psnr, 5), 2), "psnr_p50_db": round(percentile(psnr, 50), 2),
            "ssim_p50_against_wrong_frame": round(percentile(control, 50), 4) if control else None,
            "received_sizes": sizes,
        }  # fmt: skip
    return out


def ramp_summary(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """Series from first media on (t, Mb/s over the last second, height); times to targets."""
    start = next((s for s in samples if s["bytes"] > 0), None)
    if start is None:
        return {"series": [], "time_to_1_5_mbps_s": None, "time_to_720p_s": None}
    series, t_rate, t_720 = [], None, None
    live = [s for s in samples if s["t"] >= start["t"]]
    for i, s in enumerate(live):
        t = s["t"] - start["t"]
        j = i
        while j > 0 and s["t"] - live[j - 1]["t"] <= 1.0 + 1e-6:
            j -= 1
        rate = None
        if j < i and s["t"] > live[j]["t"]:
            rate = 8 * (s["bytes"] - live[j]["bytes"]) / (s["t"] - live[j]["t"])
            if t_rate is None and rate >= RAMP_TARGET_BPS and s["t"] - live[j]["t"] >= 0.7:
                t_rate = t
        if t_720 is None and s["h"] >= H:
            t_720 = t
        series.append({"t": round(t, 2), "mbps": None if rate is None else round(rate / 1e6, 3),
                       "w": s["w"], "h": s["h"], "fps": s["fps"]})  # fmt: skip
    rates = [x["mbps"] for x in series if x["mbps"] is not None]
    # The first keyframe alone can lift one 1 s window over the target: also the first time
    # from which it held for 2 s.
    held = None
    for i, x in enumerate(series):
        ahead = [y for y in series[i:] if y["t"] <= x["t"] + 2.0]
        if ahead[-1]["t"] - x["t"] >= 1.75 and all(
            y["mbps"] is not None and y["mbps"] >= RAMP_TARGET_BPS / 1e6 for y in ahead
        ):
            held = x["t"]
            break
    return {
        "time_to_1_5_mbps_s": None if t_rate is None else round(t_rate, 2),
        "time_to_1_5_mbps_held_2s_s": held,
        "time_to_720p_s": None if t_720 is None else round(t_720, 2),
        "mbps_first_3_s": _mean([x["mbps"] for x in series if x["t"] <= 3 and x["mbps"]]),
        "mbps_last_5_s": _mean(rates[-20:]),
        "codec": next((s["codec"] for s in reversed(samples) if s.get("codec")), None),
        "series": series,
    }  # fmt: skip


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 3) if values else None


def _plot(ramps: dict[str, dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b, c) = plt.subplots(3, 1, figsize=(8, 8), sharex=True)
    for who, colour in (("station", "tab:blue"), ("chromium", "tab:orange")):
        s = ramps[who]["series"]
        a.plot([x["t"] for x in s if x["mbps"] is not None],
               [x["mbps"] for x in s if x["mbps"] is not None], label=who, color=colour)  # fmt: skip
        b.step([x["t"] for x in s], [x["h"] for x in s], where="post", label=who, color=colour)
        c.plot([x["t"] for x in s], [x["fps"] for x in s], label=who, color=colour)
    a.axhline(RAMP_TARGET_BPS / 1e6, color="grey", ls="--", lw=0.8)
    b.axhline(H, color="grey", ls="--", lw=0.8)
    a.set_ylabel("received Mb/s (1 s window)")
    b.set_ylabel("received frame height")
    c.set_ylabel("received frames per second")
    c.set_xlabel("seconds since first media (texture scene, no cap)")
    a.legend()
    a.set_title("Bitrate and resolution ramp-up, received in Chromium")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _side_by_side(picks: dict[str, tuple[Capture, float]], segments: dict[str, dict[int, str]],
                  path: Path) -> None:  # fmt: skip
    """Source vs received, 640x360 crops at 1:1 around the middle, one row per sender."""
    rows = []
    y0, x0 = (H - 360) // 2, (W - 640) // 2
    for who, (cap, ssim) in picks.items():
        src = scene_frame(scene(segments[who][cap.seq // SEGMENT]), cap.seq)
        pair = np.hstack([src[y0 : y0 + 360, x0 : x0 + 640], cap.bgr[y0 : y0 + 360, x0 : x0 + 640]])
        label = f"{who}: source | received ({cap.cell}, SSIM {ssim:.3f}, frame {cap.seq})"
        cv2.rectangle(pair, (0, 0), (1280, 26), (0, 0, 0), -1)
        cv2.putText(pair, label, (8, 19), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 1)
        rows.append(pair)
    cv2.imwrite(str(path), np.vstack(rows))


async def _measure(quick: bool) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    from bench.call_harness import station_codec

    p = plan(quick)
    side_cell = "texture@1.0"
    keep = {side_cell} | (
        {c[0] for c in p.cells} if os.environ.get("BENCH_QUALITY_DUMP") else set()
    )
    sinks = {who: Sink(keep) for who in ("station", "chromium")}
    current: dict[str, Sink] = {}

    class Switch:  # the app posts into the sink of the sender being measured
        keep_colour = keep

        @property
        def frames(self):
            return current["sink"].frames

        @property
        def probe(self):
            return current["sink"].probe

        @probe.setter
        def probe(self, value):
            current["sink"].probe = value

    for n in ("texture", "room"):
        scene(n)
    runner, recv_url, send_url = await _serve(Switch(), ("texture", "room"))  # type: ignore[arg-type]
    out: dict[str, Any] = {}
    t_start = time.monotonic()
    try:
        async with async_playwright() as pw:
            recv = await launch_browser(pw)
            rpage = await recv.browser.new_page()
            await rpage.goto(recv_url)
            await rpage.wait_for_function("typeof window.answer === 'function'")
            current["sink"] = sinks["station"]
            out["station"] = await _call(_StationSide(rpage), rpage, p)
            got = (out["station"]["cells"][p.cells[0][0]].get("codec") or "").split("/")[-1]
            send = await launch_browser(pw)
            spage = await send.browser.new_page()
            await spage.goto(send_url)
            await spage.evaluate("window.grantCamera()")
            current["sink"] = sinks["chromium"]
            out["chromium"] = await _call(_ChromiumSide(rpage, spage, got or station_codec()),
                                          rpage, p)  # fmt: skip
            # Check the anchor draws the scenes pixel for pixel (its own canvas, no codec).
            await spage.evaluate("window.loadScenes(['texture', 'room'])")
            await spage.evaluate("window.showScene('texture', 0)")
            await spage.evaluate("([w, h, f]) => { drawLoop(w, h, f); }", [W, H, FPS])
            await spage.evaluate("window.postProbe()")
            await send.browser.close()
            await recv.browser.close()
    finally:
        await runner.cleanup()
    seq, drawn = sinks["chromium"].probe
    ref = scene_frame(scene("texture"), seq)
    diff = np.abs(drawn[EXCLUDE_ROWS:].astype(int) - ref[EXCLUDE_ROWS:].astype(int))
    out["anchor_canvas_check"] = {
        "max_abs_diff": int(diff.max()),
        "mean_abs_diff": round(float(diff.mean()), 4),
    }
    out["sinks"] = sinks
    out["plan"] = p
    out["calls_s"] = round(time.monotonic() - t_start, 1)
    return out


def run(quick: bool = False) -> dict[str, Any]:
    """Measure and write ``results/quality.json`` (and its plot and side-by-side PNGs)."""
    m = asyncio.run(_measure(quick))
    t_analysis = time.monotonic()
    p: Plan = m["plan"]
    segments = {s: n for _, n, s, _ in p.cells}
    per: dict[str, Any] = {}
    picks: dict[str, tuple[Capture, float]] = {}
    for who in ("station", "chromium"):
        frames = m["sinks"][who].frames
        scores = score(frames, segments)
        cells = {label: {**m[who]["cells"][label], **scores.get(label, {"frames": 0})}
                 for label in m[who]["cells"]}  # fmt: skip
        per[who] = {
            "cells": cells, "ramp": ramp_summary(m[who]["ramp_samples"]),
            "frames_matched": sum(c.get("frames", 0) for c in cells.values()),
            "frames_looked_at": m[who]["capture"]["seen"],
            "frames_band_unreadable": m[who]["capture"]["unread"],
            "sent_height_end": m[who]["sent_height_end"],
            **({"station_encoder": m[who]["encoder_target_kbps_every_250ms"]}
               if "encoder_target_kbps_every_250ms" in m[who] else {}),
        }  # fmt: skip
        dump = os.environ.get("BENCH_QUALITY_DUMP")  # folder: source + received pairs, to look at
        if dump:
            Path(dump).mkdir(parents=True, exist_ok=True)
            for f in frames[:: max(1, len(frames) // 12)]:
                if f.bgr is not None:
                    src = scene_frame(scene(segments[f.seq // SEGMENT]), f.seq)
                    cv2.imwrite(f"{dump}/{who}-{f.cell}-{f.seq}.png", np.hstack([src, f.bgr]))
        coloured = [f for f in frames if f.bgr is not None and f.cell == "texture@1.0"]
        if coloured:
            from skimage.metrics import structural_similarity

            ranked = sorted(
                (float(structural_similarity(_reference_luma(f.seq, segments)[EXCLUDE_ROWS:],
                                             f.luma[EXCLUDE_ROWS:], data_range=255)), i)
                for i, f in enumerate(coloured)
            )  # fmt: skip
            ssim, i = ranked[len(ranked) // 2]  # the median frame, not the best one
            picks[who] = (coloured[i], ssim)
    folder = results_dir()
    folder.mkdir(parents=True, exist_ok=True)
    suffix = ".quick" if quick else ""
    plot = folder / f"quality_ramp{suffix}.png"
    _plot({w: per[w]["ramp"] for w in per}, plot)
    pairs = folder / f"quality_texture_1mbps{suffix}.png"
    if len(picks) == 2:
        _side_by_side(picks, {"station": segments, "chromium": segments}, pairs)
    st, an = per["station"], per["chromium"]
    head = "texture@1.0"
    comparison = {
        label: {"station_ssim_p50": st["cells"][label].get("ssim_p50"),
                "chromium_ssim_p50": an["cells"][label].get("ssim_p50"),
                "station_psnr_p50_db": st["cells"][label].get("psnr_p50_db"),
                "chromium_psnr_p50_db": an["cells"][label].get("psnr_p50_db"),
                "station_kbps": st["cells"][label]["received_kbps"],
                "chromium_kbps": an["cells"][label]["received_kbps"],
                # per-frame scores say nothing of motion: the frame rates and sizes received
                "station_fps": st["cells"][label]["received_fps"],
                "chromium_fps": an["cells"][label]["received_fps"],
                "station_sizes": st["cells"][label].get("received_sizes"),
                "chromium_sizes": an["cells"][label].get("received_sizes")}
        for label in st["cells"]
    }  # fmt: skip
    ramp = {
        "station_time_to_1_5_mbps_s": st["ramp"]["time_to_1_5_mbps_s"],
        "chromium_time_to_1_5_mbps_s": an["ramp"]["time_to_1_5_mbps_s"],
        "station_time_to_720p_s": st["ramp"]["time_to_720p_s"],
        "chromium_time_to_720p_s": an["ramp"]["time_to_720p_s"],
        "station_time_to_1_5_mbps_held_2s_s": st["ramp"]["time_to_1_5_mbps_held_2s_s"],
        "chromium_time_to_1_5_mbps_held_2s_s": an["ramp"]["time_to_1_5_mbps_held_2s_s"],
    }
    details = {
        "comparison": comparison, "ramp": ramp, "station": st, "chromium": an,
        "anchor_canvas_check": m["anchor_canvas_check"],
        "plot": plot.name, "side_by_side": pairs.name if len(picks) == 2 else None,
        "how": "Receiver: Debian Chromium; each captured frame drawn at 1280x720 from the <video> "
               "in requestVideoFrameCallback, matched to its source by the band's frame counter; "
               "SSIM (skimage structural_similarity, 7x7 window) and PSNR on BT.601 luma, first "
               f"{EXCLUDE_ROWS} rows (band) excluded. Bitrates are receiver-side (bytesReceived). "
               "Chromium sender: its defaults (resolution/frame-rate adaptation on), station's "
               "codec, cap by setParameters maxBitrate; station cap by StationPeer.set_max_bitrate.",
        "plan": {"ramp_s": p.ramp_s, "capture_s": p.capture_s, "settle_s": p.settle_s,
                 "capture_every_ms": CAPTURE_EVERY_MS, "cells": [c[0] for c in p.cells]},
        "seconds": {"calls": m["calls_s"], "analysis": round(time.monotonic() - t_analysis, 1)},
        "load_average_1_5_15": load_average(), "resolution": f"{W}x{H}@{FPS}",
        "cpus": os.cpu_count(),
    }  # fmt: skip
    value = comparison[head]["station_ssim_p50"]
    anchor = comparison[head]["chromium_ssim_p50"]

    def fmt(v: float | None) -> str:
        return "never" if v is None else f"{v:.1f} s"

    unit = (f"SSIM p50, texture, both capped at 1 Mb/s; time to 1.5 Mb/s "
            f"{fmt(ramp['station_time_to_1_5_mbps_s'])} vs Chromium "
            f"{fmt(ramp['chromium_time_to_1_5_mbps_s'])}")  # fmt: skip
    return write_result(
        "quality", value=value, unit=unit,
        anchor="Chromium as the station, same scenes, same receiver, same run",
        anchor_value=anchor,
        goal="SSIM p50 >= Chromium's at each cap (ratio >= 1); 1.5 Mb/s no later than Chromium",
        details=details, quick=quick,
    )  # fmt: skip


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2)[:4000])
