"""Fan-out between hub instances sharing PostgreSQL (``LISTEN/NOTIFY``), so signaling can be
spread over several instances behind a load balancer without sticky sessions.

An instance that must reach a station or doctor sends to its own sockets and publishes the
message; every other instance delivers it to the sockets it holds. NOTIFY payloads are limited
to 8000 bytes, so larger messages (SDP) go through the ``bus_messages`` table and the
notification carries only the row id. SQLite deployments are single-process: no bus.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from telecabine.hub.db import bus_messages

log = logging.getLogger(__name__)
CHANNEL = "telecabine_hub"
INLINE_LIMIT = 7000  # bytes; PostgreSQL refuses NOTIFY payloads of 8000 bytes and more

Deliver = Callable[[str, int, str], Awaitable[None]]


class PgBus:
    """Publish/subscribe over one PostgreSQL channel; ``deliver(kind, id, text)`` on receipt."""

    def __init__(self, engine: AsyncEngine, url: str, deliver: Deliver):
        self.instance = secrets.token_hex(8)
        self._engine = engine
        self._dsn = make_url(url).set(drivername="postgresql").render_as_string(False)
        self._deliver = deliver
        self._conn = None
        self._stopping = False
        self._tasks: set[asyncio.Task] = set()

    async def start(self) -> None:
        """Open the listening connection."""
        import asyncpg

        self._stopping = False
        self._conn = await asyncpg.connect(self._dsn)
        await self._conn.add_listener(CHANNEL, self._on_notify)
        self._conn.add_termination_listener(self._on_terminated)

    def _on_terminated(self, _conn) -> None:
        # The database restarted or dropped us: listen again (messages in the gap are lost;
        # queue pushes resynchronise on the next change, the station re-offers on ICE failure).
        if not self._stopping:
            self._spawn(self._reconnect())

    async def _reconnect(self) -> None:
        delay = 0.5
        while not self._stopping:
            try:
                await self.start()
                log.warning("bus listener reconnected")
                return
            except Exception:  # asyncpg raises many kinds while PostgreSQL is down
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)

    async def stop(self) -> None:
        """Stop listening."""
        self._stopping = True
        for task in list(self._tasks):
            task.cancel()
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def listener_pid(self) -> int:
        """Backend pid of the listening connection (for operations and tests)."""
        assert self._conn is not None
        return self._conn.get_server_pid()

    async def publish(self, kind: str, principal_id: int, message: str) -> None:
        """Send a message to the sockets of ``kind``/``principal_id`` held by other instances."""
        envelope = {"i": self.instance, "k": kind, "p": principal_id, "m": message}
        payload = json.dumps(envelope, separators=(",", ":"))
        async with self._engine.begin() as conn:
            if len(payload.encode("utf-8")) > INLINE_LIMIT:
                now = datetime.now(UTC)
                await conn.execute(
                    delete(bus_messages).where(
                        bus_messages.c.created_at < now - timedelta(minutes=5)
                    )
                )
                result = await conn.execute(
                    insert(bus_messages).values(body=message, created_at=now)
                )
                envelope = {**envelope, "m": None, "ref": result.inserted_primary_key[0]}
                payload = json.dumps(envelope, separators=(",", ":"))
            # Delivered at commit, so a referenced row is visible to the listeners.
            await conn.execute(text("SELECT pg_notify(:c, :p)"), {"c": CHANNEL, "p": payload})

    def _on_notify(self, _conn, _pid, _channel, payload: str) -> None:
        self._spawn(self._handle(payload))

    async def _handle(self, payload: str) -> None:
        try:
            env = json.loads(payload)
            if env.get("i") == self.instance:
                return  # our own publication: already delivered locally
            message = env.get("m")
            if message is None and "ref" in env:
                async with self._engine.connect() as conn:
                    message = (
                        await conn.execute(
                            select(bus_messages.c.body).where(bus_messages.c.id == env["ref"])
                        )
                    ).scalar()
            if message is not None:
                await self._deliver(env["k"], int(env["p"]), message)
        except Exception:  # one bad notification must not stop the listener
            log.exception("bus notification could not be delivered")
