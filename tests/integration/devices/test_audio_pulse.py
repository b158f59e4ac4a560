"""The real sounddevice driver through PortAudio -> ALSA 'pulse' -> a PulseAudio null sink."""

from __future__ import annotations

import time

import numpy as np
import pytest

from telecabine.devices.audio import (
    AudioDeviceError,
    SoundDeviceInput,
    SoundDeviceOutput,
    enumerate_audio_devices,
    resolve_device,
)
from telecabine.devices.audio_dsp import StethoscopeFilter, band_energy_ratio


def test_enumeration_sees_pulse(pulse_null_sink: str) -> None:
    names = [d.name for d in enumerate_audio_devices()]
    assert "pulse" in names
    assert resolve_device("pulse", "input") == names.index("pulse")
    with pytest.raises(AudioDeviceError) as err:
        resolve_device("no such microphone", "input")
    assert "introuvable" in err.value.message_fr and "not found" in err.value.message_en


def test_tone_played_comes_back_with_level(pulse_null_sink: str) -> None:
    mic = SoundDeviceInput("pulse", sample_rate=48_000, buffer_s=2.0)
    out = SoundDeviceOutput("pulse", sample_rate=48_000)
    mic.start()
    out.start()
    try:
        time.sleep(0.3)
        mic.meter.reset()
        mic.ring.clear()
        silent_level = mic.meter.max_rms_dbfs
        out.play_tone(1000.0, 1.0, volume=0.5)
        assert out.wait(5.0)
        time.sleep(0.4)  # PulseAudio latency
        assert mic.running
        captured = mic.read(96_000)
        assert captured is not None and len(captured) > 24_000
        assert mic.meter.max_rms_dbfs > -15.0 > silent_level  # 0.5 sine = -9 dBFS RMS
        assert band_energy_ratio(captured, 48_000, 950, 1050) > 0.8
        assert mic.ring.available <= mic.ring._cap  # bounded, whatever happens
        assert mic.mailbox.latest()[0] > 10
    finally:
        out.stop()
        mic.stop()
    assert not mic.running


def test_stethoscope_input_filters_and_applies_gain(pulse_null_sink: str) -> None:
    steth = SoundDeviceInput(
        "pulse", sample_rate=16_000, processor=StethoscopeFilter(16_000, "heart", gain=2.0)
    )
    out = SoundDeviceOutput("pulse", sample_rate=48_000)
    steth.start()
    out.start()
    try:
        t = np.arange(48_000) / 48_000
        mix = 0.2 * np.sin(2 * np.pi * 60 * t) + 0.2 * np.sin(2 * np.pi * 2000 * t)
        steth.ring.clear()
        out.play(mix.astype(np.float32).reshape(-1, 1))
        assert out.wait(5.0)
        time.sleep(0.4)
        got = steth.read(32_000)
        assert got is not None and got.shape[1] == 1
        assert band_energy_ratio(got, 16_000, 40, 80) > 0.8  # the 2 kHz part is gone
    finally:
        out.stop()
        steth.stop()


def test_missing_device_is_a_clear_error(pulse_null_sink: str) -> None:
    with pytest.raises(AudioDeviceError):
        SoundDeviceInput(999).start()
