"""Helpers for the call e2e tests: hub + station consultation + Chromium doctor."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from pathlib import Path

import numpy as np
import pytest

from telecabine.devices.mailbox import LatestValueMailbox, VideoFrame

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
]  # fmt: skip
PASSWORD = "correct-horse-battery"
# BGR fill per role: the browser sees room green and otoscope red.
ROLE_BGR = {"room": (40, 160, 40), "otoscope": (30, 30, 220), "dermatoscope": (200, 120, 20)}


def require_chromium() -> None:
    """Skip locally (fail under CI) when Debian's Chromium is missing."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("Chromium missing under CI")
        pytest.skip("Chromium not installed")


class PatternCamera:
    """Solid colour per role with a moving bar, produced on the loop at ``fps``."""

    def __init__(self, role: str, width: int = 640, height: int = 360, fps: float = 30) -> None:
        self.role = role
        self.mailbox: LatestValueMailbox[VideoFrame] = LatestValueMailbox()
        self._shape = (height, width, 3)
        self._fps = fps
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        """Begin producing."""
        self._task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        seq = 0
        while True:
            seq += 1
            img = np.empty(self._shape, np.uint8)
            img[:] = ROLE_BGR[self.role]
            img[: self._shape[0] // 10, : (seq * 8) % self._shape[1]] = 255
            self.mailbox.put(VideoFrame(img, seq, time.monotonic(), time.time()))
            await asyncio.sleep(1 / self._fps)

    async def stop(self) -> None:
        """Stop producing."""
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


async def until(predicate, timeout: float, what: str, every: float = 0.05):
    """Await ``predicate()`` (sync or async) becoming truthy; fail with ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(every)


# Reads the pixel at (x%, y%) of the received video through a canvas (RGB).
PIXEL_JS = """([fx, fy]) => {
  const v = window.__telecabineCall && window.__telecabineCall.remoteVideo;
  if (!v || !v.videoWidth) return null;
  const c = document.createElement('canvas');
  c.width = v.videoWidth; c.height = v.videoHeight;
  const g = c.getContext('2d', { willReadFrequently: true });
  g.drawImage(v, 0, 0);
  const d = g.getImageData(Math.floor(c.width * fx), Math.floor(c.height * fy), 1, 1).data;
  return [d[0], d[1], d[2]];
}"""

INBOUND_JS = """async () => {
  const call = window.__telecabineCall;
  if (!call || !call.state.pc) return null;
  const report = await call.state.pc.getStats();
  let out = null;
  report.forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video')
    out = { framesDecoded: s.framesDecoded || 0, width: s.frameWidth || 0, height: s.frameHeight || 0 }; });
  return out;
}"""


# What the doctor's <video> plays (kinds of its tracks) and how much cabin audio arrived.
PLAYED_JS = """async () => {
  const v = document.querySelector('video.tc-remote');
  const kinds = v && v.srcObject ? v.srcObject.getTracks().map((t) => t.kind).sort() : [];
  let samples = 0;
  const call = window.__telecabineCall;
  if (call && call.state.pc) (await call.state.pc.getStats()).forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'audio') samples = s.totalSamplesReceived || 0; });
  return { kinds, samples, paused: v ? v.paused : true };
}"""


def near_rgb(rgb, bgr, tol: int = 45) -> bool:
    """Is an RGB pixel close to a BGR fill colour (VP8 moves colours a little)?"""
    return rgb is not None and all(abs(a - b) <= tol for a, b in zip(rgb, bgr[::-1], strict=True))
