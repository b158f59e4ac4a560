"""Timestamp band: exact round trip, survives lossy coding, rejects pictures without a band."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from telecabine.devices.timestamp_code import (
    CELLS,
    band_height,
    draw_band,
    encode_bits,
    read_band,
)


@settings(max_examples=60, deadline=None)
@given(
    ms=st.integers(min_value=0, max_value=(1 << 48) - 1),
    seq=st.integers(min_value=0, max_value=10**7),
    width=st.sampled_from([320, 640, 1280, 1920]),
)
def test_round_trip_exact(ms: int, seq: int, width: int) -> None:
    img = np.full((width * 9 // 16, width, 3), 90, np.uint8)
    draw_band(img, ms / 1000, seq)
    got = read_band(img)
    assert got is not None
    assert got.wall_clock_ms == ms
    assert got.seq == seq % 65536


def test_layout_matches_docstring() -> None:
    bits = encode_bits(0.001, 1)
    assert bits.size == CELLS
    assert bits[0] == 1 and bits[1] == 0
    assert bits[2 + 47] == 1  # ms = 1 -> last timestamp bit
    assert bits[50 + 15] == 1  # seq = 1 -> last counter bit
    img = np.zeros((720, 1280, 3), np.uint8)
    draw_band(img, 0.001, 1)
    assert band_height(720) == 24
    assert img[23, 0, 0] == 255 and img[24, 0, 0] == 0  # band is rows 0..23
    assert (img[:24, CELLS * (1280 // CELLS) :] == 128).all()  # right margin grey


def test_survives_jpeg_at_low_quality_and_grey() -> None:
    rng = np.random.default_rng(1)
    img = rng.integers(0, 255, (720, 1280, 3), dtype=np.uint8)
    draw_band(img, 1_795_000_000.123, 4242)
    ok, enc = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 20])
    assert ok
    decoded = cv2.imdecode(enc, cv2.IMREAD_COLOR)
    got = read_band(decoded)
    assert got is not None and got.wall_clock_ms == 1_795_000_000_123 and got.seq == 4242
    grey = cv2.cvtColor(decoded, cv2.COLOR_BGR2GRAY)
    assert read_band(grey) == got


def test_no_band_reads_none() -> None:
    rng = np.random.default_rng(2)
    assert read_band(np.full((480, 640, 3), 200, np.uint8)) is None
    noisy = rng.integers(0, 255, (480, 640, 3), dtype=np.uint8)
    draw_band(noisy, 12.0, 3)
    noisy[:10, 300:340] = 255 - noisy[:10, 300:340]  # damage some cells: check byte rejects
    assert read_band(noisy) is None or read_band(noisy).seq == 3


def test_too_narrow_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="too narrow"):
        draw_band(np.zeros((100, 200, 3), np.uint8), 1.0, 1)
    assert read_band(np.zeros((100, 200, 3), np.uint8)) is None


def test_reads_a_picture_received_scaled_down() -> None:
    img = np.full((720, 1280, 3), 70, np.uint8)
    draw_band(img, 1_795_000_000.5, 77)
    small = cv2.resize(img, (640, 360), interpolation=cv2.INTER_AREA)
    got = read_band(small, source_size=(1280, 720))
    assert got is not None and got.seq == 77 and got.wall_clock_ms == 1_795_000_000_500
