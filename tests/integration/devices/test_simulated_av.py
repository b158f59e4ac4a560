"""Simulated A/V twins: distinguishable roles, readable timestamps (even after VP8), cheap,
a lub-dub heartbeat near 70 bpm, speech-like bursts."""

from __future__ import annotations

import time

import av
import numpy as np

from telecabine.devices.audio_dsp import StethoscopeFilter, band_energy_ratio
from telecabine.devices.simulated import (
    SimulatedAudioInput,
    SimulatedCamera,
    SimulatedSpeaker,
    heartbeat,
    speech_like,
)
from telecabine.devices.timestamp_code import band_height, read_band
from telecabine.devices.video_health import SourceStatus


def _frames(role: str, n: int = 3, size=(640, 360)):
    cam = SimulatedCamera(role, width=size[0], height=size[1], fps=30)
    cam.start()
    got = []
    try:
        deadline = time.monotonic() + 5
        while len(got) < n and time.monotonic() < deadline:
            seq, frame = cam.mailbox.latest()
            if frame is not None and (not got or got[-1].seq != seq):
                got.append(frame)
            time.sleep(0.01)
        assert cam.status == SourceStatus.OK
    finally:
        cam.stop()
    return got


def test_roles_look_different_and_carry_their_timestamp() -> None:
    means, thumbs = {}, {}
    for role in ("room", "otoscope", "dermatoscope", "document"):
        frames = _frames(role)
        body = frames[-1].image[band_height(360) + 40 :]
        means[role] = body.reshape(-1, 3).mean(axis=0)  # B, G, R
        thumbs[role] = body[::20, ::20].astype(int)
        for f in frames:
            reading = read_band(f.image)
            assert reading is not None and reading.seq == f.seq
            assert abs(reading.wall_clock - f.wall_clock) < 0.001
        a, b = frames[0].image[100:], frames[-1].image[100:]
        assert np.abs(a.astype(int) - b).sum() > 0  # something moves
    b, g, r = means["otoscope"]
    assert r > 1.5 * b and r > 1.5 * g  # red ear canal
    assert means["document"].min() > 200  # white page
    b, g, r = means["dermatoscope"]
    assert r > g > b  # skin tone
    names = list(thumbs)
    for i, x in enumerate(names):
        for y in names[i + 1 :]:
            assert np.abs(thumbs[x] - thumbs[y]).mean() > 25, (x, y)


def test_band_survives_vp8_at_720p() -> None:
    frame = _frames("room", 1, size=(1280, 720))[0]
    enc = av.CodecContext.create("libvpx", "w")
    enc.width, enc.height, enc.pix_fmt = 1280, 720, "yuv420p"
    enc.bit_rate = 600_000  # a poor link
    enc.options = {"deadline": "realtime", "cpu-used": "8"}
    dec = av.CodecContext.create("libvpx", "r")
    out = []
    for i in range(3):
        vf = av.VideoFrame.from_ndarray(frame.image, format="bgr24").reformat(format="yuv420p")
        vf.pts = i
        for pkt in enc.encode(vf):
            out += dec.decode(pkt)
    for pkt in enc.encode(None):
        out += dec.decode(pkt)
    assert out
    decoded = out[-1].to_ndarray(format="bgr24")
    reading = read_band(decoded)
    assert reading is not None and reading.seq == frame.seq


def test_720p30_synthesis_is_cheap() -> None:
    cam = SimulatedCamera("dermatoscope", width=1280, height=720, fps=30)
    cam.start()
    try:
        time.sleep(0.5)
        c0, t0, f0 = time.process_time(), time.monotonic(), cam.frames_captured
        time.sleep(2.0)
        cpu = (time.process_time() - c0) / (time.monotonic() - t0)
        fps = (cam.frames_captured - f0) / (time.monotonic() - t0)
    finally:
        cam.stop()
    assert fps > 25
    assert cpu < 0.35, f"simulated 720p30 costs {cpu:.0%} of a core"


def test_heartbeat_is_lub_dub_near_70_bpm() -> None:
    fs = 4000
    x = heartbeat(fs * 6, fs, 0.0)
    env = np.convolve(np.abs(x), np.ones(200) / 200, mode="same")
    above = env > 0.5 * env.max()
    onsets = np.flatnonzero(above[1:] & ~above[:-1])
    s1 = onsets[np.diff(np.concatenate([[-fs], onsets])) > 0.5 * fs]  # first sound of each beat
    bpm = 60 * fs / np.median(np.diff(s1))
    assert 65 < bpm < 75
    assert band_energy_ratio(x, fs, 20, 200) > 0.9


def test_speech_like_has_bursts_and_pauses() -> None:
    rng = np.random.default_rng(0)
    fs = 16000
    x = speech_like(fs * 4, fs, 0.0, rng)
    blocks = np.sqrt(np.mean(x[: fs * 4].reshape(-1, 320) ** 2, axis=1))
    assert blocks.max() > 0.05 and np.mean(blocks < 0.01) > 0.2


def test_simulated_inputs_and_speaker() -> None:
    steth = SimulatedAudioInput(
        "heartbeat", sample_rate=16000, processor=StethoscopeFilter(16000, "heart", 4.0)
    )
    mic = SimulatedAudioInput("speech")
    steth.start()
    mic.start()
    try:
        time.sleep(1.2)
        assert steth.running and mic.running
        beat = steth.read(16000)
        assert beat is not None and beat.shape[1] == 1
        assert steth.meter.max_rms_dbfs > -40 and mic.meter.max_rms_dbfs > -40
        assert mic.read(480).shape == (480, 1)
    finally:
        steth.stop()
        mic.stop()
    assert not mic.running
    spk = SimulatedSpeaker()
    spk.play_tone(440, 0.2)
    assert spk.wait(1.0) and spk.played_frames == 9600


def test_unplugged_microphone_is_stalled() -> None:
    mic = SimulatedAudioInput("speech")
    assert mic.stalled(time.monotonic())  # nothing yet
    mic.start()
    try:
        time.sleep(0.3)
        assert not mic.stalled(time.monotonic())
        mic.plugged = False
        time.sleep(0.3)
        assert mic.stalled(time.monotonic(), after_s=0.2)
        assert not mic.running
    finally:
        mic.stop()
