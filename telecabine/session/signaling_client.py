"""The station's WebSocket to the hub (``/ws/station``, Bearer station token).

Every incoming message is validated with :func:`telecabine.protocol.signaling.parse_message`;
a malformed one is answered with an ``error`` and never reaches the call. ``ping`` is answered
here. Keep-alive uses WebSocket heartbeats so a dead hub is noticed within ~20 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from telecabine.protocol import signaling as sig

log = logging.getLogger(__name__)


class SignalingError(RuntimeError):
    """The hub could not be reached or refused the station (bilingual message)."""


class HubSignaling:
    """Connected WebSocket to the hub; ``send`` models, ``on_message`` receives parsed ones."""

    def __init__(
        self,
        hub_url: str,
        token: str,
        on_message: Callable[[Any], Awaitable[None]],
        ssl_context: ssl.SSLContext | None = None,
    ):
        """``ssl_context``: trust for a hub whose certificate is not in the system store
        (an operator's private CA); None = the system's."""
        self._ssl = ssl_context if ssl_context is not None else True
        base = hub_url.rstrip("/")
        self.url = base.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
        self.url += "/ws/station"
        self._token = token
        self._on_message = on_message
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task | None = None
        self.closed = asyncio.Event()

    async def connect(self, timeout: float = 10.0) -> None:
        """Open the socket; raises :class:`SignalingError` with a message for the screen."""
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))
        try:
            self._ws = await self._session.ws_connect(
                self.url, headers={"Authorization": f"Bearer {self._token}"},
                heartbeat=10.0, timeout=aiohttp.ClientWSTimeout(ws_close=timeout),
                max_msg_size=sig.MAX_MESSAGE_BYTES, ssl=self._ssl,
            )  # fmt: skip
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            await self._session.close()
            raise SignalingError(
                "Serveur de téléconsultation injoignable / teleconsultation server unreachable"
                f" ({type(exc).__name__})"
            ) from exc
        self._reader = asyncio.ensure_future(self._read())

    async def send(self, message: Any) -> None:
        """Send one signaling model."""
        if self._ws is None or self._ws.closed:
            raise SignalingError("Connexion au serveur perdue / connection to server lost")
        await self._ws.send_str(sig.encode(message))

    async def _read(self) -> None:
        assert self._ws is not None
        try:
            async for frame in self._ws:
                if frame.type != aiohttp.WSMsgType.TEXT:
                    continue
                try:
                    msg = sig.parse_message(frame.data)
                except sig.ProtocolError as exc:
                    await self.send(sig.error_from(exc))
                    continue
                if isinstance(msg, sig.Ping):
                    await self.send(sig.Pong())
                    continue
                try:
                    await self._on_message(msg)
                except Exception:
                    log.exception("signaling handler failed for %s", msg.type)
        finally:
            self.closed.set()

    async def close(self) -> None:
        """Close the socket and the HTTP session."""
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._session is not None:
            await self._session.close()
        self.closed.set()
