"""Incoming media from the doctor: video kept as the newest frame, audio to the loudspeaker.

The remote video frame is kept undecoded-to-RGB; the call screen converts it once per
displayed frame at display size (ARCHITECTURE.md: the UI never converts full frames more than
once per shown frame). Remote audio goes to ``sounddevice`` when an output device exists and is
otherwise drained, so the receiver never backs up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

log = logging.getLogger(__name__)


class RemoteVideo:
    """Newest remote video frame plus counters; ``on_frame`` observers are told of each one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frame: av.VideoFrame | None = None
        self.frames = 0
        self.last_at: float | None = None  # monotonic time of the last frame
        self.first_at: float | None = None
        self.on_frame: list[Callable[[], None]] = []
        self.conversions = 0  # frames actually converted to RGB (the rest came from the cache)
        self._shown: tuple[av.VideoFrame, int | None, np.ndarray] | None = None

    def push(self, frame: av.VideoFrame) -> None:
        """Store a newly decoded frame (replacing the previous one)."""
        with self._lock:
            self._frame = frame
            self.frames += 1
            self.last_at = time.monotonic()
            if self.first_at is None:
                self.first_at = self.last_at
        for cb in list(self.on_frame):
            cb()

    def latest_rgb(self, max_width: int | None = None) -> np.ndarray | None:
        """The newest frame as an ``HxWx3`` RGB array, scaled down to ``max_width`` if given.

        The display timer asks more often than the doctor's camera delivers (25 Hz vs the
        browser's adaptive rate): the same frame at the same width is converted once and the
        result reused (callers must not modify the array).
        """
        with self._lock:
            frame = self._frame
        if frame is None:
            return None
        shown = self._shown
        if shown is not None and shown[0] is frame and shown[1] == max_width:
            return shown[2]
        # Native buffer, owner kept: ``to_ndarray`` gives a view whose ``base`` is the PyAV
        # plane, which holds its frame, so the decoded picture lives as long as the array is
        # read (the call screen's QImage included). FFmpeg pads rows: at most widths the view
        # is strided and ascontiguousarray copies it (QImage needs contiguous rows).
        if max_width and frame.width > max_width:
            height = int(frame.height * max_width / frame.width) // 2 * 2
            rgb = np.ascontiguousarray(
                frame.to_ndarray(width=max_width, height=height, format="rgb24")
            )
        else:
            rgb = np.ascontiguousarray(frame.to_ndarray(format="rgb24"))
        self.conversions += 1
        self._shown = (frame, max_width, rgb)
        return rgb

    @property
    def size(self) -> tuple[int, int] | None:
        """(width, height) of the newest frame."""
        frame = self._frame
        return None if frame is None else (frame.width, frame.height)


class AudioPlayer:
    """Plays remote audio through ``sounddevice`` (bounded ring, ~200 ms) or drains it."""

    MAX_BUFFER_S = 0.2  # more than this is dropped: late audio is worse than a glitch

    def __init__(self, device: str | int | None = None, enabled: bool = True) -> None:
        self._device = device
        self._enabled = enabled
        self._ring: deque[np.ndarray] = deque()
        self._buffered = 0
        self._lock = threading.Lock()
        self._stream = None
        self._rate = 48_000
        self.frames_received = 0
        self.dropped = 0

    def _open(self, rate: int) -> None:
        if not self._enabled or self._stream is not None:
            return
        try:
            import sounddevice as sd

            self._stream = sd.OutputStream(
                samplerate=rate, channels=1, dtype="float32", device=self._device,
                callback=self._callback, latency="low",
            )  # fmt: skip
            self._stream.start()
        except Exception as exc:  # no sound card: keep draining, the call goes on
            log.info("remote audio not played (%s)", type(exc).__name__)
            self._enabled = False
            self._stream = None

    def _callback(self, outdata, frames, _time, _status) -> None:
        out = np.zeros(frames, np.float32)
        filled = 0
        with self._lock:
            while filled < frames and self._ring:
                block = self._ring[0]
                n = min(frames - filled, len(block))
                out[filled : filled + n] = block[:n]
                filled += n
                if n == len(block):
                    self._ring.popleft()
                else:
                    self._ring[0] = block[n:]
                self._buffered -= n
        outdata[:, 0] = out

    def push(self, frame: av.AudioFrame) -> None:
        """Queue one decoded frame for playback (dropping the oldest past the bound)."""
        self.frames_received += 1
        self._rate = frame.sample_rate
        self._open(frame.sample_rate)
        if self._stream is None:
            return
        pcm = frame.to_ndarray()  # a view on the frame; the astype() below copies it
        if pcm.dtype == np.int16:
            pcm = pcm.astype(np.float32) / 32768.0
        layout_channels = len(frame.layout.channels)
        mono = pcm.reshape(-1, layout_channels).mean(axis=1) if pcm.ndim else pcm
        with self._lock:
            self._ring.append(mono.astype(np.float32))
            self._buffered += len(mono)
            while self._buffered > self.MAX_BUFFER_S * self._rate and len(self._ring) > 1:
                self._buffered -= len(self._ring.popleft())
                self.dropped += 1

    def close(self) -> None:
        """Stop the output stream."""
        if self._stream is not None:
            with contextlib.suppress(Exception):
                self._stream.stop()
                self._stream.close()
            self._stream = None


async def pump(track: MediaStreamTrack, sink: Callable[[object], None]) -> None:
    """Read a remote track until it ends, handing each frame to ``sink``."""
    while True:
        try:
            frame = await track.recv()
        except (MediaStreamError, asyncio.CancelledError):
            return
        sink(frame)
