"""Hub hardening that is not a route: password-hash pool, error middleware, socket guards.

- :class:`HashPool`: Argon2id verification in a bounded thread pool; an unauthenticated flood
  of sign-ins only queues behind other sign-ins (and gets 503 past ``hash_queue_max``), the
  event loop (health checks, stations' WebSockets) keeps running.
- :func:`errors_middleware`: any exception a handler lets escape becomes a typed JSON 500 (and
  ``RecursionError``/``ValueError`` from malformed input a 400), logged once per kind per
  minute without the request body; security headers are added by ``on_response_prepare`` so
  they are on every response, errors included, and the ``Server`` banner carries no version.
- :class:`SocketRegistry`: signaling sockets per session token / station token, to cap them and
  to close them when the session ends (logout, ``set-password``) or the token is replaced: a
  logout on this instance closes them at once; every socket also re-checks its credential in
  the database every ``session_check_s`` and before acting on a message (other instances).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiohttp import web

from telecabine.hub.accounts import doctor_for_session, hash_token, station_for_token
from telecabine.hub.config import HubSettings
from telecabine.hub.state import HUB

log = logging.getLogger(__name__)

SERVER_NAME = "telecabine-hub"
SESSION_ENDED = 4401  # WebSocket close code: the session or token is no longer valid


class HashBusy(Exception):
    """Too many sign-ins are waiting for a hash thread: answer 503, retry later."""


class HashPool:
    """A bounded pool for Argon2id (argon2-cffi releases the GIL while hashing)."""

    def __init__(self, workers: int, queue_max: int):
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="argon2")
        self._pending = 0
        self._max = queue_max

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn(*args)`` in the pool; :class:`HashBusy` when the queue is full."""
        if self._pending >= self._max:
            raise HashBusy
        self._pending += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)
        finally:
            self._pending -= 1

    def close(self) -> None:
        """Stop the threads (pending work is dropped)."""
        self._executor.shutdown(wait=False, cancel_futures=True)


class SocketRegistry:
    """Open signaling sockets by credential (session token hash / station token hash)."""

    def __init__(self) -> None:
        self.by_credential: dict[str, set[web.WebSocketResponse]] = {}
        self._closing: set[asyncio.Task] = set()

    def count(self, credential: str) -> int:
        """Sockets open on this instance with this credential."""
        return len(self.by_credential.get(credential, ()))

    def add(self, credential: str, ws: web.WebSocketResponse) -> None:
        """Register a socket."""
        self.by_credential.setdefault(credential, set()).add(ws)

    def remove(self, credential: str, ws: web.WebSocketResponse) -> None:
        """Forget a socket."""
        group = self.by_credential.get(credential)
        if group is not None:
            group.discard(ws)
            if not group:
                self.by_credential.pop(credential, None)

    async def close_credential(self, credential: str) -> None:
        """Close every socket of a credential that just ended (logout).

        In the background: a close waits for the peer's close frame, and the peer (the same
        browser) may first wait for the logout answer.
        """
        for ws in list(self.by_credential.get(credential, ())):
            task = asyncio.ensure_future(close_ended(ws))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)


HASH_POOL: web.AppKey[HashPool] = web.AppKey("telecabine_hash_pool", HashPool)
SOCKETS: web.AppKey[SocketRegistry] = web.AppKey("telecabine_sockets", SocketRegistry)


async def close_ended(ws: web.WebSocketResponse) -> None:
    """Close a socket whose session/token ended (code 4401, bilingual reason)."""
    if not ws.closed:
        with contextlib.suppress(ConnectionError, RuntimeError):
            await ws.close(code=SESSION_ENDED, message=b"session ended / session terminee")


def session_credential(token: str) -> str:
    """Registry key of a doctor session cookie."""
    return "session:" + hash_token(token)


def station_credential(token: str) -> str:
    """Registry key of a station bearer token."""
    return "station:" + hash_token(token)


async def credential_alive(request: web.Request, credential: str, raw_token: str) -> bool:
    """True while the session (or station token) behind a socket is still valid."""
    engine = request.app[HUB].engine
    if credential.startswith("session:"):
        return await doctor_for_session(engine, raw_token) is not None
    return await station_for_token(engine, raw_token) is not None


class SessionWatch:
    """Ties one socket to its credential: periodic re-check + check before each message."""

    def __init__(self, request: web.Request, ws: web.WebSocketResponse, kind: str, token: str):
        self.request, self.ws, self.token = request, ws, token
        self.credential = (
            session_credential(token) if kind == "doctor" else station_credential(token)
        )
        self.registry = request.app[SOCKETS]
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        """Register the socket and start the periodic check."""
        self.registry.add(self.credential, self.ws)
        self._task = asyncio.ensure_future(self._watch())

    async def stop(self) -> None:
        """Unregister (the socket is closing)."""
        self.registry.remove(self.credential, self.ws)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    async def alive(self) -> bool:
        """Check now; closes the socket when the credential ended."""
        try:
            ok = await credential_alive(self.request, self.credential, self.token)
        except Exception:  # database unreachable: keep the socket, check again later
            log.warning("session re-check failed (database unreachable?)")
            return True
        if not ok:
            await close_ended(self.ws)
        return ok

    async def _watch(self) -> None:
        period = self.request.app[HUB].settings.session_check_s
        while not self.ws.closed:
            await asyncio.sleep(period)
            if not await self.alive():
                return

    def guard(self, handle: Callable[[Any], Awaitable[None]]) -> Callable[[Any], Awaitable[None]]:
        """Wrap a message handler: nothing is done for a socket whose session has ended."""

        async def checked(msg: Any) -> None:
            if await self.alive():
                await handle(msg)

        return checked


def too_many_sockets() -> web.Response:
    """429 for a principal over its socket cap."""
    from telecabine.hub.security import json_error

    return json_error(
        429, "too_many_sockets", "Trop de connexions ouvertes / too many open sockets"
    )


def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    from telecabine.hub.security import _csp

    h = response.headers
    h["Server"] = SERVER_NAME
    h.setdefault("Content-Security-Policy", _csp(request))
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("Referrer-Policy", "same-origin")
    h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    h.setdefault("Permissions-Policy", "camera=(self), microphone=(self), geolocation=()")
    h.setdefault("Cache-Control", "no-store")
    if request.app[HUB].settings.tls:
        h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


async def _on_prepare(request: web.Request, response: web.StreamResponse) -> None:
    _security_headers(request, response)


@web.middleware
async def errors_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Nothing escapes as a bare 500: typed JSON errors, one log line per kind."""
    from telecabine.hub.security import json_error

    try:
        return await handler(request)
    except (web.HTTPException, asyncio.CancelledError):
        raise
    except (RecursionError, UnicodeError) as exc:
        log.warning("malformed input refused on %s: %s", request.path, type(exc).__name__)
        return json_error(400, "bad_request", "Requête illisible / malformed request")
    except ConnectionError:
        raise
    except Exception as exc:
        # No traceback with locals, no body: it may hold patient data.
        log.error("handler failed on %s %s: %s", request.method, request.path, type(exc).__name__)
        return json_error(500, "internal", "Erreur interne / internal error")


def install(app: web.Application, settings: HubSettings) -> None:
    """Attach the pool, the socket registry and the header hook to the app."""
    pool = HashPool(settings.hash_workers, settings.hash_queue_max)
    app[HASH_POOL] = pool
    app[SOCKETS] = SocketRegistry()
    app.on_response_prepare.append(_on_prepare)

    async def _close_pool(_app: web.Application) -> None:
        pool.close()

    app.on_cleanup.append(_close_pool)
