"""Audio devices: sounddevice (PortAudio) input/output streams with bounded ring buffers.

The PortAudio callback thread only copies samples into a :class:`RingBuffer` (never an
unbounded queue), updates the level meter and publishes the newest block into a
latest-value mailbox. Consumers (the call's audio track, the equipment check, the level bar)
read without blocking. The stethoscope is an ordinary input with a
:class:`~telecabine.devices.audio_dsp.StethoscopeFilter` (own gain, heart/lung band-pass).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from telecabine.devices.audio_dsp import LevelMeter, RingBuffer, tone
from telecabine.devices.mailbox import AudioBlock, LatestValueMailbox

log = logging.getLogger(__name__)

Processor = Callable[[np.ndarray], np.ndarray]


class AudioDeviceError(Exception):
    """An audio device is missing or refused to open; ``message_fr``/``message_en`` for screens."""

    def __init__(self, message_fr: str, message_en: str) -> None:
        super().__init__(f"{message_fr} / {message_en}")
        self.message_fr = message_fr
        self.message_en = message_en


PORTAUDIO_MISSING = (
    "Bibliothèque PortAudio introuvable : installez-la (Debian/Ubuntu : "
    "sudo apt install libportaudio2), puis relancez Télécabine.",
    "PortAudio library not found: install it (Debian/Ubuntu: sudo apt install "
    "libportaudio2), then start Telecabine again.",
)


def _sounddevice() -> Any:
    """``sounddevice``, or :class:`AudioDeviceError` saying what to install.

    It loads the PortAudio shared library when imported and raises ``OSError`` when the
    library is missing (Linux does not bundle it).
    """
    try:
        import sounddevice
    except OSError as exc:
        log.warning("sounddevice unavailable: %s", exc)
        raise AudioDeviceError(*PORTAUDIO_MISSING) from exc
    return sounddevice


class AudioInput(Protocol):
    """What the UI, services and session need of a microphone or stethoscope."""

    name: str
    sample_rate: int
    channels: int
    meter: LevelMeter
    mailbox: LatestValueMailbox[AudioBlock]

    @property
    def running(self) -> bool:
        """True while audio is being delivered."""
        ...

    def start(self) -> None:
        """Open and start (raises AudioDeviceError with screen sentences when it cannot)."""
        ...

    def stop(self) -> None:
        """Stop and close."""
        ...

    def read(self, frames: int) -> np.ndarray | None:
        """Up to ``frames`` buffered samples ``(n, channels)``, None when empty (non-blocking)."""
        ...


class AudioInputBase:
    """Ring buffer + level meter + mailbox fed by ``_ingest`` from any producer thread."""

    def __init__(
        self,
        name: str,
        sample_rate: int = 48_000,
        channels: int = 1,
        *,
        buffer_s: float = 1.0,
        processor: Processor | None = None,
    ) -> None:
        self.name = name
        self.sample_rate = sample_rate
        self.channels = 1 if processor is not None else channels
        self.processor = processor
        self.meter = LevelMeter()
        self.mailbox: LatestValueMailbox[AudioBlock] = LatestValueMailbox()
        self.ring = RingBuffer(int(buffer_s * sample_rate), self.channels)
        self.overflows = 0
        self.last_block_at: float | None = None  # monotonic time of the newest block
        self._seq = 0

    def read(self, frames: int) -> np.ndarray | None:
        """Up to ``frames`` buffered samples ``(n, channels)``, or None when nothing is buffered."""
        if self.ring.available == 0:
            return None
        return self.ring.read(frames)

    def stalled(self, now: float, after_s: float = 1.0) -> bool:
        """True when no block arrived for ``after_s`` (device unplugged or driver stuck)."""
        return self.last_block_at is None or now - self.last_block_at > after_s

    def _ingest(self, block: np.ndarray) -> None:
        if len(block) == 0:
            return
        data = np.asarray(block, np.float32).reshape(len(block), -1)
        if self.processor is not None:
            data = self.processor(data)
        self.ring.write(data)
        self.meter.update(data)
        self._seq += 1
        now = time.monotonic()
        self.last_block_at = now
        self.mailbox.put(AudioBlock(data, self.sample_rate, self._seq, now))


class SoundDeviceInput(AudioInputBase):
    """A real input (microphone or stethoscope) through a sounddevice ``InputStream``."""

    def __init__(
        self,
        device: int | str | None = None,
        *,
        name: str | None = None,
        sample_rate: int = 48_000,
        channels: int = 1,
        block_ms: int = 20,
        buffer_s: float = 1.0,
        processor: Processor | None = None,
    ) -> None:
        super().__init__(
            name or str(device or "default"),
            sample_rate,
            channels,
            buffer_s=buffer_s,
            processor=processor,
        )
        self.device = device
        self._in_channels = channels
        self._block = int(sample_rate * block_ms / 1000)
        self._stream: Any = None

    @property
    def running(self) -> bool:
        """True while the stream delivers audio."""
        return self._stream is not None and bool(self._stream.active)

    def start(self) -> None:
        """Open and start the stream; raises :class:`AudioDeviceError` when it cannot."""
        sd = _sounddevice()

        if self._stream is not None:
            return
        try:
            stream = sd.InputStream(
                device=resolve_device(self.device, "input"),
                samplerate=self.sample_rate,
                channels=self._in_channels,
                dtype="float32",
                blocksize=self._block,
                callback=self._callback,
            )
            stream.start()
        except (sd.PortAudioError, ValueError) as exc:
            log.warning("audio input %s failed to open: %s", self.name, exc)
            raise AudioDeviceError(
                f"Entrée audio « {self.name} » indisponible : vérifiez qu'elle est branchée.",
                f"Audio input '{self.name}' unavailable: check that it is plugged in.",
            ) from exc
        self._stream = stream

    def stop(self) -> None:
        """Stop and close the stream."""
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.stop()
            stream.close()

    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        if status.input_overflow:
            self.overflows += 1
        self._ingest(indata.copy())  # copied: PortAudio reuses ``indata`` after the callback


class SoundDeviceOutput:
    """A real output (speaker) through a sounddevice ``OutputStream`` fed from a ring buffer."""

    def __init__(
        self, device: int | str | None = None, *, sample_rate: int = 48_000, buffer_s: float = 5.0
    ) -> None:
        self.device = device
        self.name = str(device or "default")
        self.sample_rate = sample_rate
        self.ring = RingBuffer(int(buffer_s * sample_rate), 1)
        self.underruns = 0
        self._stream: Any = None
        self._drained = threading.Event()
        self._drained.set()

    def start(self) -> None:
        """Open the output stream; raises :class:`AudioDeviceError` when it cannot."""
        sd = _sounddevice()

        if self._stream is not None:
            return
        try:
            stream = sd.OutputStream(
                device=resolve_device(self.device, "output"),
                samplerate=self.sample_rate,
                channels=1,
                dtype="float32",
                callback=self._callback,
            )
            stream.start()
        except (sd.PortAudioError, ValueError) as exc:
            raise AudioDeviceError(
                f"Haut-parleur « {self.name} » indisponible : vérifiez le câble et le volume.",
                f"Speaker '{self.name}' unavailable: check the cable and the volume.",
            ) from exc
        self._stream = stream

    def stop(self) -> None:
        """Close the stream (drops what was not played)."""
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.stop()
            stream.close()
        self.ring.clear()
        self._drained.set()

    def play(self, samples: np.ndarray) -> None:
        """Queue samples ``(n, 1)`` for playback (non-blocking, bounded)."""
        self._drained.clear()
        self.ring.write(samples)

    def play_tone(self, frequency: float = 440.0, duration_s: float = 1.0, volume: float = 0.3):
        """Queue the speaker test tone."""
        self.play(tone(frequency, duration_s, self.sample_rate, volume))

    def wait(self, timeout: float) -> bool:
        """Block until what was queued has been handed to the device (or timeout)."""
        return self._drained.wait(timeout)

    def _callback(self, outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        if status.output_underflow:
            self.underruns += 1
        data = self.ring.read(frames)
        outdata[: len(data)] = data
        outdata[len(data) :] = 0
        if self.ring.available == 0:
            self._drained.set()


@dataclass(frozen=True, slots=True)
class AudioDeviceInfo:
    """One audio device as PortAudio lists it."""

    index: int
    name: str
    hostapi: str
    max_input_channels: int
    max_output_channels: int
    default_sample_rate: float


def enumerate_audio_devices() -> list[AudioDeviceInfo]:
    """Every input and output PortAudio sees now (names as the OS gives them)."""
    sd = _sounddevice()

    apis = [a["name"] for a in sd.query_hostapis()]
    return [
        AudioDeviceInfo(
            i,
            d["name"],
            apis[d["hostapi"]],
            d["max_input_channels"],
            d["max_output_channels"],
            d["default_samplerate"],
        )
        for i, d in enumerate(sd.query_devices())
    ]


def resolve_device(device: int | str | None, kind: str) -> int | None:
    """Settings value (None/""/"default", an index, or part of a name) to a PortAudio index."""
    if device is None or device in ("", "default"):
        return None
    if isinstance(device, int) or str(device).isdigit():
        return int(device)
    wanted = str(device).lower()
    key = "max_input_channels" if kind == "input" else "max_output_channels"
    for info in enumerate_audio_devices():
        usable = getattr(info, key) > 0
        if usable and info.name.lower() == wanted:
            return info.index
    for info in enumerate_audio_devices():
        if getattr(info, key) > 0 and wanted in info.name.lower():
            return info.index
    raise AudioDeviceError(
        f"Périphérique audio « {device} » introuvable : choisissez-en un autre dans les réglages.",
        f"Audio device '{device}' not found: pick another one in the settings.",
    )
