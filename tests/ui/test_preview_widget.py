"""Live preview: shows frames from a simulated camera, newest only, one conversion per frame."""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtGui import QColor

from telecabine.devices.mailbox import LatestValueMailbox, VideoFrame
from telecabine.devices.simulated import SimulatedCamera
from telecabine.ui.widgets.preview import VideoPreview


def test_preview_shows_frames_from_a_simulated_camera(qtbot) -> None:
    cam = SimulatedCamera("otoscope", width=640, height=480, fps=30)
    view = VideoPreview()
    qtbot.addWidget(view)
    view.resize(320, 240)
    view.show()
    cam.start()
    try:
        view.set_source(cam.mailbox)
        qtbot.waitUntil(lambda: view.frames_shown >= 10, timeout=5000)
    finally:
        cam.stop()
    assert view._scaled is not None
    assert (view._scaled.width(), view._scaled.height()) == (320, 240)
    shot = view.grab().toImage()
    centre = QColor(shot.pixel(160, 120))
    assert centre.red() > 100 and centre.red() > centre.blue()  # the reddish ear canal
    assert view.busy_s > 0


def _frame(seq: int) -> VideoFrame:
    img = np.full((90, 160, 3), seq % 255, np.uint8)
    return VideoFrame(image=img, seq=seq, captured_at=time.monotonic(), wall_clock=time.time())


def test_slow_display_skips_frames_and_never_converts_twice(qtbot) -> None:
    box: LatestValueMailbox[VideoFrame] = LatestValueMailbox()
    view = VideoPreview()
    qtbot.addWidget(view)
    view.resize(160, 90)
    view._mailbox = box  # drive ticks by hand: no timer
    view._on_tick()
    assert view.frames_shown == 0  # nothing yet: placeholder
    for i in range(1, 6):
        box.put(_frame(i))
    view._on_tick()
    view._on_tick()  # same seq: no second conversion
    assert view.frames_shown == 1
    assert view._last_seq == 5
    for i in range(6, 10):
        box.put(_frame(i))
    view._on_tick()
    assert view.frames_shown == 2 and view.frames_skipped == 3


def test_placeholder_without_source(qtbot) -> None:
    view = VideoPreview()
    qtbot.addWidget(view)
    view.set_placeholder("Pas d'image")
    view.set_source(None)
    view.resize(200, 100)
    shot = view.grab().toImage()
    assert QColor(shot.pixel(2, 2)).red() == 0  # black letterbox, nothing drawn
    assert view.frames_shown == 0
