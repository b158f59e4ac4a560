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
