"""Simulated twins of the A/V devices, behind the same interfaces as the real drivers.

Used by demo mode and tests. Video: one moving synthetic scene per camera role (room: colour
bars and a face; otoscope: reddish ear-canal vignette; dermatoscope: skin texture with a
lesion; document: a white page with text), each carrying the frame counter and capture
wall clock both as text and as the machine-readable band of
:mod:`telecabine.devices.timestamp_code`. Backgrounds are rendered once; each frame costs one
copy plus the small moving parts. Audio: speech-like noise bursts for the microphone, a
lub-dub heartbeat at about 70 bpm for the stethoscope, and a speaker that swallows sound.
:class:`UnpluggableDevice` is a capture device that can be pulled out and plugged back, for
exercising the real OpenCV driver's unplug/recovery path.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from telecabine.devices.audio import AudioInputBase, Processor
from telecabine.devices.audio_dsp import RingBuffer, tone
from telecabine.devices.timestamp_code import band_height, draw_band
from telecabine.devices.video_health import HealthThresholds
from telecabine.devices.video_source import ThreadedVideoSource

FONT = cv2.FONT_HERSHEY_SIMPLEX


# --- video ------------------------------------------------------------------------------
def _background(role: str, w: int, h: int) -> np.ndarray:
    rng = np.random.default_rng(42)
    if role == "otoscope":
        img = np.zeros((h, w, 3), np.uint8)
        yy, xx = np.mgrid[0:h, 0:w]
        r = np.hypot(xx - w / 2, yy - h / 2) / (min(w, h) * 0.48)
        shade = np.clip(1.0 - r**2, 0, 1)
        img[..., 2] = (230 * shade).astype(np.uint8)  # red canal wall
        img[..., 1] = (90 * shade**1.5).astype(np.uint8)
        img[..., 0] = (70 * shade**2).astype(np.uint8)
        return img
    if role == "dermatoscope":
        noise = rng.normal(0, 12, (h // 8 + 1, w // 8 + 1)).astype(np.float32)
        noise = cv2.resize(noise, (w, h), interpolation=cv2.INTER_CUBIC)
        base = np.array([150, 180, 225], np.float32)  # BGR skin tone
        img = np.clip(base[None, None, :] + noise[..., None], 0, 255).astype(np.uint8)
        mask = np.zeros((h, w), np.uint8)
        cv2.circle(mask, (w // 2, h // 2), int(min(w, h) * 0.47), 255, -1)
        img[mask == 0] = 20
        return img
    if role == "document":
        img = np.full((h, w, 3), 245, np.uint8)
        s = h / 720
        cv2.putText(img, "ORDONNANCE / PRESCRIPTION", (int(80 * s), int(110 * s)), FONT,
                    1.2 * s, (30, 30, 30), max(1, int(2 * s)), cv2.LINE_AA)  # fmt: skip
        for i in range(14):
            y = int((170 + i * 36) * s)
            length = int(w * (0.45 + 0.4 * rng.random()))
            cv2.line(img, (int(80 * s), y), (length, y), (90, 90, 90), max(1, int(3 * s)))
        return img
    # room: colour bars on the upper part, a floor gradient below (SMPTE-like bars)
    img = np.zeros((h, w, 3), np.uint8)
    bars = [(192, 192, 192), (0, 192, 192), (192, 192, 0), (0, 192, 0),
            (192, 0, 192), (0, 0, 192), (192, 0, 0), (60, 60, 60)]  # fmt: skip
    bw = w // len(bars) + 1
    for i, c in enumerate(bars):
        img[: int(h * 0.6), i * bw : (i + 1) * bw] = c
    img[int(h * 0.6) :] = np.linspace(90, 40, h - int(h * 0.6), dtype=np.uint8)[:, None, None]
    return img


def _draw_moving(role: str, img: np.ndarray, t: float) -> None:
    h, w = img.shape[:2]
    s = min(w, h) / 720
    cx = int(w / 2 + w * 0.25 * math.sin(t * 0.9))
    cy = int(h / 2 + h * 0.15 * math.sin(t * 1.3))
    if role == "room":  # a face: skin oval, eyes, mouth
        r = int(110 * s)
        cv2.ellipse(img, (cx, cy), (r, int(r * 1.3)), 0, 0, 360, (150, 190, 235), -1)
        for dx in (-r // 2.5, r // 2.5):
            cv2.circle(img, (int(cx + dx), cy - r // 3), max(2, r // 8), (40, 30, 30), -1)
        cv2.ellipse(img, (cx, cy + r // 2), (r // 2, r // 5), 0, 0, 180, (60, 60, 160), 3)
    elif role == "otoscope":  # pearly ear drum drifting with the hand
        cv2.circle(img, (cx, cy), int(70 * s), (170, 185, 200), -1)
        cv2.circle(img, (cx + int(20 * s), cy - int(15 * s)), int(12 * s), (250, 250, 250), -1)
    elif role == "dermatoscope":  # irregular lesion, slowly moving
        cx = int(w / 2 + w * 0.08 * math.sin(t * 0.5))
        cy = int(h / 2 + h * 0.08 * math.cos(t * 0.5))
        cv2.ellipse(img, (cx, cy), (int(60 * s), int(45 * s)), 30 * t, 0, 360, (30, 50, 90), -1)
        cv2.circle(img, (cx + int(25 * s), cy + int(10 * s)), int(30 * s), (20, 30, 60), -1)
    else:  # document: a pen tip crossing the page
        cv2.circle(img, (cx, int(h * 0.8)), int(10 * s), (160, 40, 20), -1)


class SimulatedCamera(ThreadedVideoSource):
    """A synthetic camera for one role, paced at ``fps``; can be unplugged and plugged back."""

    def __init__(
        self,
        role: str = "room",
        *,
        width: int = 1280,
        height: int = 720,
        fps: float = 30.0,
        thresholds: HealthThresholds | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(
            role, name or f"sim:{role}", width=width, height=height, fps=fps, thresholds=thresholds
        )
        self.plugged = True
        self.black = False
        self._bg: np.ndarray | None = None
        self._t0 = time.monotonic()

    def unplug(self) -> None:
        """Simulate pulling the cable: reads fail, the driver reports ``lost``."""
        self.plugged = False

    def replug(self) -> None:
        """Simulate plugging it back: the driver's reopen succeeds."""
        self.plugged = True

    def _open(self) -> bool:
        if not self.plugged:
            return False
        w, h, fps = self.requested
        if self._bg is None:
            self._bg = _background(self.role, w, h)
        self._negotiate(w, h, fps)
        self.pace_fps = fps
        return True

    def _read(self) -> np.ndarray | None:
        if not self.plugged or self._bg is None:
            return None
        if self.black:
            return np.zeros_like(self._bg)
        img = self._bg.copy()  # a fresh array per frame: readers never share the background
        _draw_moving(self.role, img, time.monotonic() - self._t0)
        return img

    def _decorate(self, frame: Any) -> None:
        img = frame.image
        draw_band(img, frame.wall_clock, frame.seq)
        h = img.shape[0]
        y = band_height(h) + int(h * 0.05)
        stamp = time.strftime("%H:%M:%S", time.localtime(frame.wall_clock))
        ms = int(frame.wall_clock * 1000) % 1000
        text = f"#{frame.seq:06d} {stamp}.{ms:03d} {self.role}"
        scale = h / 720
        cv2.rectangle(img, (0, y - int(30 * scale)), (int(560 * scale), y + int(10 * scale)),
                      (0, 0, 0), -1)  # fmt: skip
        cv2.putText(img, text, (int(8 * scale), y), FONT, scale, (255, 255, 255),
                    max(1, int(2 * scale)), cv2.LINE_AA)  # fmt: skip


