"""Still photos at the camera's full sensor resolution (télé-expertise), not video frames.

A video stream runs at 1280×720 or less; a dermatologist judging a lesion wants every pixel the
sensor has. :func:`capture_still` opens the device on its own at the largest mode it offers
(asking for an oversized mode makes V4L2/DirectShow/MSMF pick their biggest), lets auto
exposure settle for a few frames, and returns one JPEG. The simulated twin renders its scene
at 8 megapixels. The caller stops the role's video thread first (a camera opens once).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from telecabine.devices.camera import parse_source

SIM_STILL_SIZE = (3264, 2448)  # 8 MP, a common dermatoscope/document-camera sensor
ASK_SIZE = 10_000  # an impossible mode: the driver answers with its largest
SETTLE_FRAMES = 5
JPEG_QUALITY = 92


class StillError(RuntimeError):
    """No picture could be taken (device missing or busy); ``code`` for the screen's catalogue."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Still:
    """One JPEG photo and its pixel size."""

    jpeg: bytes
    width: int
    height: int
    role: str

    def __repr__(self) -> str:  # the bytes are a patient's photo: never in a log
        return f"Still({self.role}, {self.width}x{self.height}, {len(self.jpeg)} bytes)"


def encode_jpeg(image: np.ndarray, quality: int = JPEG_QUALITY) -> bytes:
    """BGR image to JPEG bytes (OpenCV copies the pixels into its own buffer)."""
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise StillError("encode_failed")
    return buf.tobytes()


def simulated_still(role: str, t: float = 0.0) -> Still:
    """The simulated camera's scene at 8 MP (same drawing as its video, more pixels)."""
    from telecabine.devices.simulated import _background, _draw_moving

    w, h = SIM_STILL_SIZE
    img = _background(role, w, h)
    _draw_moving(role, img, t)
    return Still(encode_jpeg(img), w, h, role)


def capture_still(spec: str, role: str) -> Still:
    """Take one full-resolution photo from the device ``spec`` (settings value) for ``role``."""
    if spec.startswith("sim:"):
        return simulated_still(spec[4:] or role)
    cap = cv2.VideoCapture(parse_source(spec))
    try:
        if not cap.isOpened():
            raise StillError("camera_unavailable")
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, ASK_SIZE)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, ASK_SIZE)
        frame = None
        for _ in range(SETTLE_FRAMES):
            ok, img = cap.read()
            if ok and img is not None:
                frame = img
        if frame is None:
            raise StillError("no_picture")
        h, w = frame.shape[:2]
        return Still(encode_jpeg(frame), int(w), int(h), role)
    finally:
        cap.release()
