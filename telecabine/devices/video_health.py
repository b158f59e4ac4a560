"""Video source status, incident events and the frozen/black detector shared by every source.

Plain Python (no Qt): listeners are callables, called from the capture thread. The services
layer stores the events as encounter incidents (CSP R6316) and the UI shows their message.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

log = logging.getLogger(__name__)

ROLES = ("room", "otoscope", "dermatoscope", "document")


class SourceStatus(StrEnum):
    """Health of a video source, as shown on the equipment screen."""

    STARTING = "starting"
    OK = "ok"
    LOST = "lost"  # unplugged, read failures, file ended
    FROZEN = "frozen"  # identical pictures for too long
    BLACK = "black"  # lens covered, lamp off, driver delivering zeros
    STOPPED = "stopped"


_MESSAGES = {
    SourceStatus.STARTING: ("Caméra {role} : démarrage…", "{role} camera: starting…"),
    SourceStatus.OK: ("Caméra {role} : image reçue.", "{role} camera: picture received."),
    SourceStatus.LOST: (
        "Caméra {role} débranchée ou muette : vérifiez le câble USB ; reconnexion automatique.",
        "{role} camera unplugged or silent: check the USB cable; it reconnects by itself.",
    ),
    SourceStatus.FROZEN: (
        "Caméra {role} figée : débranchez-la puis rebranchez-la.",
        "{role} camera frozen: unplug it and plug it back in.",
    ),
    SourceStatus.BLACK: (
        "Caméra {role} : image noire. Retirez le cache de l'objectif ou allumez l'éclairage.",
        "{role} camera: black picture. Remove the lens cap or switch the light on.",
    ),
    SourceStatus.STOPPED: ("Caméra {role} arrêtée.", "{role} camera stopped."),
}

ROLE_NAMES = {
    "room": ("principale", "Room"),
    "otoscope": ("otoscope", "Otoscope"),
    "dermatoscope": ("dermatoscope", "Dermatoscope"),
    "document": ("document", "Document"),
}


def status_message(status: SourceStatus, role: str) -> tuple[str, str]:
    """(French, English) sentence for a status, saying what to do."""
    fr_role, en_role = ROLE_NAMES.get(role, (role, role))
    fr, en = _MESSAGES[status]
    return fr.format(role=fr_role), en.format(role=en_role)


@dataclass(frozen=True, slots=True)
class SourceEvent:
    """A status change of one source: an incident when ``kind`` is lost/frozen/black.

    ``kind`` is ``"camera_<status>"`` or ``"camera_recovered"``; ``at`` is the UTC wall-clock
    time the change was detected (for ``lost``: when the last good frame was captured).
    """

    role: str
    source_name: str
    kind: str
    status: SourceStatus
    previous: SourceStatus
    at: dt.datetime
    detail: str = ""

    @property
    def is_incident(self) -> bool:
        """True when the event is a failure worth recording on the encounter."""
        return self.status in (SourceStatus.LOST, SourceStatus.FROZEN, SourceStatus.BLACK)

    @property
    def message_fr(self) -> str:
        """French sentence for the screen."""
        return status_message(self.status, self.role)[0]

    @property
    def message_en(self) -> str:
        """English sentence for the screen."""
        return status_message(self.status, self.role)[1]


SourceListener = Callable[[SourceEvent], None]


@dataclass
class HealthThresholds:
    """When a picture counts as frozen or black (from settings)."""

    frozen_after_s: float = 3.0
    black_luma: float = 12.0
    black_after_s: float = 1.0


@dataclass
class FrameHealth:
    """Classify a stream of pictures as ok / frozen / black (pure: time is passed in)."""

    thresholds: HealthThresholds = field(default_factory=HealthThresholds)
    _last_sig: np.ndarray | None = None
    _same_since: float | None = None
    _dark_since: float | None = None

    def reset(self) -> None:
        """Forget history (after a reopen)."""
        self._last_sig = None
        self._same_since = None
        self._dark_since = None

    def feed(self, image: np.ndarray, now: float) -> SourceStatus:
        """Status after one more picture captured at monotonic time ``now``."""
        # A 1/16 subsample is plenty to tell "identical" and "dark" and costs microseconds.
        sig = image[::16, ::16]
        if self._last_sig is not None and np.array_equal(sig, self._last_sig):
            if self._same_since is None:
                self._same_since = now
        else:
            self._same_since = None
        self._last_sig = sig.copy()
        if float(sig.mean()) < self.thresholds.black_luma:
            if self._dark_since is None:
                self._dark_since = now
        else:
            self._dark_since = None
        t = self.thresholds
        if self._dark_since is not None and now - self._dark_since >= t.black_after_s:
            return SourceStatus.BLACK
        if self._same_since is not None and now - self._same_since >= t.frozen_after_s:
            return SourceStatus.FROZEN
        return SourceStatus.OK


def notify(listeners: list[SourceListener], event: SourceEvent) -> None:
    """Call every listener; one failing listener never stops capture or the others."""
    for cb in list(listeners):
        try:
            cb(event)
        except Exception:
            log.exception("video source listener failed (%s)", event.kind)
