"""A background worker that makes one pass now and then: every ``idle_s``, or at once when
woken (something was queued). One helper for the report mailer and the télé-expertise sync,
so neither re-implements start / wake / stop and a failed pass never stops the loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod

log = logging.getLogger(__name__)


class PassLoop(ABC):
    """Subclasses implement :meth:`run_pass`; ``start`` / ``wake`` / ``stop_loop`` drive it."""

    def __init__(self, idle_s: float) -> None:
        self._idle_s = idle_s
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None

    @abstractmethod
    async def run_pass(self) -> object:
        """One pass (send what is due...): the report mailer and the télé-expertise sync."""

    def wake(self) -> None:
        """Something was queued: make a pass now rather than at the next idle tick."""
        self._wake.set()

    def start(self) -> None:
        """Make passes forever on the running loop (until :meth:`stop_loop`)."""
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())

    async def stop_loop(self) -> None:
        """Stop making passes (work already handed to a thread finishes there)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self.run_pass()
            except Exception as exc:  # one bad pass must not stop the queue for good
                log.error("%s pass failed: %s", type(self).__name__, type(exc).__name__)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._idle_s)
