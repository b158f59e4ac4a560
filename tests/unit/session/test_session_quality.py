"""Connection quality words and sustained-poor detection."""

from __future__ import annotations

from telecabine.session.quality import QualityTracker, Sample, classify, describe


def test_levels_from_rtt_loss_bitrate():
    assert classify(Sample(0.05, 0.0, 2_000_000)) == "good"
    assert classify(Sample(0.4, 0.0, 2_000_000)) == "fair"
    assert classify(Sample(0.05, 0.10, 2_000_000)) == "poor"
    assert classify(Sample(0.05, 0.0, 5_000)) == "none"
    assert classify(Sample(None, None, None)) == "good"


def test_words_are_french_first_and_plain():
    assert describe("poor").startswith("Mauvaise connexion")
    assert describe("good", "en") == "Good connection"


def test_poor_quality_reported_once_after_sustained_period():
    t = QualityTracker(sustained_s=10)
    bad = Sample(1.0, 0.2, 50_000)
    assert [t.update(bad, float(s)) for s in range(0, 12, 2)] == [False] * 5 + [True]
    assert t.update(bad, 14.0) is False  # same episode: once
    assert t.update(Sample(0.05, 0.0, 2e6), 16.0) is False
    assert t.level == "good"
    assert t.update(bad, 17.0) is False  # a new episode starts counting again


def test_resolution_steps_down_when_encoder_lags_and_back_up_later():
    from telecabine.session.quality import ResolutionAdapter

    r = ResolutionAdapter(720, 30, down_after_s=3, up_after_s=10)
    assert r.update(12, 0) is None and r.update(12, 2) is None
    assert r.update(12, 3) == 540
    assert r.update(12, 4) is None and r.update(12, 7) == 360
    assert r.update(12, 20) is None  # already at the bottom
    assert r.update(29, 21) is None and r.update(30, 31) == 540
    assert r.update(25, 32) is None  # in between: hold
    assert r.height == 540


def test_resolution_ladder_respects_configured_cap():
    from telecabine.session.quality import ResolutionAdapter

    r = ResolutionAdapter(540, 30, down_after_s=1)
    assert r.height == 540 and r.update(5, 0) is None and r.update(5, 1) == 360


def test_resolution_steps_up_when_the_next_size_would_leave_the_encoder_idle_enough():
    from telecabine.session.quality import ResolutionAdapter

    r = ResolutionAdapter(720, 30, down_after_s=1, up_after_s=10)
    r.update(10, 0, encode_busy=0.9)
    assert r.update(10, 1, encode_busy=0.05) == 540  # low fps steps down, busy or not
    r.update(10, 2, encode_busy=0.9)
    assert r.update(10, 3, encode_busy=0.9) == 360
    # 22 fps at 360 lines, encoder busy 8 %: 540 lines (2.25x the pixels) keeps it at 18 %.
    assert r.update(22, 4, encode_busy=0.08) is None and r.update(22, 14, encode_busy=0.08) == 540
    # At 540 lines, busy 20 %: 720 lines (1.78x) would make it 36 %, over a quarter: hold.
    assert r.update(22, 15, encode_busy=0.20) is None and r.update(22, 40, encode_busy=0.20) is None
    # An idle encoder but a poor frame rate: no step up either.
    assert r.update(15, 41, encode_busy=0.01) is None and r.update(15, 60, encode_busy=0.01) == 360
    assert r.height == 360
