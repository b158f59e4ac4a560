"""Tuned video encoders: the settings reach libvpx/libx264, bitrate moves, keyframes on request."""

from __future__ import annotations

import fractions
import time

import av
import numpy as np
import pytest
from aiortc import rtcrtpsender
from aiortc.codecs import opus
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from telecabine.session import encoders
from telecabine.session.encoders import (
    ENCODE_STATS,
    TunedH264Encoder,
    TunedVp8Encoder,
    VideoEncoding,
)


def _frames(n: int, w: int = 640, h: int = 360, captured: bool = True):
    rng = np.random.default_rng(3)
    base = rng.integers(0, 255, (h * 3 // 2, w // 8), dtype=np.uint8).repeat(8, 1)
    for i in range(n):
        frame = av.VideoFrame.from_ndarray(np.roll(base, i, axis=1), format="yuv420p")
        frame.pts, frame.time_base = i * 3000, fractions.Fraction(1, 90_000)
        if captured:
            frame.opaque = time.monotonic() - 0.005
        yield frame


@pytest.mark.parametrize("cls", [TunedVp8Encoder, TunedH264Encoder])
def test_encoder_produces_rtp_payloads_with_the_frame_timestamp(cls):
    enc = cls()
    sizes = []
    for frame in _frames(5):
        pts = frame.pts  # PyAV rescales the frame's pts to the codec's time base in place
        payloads, timestamp = enc.encode(frame)
        assert payloads and all(len(p) <= 1300 for p in payloads)
        assert abs(timestamp - pts) <= 1  # 90 kHz RTP clock, rounding through 1/30 s
        sizes.append(sum(map(len, payloads)))
    assert sizes[0] > sizes[-1]  # a keyframe first, then cheaper inter frames


def test_vp8_runs_fast_single_threaded_without_denoiser():
    enc = TunedVp8Encoder(VideoEncoding(codec="VP8", vp8_speed=10))
    enc.encode(next(_frames(1)))
    assert enc.codec.options == {}  # libvpx accepted every option (unknown ones stay here)
    opts = enc.options(enc.codec.bit_rate)
    assert opts["cpu-used"] == "-10" and opts["noise-sensitivity"] == "0"
    assert opts["deadline"] == "realtime" and opts["lag-in-frames"] == "0"
    assert enc.codec.thread_count == 1


def test_h264_uses_the_realtime_preset_and_a_vbv_cap():
    enc = TunedH264Encoder(VideoEncoding(h264_preset="ultrafast"))
    enc.encode(next(_frames(1)))
    assert enc.codec.options == {}  # libx264 accepted every option
    opts = enc.options(enc.codec.bit_rate)
    assert opts["preset"] == "ultrafast" and opts["tune"] == "zerolatency"
    assert opts["maxrate"] == opts["bufsize"] == str(encoders.START_BPS)


def test_vp8_bitrate_estimate_reopens_the_codec_within_range():
    encoders.set_bitrate_range()
    enc = TunedVp8Encoder()
    frames = _frames(3)
    enc.encode(next(frames))
    first = enc.codec
    enc.target_bitrate = 10_000_000  # REMB far above: clamped to the maximum
    enc.encode(next(frames))
    assert enc.codec is not first and enc.codec.bit_rate == encoders.MAX_BPS
    same = enc.codec
    enc.target_bitrate = int(encoders.MAX_BPS * 0.95)  # under 10 %: no reopen
    enc.encode(next(frames))
    assert enc.codec is same


def test_h264_bitrate_estimate_retunes_the_codec_in_place_without_a_keyframe():
    encoders.set_bitrate_range()
    enc = TunedH264Encoder()
    frames = list(_frames(4))
    enc.encode(frames[0])
    first = enc.codec
    enc.target_bitrate = 10_000_000  # REMB far above: clamped to the maximum
    enc.encode(frames[1])
    assert enc.codec is first  # no reopen, so no keyframe
    assert first.bit_rate == first.max_bit_rate == first.rc_buffer_size == encoders.MAX_BPS
    enc.target_bitrate = 400_000
    payloads, _ = enc.encode(frames[2])
    assert enc.codec is first and first.bit_rate == 400_000
    assert payloads and not _idr(payloads)  # an inter frame, not a new IDR picture
    assert _idr(enc.encode(frames[3], force_keyframe=True)[0])  # (the check can see one)


def _idr(payloads: list[bytes]) -> bool:
    """Any IDR slice or SPS in these RTP payloads (single NAL, STAP-A or FU-A, RFC 6184)?"""
    types = set()
    for p in payloads:
        nal = p[0] & 0x1F
        if nal == 28:  # FU-A: the real type is in the FU header
            types.add(p[1] & 0x1F)
        elif nal == 24:  # STAP-A: 2-byte sizes then NAL units
            i = 1
            while i + 2 < len(p):
                size = int.from_bytes(p[i : i + 2], "big")
                types.add(p[i + 2] & 0x1F)
                i += 2 + size
        else:
            types.add(nal)
    return bool(types & {5, 7})


def test_h264_budget_follows_the_real_frame_rate():
    """libx264 budgets 1/30 s a frame: at 15 fps it is given 2x the target to send the target
    (at most 2.5x, whatever the rate)."""
    enc = TunedH264Encoder()
    enc.target_bitrate = 1_000_000
    for i, frame in enumerate(_frames(40)):
        frame.pts = i * 6000  # 15 fps on the 90 kHz clock
        enc.encode(frame)
    assert enc.codec.bit_rate == pytest.approx(2_000_000, rel=0.06)
    for i, frame in enumerate(_frames(40)):
        frame.pts = (40 + i) * 18000  # 5 fps
        enc.encode(frame)
    assert enc.codec.bit_rate == pytest.approx(2_500_000, rel=0.06)
    enc2 = TunedH264Encoder()
    enc2.target_bitrate = 1_000_000
    for frame in _frames(40):  # 30 fps
        enc2.encode(frame)
    assert enc2.codec.bit_rate == 1_000_000


def test_bitrate_ceiling_holds_against_remb():
    enc = TunedH264Encoder()
    enc.max_bitrate = 1_000_000
    enc.target_bitrate = 2_500_000  # REMB above the ceiling
    assert enc.target_bitrate == 1_000_000
    enc.max_bitrate = None
    enc.target_bitrate = 2_500_000
    assert enc.target_bitrate == 2_500_000


def test_h264_stream_says_its_colour_matrix():
    """OpenCV's I420 is BT.601: without saying so, Chromium decodes 720p as BT.709."""
    opts = TunedH264Encoder().options(1_000_000)
    assert "colormatrix=smpte170m" in opts["x264-params"] and "range=tv" in opts["x264-params"]


def test_keyframe_on_request_is_larger_than_an_inter_frame():
    enc = TunedH264Encoder()
    frames = list(_frames(4))
    for f in frames[:2]:
        enc.encode(f)
    inter = sum(map(len, enc.encode(frames[2])[0]))
    key = sum(map(len, enc.encode(frames[3], force_keyframe=True)[0]))
    assert key > 2 * inter


def test_stats_count_frames_cost_and_capture_delay():
    ENCODE_STATS.reset()
    enc = TunedVp8Encoder()
    for frame in _frames(3):
        enc.encode(frame)
    s = ENCODE_STATS.summary()
    assert s["codec"] == "VP8" and s["frames"] == 3
    assert s["encode_cpu_ms"] > 0 and s["capture_to_encoded_p50_ms"] >= 5


def test_install_swaps_aiortc_video_encoders_only(monkeypatch):
    monkeypatch.setattr(rtcrtpsender, "get_encoder", rtcrtpsender.get_encoder)
    encoders.install(VideoEncoding(codec="VP8", vp8_speed=8))

    def codec(mime, rate=90_000):
        return RTCRtpCodecParameters(mimeType=mime, clockRate=rate, payloadType=96)

    vp8 = rtcrtpsender.get_encoder(codec("video/VP8"))
    assert isinstance(vp8, TunedVp8Encoder) and vp8._encoding.vp8_speed == 8
    assert isinstance(rtcrtpsender.get_encoder(codec("video/H264")), TunedH264Encoder)
    audio = rtcrtpsender.get_encoder(RTCRtpCodecParameters(
        mimeType="audio/opus", clockRate=48_000, channels=2, payloadType=111))  # fmt: skip
    assert isinstance(audio, opus.OpusEncoder)
    encoders.install()  # back to the default for the rest of the process
