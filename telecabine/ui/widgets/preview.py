"""Live camera preview: the newest frame of a mailbox at display rate, never blocking the UI.

A ``QTimer`` polls the mailbox's sequence number at display rate (60 Hz by default: polling
faster than the 30 fps camera costs one integer compare per tick and avoids beating against
the capture clock, which would drop frames); only when a new frame exists is it wrapped
as a ``QImage`` (no copy: BGR888 view on the numpy buffer) and scaled once to the widget size
(that scale is the one copy). ``paintEvent`` only blits the already-scaled image. Frames that
arrive faster than the display are skipped, never queued. Counters (``frames_shown``,
``frames_skipped``, ``busy_s``) serve tests and ``bench/preview.py``.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from PySide6.QtCore import QCoreApplication, QRect, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QWidget


class FrameMailbox(Protocol):
    """What the preview needs of ``LatestValueMailbox[VideoFrame]``."""

    def latest(self) -> tuple[int, Any]:
        """Newest ``(seq, frame)``."""
        ...


class VideoPreview(QWidget):
    """Shows the newest frame of a video source's mailbox, scaled to fit, letterboxed."""

    def __init__(self, parent: QWidget | None = None, display_fps: float = 60.0) -> None:
        super().__init__(parent)
        self.setAccessibleName(QCoreApplication.translate("VideoPreview", "Aperçu de la caméra"))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 90)
        self._mailbox: FrameMailbox | None = None
        self._last_seq = 0
        self._scaled: QImage | None = None
        self._placeholder = QCoreApplication.translate("VideoPreview", "Pas d'image")
        self.frames_shown = 0
        self.frames_skipped = 0
        self.busy_s = 0.0  # time spent converting, scaling and painting on the UI thread
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(max(1, round(1000 / display_fps)))
        self._timer.timeout.connect(self._on_tick)

    def set_source(self, mailbox: FrameMailbox | None) -> None:
        """Show this mailbox (None: placeholder); starts polling when visible."""
        self._mailbox = mailbox
        self._last_seq = 0
        self._scaled = None
        if mailbox is not None:
            self._timer.start()
        else:
            self._timer.stop()
        self.update()

    def set_placeholder(self, text: str) -> None:
        """Text shown when there is no picture (already translated)."""
        self._placeholder = text
        self.update()

    def stop(self) -> None:
        """Stop polling (the source keeps running for other consumers)."""
        self._timer.stop()

    def sizeHint(self) -> QSize:
        """16:9 at a size that fits the equipment screen."""
        return QSize(640, 360)

    def _on_tick(self) -> None:
        if self._mailbox is None:
            return
        seq, frame = self._mailbox.latest()
        if seq == self._last_seq or frame is None:
            return
        t0 = time.perf_counter()
        if self._last_seq and seq > self._last_seq + 1:
            self.frames_skipped += seq - self._last_seq - 1
        self._last_seq = seq
        img = frame.image
        h, w = img.shape[:2]
        # Native buffer, owner kept: ``view`` reads ``img`` (a fresh array per capture, held
        # by ``frame`` in this scope) and dies here; scaled()/copy() make the copy we keep.
        view = QImage(img.data, w, h, img.strides[0], QImage.Format.Format_BGR888)
        target = self.size()
        if target.width() == w and target.height() == h:
            self._scaled = view.copy()
        else:
            self._scaled = view.scaled(
                target, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation
            )
        self.frames_shown += 1
        self.busy_s += time.perf_counter() - t0
        self.update()

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Rescale on the next frame; meanwhile keep the old picture."""
        self._last_seq = 0  # forces the next tick to convert at the new size
        super().resizeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        """Blit the scaled picture centred on black, or the placeholder text."""
        t0 = time.perf_counter()
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(0, 0, 0))
        if self._scaled is not None:
            x = (self.width() - self._scaled.width()) // 2
            y = (self.height() - self._scaled.height()) // 2
            p.drawImage(x, y, self._scaled)
        else:
            p.setPen(QColor(230, 230, 230))
            p.drawText(QRect(0, 0, self.width(), self.height()),
                       Qt.AlignmentFlag.AlignCenter, self._placeholder)  # fmt: skip
        p.end()
        self.busy_s += time.perf_counter() - t0
