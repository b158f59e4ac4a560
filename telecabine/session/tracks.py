"""Outgoing media tracks fed from device mailboxes: newest frame only, never a queue.

aiortc's ``RTCRtpSender`` pulls ``recv()`` in a loop and encodes what it gets. Returning the
newest frame as soon as it exists (and a repeat of the last one when the source is late) keeps
glass-to-glass latency at one encode + network hop, whatever the encoder speed: a slow encoder
skips frames instead of building up delay (aiortc issues #104 and #309).

The session layer does not import ``telecabine.devices`` (sibling layers are independent); it
only needs the small duck-typed interfaces below, which ``devices.mailbox`` satisfies.
"""

from __future__ import annotations

import asyncio
import fractions
import time
from typing import Any, Protocol

import av
import cv2
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

VIDEO_CLOCK_RATE = 90_000  # RTP video clock (RFC 3551)
VIDEO_TIME_BASE = fractions.Fraction(1, VIDEO_CLOCK_RATE)
AUDIO_RATE = 48_000  # Opus' native rate
AUDIO_PTIME = 0.020  # 20 ms frames, Opus' usual packet size
AUDIO_SAMPLES = int(AUDIO_RATE * AUDIO_PTIME)


class FrameLike(Protocol):
    """What the track needs of a ``devices.mailbox.VideoFrame``."""

    image: np.ndarray
    seq: int
    captured_at: float
    wall_clock: float


class MailboxLike(Protocol):
    """What the track needs of a ``devices.mailbox.LatestValueMailbox[VideoFrame]``."""

    def latest(self) -> tuple[int, Any]: ...

    async def wait_newer(self, after_seq: int, timeout: float | None = None) -> tuple[int, Any]: ...


class AudioSource(Protocol):
    """A microphone-like source: ``read(n)`` returns up to ``n`` float32 samples ``(n, ch)``.

    Non-blocking; returns ``None`` (or fewer samples) when nothing is buffered, so the track
    pads with silence instead of waiting (a late microphone must not delay the call).
    """

    sample_rate: int

    def read(self, frames: int) -> np.ndarray | None: ...


class SwitchableVideoTrack(MediaStreamTrack):
    """Video track whose picture comes from a switchable mailbox (camera role).

    ``set_source`` swaps the mailbox in place: the same RTP stream continues, no
    renegotiation. Until the new source has produced a frame the last picture is repeated,
    so the gap is never black and never longer than one frame interval.
    Presentation timestamps follow the capture monotonic clock at 90 kHz.
    """

    kind = "video"

    def __init__(
        self, mailbox: MailboxLike, role: str = "room", *, fps: float = 30.0, max_height: int = 720
    ) -> None:
        super().__init__()
        self._mailbox = mailbox
        self.role = role
        self.fps = fps
        self.max_height = max_height
        self._seq = 0
        self._last_image: np.ndarray | None = None
        self._last_pts = -1
        self._t0 = time.monotonic()
        self._switched = asyncio.Event()
        self.frames_sent = 0
        self.repeats = 0
        self.last_wall_clock: float | None = None
        self.convert_s = 0.0  # time spent scaling/converting to I420 (benchmark breakdown)
        self.converted = 0

    def set_source(self, mailbox: MailboxLike, role: str) -> None:
        """Feed the track from another mailbox from the next frame on."""
        self._mailbox = mailbox
        self.role = role
        self._seq = 0  # sequence numbers are per mailbox
        self._switched.set()

    async def recv(self) -> av.VideoFrame:
        """Newest frame of the current source (or a repeat of the last one if it is late)."""
        if self.readyState != "live":
            raise MediaStreamError
        interval = 1.0 / self.fps
        mailbox = self._mailbox
        self._switched.clear()
        seq, value = mailbox.latest()
        if seq <= self._seq or value is None:
            waiter = asyncio.ensure_future(mailbox.wait_newer(self._seq, timeout=2 * interval))
            switched = asyncio.ensure_future(self._switched.wait())
            await asyncio.wait({waiter, switched}, return_when=asyncio.FIRST_COMPLETED)
            switched.cancel()
            if not waiter.done():
                waiter.cancel()
                return await self.recv()  # the source changed: read the new one at once
            seq, value = waiter.result()
        if seq > self._seq and value is not None and mailbox is self._mailbox:
            self._seq = seq
            self._last_image = value.image
            frame = self._to_av(value.image)
            frame.opaque = float(value.captured_at)  # the encoder measures capture -> encoded
            self.last_wall_clock = float(value.wall_clock)
            pts = int((float(value.captured_at) - self._t0) * VIDEO_CLOCK_RATE)
        elif self._last_image is not None:
            # Source late: repeat the last picture (a new frame object: the previous one may
            # still be in the encoder), never black, never wait longer.
            frame = self._to_av(self._last_image)
            self.repeats += 1
            pts = int((time.monotonic() - self._t0) * VIDEO_CLOCK_RATE)
        else:
            frame = _black(640, 360)
            pts = int((time.monotonic() - self._t0) * VIDEO_CLOCK_RATE)
        pts = max(pts, self._last_pts + 1)  # RTP timestamps must move forward
        self._last_pts = pts
        frame.pts = pts
        frame.time_base = VIDEO_TIME_BASE
        self.frames_sent += 1
        return frame

    def _to_av(self, image: np.ndarray) -> av.VideoFrame:
        t0 = time.perf_counter()
        frame = self._convert(image)
        self.convert_s += time.perf_counter() - t0
        self.converted += 1
        return frame

    def _convert(self, image: np.ndarray) -> av.VideoFrame:
        # Hand the encoder I420 directly: OpenCV converts 720p BGR in ~1 ms, while letting
        # libvpx's wrapper do it (swscale bgr24 -> yuv420p) doubled the encode time measured
        # on this 2-core machine (47 ms -> 23 ms p50), and encode time is latency.
        h, w = image.shape[:2]
        if h > self.max_height:
            w = int(w * self.max_height / h)
            h = self.max_height
        w, h = w // 2 * 2, h // 2 * 2  # I420 needs even sizes
        if (h, w) != image.shape[:2]:
            image = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
        yuv = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_BGR2YUV_I420)
        # Native buffer, owner kept: the frame wraps OpenCV's fresh array without a copy
        # (≈ 0.4 ms saved per 720p frame) and PyAV holds a reference to it for the frame's
        # whole life (``VideoFrame._np_buffer``), so no encoder can read freed memory.
        return av.VideoFrame.from_numpy_buffer(yuv, format="yuv420p")


