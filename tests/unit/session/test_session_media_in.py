"""Remote video kept as the newest frame: converted once per new frame and display width."""

from __future__ import annotations

import av
import numpy as np

from telecabine.session.media_in import RemoteVideo


def _frame(value: int) -> av.VideoFrame:
    return av.VideoFrame.from_ndarray(np.full((480, 640, 3), value, np.uint8), format="rgb24")


def test_same_frame_same_width_is_converted_once():
    remote = RemoteVideo()
    assert remote.latest_rgb(320) is None
    remote.push(_frame(100))
    first = remote.latest_rgb(320)
    assert first.shape == (240, 320, 3) and abs(int(first[0, 0, 0]) - 100) <= 2
    assert remote.latest_rgb(320) is first and remote.conversions == 1  # display tick, no new frame
    assert remote.latest_rgb(None).shape == (480, 640, 3) and remote.conversions == 2
    remote.push(_frame(200))
    newer = remote.latest_rgb(320)
    assert abs(int(newer[0, 0, 0]) - 200) <= 2 and remote.conversions == 3
    assert remote.frames == 2 and remote.size == (640, 480)


def test_any_display_width_gives_contiguous_rows_a_qimage_can_wrap():
    """FFmpeg pads rows (an 837-px-wide picture came back strided): the call screen's QImage
    takes ``rgb.data``, which raises BufferError on a strided array — the doctor's video stayed
    black and each display tick left a traceback."""
    remote = RemoteVideo()
    remote.push(av.VideoFrame.from_ndarray(np.zeros((720, 1280, 3), np.uint8), format="rgb24"))
    for width in (320, 837, 846, 1000, 1279):
        rgb = remote.latest_rgb(width)
        assert rgb.shape[1] == width and rgb.flags["C_CONTIGUOUS"]
        memoryview(rgb)  # what QImage(rgb.data, ...) needs