@dataclass
class UnpluggableDevice:
    """A fake ``cv2.VideoCapture`` backend whose cable can be pulled (``capture_factory``)."""

    width: int = 320
    height: int = 240
    fps: float = 30.0
    plugged: bool = True
    unplugged_read_delay_s: float = 0.0  # V4L2 reads may hang until a timeout when unplugged
    opens: int = 0
    _frame_no: int = field(default=0, repr=False)

    def open(self, source: Any) -> _FakeCapture:
        """The ``capture_factory`` for :class:`~telecabine.devices.camera.OpenCVCamera`."""
        self.opens += 1
        return _FakeCapture(self)

    def next_image(self) -> np.ndarray:
        """A distinct grey picture each call (so it never looks frozen)."""
        self._frame_no += 1
        img = np.full((self.height, self.width, 3), 100, np.uint8)
        cv2.putText(img, str(self._frame_no), (10, self.height // 2), FONT, 1, (255, 255, 255))
        time.sleep(1 / self.fps)  # a real camera blocks in read() until the next frame
        return img


class _FakeCapture:
    def __init__(self, device: UnpluggableDevice) -> None:
        self._dev = device
        self._open = device.plugged

    def isOpened(self) -> bool:
        return self._open

    def read(self) -> tuple[bool, Any]:
        if not (self._open and self._dev.plugged):
            time.sleep(self._dev.unplugged_read_delay_s)
            return False, None
        return True, self._dev.next_image()

    def set(self, prop: int, value: float) -> bool:
        return True

    def get(self, prop: int) -> float:
        return {
            cv2.CAP_PROP_FRAME_WIDTH: self._dev.width,
            cv2.CAP_PROP_FRAME_HEIGHT: self._dev.height,
            cv2.CAP_PROP_FPS: self._dev.fps,
        }.get(prop, 0.0)

    def release(self) -> None:
        self._open = False


# --- audio ------------------------------------------------------------------------------
def speech_like(n: int, fs: int, t0: float, rng: np.random.Generator) -> np.ndarray:
    """Noise bursts shaped like syllables (~4 per second) in phrases, at about -20 dBFS."""
    t = t0 + np.arange(n) / fs
    syllables = np.clip(np.sin(2 * np.pi * 4.0 * t), 0, None) ** 2
    phrases = (np.sin(2 * np.pi * 0.25 * t) > -0.3).astype(np.float32)
    noise = rng.normal(0, 1, n).astype(np.float32)
    noise = np.convolve(noise, np.ones(6) / 6, mode="same")  # tilt toward voice frequencies
    return (0.25 * syllables * phrases * noise).astype(np.float32)


def heartbeat(n: int, fs: int, t0: float, bpm: float = 70.0) -> np.ndarray:
    """Lub-dub: S1 (~50 Hz, 100 ms) then S2 (~70 Hz, 80 ms) 300 ms later, each beat."""
    t = t0 + np.arange(n) / fs
    phase = np.mod(t, 60.0 / bpm)
    out = np.zeros(n, np.float32)
    for start, dur, freq, amp in ((0.0, 0.10, 50.0, 0.15), (0.30, 0.08, 70.0, 0.1)):
        local = phase - start
        inside = (local >= 0) & (local < dur)
        env = np.sin(np.pi * np.clip(local / dur, 0, 1))
        out += np.where(inside, amp * env * np.sin(2 * np.pi * freq * local), 0).astype(np.float32)
    return out


class SimulatedAudioInput(AudioInputBase):
    """A microphone (``signal="speech"``) or stethoscope (``"heartbeat"``) twin, paced in a thread."""

    def __init__(
        self,
        signal: str = "speech",
        *,
        name: str | None = None,
        sample_rate: int = 48_000,
        block_ms: int = 20,
        processor: Processor | None = None,
        noise_dbfs: float = -60.0,
    ) -> None:
        super().__init__(name or f"sim:{signal}", sample_rate, 1, processor=processor)
        if signal not in ("speech", "heartbeat", "silence"):
            raise ValueError(f"unknown simulated signal {signal!r}")
        self.signal = signal
        self.plugged = True
        self._block = int(sample_rate * block_ms / 1000)
        self._noise = 10 ** (noise_dbfs / 20)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """True while the generator thread runs and the device is plugged."""
        return self._thread is not None and self._thread.is_alive() and self.plugged

    def start(self) -> None:
        """Start generating (idempotent)."""
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"audio-{self.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop generating."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)
            self._thread = None

    def _run(self) -> None:
        rng = np.random.default_rng(7)
        fs, n = self.sample_rate, self._block
        start = time.monotonic()
        produced = 0
        while not self._stop.is_set():
            due = start + produced / fs - time.monotonic()
            if due > 0:
                self._stop.wait(due)
            t0 = produced / fs
            produced += n
            if not self.plugged:
                continue
            if self.signal == "speech":
                x = speech_like(n, fs, t0, rng)
            elif self.signal == "heartbeat":
                x = heartbeat(n, fs, t0)
            else:
                x = np.zeros(n, np.float32)
            x = x + rng.normal(0, self._noise, n).astype(np.float32)
            self._ingest(x.reshape(-1, 1))


class SimulatedSpeaker:
    """Speaker twin: accepts samples like :class:`~telecabine.devices.audio.SoundDeviceOutput`."""

    def __init__(self, sample_rate: int = 48_000) -> None:
        self.name = "sim:speaker"
        self.sample_rate = sample_rate
        self.ring = RingBuffer(5 * sample_rate, 1)
        self.played_frames = 0
        self._until = 0.0

    def start(self) -> None:
        """Nothing to open."""

    def stop(self) -> None:
        """Drop what is queued."""
        self.ring.clear()

    def play(self, samples: np.ndarray) -> None:
        """Accept samples; they 'play' in real time from now."""
        self.played_frames += len(samples)
        self._until = max(time.monotonic(), self._until) + len(samples) / self.sample_rate

    def play_tone(self, frequency: float = 440.0, duration_s: float = 1.0, volume: float = 0.3):
        """Queue the speaker test tone."""
        self.play(tone(frequency, duration_s, self.sample_rate, volume))

    def wait(self, timeout: float) -> bool:
        """Sleep until the queued sound would have finished."""
        remaining = self._until - time.monotonic()
        time.sleep(max(0.0, min(remaining, timeout)))
        return remaining <= timeout
