"""Connection quality in words a pharmacist understands, from WebRTC statistics.

Thresholds follow ITU-T G.114 (one-way delay under 150 ms is good for conversation, over
400 ms is not acceptable) and common video-call practice for loss (under 2 % unnoticeable,
over 8 % visibly broken). Pure: the caller passes the stats and ``now``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Level = Literal["good", "fair", "poor", "none"]

WORDS: dict[Level, tuple[str, str]] = {
    "good": ("Bonne connexion", "Good connection"),
    "fair": ("Connexion moyenne : l'image peut être moins nette", "Fair connection: picture may be soft"),
    "poor": ("Mauvaise connexion : l'image ou le son peuvent couper", "Poor connection: picture or sound may cut out"),
    "none": ("Pas de connexion : reconnexion…", "No connection: reconnecting…"),
}  # fmt: skip

POOR_SUSTAINED_S = 10.0  # a "poor quality" incident is recorded after this long


@dataclass(frozen=True)
class Sample:
    """One statistics reading: RTT in seconds, loss fraction 0..1, received/sent bitrate bps."""

    rtt_s: float | None
    loss: float | None
    bitrate_bps: float | None


def classify(sample: Sample) -> Level:
    """Quality level of one reading (the worst of RTT, loss and bitrate decides)."""
    if sample.bitrate_bps is not None and sample.bitrate_bps < 20_000:
        return "none"
    level: Level = "good"
    rtt = sample.rtt_s or 0.0
    loss = sample.loss or 0.0
    bitrate = sample.bitrate_bps
    if rtt > 0.3 or loss > 0.02 or (bitrate is not None and bitrate < 300_000):
        level = "fair"
    if rtt > 0.8 or loss > 0.08 or (bitrate is not None and bitrate < 100_000):
        level = "poor"
    return level


def describe(level: Level, lang: str = "fr") -> str:
    """The sentence shown on the call screen for a level."""
    fr, en = WORDS[level]
    return fr if lang == "fr" else en


class QualityTracker:
    """Keeps the current level and tells when poor quality has lasted long enough to record."""

    def __init__(self, sustained_s: float = POOR_SUSTAINED_S) -> None:
        self.level: Level = "good"
        self._sustained_s = sustained_s
        self._poor_since: float | None = None
        self._reported = False

    def update(self, sample: Sample, now: float) -> bool:
        """Record a reading at monotonic ``now``; True once per sustained poor episode."""
        self.level = classify(sample)
        if self.level not in ("poor", "none"):
            self._poor_since = None
            self._reported = False
            return False
        if self._poor_since is None:
            self._poor_since = now
        if not self._reported and now - self._poor_since >= self._sustained_s:
            self._reported = True
            return True
        return False


class ResolutionAdapter:
    """Lowers the sent resolution when the encoder cannot keep up, raises it back later.

    aiortc's sender asks the track for a frame only after encoding the previous one, so the
    rate at which frames leave the track *is* the encoder's throughput. Below 70 % of the
    target rate for ``down_after_s`` the picture steps down (720 -> 540 -> 360 lines);
    above 95 % for ``up_after_s`` it steps back up. Fewer pixels encode faster, which keeps
    latency low on a busy 2-core cabin PC (aiortc issue #744: CPU-bound VP8).

    ``encode_busy`` (optional): the share of wall time the encoder spent encoding over the
    same period. Above 70 % of the target rate, with an encoder that would stay under a
    quarter busy with the next size's pixels, it also steps up: on a loaded box the station
    otherwise stayed at 360 lines at 20-23 fps on an easy picture (encoder ~10 % busy) while
    Chromium sent it at 720p. Stepping down stays on the frame rate alone: when the whole
    process is starved, fewer pixels (conversion and encoding) still bought back frames.
    """

    IDLE = 0.25  # predicted encoder share of wall time at the next size that allows a step up

    LADDER = (720, 540, 360)

    def __init__(
        self, max_height: int = 720, fps: float = 30.0, down_after_s: float = 3.0,
        up_after_s: float = 15.0,
    ) -> None:  # fmt: skip
        self.ladder = tuple(h for h in self.LADDER if h <= max_height) or (max_height,)
        self.step = 0
        self.fps = fps
        self._down_after_s = down_after_s
        self._up_after_s = up_after_s
        self._low_since: float | None = None
        self._high_since: float | None = None

    @property
    def height(self) -> int:
        """The current maximum height."""
        return self.ladder[self.step]

    def update(self, sent_fps: float, now: float, encode_busy: float | None = None) -> int | None:
        """Feed the measured send rate at monotonic ``now``; returns a new height on change."""
        room_to_grow = False
        if encode_busy is not None and self.step > 0 and sent_fps >= 0.7 * self.fps:
            bigger = (self.ladder[self.step - 1] / self.ladder[self.step]) ** 2
            room_to_grow = encode_busy * bigger < self.IDLE
        if sent_fps < 0.7 * self.fps:
            self._high_since = None
            self._low_since = self._low_since if self._low_since is not None else now
            if now - self._low_since >= self._down_after_s and self.step < len(self.ladder) - 1:
                self.step += 1
                self._low_since = None
                return self.height
        elif sent_fps >= 0.95 * self.fps or room_to_grow:
            self._low_since = None
            self._high_since = self._high_since if self._high_since is not None else now
            if now - self._high_since >= self._up_after_s and self.step > 0:
                self.step -= 1
                self._high_since = None
                return self.height
        else:
            self._low_since = self._high_since = None
        return None
