"""Station heartbeat (issue 15 item 4): tell the hub every 20 s that this cabin is alive.

The hub marks a station *online* when it saw its heartbeat (or signaling socket) within 60 s.
With the defaults — ``interval_s`` 20 s, request timeout 5 s — a started worker is online after
its first beat (< 1 s; at most ``timeout_s`` if the first attempt is lost, well under 30 s), and
a stopped one turns offline at most 20 s (last beat) + 60 s (window) = 80 s later (< 90 s).

When the hub is down the worker backs off (full jitter, capped at ``interval_s * 6``) and
keeps the UI untouched: nothing raises out of it; the last problem is in :attr:`status`.

Wiring (composition root)::

    from telecabine.services.heartbeat import HeartbeatWorker, StoreFigures
    from telecabine.sync.station_client import StationHubClient

    figures = StoreFigures(store, data_dir=settings.data_dir, version=telecabine.__version__,
                           last_sync_at=lambda: sync_worker.status.last_success_at,
                           equipment=preflight_summary)    # () -> list[EquipmentStatus]
    worker = HeartbeatWorker(
        StationHubClient(settings.hub_url, token), figures,
        interval_s=settings.heartbeat_interval_s)
    await worker.start()          # returns at once; beats run on the app's loop
    ...
    await worker.aclose()         # at shutdown
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from telecabine.protocol.heartbeat import AuditHead, EquipmentStatus, Heartbeat, HeartbeatAck
from telecabine.sync.backoff import Backoff
from telecabine.sync.station_client import HubRefused

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 20.0


class HeartbeatPort(Protocol):
    """Sends a heartbeat (``StationHubClient``)."""

    async def heartbeat(self, hb: Heartbeat) -> HeartbeatAck | None:
        """The hub's ack, None when unreachable; raises ``HubRefused`` on 4xx."""
        ...

    async def close(self) -> None:
        """Release the connection."""
        ...


class Figures(Protocol):
    """What a heartbeat reports; ``collect`` may block (database): it runs in a thread."""

    def collect(self) -> Heartbeat:
        """Build the heartbeat now."""
        ...


class StoreFigures:
    """Heartbeat figures from the station's store and settings (no patient data)."""

    def __init__(
        self,
        store: Any,
        *,
        data_dir: Path,
        version: str,
        last_sync_at: Callable[[], datetime | None] = lambda: None,
        equipment: Callable[[], list[EquipmentStatus]] = list,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._data_dir = data_dir
        self._version = version
        self._last_sync_at = last_sync_at
        self._equipment = equipment
        self._clock = clock

    def collect(self) -> Heartbeat:
        """Outbox count, audit head, free disk, equipment, version, last sync."""
        from telecabine.services.sync_outbox import StoreOutbox

        seq, digest = self._store.audit.head()
        return Heartbeat(
            version=self._version[:32],
            sent_at=self._clock(),
            equipment=self._equipment()[:32],
            pending_outbox=StoreOutbox(self._store).counts().pending,
            last_sync_at=self._last_sync_at(),
            free_disk_bytes=shutil.disk_usage(self._data_dir).free,
            audit_head=AuditHead(seq=seq, hash=digest),
        )


@dataclass(frozen=True)
class HeartbeatStatus:
    """Last outcome, for a status line: when the hub last answered, the last problem code."""

    last_ack_at: datetime | None = None
    clock_skew_s: int | None = None
    audit_flag: str | None = None
    problem: str | None = None  # "unreachable" | "refused:<status>" | "figures"
    failures: int = 0


class HeartbeatWorker:
    """Beats every ``interval_s`` on the running loop; backs off while the hub is down."""

    def __init__(
        self,
        client: HeartbeatPort,
        figures: Figures,
        *,
        interval_s: float = DEFAULT_INTERVAL_S,
        backoff: Backoff | None = None,
    ) -> None:
        self._client = client
        self._figures = figures
        self._interval = interval_s
        self._backoff = backoff or Backoff(base_s=interval_s / 2, cap_s=interval_s * 6)
        self._task: asyncio.Task | None = None
        self.status = HeartbeatStatus()

    async def start(self) -> None:
        """Start beating (returns at once)."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="heartbeat")

    async def aclose(self) -> None:
        """Stop beating and close the client."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        with contextlib.suppress(Exception):
            await self._client.close()

    async def beat_once(self) -> bool:
        """Send one heartbeat now; True when the hub acknowledged it. Never raises."""
        try:
            hb = await asyncio.to_thread(self._figures.collect)
        except Exception:  # a broken figure must not stop presence reporting
            log.exception("heartbeat figures failed")
            self._failed("figures")
            return False
        try:
            ack = await self._client.heartbeat(hb)
        except HubRefused as exc:
            self._failed(f"refused:{exc.status}")
            return False
        except Exception:  # never into the UI
            log.exception("heartbeat send failed")
            self._failed("unreachable")
            return False
        if ack is None:
            self._failed("unreachable")
            return False
        self.status = HeartbeatStatus(
            last_ack_at=ack.received_at, clock_skew_s=ack.clock_skew_s, audit_flag=ack.audit_flag
        )
        return True

    def _failed(self, problem: str) -> None:
        s = self.status
        self.status = HeartbeatStatus(
            s.last_ack_at, s.clock_skew_s, s.audit_flag, problem, s.failures + 1
        )

    async def _run(self) -> None:
        while True:
            ok = await self.beat_once()
            if ok:
                delay = self._interval
            else:
                # Back off, but never slower than the cap: presence comes back soon after the hub.
                delay = max(1.0, self._backoff.delay_s(self.status.failures - 1))
                delay = min(delay, self._interval * 6)
            await asyncio.sleep(delay)