def _black(width: int, height: int) -> av.VideoFrame:
    yuv = np.full((height * 3 // 2, width), 128, np.uint8)
    yuv[:height] = 16  # video-range black
    return av.VideoFrame.from_ndarray(yuv, format="yuv420p")  # native buffer: copied in


class MixedAudioTrack(MediaStreamTrack):
    """Outgoing audio: the room microphone, plus the stethoscope when switched in.

    Produces 20 ms mono s16 frames at 48 kHz paced by the monotonic clock; missing samples
    are silence (never a wait). The stethoscope is mixed at unity gain with the microphone
    lowered, because the doctor listens to the chest, not to the room.
    """

    kind = "audio"

    def __init__(
        self, microphone: AudioSource | None = None, stethoscope: AudioSource | None = None
    ) -> None:
        super().__init__()
        self.microphone = microphone
        self.stethoscope = stethoscope
        self.stethoscope_on = False
        self.muted = False
        self._pts = 0
        self._start: float | None = None

    async def recv(self) -> av.AudioFrame:
        """The next 20 ms of mixed audio."""
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        else:
            self._pts += AUDIO_SAMPLES
            wait = self._start + self._pts / AUDIO_RATE - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        mix = np.zeros(AUDIO_SAMPLES, np.float32)
        if not self.muted:
            room_gain = 0.3 if self.stethoscope_on else 1.0
            _add(mix, self.microphone, room_gain)
            if self.stethoscope_on:
                _add(mix, self.stethoscope, 1.0)
        pcm = (np.clip(mix, -1.0, 1.0) * 32767).astype(np.int16).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")  # copied in
        frame.sample_rate = AUDIO_RATE
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, AUDIO_RATE)
        return frame


def _add(mix: np.ndarray, source: AudioSource | None, gain: float) -> None:
    if source is None:
        return
    block = source.read(AUDIO_SAMPLES * source.sample_rate // AUDIO_RATE)
    if block is None or len(block) == 0:
        return
    mono = block.mean(axis=1) if block.ndim == 2 else block
    if source.sample_rate != AUDIO_RATE:  # linear resample: good enough for speech/heart
        x = np.linspace(0, len(mono) - 1, int(len(mono) * AUDIO_RATE / source.sample_rate))
        mono = np.interp(x, np.arange(len(mono)), mono)
    n = min(len(mono), AUDIO_SAMPLES)
    mix[:n] += gain * mono[:n].astype(np.float32)


class PeerTrack(MediaStreamTrack):
    """A per-connection handle on a long-lived track.

    aiortc stops a sender's track when the connection ends (or when sending fails), but the
    call's tracks must survive an ICE restart: each ``RTCPeerConnection`` gets one of these
    instead, and stopping it leaves the shared source running.
    """

    def __init__(self, source: MediaStreamTrack) -> None:
        super().__init__()
        self.kind = source.kind
        self._source = source

    async def recv(self):
        """Next frame of the shared source."""
        if self.readyState != "live" or self._source.readyState != "live":
            raise MediaStreamError
        return await self._source.recv()
