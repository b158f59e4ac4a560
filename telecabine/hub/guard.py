"""Connection guard: header/body read deadlines, connection caps, rate-limited logs.

aiohttp has a keep-alive timeout but no deadline for *sending* a request: a client that sends
half a request line, or a body one byte a minute, holds a socket (and a file descriptor) for
ever; ~20,000 of them exhausted the hub's descriptors. Each accepted connection is wrapped in a
:class:`_GuardedProtocol` (a transparent proxy in front of aiohttp's own protocol) that:

- refuses a connection beyond ``max_connections_per_ip`` from one address, or beyond the
  process cap (``max_connections``, and never closer than a reserve to ``RLIMIT_NOFILE``), with a
  short ``503`` and a close - the descriptor is freed at once;
- closes a connection that has not sent its request line and headers within
  ``header_timeout_s`` (counted from the connection, or from the first byte after an idle
  keep-alive), or a request body within ``body_timeout_s`` of its headers.

The deadlines are checked by one sweep per second over all connections, not one timer each.
WebSocket upgrades are exempt once upgraded (they have their own heartbeat).

Log flooding: :class:`RateLimitFilter` passes at most ``burst`` records per logger and message
per minute and then one summary with the number suppressed, so a flood cannot fill the disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
import time
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

HEADERS, BODY, HANDLER, IDLE, UPGRADED = "headers", "body", "handler", "idle", "upgraded"
_REFUSAL = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n"
    b"Retry-After: 5\r\nServer: telecabine-hub\r\n\r\n"
)


class _Conn:
    __slots__ = ("ip", "phase", "protocol", "request", "since")

    def __init__(self, ip: str, protocol: _GuardedProtocol, now: float):
        self.ip, self.protocol = ip, protocol
        self.phase, self.since = HEADERS, now
        self.request: web.Request | None = None


class ConnectionGuard:
    """Bookkeeping of every open connection of one hub (see module docstring)."""

    def __init__(
        self,
        *,
        header_timeout_s: float,
        body_timeout_s: float,
        max_per_ip: int,
        max_total: int,
        reserve_fds: int | None = None,
    ):
        self.header_timeout_s = header_timeout_s
        self.body_timeout_s = body_timeout_s
        self.max_per_ip = max_per_ip
        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != resource.RLIM_INFINITY and soft > 0:
            # Leave room for the database, log files and an accept burst (up to the backlog).
            reserve = reserve_fds if reserve_fds is not None else max(48, soft // 3)
            max_total = min(max_total, max(16, soft - reserve))
        self.max_total = max_total
        self.by_transport: dict[int, _Conn] = {}
        self.per_ip: dict[str, int] = {}
        self.refused = 0
        self.closed_slow = 0
        self._sweeper: asyncio.Task | None = None

    # -- protocol side -------------------------------------------------------------------
    def admit(self, transport: asyncio.BaseTransport, protocol: _GuardedProtocol) -> bool:
        """Register a new connection; False (refuse it) over a cap."""
        peer = transport.get_extra_info("peername")
        ip = str(peer[0]) if isinstance(peer, tuple | list) and peer else "?"
        if len(self.by_transport) >= self.max_total or self.per_ip.get(ip, 0) >= self.max_per_ip:
            self.refused += 1
            return False
        self.by_transport[id(transport)] = _Conn(ip, protocol, time.monotonic())
        self.per_ip[ip] = self.per_ip.get(ip, 0) + 1
        return True

    def release(self, transport: asyncio.BaseTransport) -> None:
        """Forget a closed connection."""
        conn = self.by_transport.pop(id(transport), None)
        if conn is not None:
            left = self.per_ip.get(conn.ip, 1) - 1
            if left > 0:
                self.per_ip[conn.ip] = left
            else:
                self.per_ip.pop(conn.ip, None)

    def data(self, transport: asyncio.BaseTransport) -> None:
        """Bytes arrived: an idle keep-alive connection starts a new request (headers due)."""
        conn = self.by_transport.get(id(transport))
        if conn is not None and conn.phase == IDLE:
            conn.phase, conn.since = HEADERS, time.monotonic()

    # -- request side (middleware) -------------------------------------------------------
    def request_started(self, request: web.Request) -> _Conn | None:
        """Headers are in: now the body (if any) is due within ``body_timeout_s``."""
        transport = request.transport
        conn = self.by_transport.get(id(transport)) if transport is not None else None
        if conn is None:
            return None
        upgrade = request.headers.get("Upgrade", "").lower() == "websocket"
        if upgrade:
            conn.phase = UPGRADED
        elif request.body_exists and not request.content.is_eof():
            conn.phase = BODY
        else:
            conn.phase = HANDLER
        conn.since, conn.request = time.monotonic(), request
        return conn

    @staticmethod
    def request_done(conn: _Conn | None) -> None:
        """The response is out: the connection idles (aiohttp's keep-alive timeout applies)."""
        if conn is not None:
            conn.phase, conn.since, conn.request = IDLE, time.monotonic(), None

    # -- sweeper -------------------------------------------------------------------------
    def sweep(self, now: float | None = None) -> int:
        """Close connections past their deadline; returns how many."""
        now = time.monotonic() if now is None else now
        closed = 0
        for conn in list(self.by_transport.values()):
            if conn.phase == BODY and conn.request is not None and conn.request.content.is_eof():
                conn.phase = HANDLER
            late = (conn.phase == HEADERS and now - conn.since > self.header_timeout_s) or (
                conn.phase == BODY and now - conn.since > self.body_timeout_s
            )
            if late:
                closed += 1
                conn.protocol.abort()
        self.closed_slow += closed
        if closed:
            log.info("closed %d connection(s) too slow to send their request", closed)
        return closed

    async def _sweep_forever(self) -> None:
        period = max(0.2, min(1.0, self.header_timeout_s / 4))
        while True:
            await asyncio.sleep(period)
            try:
                self.sweep()
            except Exception:  # never let the sweeper die
                log.exception("connection sweep failed")

    def start(self) -> None:
        """Start the periodic sweep (in the running loop)."""
        if self._sweeper is None:
            self._sweeper = asyncio.ensure_future(self._sweep_forever())

    async def stop(self) -> None:
        """Stop the sweep."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None

    def protocol_factory(self, inner_factory: Callable[[], Any]) -> Callable[[], Any]:
        """Wrap aiohttp's protocol factory (``runner.server``)."""
        return lambda: _GuardedProtocol(self, inner_factory())

    def middleware(self):
        """aiohttp middleware marking request phases for the deadlines."""

        @web.middleware
        async def guard_middleware(
            request: web.Request,
            handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
        ) -> web.StreamResponse:
            conn = self.request_started(request)
            try:
                return await handler(request)
            finally:
                self.request_done(conn)

        return guard_middleware


class _GuardedProtocol(asyncio.Protocol):
    """Transparent proxy in front of aiohttp's RequestHandler (see module docstring)."""

    def __init__(self, guard: ConnectionGuard, inner: asyncio.Protocol):
        self._guard, self._inner = guard, inner
        self._transport: asyncio.BaseTransport | None = None
        self._admitted = False
        if isinstance(inner, web.RequestHandler):
            # aiohttp's handler has __slots__: swap in a subclass answering parse errors.
            inner.__class__ = _handler_class(type(inner))

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport
        if not self._guard.admit(transport, self):
            with contextlib.suppress(Exception):
                transport.write(_REFUSAL)  # type: ignore[attr-defined]
                transport.close()
            return
        self._admitted = True
        self._inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self._admitted:
            self._guard.data(self._transport)  # type: ignore[arg-type]
            self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received() if self._admitted else None

    def connection_lost(self, exc: BaseException | None) -> None:
        if self._admitted:
            self._admitted = False
            self._guard.release(self._transport)  # type: ignore[arg-type]
            self._inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()

    def abort(self) -> None:
        """Drop the connection now (RST; the descriptor is freed immediately)."""
        if self._transport is not None:
            self._transport.abort()  # type: ignore[attr-defined]


_HANDLER_CLASSES: dict[type, type] = {}


def _handler_class(base: type) -> type:
    cls = _HANDLER_CLASSES.get(base)
    if cls is None:
        cls = type(
            "GuardedRequestHandler",
            (base,),
            {"__slots__": (), "handle_error": lambda self, *a, **k: _handle_error(*a, **k)},
        )
        _HANDLER_CLASSES[base] = cls
    return cls


def _handle_error(
    request: web.BaseRequest,
    status: int = 500,
    exc: BaseException | None = None,
    message: str | None = None,
) -> web.StreamResponse:
    """Replaces aiohttp's answer to a request it could not parse (bad request line, bad
    header...): one log line without traceback or request bytes, a short body that echoes
    nothing, the security headers and no version banner."""
    log.info("unparsable request refused: %d %s", status, type(exc).__name__)
    if request.writer.output_size > 0:
        raise ConnectionError("response already started")
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    resp = web.Response(status=status, text=f"{status} {phrase}\n", content_type="text/plain")
    resp.headers.update(
        {
            "Server": "telecabine-hub",
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY",
            "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
            "Cache-Control": "no-store",
        }
    )
    resp.force_close()
    return resp


class GuardedSite(web.TCPSite):
    """``web.TCPSite`` whose connections go through a :class:`ConnectionGuard`."""

    def __init__(self, runner: web.BaseRunner, *args: Any, guard: ConnectionGuard, **kwargs: Any):
        super().__init__(runner, *args, **kwargs)
        self._guard = guard

    async def start(self) -> None:
        """Like ``TCPSite.start`` with the wrapped protocol factory."""
        await web.BaseSite.start(self)
        loop = asyncio.get_running_loop()
        server = self._runner.server
        assert server is not None
        self._server = await loop.create_server(
            self._guard.protocol_factory(server),
            self._host,
            self._port,
            ssl=self._ssl_context,
            backlog=self._backlog,
            reuse_address=self._reuse_address,
            reuse_port=self._reuse_port,
        )
        self._guard.start()

    async def stop(self) -> None:
        """Stop serving and the sweep."""
        await self._guard.stop()
        await super().stop()


class RateLimitFilter(logging.Filter):
    """At most ``burst`` records per (logger, message template) per ``period_s``."""

    def __init__(self, burst: int = 10, period_s: float = 60.0):
        super().__init__()
        self.burst, self.period_s = burst, period_s
        self._seen: dict[tuple[str, str], list[float | int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, str(record.msg)[:200])
        now = time.monotonic()
        entry = self._seen.get(key)
        if entry is None or now - entry[0] > self.period_s:
            suppressed = int(entry[2]) if entry is not None else 0
            self._seen[key] = [now, 1, 0]
            if len(self._seen) > 10_000:  # bounded memory under many distinct messages
                self._seen.clear()
            if suppressed:
                record.msg = f"{record.msg} [{suppressed} similar message(s) suppressed]"
            return True
        entry[1] += 1
        if entry[1] <= self.burst:
            return True
        entry[2] += 1
        return False


FLOOD_LOGGERS = (
    "asyncio",
    "aiohttp.access",
    "aiohttp.internal",
    "aiohttp.server",
    "aiohttp.web",
    "aiohttp.websocket",
    "telecabine.hub.bus",
    "telecabine.hub.guard",
    "telecabine.hub.hardening",
    "telecabine.hub.signaling_ws",
    "sqlalchemy",
)


def install_log_limits(burst: int = 10, period_s: float = 60.0) -> None:
    """Rate-limit the loggers a network flood can drive (idempotent)."""
    for name in FLOOD_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RateLimitFilter) for f in logger.filters):
            logger.addFilter(RateLimitFilter(burst, period_s))
