"""Audio helpers: bounded ring buffer, dBFS meter, biquad band-pass, test tone."""

from __future__ import annotations

import math
from collections import deque

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from telecabine.devices.audio_dsp import (
    Biquad,
    LevelMeter,
    RingBuffer,
    StethoscopeFilter,
    band_energy_ratio,
    dbfs,
    tone,
)


def test_ring_buffer_keeps_order_and_never_grows() -> None:
    rb = RingBuffer(10)
    rb.write(np.arange(6, dtype=np.float32))
    assert rb.read(4).ravel().tolist() == [0, 1, 2, 3]
    rb.write(np.arange(6, 14, dtype=np.float32))  # wraps; 10 held max -> oldest dropped
    assert rb.available == 10
    assert rb.dropped == 0
    rb.write(np.array([14, 15], np.float32))
    assert rb.dropped == 2 and rb.available == 10
    assert rb.read(100).ravel().tolist() == list(range(6, 16))
    assert rb.read(5).shape == (0, 1)
    rb.write(np.arange(25, dtype=np.float32))  # bigger than capacity: newest 10 kept
    assert rb.read(10).ravel().tolist() == list(range(15, 25))


def test_level_meter_dbfs() -> None:
    m = LevelMeter()
    m.update(tone(1000, 0.5, 48_000, volume=1.0, fade_s=0))
    assert m.rms_dbfs == pytest.approx(-3.01, abs=0.05)
    assert m.peak_dbfs == pytest.approx(0.0, abs=0.01)
    m.update(np.zeros((480, 1), np.float32))
    assert m.rms_dbfs == -120.0 and m.max_rms_dbfs > -4
    assert dbfs(0.1) == pytest.approx(-20.0)


def _gain(filt, freq: float, fs: int) -> float:
    x = tone(freq, 1.0, fs, volume=0.5, fade_s=0).ravel()
    y = np.concatenate([filt(x[i : i + 320].reshape(-1, 1)).ravel() for i in range(0, x.size, 320)])
    tail = y[fs // 2 :]  # after the transient
    return 20 * math.log10(np.sqrt(np.mean(tail**2)) / (0.5 / math.sqrt(2)))


def test_stethoscope_heart_and_lung_bands() -> None:
    fs = 16_000
    heart = StethoscopeFilter(fs, "heart", gain=1.0)
    assert _gain(heart, 80, fs) > -3
    assert _gain(StethoscopeFilter(fs, "heart", gain=1.0), 1000, fs) < -30
    assert _gain(StethoscopeFilter(fs, "heart", gain=1.0), 5, fs) < -20
    assert _gain(StethoscopeFilter(fs, "lung", gain=1.0), 400, fs) > -3
    assert _gain(StethoscopeFilter(fs, "lung", gain=1.0), 30, fs) < -20
    assert _gain(StethoscopeFilter(fs, "lung", gain=2.0), 400, fs) == pytest.approx(6, abs=1)
    with pytest.raises(ValueError, match="heart or lung"):
        StethoscopeFilter(fs, "belly")  # type: ignore[arg-type]


def test_biquad_state_carries_across_blocks() -> None:
    x = np.random.default_rng(0).normal(size=4000).astype(np.float32)
    one = Biquad.lowpass(16_000, 500).process(x)
    bq = Biquad.lowpass(16_000, 500)
    split = np.concatenate([bq.process(x[:1234]), bq.process(x[1234:])])
    np.testing.assert_allclose(one, split, rtol=1e-5, atol=1e-6)


def test_tone_has_energy_at_its_frequency_and_no_click() -> None:
    t = tone(440, 0.5, 48_000)
    assert band_energy_ratio(t, 48_000, 430, 450) > 0.95
    assert abs(t[0, 0]) < 1e-3 and abs(t[-1, 0]) < 0.02


@settings(max_examples=150, deadline=None)
@given(
    capacity=st.integers(1, 40),
    ops=st.lists(
        st.one_of(
            st.tuples(st.just("w"), st.integers(0, 60)), st.tuples(st.just("r"), st.integers(0, 60))
        ),
        max_size=40,
    ),
)
def test_ring_buffer_behaves_like_a_bounded_deque(capacity: int, ops) -> None:
    rb, model, counter, dropped = RingBuffer(capacity), deque(maxlen=capacity), 0, 0
    for op, n in ops:
        if op == "w":
            block = np.arange(counter, counter + n, dtype=np.float32)
            counter += n
            dropped += max(0, len(model) + n - capacity)
            model.extend(block.tolist())
            rb.write(block)
        else:
            got = rb.read(n).ravel().tolist()
            want = [model.popleft() for _ in range(min(n, len(model)))]
            assert got == want
        assert rb.available == len(model) <= capacity
    assert rb.dropped == dropped
