"""Fan-out between hub instances sharing PostgreSQL (``LISTEN/NOTIFY`` + an outbox table), so
signaling can be spread over several instances behind a load balancer without sticky sessions.

An instance that must reach a station or doctor sends to its own sockets and publishes the
message; every other instance delivers it to the sockets it holds. Publishing queues the
message; one writer task stores what is queued in ``signal_outbox`` (one transaction per batch,
without waiting for the WAL flush: signaling is ephemeral) and, in the same transaction,
NOTIFYs each row's id (with the message itself when it fits the 8000-byte NOTIFY limit; larger
ones, such as SDP, are read from the row). NOTIFY alone is fire-and-forget: a listener whose
connection drops misses what was sent meanwhile. So each listener remembers the ids it
delivered and, once it listens again, reads the outbox rows written since it was last known to
be listening and delivers those it missed: each message once per instance, in id order. Rows
older than ``RETENTION_S`` are pruned; a listener down longer than that logs how long it
missed. A message that cannot be stored for ``GIVE_UP_S`` (database down) is dropped and
logged. SQLite deployments are single-process: no bus.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from telecabine.hub.db import signal_outbox

log = logging.getLogger(__name__)
CHANNEL = "telecabine_hub"
INLINE_LIMIT = 7000  # bytes; PostgreSQL refuses NOTIFY payloads of 8000 bytes and more
RETENTION_S = 300.0  # outbox rows older than this are pruned
PRUNE_EVERY_S = 30.0
KEEPALIVE_S = 2.0  # the listener checks its connection (and notes the time) this often
# Rows are stamped with the publisher's clock at insert, committed a little later: catch-up
# reads from a margin before the moment the listener was last known alive (duplicates are
# filtered by id).
CATCH_UP_MARGIN_S = 15.0
SEEN_MAX = 200_000
WRITE_BATCH = 500  # messages per publishing transaction at most
GIVE_UP_S = 10.0  # a message that cannot be stored for this long is dropped (and logged)

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
        self._seen: set[int] = set()
        self._seen_order: deque[int] = deque()
        self._alive_at: datetime | None = None  # last time the listener was known listening
        self._last_prune = 0.0
        self.reconnects = 0
        self._pending: list[tuple[str, int, str]] = []
        self._wake = asyncio.Event()
        self._writer: asyncio.Task | None = None
        self._writing = False
        self.published = 0
        self.dropped = 0
        self.caught_up = 0  # messages delivered by catch-up (operations, tests)

    async def start(self) -> None:
        """Open the listening connection (and catch up if it is a reconnection)."""
        import asyncpg

        self._stopping = False
        conn = await asyncpg.connect(self._dsn)
        try:
            await conn.add_listener(CHANNEL, self._on_notify)
            conn.add_termination_listener(self._on_terminated)
        except BaseException:
            await conn.close()
            raise
        self._conn = conn
        since = self._alive_at
        self._alive_at = datetime.now(UTC)
        if since is not None:
            await self._catch_up(since)
        self._spawn(self._keepalive(conn))

    def _on_terminated(self, conn) -> None:
        # The database restarted or dropped us: listen again, then catch up from the outbox.
        if conn is self._conn:
            self._conn = None
        if not self._stopping:
            self._spawn(self._reconnect())

    async def _reconnect(self) -> None:
        delay = 0.2
        while not self._stopping:
            try:
                await self.start()
                self.reconnects += 1
                log.warning("bus listener reconnected")
                return
            except Exception:  # asyncpg raises many kinds while PostgreSQL is down
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    async def _keepalive(self, conn) -> None:
        """Note that the listener is alive; a dead connection is closed (-> reconnect)."""
        while not self._stopping and conn is self._conn:
            await asyncio.sleep(KEEPALIVE_S)
            if conn is not self._conn:
                return
            try:
                checked_at = datetime.now(UTC)
                await asyncio.wait_for(conn.fetchval("SELECT 1"), KEEPALIVE_S * 2)
                self._alive_at = checked_at
            except Exception:
                log.warning("bus listener connection lost")
                conn.terminate()  # fires the termination listener
                return

    async def stop(self) -> None:
        """Publish what is queued (briefly), then stop listening."""
        await self.flush(2.0)
        self._stopping = True
        if self._writer is not None:
            self._writer.cancel()
        for task in list(self._tasks):
            task.cancel()
        if self._conn is not None:
            conn, self._conn = self._conn, None
            with contextlib.suppress(Exception):
                await conn.close()

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def listener_pid(self) -> int:
        """Backend pid of the listening connection (for operations and tests)."""
        assert self._conn is not None
        return self._conn.get_server_pid()

    @property
    def listening(self) -> bool:
        """True while the listening connection is open."""
        return self._conn is not None and not self._conn.is_closed()

    async def publish(self, kind: str, principal_id: int, message: str) -> None:
        """Send a message to the sockets of ``kind``/``principal_id`` held by other instances.

        Returns at once: one writer task stores what is queued in batches (one transaction for
        all the messages queued meanwhile, so a queue push to every doctor and the new
        positions of every waiting station cost one commit, not one each) and NOTIFYs them in
        order at commit.
        """
        self._pending.append((kind, principal_id, message))
        self._wake.set()
        if self._writer is None or self._writer.done():
            self._writer = asyncio.ensure_future(self._write_loop())

    async def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every queued message is stored and notified (False on timeout)."""
        deadline = time.monotonic() + timeout
        while self._pending or self._writing:
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    async def _write_loop(self) -> None:
        failing_since: float | None = None
        while True:
            if not self._pending:
                self._wake.clear()
                if self._stopping:
                    return
                await self._wake.wait()
                continue
            batch = self._pending[:WRITE_BATCH]
            self._writing = True
            try:
                await self._write(batch)
                failing_since = None
                del self._pending[: len(batch)]
                self.published += len(batch)
            except Exception:  # PostgreSQL unreachable: retry a while, then drop and say so
                now = time.monotonic()
                failing_since = failing_since or now
                if now - failing_since > GIVE_UP_S or self._stopping:
                    del self._pending[: len(batch)]
                    self.dropped += len(batch)
                    log.error("bus: %d message(s) could not be published (database down)",
                              len(batch))  # fmt: skip
                    failing_since = None
                else:
                    log.warning("bus publish failed, retrying", exc_info=True)
                    await asyncio.sleep(0.2)
            finally:
                self._writing = False

    async def _write(self, batch: list[tuple[str, int, str]]) -> None:
        now = datetime.now(UTC)
        async with self._engine.begin() as conn:
            # Signaling is ephemeral: no need to wait for the WAL flush (billing keeps its own
            # synchronous commits; this setting lasts for this transaction only).
            await conn.execute(text("SET LOCAL synchronous_commit TO OFF"))
            if time.monotonic() - self._last_prune > PRUNE_EVERY_S:
                self._last_prune = time.monotonic()
                await conn.execute(
                    delete(signal_outbox).where(
                        signal_outbox.c.created_at < now - timedelta(seconds=RETENTION_S)
                    )
                )
            rows = [
                {"instance": self.instance, "kind": k, "principal_id": p, "body": m,
                 "created_at": now}
                for k, p, m in batch
            ]  # fmt: skip
            result = await conn.execute(
                insert(signal_outbox).returning(signal_outbox.c.id, sort_by_parameter_order=True),
                rows,
            )
            ids = [r[0] for r in result]
            payloads = []
            for (kind, principal_id, message), row_id in zip(batch, ids, strict=True):
                env = {"i": self.instance, "k": kind, "p": principal_id, "m": message, "id": row_id}
                payload = json.dumps(env, separators=(",", ":"))
                if len(payload.encode("utf-8")) > INLINE_LIMIT:
                    payload = json.dumps({**env, "m": None}, separators=(",", ":"))
                payloads.append(payload)
            # Delivered at commit (rows visible to the listeners by then), in this order.
            await conn.execute(
                text(
                    "SELECT pg_notify(:c, p.v) FROM unnest(CAST(:ps AS text[])) "
                    "WITH ORDINALITY AS p(v, n) ORDER BY p.n"
                ),
                {"c": CHANNEL, "ps": payloads},
            )

    def _on_notify(self, _conn, _pid, _channel, payload: str) -> None:
        self._spawn(self._handle(payload))

    def _first_time(self, row_id: int) -> bool:
        if row_id in self._seen:
            return False
        self._seen.add(row_id)
        self._seen_order.append(row_id)
        while len(self._seen_order) > SEEN_MAX:
            self._seen.discard(self._seen_order.popleft())
        return True

    async def _handle(self, payload: str) -> None:
        try:
            env = json.loads(payload)
            if env.get("i") == self.instance:
                return  # our own publication: already delivered locally
            row_id = int(env["id"])
            message = env.get("m")
            if message is None:
                async with self._engine.connect() as conn:
                    message = (
                        await conn.execute(
                            select(signal_outbox.c.body).where(signal_outbox.c.id == row_id)
                        )
                    ).scalar()
            # The id check and mark are synchronous: a message is delivered once even if its
            # notification and a catch-up read race.
            if message is not None and self._first_time(row_id):
                await self._deliver(env["k"], int(env["p"]), message)
        except Exception:  # one bad notification must not stop the listener
            log.exception("bus notification could not be delivered")

    async def _catch_up(self, since: datetime) -> None:
        """Deliver what other instances published while we were not listening."""
        start = since - timedelta(seconds=CATCH_UP_MARGIN_S)
        gap = (datetime.now(UTC) - since).total_seconds()
        if gap > RETENTION_S:
            log.error("bus listener was down %.0f s: messages older than %.0f s are lost",
                      gap, RETENTION_S)  # fmt: skip
        try:
            async with self._engine.connect() as conn:
                rows = (
                    await conn.execute(
                        select(
                            signal_outbox.c.id,
                            signal_outbox.c.kind,
                            signal_outbox.c.principal_id,
                            signal_outbox.c.body,
                        )
                        .where(signal_outbox.c.created_at >= start)
                        .where(signal_outbox.c.instance != self.instance)
                        .order_by(signal_outbox.c.id)
                    )
                ).all()
        except Exception:
            log.exception("bus catch-up failed")
            return
        delivered = 0
        for row in rows:
            if not self._first_time(row.id):
                continue
            try:
                await self._deliver(row.kind, row.principal_id, row.body)
                delivered += 1
            except Exception:
                log.exception("bus catch-up message could not be delivered")
        self.caught_up += delivered
        if delivered:
            log.warning("bus listener caught up %d message(s) after reconnecting", delivered)
