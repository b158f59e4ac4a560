"""Automatic local retention (issue 9 item 4): purge at station start, then once a day.

The purge itself (``telecabine.store.retention.purge``) writes its audit entry in the same
transaction; this service only decides *when* it runs and keeps it off the UI thread (a purge
of months of encounters rewrites pages with ``secure_delete`` and can take seconds).
Clock and sleep are injected so tests run a day in microseconds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from telecabine.store.engine import Store
    from telecabine.store.retention import PurgeReport

log = logging.getLogger(__name__)

RETENTION_ACTOR = "system:retention"
DEFAULT_INTERVAL = timedelta(days=1)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class RetentionScheduler:
    """Runs the retention purge now and every ``interval`` while the station runs."""

    def __init__(
        self,
        store: Store,
        retention_days: int,
        *,
        interval: timedelta = DEFAULT_INTERVAL,
        clock: Callable[[], datetime] = _utc_now,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        to_thread: Callable[..., Awaitable[Any]] = asyncio.to_thread,
    ) -> None:
        self._store = store
        self._days = retention_days
        self._interval = interval
        self._clock = clock
        self._sleep = sleep
        self._to_thread = to_thread
        self.reports: list[PurgeReport] = []
        self.last_run: datetime | None = None

    async def run_once(self) -> PurgeReport:
        """One purge in a worker thread (audited by the store, counts logged without ids)."""
        from telecabine.store.retention import purge

        now = self._clock()
        report = await self._to_thread(
            purge, self._store, self._days, now, dry_run=False, actor=RETENTION_ACTOR
        )
        self.last_run = now
        self.reports.append(report)
        del self.reports[:-7]  # a week of reports is plenty for the status line and tests
        log.info(
            "retention purge done",
            extra={"purged_encounters": len(report.encounter_ids), "days": self._days},
        )
        return report

    async def run_forever(self) -> None:
        """Purge now, then each time ``interval`` has passed on the clock (survives errors).

        The wait is measured on the wall clock, re-read after each nap of at most an hour, so a
        suspended or clock-corrected machine still purges about once a day.
        """
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a locked or full disk must not stop the next attempt
                log.error("retention purge failed: %s", type(exc).__name__)
            due = self._clock() + self._interval
            while (left := (due - self._clock()).total_seconds()) > 0:
                await self._sleep(min(left, 3600.0))
