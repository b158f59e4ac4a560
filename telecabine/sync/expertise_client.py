"""HTTP client of the hub's télé-expertise API (``protocol.expertise``), for the station.

Never raises for network trouble: each call returns an :class:`ApiResult` whose ``status`` is
0 when the hub could not be reached (the caller retries later).
"""

from __future__ import annotations

import asyncio
import json
import ssl
from dataclasses import dataclass
from typing import Any

import aiohttp

from telecabine.protocol.expertise import ANSWERS_PATH, EXPERTISE_PATH


@dataclass(frozen=True)
class ApiResult:
    """HTTP status (0 = unreachable) and the JSON body when there was one."""

    status: int
    body: Any = None
    error: str | None = None


class ExpertiseClient:
    """One keep-alive session to the hub, authenticated with the station token."""

    def __init__(
        self,
        hub_url: str,
        token: str,
        *,
        timeout_s: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._base = hub_url.rstrip("/")
        self._token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout_s, sock_connect=min(timeout_s, 5.0))
        self._ssl = ssl_context
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=self._timeout,
                headers={"Authorization": f"Bearer {self._token}"},
                connector=aiohttp.TCPConnector(ssl=self._ssl if self._ssl else True),
            )
        return self._session

    async def _call(self, method: str, path: str, **kwargs: Any) -> ApiResult:
        try:
            async with self._client().request(method, self._base + path, **kwargs) as resp:
                try:
                    body = await resp.json(content_type=None)
                except (ValueError, aiohttp.ContentTypeError):
                    body = None
                return ApiResult(resp.status, body)
        except TimeoutError:
            return ApiResult(0, None, "timeout")
        except (aiohttp.ClientError, OSError) as exc:
            return ApiResult(0, None, f"network: {type(exc).__name__}")

    async def file_request(self, payload: dict[str, Any]) -> ApiResult:
        """``POST /api/v1/expertise`` (201 new, 200 replay, 409, 422 with the reason)."""
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        return await self._call(
            "POST", EXPERTISE_PATH, data=data, headers={"Content-Type": "application/json"}
        )

    async def put_photo(self, request_uuid: str, index: int, jpeg: bytes) -> ApiResult:
        """``PUT /api/v1/expertise/{uuid}/photos/{index}`` (idempotent)."""
        return await self._call(
            "PUT", f"{EXPERTISE_PATH}/{request_uuid}/photos/{index}", data=jpeg,
            headers={"Content-Type": "image/jpeg"},
        )  # fmt: skip

    async def answers(self, since_iso: str | None) -> ApiResult:
        """``GET /api/v1/expertise/answers?since=``."""
        params = {"since": since_iso} if since_iso else {}
        return await self._call("GET", ANSWERS_PATH, params=params)

    async def experts(self) -> ApiResult:
        """``GET /api/v1/expertise/experts``: who can be asked."""
        return await self._call("GET", f"{EXPERTISE_PATH}/experts")

    async def close(self) -> None:
        """Close the keep-alive connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
            await asyncio.sleep(0)
