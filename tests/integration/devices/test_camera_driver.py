"""The real OpenCV driver against a real video file (cv2.VideoCapture), and /dev/video* if any."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from telecabine.devices.camera import OpenCVCamera, enumerate_cameras
from telecabine.devices.video_health import SourceEvent, SourceStatus


def _write_avi(path: Path, frames: int = 20, size=(320, 240), fps: float = 20.0) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    assert writer.isOpened()
    for i in range(frames):
        img = np.full((size[1], size[0], 3), 60, np.uint8)
        cv2.putText(img, str(i), (20, 120), cv2.FONT_HERSHEY_SIMPLEX, 3, (255, 255, 255), 4)
        img[:, (i * 13) % size[0]] = (0, 255, 0)
        writer.write(img)
    writer.release()
    return path


def _wait(cond, timeout: float = 5.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.02)
    return cond()


def test_file_source_reads_negotiates_and_ends_as_unplugged(tmp_path: Path) -> None:
    path = _write_avi(tmp_path / "clip.avi", frames=20, fps=20.0)
    cam = OpenCVCamera(str(path), "otoscope", width=1280, height=720, fps=30)
    events: list[SourceEvent] = []
    done = threading.Event()

    def on_event(e: SourceEvent) -> None:
        events.append(e)
        if e.status == SourceStatus.LOST:
            done.set()

    cam.add_listener(on_event)
    cam.start()
    try:
        assert done.wait(5), "a file that ends must become 'lost'"
        assert (cam.width, cam.height) == (320, 240)  # what the file gives, not what we asked
        assert cam.fps == pytest.approx(20.0)
        assert cam.frames_captured == 20
        seq, frame = cam.mailbox.latest()
        assert seq == 20 and frame.image.shape == (240, 320, 3)
        kinds = [e.kind for e in events]
        assert kinds[:2] == ["camera_starting", "camera_ok"]
        lost = events[-1]
        assert lost.kind == "camera_lost" and lost.detail == "end of stream"
        assert lost.at.tzinfo is not None and lost.is_incident
        assert "débranchée" in lost.message_fr and "unplugged" in lost.message_en
        # paced at the file's rate: 20 frames at 20 fps take about a second
        first_ok = next(e for e in events if e.kind == "camera_ok")
        assert 0.6 < (lost.at - first_ok.at).total_seconds() < 3.0
        time.sleep(0.3)
        assert cam.status == SourceStatus.LOST and cam.frames_captured == 20  # no reopen
    finally:
        cam.stop()
    assert cam.status == SourceStatus.STOPPED


def test_looping_file_keeps_going(tmp_path: Path) -> None:
    path = _write_avi(tmp_path / "loop.avi", frames=5, fps=50.0)
    cam = OpenCVCamera(str(path), "room", loop=True)
    cam.start()
    try:
        assert _wait(lambda: cam.frames_captured > 12)
        assert cam.status == SourceStatus.OK
        assert cam.measured_fps > 20
    finally:
        cam.stop()


def test_missing_file_is_lost_not_a_crash(tmp_path: Path) -> None:
    cam = OpenCVCamera(str(tmp_path / "absent.avi"), "document")
    cam.start()
    try:
        assert _wait(lambda: cam.status == SourceStatus.LOST, 3)
        assert cam.events[-1].detail == "open failed"
    finally:
        cam.stop()


def test_enumerate_lists_what_the_os_has() -> None:
    found = enumerate_cameras()
    devs = sorted(Path("/dev").glob("video*"))
    assert len(found) <= len(devs)
    for info in found:
        assert info.source.startswith("/dev/video") and info.name


@pytest.mark.skipif(not list(Path("/dev").glob("video*")), reason="no /dev/video* here")
def test_real_v4l2_camera_when_present() -> None:
    info = enumerate_cameras()[0]
    cam = OpenCVCamera(info.source, "room", width=640, height=480, fps=30)
    cam.start()
    try:
        assert _wait(lambda: cam.frames_captured > 5, 8)
        assert cam.width > 0 and cam.height > 0
    finally:
        cam.stop()
