"""The picture-quality benchmark: frame matching by the band, and a quick real run's JSON."""

from __future__ import annotations

import fractions
import json
import os
import subprocess
import sys
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from bench import quality as q
from telecabine.devices.timestamp_code import draw_band, read_band
from telecabine.session import encoders

ROOT = Path(__file__).resolve().parents[2]


def test_fifty_frames_through_the_station_encoder_match_their_sources():
    """Real libx264 (the station's tuned encoder) and FFmpeg's decoder: every decoded frame is
    found by its band, scores high against its own source and lower against another frame."""
    encoders.install()
    # The libx264 context the station's tuned encoder opens (its preset, VBV, VUI), at 1 Mb/s.
    enc = encoders.TunedH264Encoder()
    enc.target_bitrate = 1_000_000
    codec = enc._open(q.W, q.H)
    dec = av.CodecContext.create("h264", "r")
    segments = {0: "texture", 1: "room"}  # a camera switch half way
    sent = [i + 1 if i < 25 else q.SEGMENT + i for i in range(50)]
    captures: list[q.Capture] = []
    for i, seq in enumerate(sent):
        img = q.scene_frame(q.scene(segments[seq // q.SEGMENT]), seq)
        draw_band(img, 1_700_000_000.0 + i / 30, seq)
        frame = av.VideoFrame.from_ndarray(cv2.cvtColor(img, cv2.COLOR_BGR2YUV_I420), "yuv420p")
        frame.pts, frame.time_base = i * 3000, fractions.Fraction(1, 90_000)
        packets = list(codec.encode(frame))
        if i == len(sent) - 1:
            packets += codec.encode(None)  # flush both ends
        decoded = [out for pkt in packets for out in dec.decode(pkt)]
        if i == len(sent) - 1:
            decoded += dec.decode(None)
        for out in decoded:
            bgr = out.to_ndarray(format="bgr24")
            reading = read_band(bgr)
            assert reading is not None
            captures.append(q.Capture("cell", reading.seq, (q.W, q.H),
                                      cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY), None))  # fmt: skip
    assert [c.seq for c in captures] == sent  # 50 frames, each found by its own counter
    scores = q.score(captures, segments)["cell"]
    assert scores["frames"] == 50
    assert scores["ssim_p50"] > 0.8
    assert scores["ssim_p50_against_wrong_frame"] < scores["ssim_p50"] - 0.05
    assert 25 < scores["psnr_p50_db"] < 60


@pytest.mark.timeout(240)
def test_quick_quality_run_writes_complete_json(tmp_path: Path):
    env = {**os.environ, "BENCH_RESULTS_DIR": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-m", "bench", "--quick", "quality"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=230)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    r = json.loads((tmp_path / "quality.quick.json").read_text())
    assert r["name"] == "quality" and r["anchor"] and r["goal"]
    assert 0 < r["value"] <= 1 and 0 < r["anchor_value"] <= 1
    d = r["details"]
    # The Chromium sender draws the scenes pixel for pixel like the station's camera.
    assert d["anchor_canvas_check"]["max_abs_diff"] == 0
    for who in ("station", "chromium"):
        side = d[who]
        assert side["frames_matched"] >= 8, side
        for label, cell in side["cells"].items():
            assert cell["frames"] >= 1, (who, label)
            assert 0 < cell["ssim_p5"] <= cell["ssim_p50"] <= 1
            assert cell["psnr_p50_db"] > 15
            assert cell["received_kbps"] > 0
            if label.startswith("texture"):  # matched to the right source frame, not a neighbour
                assert cell["ssim_p50_against_wrong_frame"] < cell["ssim_p50"]
        ramp = side["ramp"]
        assert ramp["series"] and {"t", "mbps", "w", "h", "fps"} <= set(ramp["series"][-1])
        assert ramp["series"][-1]["t"] >= 2
    assert set(d["comparison"]) == {"texture@settled", "texture@1.0", "room@1.0"}
    assert {"station_time_to_1_5_mbps_s", "chromium_time_to_1_5_mbps_s", "station_time_to_720p_s",
            "chromium_time_to_720p_s", "station_time_to_1_5_mbps_held_2s_s",
            "chromium_time_to_1_5_mbps_held_2s_s"} == set(d["ramp"])  # fmt: skip
    assert d["load_average_1_5_15"]
    for png in (d["plot"], d["side_by_side"]):
        img = cv2.imread(str(tmp_path / png))
        assert img is not None and img.size > 0 and np.ptp(img) > 0
