"""HTTP client for the station's presence calls to the hub: heartbeat, TLM allowance, activity.

Never raises for network trouble: methods return ``None`` (hub unreachable, timeout, 5xx) or
raise :class:`HubRefused` for an answer a retry will not fix (401/403/422), so callers can tell
"offline, keep the local figure" from "misconfigured, tell the operator".
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from telecabine.protocol.heartbeat import (
    HEARTBEAT_PATH,
    MY_ACTIVITY_PATH,
    TLM_ALLOWANCE_PATH,
    Heartbeat,
    HeartbeatAck,
    TlmAllowance,
)


class HubRefused(Exception):
    """The hub answered 4xx: the token or the request is wrong (a retry will not help)."""

    def __init__(self, status: int, code: str) -> None:
        super().__init__(f"{status} {code}")
        self.status = status
        self.code = code


class StationHubClient:
    """Small JSON client with the station's bearer token; one session, closed by ``close()``."""

    def __init__(self, hub_url: str, token: str, *, timeout_s: float = 5.0) -> None:
        self._url = hub_url.rstrip("/")
        self._token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=self._timeout, headers={"Authorization": f"Bearer {self._token}"}
            )
        return self._session

    async def _call(self, method: str, path: str, body: str | None = None) -> Any | None:
        headers = {"Content-Type": "application/json"} if body is not None else None
        try:
            async with self._client().request(
                method, self._url + path, data=body, headers=headers
            ) as resp:
                text = await resp.text()
                if resp.status >= 500:
                    return None
                data = json.loads(text) if text else {}
                if resp.status >= 400:
                    code = (
                        (data.get("error") or {}).get("code", "") if isinstance(data, dict) else ""
                    )
                    raise HubRefused(resp.status, str(code))
                return data
        except (aiohttp.ClientError, TimeoutError, ValueError, OSError):
            return None

    async def heartbeat(self, hb: Heartbeat) -> HeartbeatAck | None:
        """POST one heartbeat; the hub's ack, or None when unreachable."""
        data = await self._call("POST", HEARTBEAT_PATH, hb.model_dump_json())
        return HeartbeatAck.model_validate(data) if data is not None else None

    async def tlm_allowance(self, year: int) -> TlmAllowance | None:
        """The organisation's TLM used this year, or None when unreachable."""
        data = await self._call("GET", f"{TLM_ALLOWANCE_PATH}?year={int(year)}")
        return TlmAllowance.model_validate(data) if data is not None else None

    async def my_activity(self) -> dict | None:
        """This station's acts this month and its organisation's TLM (None when unreachable)."""
        return await self._call("GET", MY_ACTIVITY_PATH)

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
