"""The one place the store reads the wall clock when a caller passes no ``now``."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now(now: datetime | None = None) -> datetime:
    """``now`` if given (tests pass a fake clock), else the current aware UTC time."""
    return now if now is not None else datetime.now(UTC)
