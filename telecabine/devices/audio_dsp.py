"""Audio signal helpers in plain numpy: ring buffer, level meter, biquad band-pass, test tone.

No I/O, no clock. Used by the real sounddevice streams and by the simulated twins alike.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Literal

import numpy as np

SILENCE_DBFS = -120.0


def dbfs(value: float) -> float:
    """Amplitude (full scale = 1.0) to dBFS, floored at -120 dB."""
    if value <= 1e-6:
        return SILENCE_DBFS
    return max(SILENCE_DBFS, 20.0 * math.log10(value))


class RingBuffer:
    """Bounded, thread-safe FIFO of float32 samples ``(frames, channels)``.

    The writer (audio callback thread) never blocks and never grows memory: when full, the
    oldest samples are dropped and counted in ``dropped`` (a stalled reader loses old sound
    instead of hearing it late).
    """

    def __init__(self, capacity: int, channels: int = 1) -> None:
        self._buf = np.zeros((capacity, channels), np.float32)
        self._cap = capacity
        self._start = 0
        self._size = 0
        self._lock = threading.Lock()
        self.dropped = 0

    @property
    def available(self) -> int:
        """Frames ready to read."""
        return self._size

    def write(self, block: np.ndarray) -> None:
        """Append frames; overwrite the oldest when full."""
        n = len(block)
        if n == 0:
            return
        block = np.asarray(block, np.float32).reshape(n, -1)
        with self._lock:
            if n >= self._cap:
                self.dropped += self._size + n - self._cap
                self._buf[:] = block[-self._cap :]
                self._start, self._size = 0, self._cap
                return
            overflow = self._size + n - self._cap
            if overflow > 0:
                self._start = (self._start + overflow) % self._cap
                self._size -= overflow
                self.dropped += overflow
            end = (self._start + self._size) % self._cap
            first = min(n, self._cap - end)
            self._buf[end : end + first] = block[:first]
            self._buf[: n - first] = block[first:]
            self._size += n

    def read(self, frames: int) -> np.ndarray:
        """Take up to ``frames`` oldest frames (fewer, possibly zero, when not enough)."""
        with self._lock:
            n = min(frames, self._size)
            idx = (self._start + np.arange(n)) % self._cap
            out = self._buf[idx].copy()
            self._start = (self._start + n) % self._cap
            self._size -= n
            return out

    def clear(self) -> None:
        """Drop everything buffered."""
        with self._lock:
            self._start = self._size = 0


@dataclass
class LevelMeter:
    """Per-input level: RMS and peak of the last block in dBFS, plus a decaying peak hold."""

    rms_dbfs: float = SILENCE_DBFS
    peak_dbfs: float = SILENCE_DBFS
    max_rms_dbfs: float = SILENCE_DBFS  # loudest block since reset (for the equipment check)

    def update(self, block: np.ndarray) -> None:
        """Measure one block of float samples."""
        if block.size == 0:
            return
        x = block.astype(np.float32, copy=False)
        self.rms_dbfs = dbfs(float(np.sqrt(np.mean(np.square(x)))))
        self.peak_dbfs = dbfs(float(np.max(np.abs(x))))
        self.max_rms_dbfs = max(self.max_rms_dbfs, self.rms_dbfs)

    def reset(self) -> None:
        """Forget the loudest block."""
        self.max_rms_dbfs = SILENCE_DBFS


class Biquad:
    """Second-order IIR section, transposed direct form II (R. Bristow-Johnson's cookbook).

    State is kept between blocks so a stream filters seamlessly. The per-sample loop runs in
    plain Python: at the stethoscope's 16 kHz it costs well under 1 ms per 20 ms block.
    """

    def __init__(self, b: tuple[float, float, float], a: tuple[float, float, float]) -> None:
        a0 = a[0]
        self.b0, self.b1, self.b2 = (v / a0 for v in b)
        self.a1, self.a2 = a[1] / a0, a[2] / a0
        self.z1 = self.z2 = 0.0

    @classmethod
    def highpass(cls, fs: float, f0: float, q: float = 1 / math.sqrt(2)) -> Biquad:
        """Cookbook high-pass (Butterworth with the default Q)."""
        w0 = 2 * math.pi * f0 / fs
        alpha, c = math.sin(w0) / (2 * q), math.cos(w0)
        return cls(((1 + c) / 2, -(1 + c), (1 + c) / 2), (1 + alpha, -2 * c, 1 - alpha))

    @classmethod
    def lowpass(cls, fs: float, f0: float, q: float = 1 / math.sqrt(2)) -> Biquad:
        """Cookbook low-pass (Butterworth with the default Q)."""
        w0 = 2 * math.pi * f0 / fs
        alpha, c = math.sin(w0) / (2 * q), math.cos(w0)
        return cls(((1 - c) / 2, 1 - c, (1 - c) / 2), (1 + alpha, -2 * c, 1 - alpha))

    def process(self, x: np.ndarray) -> np.ndarray:
        """Filter a 1-D block, continuing from the previous block's state."""
        b0, b1, b2, a1, a2 = self.b0, self.b1, self.b2, self.a1, self.a2
        z1, z2 = self.z1, self.z2
        out = []
        append = out.append
        for s in x.tolist():
            y = b0 * s + z1
            z1 = b1 * s - a1 * y + z2
            z2 = b2 * s - a2 * y
            append(y)
        self.z1, self.z2 = z1, z2
        return np.asarray(out, np.float32)


StethoscopeMode = Literal["heart", "lung"]
# Heart sounds S1/S2 carry most energy in 20-200 Hz, lung sounds in 100-1000 Hz
# (Reichert et al., "Analysis of respiratory sounds", 2008; usual electronic stethoscope modes).
BANDS: dict[str, tuple[float, float]] = {"heart": (20.0, 200.0), "lung": (100.0, 1000.0)}


class StethoscopeFilter:
    """Gain and band-pass (two high-pass + two low-pass biquads, 24 dB/oct) for the chest piece."""

    def __init__(
        self, sample_rate: int, mode: StethoscopeMode = "heart", gain: float = 4.0
    ) -> None:
        self.sample_rate = sample_rate
        self.gain = gain
        self.set_mode(mode)

    def set_mode(self, mode: StethoscopeMode) -> None:
        """Switch between heart and lung bands (filter state restarts)."""
        if mode not in BANDS:
            raise ValueError(f"unknown stethoscope mode {mode!r} (heart or lung)")
        self.mode = mode
        lo, hi = BANDS[mode]
        fs = self.sample_rate
        self._stages = [Biquad.highpass(fs, lo), Biquad.highpass(fs, lo)]
        self._stages += [Biquad.lowpass(fs, hi), Biquad.lowpass(fs, hi)]

    def __call__(self, block: np.ndarray) -> np.ndarray:
        """Filter a ``(frames, channels)`` block to mono ``(frames, 1)``, gain applied, clipped."""
        mono = block.mean(axis=1) if block.ndim == 2 else block
        for stage in self._stages:
            mono = stage.process(mono)
        return np.clip(mono * self.gain, -1.0, 1.0).reshape(-1, 1).astype(np.float32)


def tone(
    frequency: float, duration_s: float, sample_rate: int, volume: float = 0.3, fade_s: float = 0.02
) -> np.ndarray:
    """A sine test tone ``(frames, 1)`` with short fades so the speaker does not click."""
    n = int(duration_s * sample_rate)
    t = np.arange(n) / sample_rate
    y = volume * np.sin(2 * math.pi * frequency * t)
    k = min(n // 2, int(fade_s * sample_rate))
    if k:
        ramp = np.linspace(0.0, 1.0, k)
        y[:k] *= ramp
        y[n - k :] *= ramp[::-1]
    return y.astype(np.float32).reshape(-1, 1)


def band_energy_ratio(x: np.ndarray, fs: float, lo: float, hi: float) -> float:
    """Share of a signal's energy between ``lo`` and ``hi`` Hz (for checks and tests)."""
    spec = np.abs(np.fft.rfft(x.reshape(-1))) ** 2
    freqs = np.fft.rfftfreq(x.size, 1 / fs)
    total = float(spec.sum()) or 1.0
    return float(spec[(freqs >= lo) & (freqs <= hi)].sum()) / total
