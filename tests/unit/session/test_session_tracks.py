"""Outgoing video track: newest frame only, in-place source switch, no black gap."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from telecabine.devices.mailbox import LatestValueMailbox, VideoFrame
from telecabine.session.tracks import MixedAudioTrack, SwitchableVideoTrack


def _px(frame) -> int:
    """Blue value of the top-left pixel (I420 round trip moves it by a level or two)."""
    return int(frame.to_ndarray(format="bgr24")[0, 0, 0])


def _frame(value: int, seq: int) -> VideoFrame:
    img = np.full((72, 128, 3), value, np.uint8)
    return VideoFrame(image=img, seq=seq, captured_at=time.monotonic(), wall_clock=time.time())


async def test_recv_returns_newest_frame_not_a_queue():
    box: LatestValueMailbox[VideoFrame] = LatestValueMailbox()
    track = SwitchableVideoTrack(box, "room", fps=30)
    for i in range(5):
        box.put(_frame(10 * i, i))
    frame = await track.recv()
    assert _px(frame) == pytest.approx(40, abs=3)  # only the newest of 5
    box.put(_frame(77, 6))
    assert _px(await track.recv()) == pytest.approx(77, abs=3)


async def test_switch_uses_new_source_and_repeats_last_picture_until_it_delivers():
    room: LatestValueMailbox[VideoFrame] = LatestValueMailbox()
    oto: LatestValueMailbox[VideoFrame] = LatestValueMailbox()
    track = SwitchableVideoTrack(room, "room", fps=30)
    room.put(_frame(50, 1))
    first = await track.recv()
    track.set_source(oto, "otoscope")
    t0 = time.monotonic()
    repeat = await track.recv()  # otoscope has nothing yet: last picture, within ~2 intervals
    assert time.monotonic() - t0 < 0.1
    assert _px(repeat) == pytest.approx(50, abs=3) and track.repeats == 1
    assert repeat.pts > first.pts
    oto.put(_frame(200, 1))
    got = await track.recv()
    assert _px(got) == pytest.approx(200, abs=3) and track.role == "otoscope"


async def test_switch_wakes_a_waiting_recv_at_once():
    room: LatestValueMailbox[VideoFrame] = LatestValueMailbox()
    oto: LatestValueMailbox[VideoFrame] = LatestValueMailbox()
    track = SwitchableVideoTrack(room, "room", fps=2)  # long interval: a late wake would show
    room.put(_frame(1, 1))
    await track.recv()
    oto.put(_frame(9, 1))
    pending = asyncio.ensure_future(track.recv())
    await asyncio.sleep(0.01)
    track.set_source(oto, "otoscope")
    got = await asyncio.wait_for(pending, 0.2)
    assert _px(got) == pytest.approx(9, abs=3)


async def test_720p_cap_downscales_1080p():
    box: LatestValueMailbox[VideoFrame] = LatestValueMailbox()
    img = np.zeros((1080, 1920, 3), np.uint8)
    box.put(VideoFrame(image=img, seq=1, captured_at=time.monotonic(), wall_clock=time.time()))
    frame = await SwitchableVideoTrack(box, "room", max_height=720).recv()
    assert (frame.width, frame.height) == (1280, 720)


class _Tone:
    sample_rate = 48_000

    def __init__(self, level: float) -> None:
        self.level = level

    def read(self, frames: int):
        return np.full((frames, 1), self.level, np.float32)


async def test_audio_mixes_stethoscope_only_when_on_and_mutes():
    track = MixedAudioTrack(_Tone(0.1), _Tone(0.5))
    off = (await track.recv()).to_ndarray()
    assert abs(int(off[0, 0]) - int(0.1 * 32767)) <= 1
    track.stethoscope_on = True
    on = (await track.recv()).to_ndarray()
    assert abs(int(on[0, 0]) - int((0.03 + 0.5) * 32767)) <= 2
    track.muted = True
    assert not (await track.recv()).to_ndarray().any()
