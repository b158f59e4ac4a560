"""Camera driver: OpenCV capture in its own thread, publishing into a latest-value mailbox.

The thread, mailbox, status detection (lost / frozen / black), listeners and reopen backoff
live in :mod:`telecabine.devices.video_source`; this module opens real cameras and video
files with ``cv2.VideoCapture``, negotiates the mode and lists the devices present.

Enumeration: on Linux, ``/sys/class/video4linux/video*/name`` gives the name the driver
reports (``index`` 0 keeps capture nodes, not the metadata node each UVC camera also
exposes). On Windows and macOS OpenCV gives no names: indices 0..N-1 that open are listed as
"Caméra N / Camera N" (DirectShow/MSMF names would need a Windows-only dependency).
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np

from telecabine.devices.video_health import HealthThresholds
from telecabine.devices.video_source import (
    EndOfStream,
    ThreadedVideoSource,
    VideoSource,
)

__all__ = ["CameraInfo", "EndOfStream", "OpenCVCamera", "ThreadedVideoSource", "VideoSource",
           "enumerate_cameras", "parse_source"]  # fmt: skip

log = logging.getLogger(__name__)


class CaptureLike(Protocol):
    """The part of ``cv2.VideoCapture`` the driver uses (simulated devices implement it)."""

    def isOpened(self) -> bool: ...
    def read(self) -> tuple[bool, Any]: ...
    def set(self, prop: int, value: float) -> bool: ...
    def get(self, prop: int) -> float: ...
    def release(self) -> None: ...


def _default_capture(source: int | str) -> CaptureLike:
    # OpenCV's own warnings ("can't open camera by index", repeated at every retry) go to stderr
    # as noise: the driver reports the state itself, in words, through its status.
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    if isinstance(source, int):
        if sys.platform.startswith("linux"):
            return cv2.VideoCapture(source, cv2.CAP_V4L2)
        if sys.platform == "win32":
            return cv2.VideoCapture(source, cv2.CAP_DSHOW)  # opens faster than MSMF
    return cv2.VideoCapture(source)


def parse_source(spec: str) -> int | str:
    """A settings string to a capture source: ``"0"`` -> 0, ``/dev/video2`` or a file path."""
    return int(spec) if spec.strip().isdigit() else spec


class OpenCVCamera(ThreadedVideoSource):
    """A real camera (index or ``/dev/videoN``) or a video file, read with ``cv2.VideoCapture``.

    A file is paced at its own frame rate; at its end it loops when ``loop`` is set, otherwise
    the source becomes ``lost`` for good (a file that ends is an unplugged device).
    """

    def __init__(
        self,
        source: int | str,
        role: str = "room",
        *,
        name: str | None = None,
        width: int = 1280,
        height: int = 720,
        fps: float = 30.0,
        loop: bool = False,
        thresholds: HealthThresholds | None = None,
        capture_factory: Any = None,
    ) -> None:
        super().__init__(
            role, name or str(source), width=width, height=height, fps=fps, thresholds=thresholds
        )
        self.source = source
        self.loop = loop
        self.is_file = isinstance(source, str) and not source.startswith("/dev/video")
        self.reopen_lost = not self.is_file
        self._factory = capture_factory or _default_capture
        self._cap: CaptureLike | None = None

    def _open(self) -> bool:
        cap = self._factory(self.source)
        if not cap.isOpened():
            cap.release()
            return False
        w, h, fps = self.requested
        if not self.is_file:
            # MJPG first: most UVC cameras only reach 720p30 compressed over USB 2.
            cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*"MJPG"))
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, w)
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, h)
            cap.set(cv2.CAP_PROP_FPS, fps)
            cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # newest frame, not a driver queue
        got_fps = cap.get(cv2.CAP_PROP_FPS) or fps
        self._negotiate(
            cap.get(cv2.CAP_PROP_FRAME_WIDTH) or w, cap.get(cv2.CAP_PROP_FRAME_HEIGHT) or h, got_fps
        )
        self.pace_fps = got_fps if self.is_file else None
        self._cap = cap
        return True

    def _read(self) -> np.ndarray | None:
        assert self._cap is not None
        # Native buffer: read() without an argument allocates a fresh array per frame, which
        # the mailbox, the preview's QImage view and the encoder's frame then own in turn.
        ok, image = self._cap.read()
        if ok and image is not None:
            return image
        if self.is_file:
            if self.loop and self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0):
                ok, image = self._cap.read()
                if ok and image is not None:
                    return image
            raise EndOfStream
        return None

    def _close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


@dataclass(frozen=True, slots=True)
class CameraInfo:
    """One capture device the OS offers: ``source`` to put in settings, a human name."""

    source: str
    name: str


def enumerate_cameras(max_probe: int = 4) -> list[CameraInfo]:
    """Capture devices present now, with the OS name where there is one."""
    if sys.platform.startswith("linux"):
        return _enumerate_v4l2(Path("/sys/class/video4linux"))
    found = []
    for index in range(max_probe):  # no names from OpenCV outside Linux: probe indices
        cap = _default_capture(index)
        try:
            if cap.isOpened():
                found.append(CameraInfo(str(index), f"Caméra {index} / Camera {index}"))
        finally:
            cap.release()
    return found


def _enumerate_v4l2(root: Path) -> list[CameraInfo]:
    found = []
    for node in sorted(root.glob("video*"), key=lambda p: int(p.name[5:] or 0)):
        try:
            if (node / "index").exists() and (node / "index").read_text().strip() != "0":
                continue  # metadata node of a UVC camera, not a picture
            name = (node / "name").read_text().strip()
        except OSError:
            continue
        found.append(CameraInfo(f"/dev/{node.name}", name or node.name))
    return found
