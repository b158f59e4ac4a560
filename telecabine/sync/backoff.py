"""Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter").

``delay = uniform(0, min(cap, base * 2**attempt))``: full jitter spreads a fleet of stations that
lost the hub at the same moment, so they do not all come back in the same second.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta


@dataclass
class Backoff:
    """Delay before retry number ``attempt`` (0 = first retry); ``rng`` injectable for tests."""

    base_s: float = 2.0
    cap_s: float = 300.0
    rng: random.Random = field(default_factory=random.Random)

    def ceiling(self, attempt: int) -> float:
        """The upper bound of the jittered delay for ``attempt`` (never above ``cap_s``)."""
        # min() before the power would overflow for huge attempt counts; clamp the exponent.
        return min(self.cap_s, self.base_s * (2 ** min(max(attempt, 0), 62)))

    def delay_s(self, attempt: int) -> float:
        """A random delay in ``[0, ceiling(attempt)]`` seconds."""
        return self.rng.uniform(0.0, self.ceiling(attempt))

    def delay(self, attempt: int) -> timedelta:
        """Same as :meth:`delay_s` as a ``timedelta``."""
        return timedelta(seconds=self.delay_s(attempt))
