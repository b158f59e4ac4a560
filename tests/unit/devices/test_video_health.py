"""Frozen / black detection and bilingual status messages."""

from __future__ import annotations

import numpy as np

from telecabine.devices.video_health import (
    FrameHealth,
    HealthThresholds,
    SourceStatus,
    status_message,
)


def test_frozen_after_identical_pictures_for_long_enough() -> None:
    h = FrameHealth(HealthThresholds(frozen_after_s=2.0))
    img = np.full((64, 64, 3), 100, np.uint8)
    assert h.feed(img, 0.0) == SourceStatus.OK
    assert h.feed(img.copy(), 1.0) == SourceStatus.OK
    assert h.feed(img.copy(), 3.1) == SourceStatus.FROZEN
    moved = img.copy()
    moved[0, 0] = 7
    assert h.feed(moved, 3.2) == SourceStatus.OK


def test_black_after_dark_pictures_for_long_enough() -> None:
    h = FrameHealth(HealthThresholds(black_luma=12, black_after_s=1.0))
    rng = np.random.default_rng(0)
    dark = [rng.integers(0, 8, (64, 64, 3), dtype=np.uint8) for _ in range(3)]
    assert h.feed(dark[0], 0.0) == SourceStatus.OK
    assert h.feed(dark[1], 1.5) == SourceStatus.BLACK
    assert h.feed(np.full((64, 64, 3), 80, np.uint8), 1.6) == SourceStatus.OK


def test_messages_say_what_to_do_in_both_languages() -> None:
    fr, en = status_message(SourceStatus.BLACK, "otoscope")
    assert "otoscope" in fr and "cache" in fr
    assert "Otoscope" in en and "lens cap" in en
    for status in SourceStatus:
        fr, en = status_message(status, "room")
        assert fr and en and fr != en
