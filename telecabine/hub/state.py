"""Per-application state of one hub process (built by ``create_app``, no globals)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from telecabine.hub.config import HubSettings

if TYPE_CHECKING:
    from telecabine.hub.bus import PgBus


@dataclass
class Connections:
    """Open WebSockets of this process, by station and by doctor (for pushes and relays)."""

    stations: dict[int, set[web.WebSocketResponse]] = field(default_factory=dict)
    doctors: dict[int, set[web.WebSocketResponse]] = field(default_factory=dict)

    def add(self, table: dict[int, set[web.WebSocketResponse]], key: int, ws) -> None:
        """Register a socket."""
        table.setdefault(key, set()).add(ws)

    def remove(self, table: dict[int, set[web.WebSocketResponse]], key: int, ws) -> None:
        """Forget a socket."""
        group = table.get(key)
        if group is not None:
            group.discard(ws)
            if not group:
                table.pop(key, None)

    def all_sockets(self) -> list[web.WebSocketResponse]:
        """Every open socket (closed at shutdown)."""
        out = [ws for group in self.stations.values() for ws in group]
        out += [ws for group in self.doctors.values() for ws in group]
        return out


@dataclass
class HubState:
    """Everything a request handler needs: settings, engine, live connections."""

    settings: HubSettings
    engine: AsyncEngine
    connections: Connections = field(default_factory=Connections)
    inline_style_hashes: list[str] = field(default_factory=list)
    # Last position told to each waiting station, so ``position`` is sent only on change.
    positions_sent: dict[str, int] = field(default_factory=dict)
    # Fan-out to other instances sharing PostgreSQL (None: single process, e.g. SQLite).
    bus: PgBus | None = None
    probes: dict[str, asyncio.Future] = field(default_factory=dict)
    # Background tasks (disconnect grace timers), kept referenced until done.
    tasks: set[asyncio.Task] = field(default_factory=set)

    def spawn(self, coro) -> asyncio.Task:
        """Run a background task, keeping a reference so it is not garbage-collected."""
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    # Serialises waiting-room writes in this process (the DB's conditional UPDATE is what
    # makes "take" atomic across processes; the lock keeps queue pushes in order).
    room_lock: asyncio.Lock = field(default_factory=asyncio.Lock)


HUB: web.AppKey[HubState] = web.AppKey("telecabine_hub", HubState)
