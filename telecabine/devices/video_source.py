"""Base of every video source: capture thread, latest-value mailbox, status, listeners, reopen.

A producer thread reads pictures and publishes each into a :class:`LatestValueMailbox`, so a
slow reader (preview, video track) only ever takes the newest frame and drops the others
instead of adding latency (ARCHITECTURE.md, runtime model). The thread notices read failures
(unplugged device, file ended), frozen and black pictures, reports every status change to
plain Python listeners (:class:`~telecabine.devices.video_health.SourceEvent`), and reopens a
lost device in the background with a growing delay so it recovers when plugged back in.
The real OpenCV driver (``camera.py``) and the simulated cameras (``simulated.py``) build on it.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from abc import ABC, abstractmethod
from typing import Protocol

import numpy as np

from telecabine.devices.mailbox import LatestValueMailbox, VideoFrame
from telecabine.devices.video_health import (
    FrameHealth,
    HealthThresholds,
    SourceEvent,
    SourceListener,
    SourceStatus,
    notify,
)

log = logging.getLogger(__name__)

READ_FAILURES_BEFORE_LOST = 3
BACKOFF_S = (0.5, 1.0, 2.0, 4.0, 5.0)


class VideoSource(Protocol):
    """What the UI, services and session need of any video source (real or simulated)."""

    role: str
    name: str
    mailbox: LatestValueMailbox[VideoFrame]
    frames_captured: int

    @property
    def width(self) -> int:
        """Negotiated width in pixels."""
        ...

    @property
    def height(self) -> int:
        """Negotiated height in pixels."""
        ...

    @property
    def fps(self) -> float:
        """Negotiated frame rate."""
        ...

    @property
    def measured_fps(self) -> float:
        """Frames per second actually captured lately."""
        ...

    @property
    def status(self) -> SourceStatus:
        """ok / lost / frozen / black (plus starting / stopped)."""
        ...

    def start(self) -> None:
        """Start capturing in the background (idempotent)."""
        ...

    def stop(self) -> None:
        """Stop capturing and release the device."""
        ...

    def add_listener(self, listener: SourceListener) -> None:
        """Be told of status changes (called from the capture thread)."""
        ...

    def remove_listener(self, listener: SourceListener) -> None:
        """Stop being told."""
        ...


class ThreadedVideoSource(ABC):
    """Base of every video source: capture thread, mailbox, status, listeners, reopen backoff.

    Subclasses implement ``_open() -> bool``, ``_read() -> ndarray | None`` (None = failed
    read, ``EndOfStream`` raised = no more frames) and ``_close()``. ``pace_fps`` set means the
    base paces reads itself (files, synthetic pictures); real cameras block in ``read``.
    """

    reopen_lost = True

    def __init__(
        self,
        role: str,
        name: str,
        *,
        width: int = 1280,
        height: int = 720,
        fps: float = 30.0,
        thresholds: HealthThresholds | None = None,
    ) -> None:
        self.role = role
        self.name = name
        self.requested = (width, height, fps)
        self.mailbox: LatestValueMailbox[VideoFrame] = LatestValueMailbox()
        self.pace_fps: float | None = None
        self.frames_captured = 0
        self.events: list[SourceEvent] = []  # history, for the equipment screen and tests
        self._negotiated = (width, height, fps)
        self._status = SourceStatus.STOPPED
        self._listeners: list[SourceListener] = []
        self._health = FrameHealth(thresholds or HealthThresholds())
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_good_wall: float | None = None
        self._fps_window: list[float] = []

    # --- public API ---------------------------------------------------------------------
    @property
    def width(self) -> int:
        """Negotiated width (what the device actually delivers)."""
        return self._negotiated[0]

    @property
    def height(self) -> int:
        """Negotiated height."""
        return self._negotiated[1]

    @property
    def fps(self) -> float:
        """Negotiated frame rate (as reported by the device or file)."""
        return self._negotiated[2]

    @property
    def measured_fps(self) -> float:
        """Frames per second actually captured over the last second or so."""
        w = list(self._fps_window)
        if len(w) < 2 or w[-1] - w[0] <= 0 or time.monotonic() - w[-1] > 1.0:
            return 0.0  # not enough history, or nothing captured for a second
        return (len(w) - 1) / (w[-1] - w[0])

    @property
    def status(self) -> SourceStatus:
        """Current health of the source."""
        return self._status

    def add_listener(self, listener: SourceListener) -> None:
        """Be told of every status change (called from the capture thread)."""
        self._listeners.append(listener)

    def remove_listener(self, listener: SourceListener) -> None:
        """Stop being told."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def start(self) -> None:
        """Start capturing in a daemon thread (idempotent)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._set_status(SourceStatus.STARTING)
        self._thread = threading.Thread(target=self._run, name=f"video-{self.role}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        """Stop the thread and release the device."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._set_status(SourceStatus.STOPPED)

    # --- subclass hooks -----------------------------------------------------------------
    @abstractmethod
    def _open(self) -> bool:
        """Open the device; False when it is not there."""

    @abstractmethod
    def _read(self) -> np.ndarray | None:
        """One picture, None on a failed read; raise EndOfStream when a file has ended."""

    def _close(self) -> None:
        return None

    def _negotiate(self, width: int, height: int, fps: float) -> None:
        self._negotiated = (int(width), int(height), float(fps))

    # --- capture loop -------------------------------------------------------------------
    def _run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            try:
                opened = self._open()
            except Exception as exc:  # a driver raising must not kill the thread
                log.warning("video %s: open failed: %s", self.role, type(exc).__name__)
                opened = False
            if not opened:
                self._set_status(SourceStatus.LOST, "open failed")
                if not self.reopen_lost:
                    return
                self._stop.wait(BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)])
                attempt += 1
                continue
            attempt = 0
            self._health.reset()
            reason = self._capture_until_failure()
            self._close()
            if self._stop.is_set():
                return
            self._set_status(SourceStatus.LOST, reason)
            if not self.reopen_lost:
                return
            self._stop.wait(BACKOFF_S[0])

    def _capture_until_failure(self) -> str:
        failures = 0
        next_due = time.monotonic()
        while not self._stop.is_set():
            if self.pace_fps:
                delay = next_due - time.monotonic()
                if delay > 0:
                    self._stop.wait(delay)
                period = 1.0 / self.pace_fps
                # late (loaded machine): catch up one frame at most, never a burst of frames
                next_due = max(next_due + period, time.monotonic() - period)
            try:
                image = self._read()
            except EndOfStream:
                return "end of stream"
            except Exception as exc:
                log.warning("video %s: read raised %s", self.role, type(exc).__name__)
                image = None
            if image is None:
                failures += 1
                if failures >= READ_FAILURES_BEFORE_LOST:
                    return "read failures"
                self._stop.wait(0.02)
                continue
            failures = 0
            self._publish(image)
        return "stopped"

    def _publish(self, image: np.ndarray) -> None:
        now, wall = time.monotonic(), time.time()
        self.frames_captured += 1
        frame = VideoFrame(image=image, seq=self.frames_captured, captured_at=now, wall_clock=wall)
        self._decorate(frame)
        self.mailbox.put(frame)
        self._last_good_wall = wall
        self._fps_window.append(now)
        while len(self._fps_window) > 2 and now - self._fps_window[0] > 1.0:
            self._fps_window.pop(0)
        if image.shape[1] != self.width or image.shape[0] != self.height:
            self._negotiated = (image.shape[1], image.shape[0], self.fps)
        self._set_status(self._health.feed(image, now))

    def _decorate(self, frame: VideoFrame) -> None:
        """Hook for simulated sources to draw into the picture before publishing."""
        return None  # optional hook: real cameras leave the picture alone

    def _set_status(self, status: SourceStatus, detail: str = "") -> None:
        previous = self._status
        if status == previous:
            return
        self._status = status
        if status == SourceStatus.LOST and self._last_good_wall is not None:
            at = dt.datetime.fromtimestamp(self._last_good_wall, dt.UTC)
        else:
            at = dt.datetime.now(dt.UTC)
        recovered = status == SourceStatus.OK and previous in (
            SourceStatus.LOST,
            SourceStatus.FROZEN,
            SourceStatus.BLACK,
        )
        kind = "camera_recovered" if recovered else f"camera_{status.value}"
        event = SourceEvent(self.role, self.name, kind, status, previous, at, detail)
        if status not in (SourceStatus.STARTING, SourceStatus.STOPPED):
            log.info("video %s: %s -> %s %s", self.role, previous, status, detail)
        self.events.append(event)
        del self.events[:-50]  # bounded history
        notify(self._listeners, event)


class EndOfStream(Exception):
    """Raised by a source's ``_read`` when a file has no more frames."""
