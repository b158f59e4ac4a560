"""HTTP client of the hub's billing ingest (``POST /api/v1/billing-records``).

One ``aiohttp.ClientSession`` with keep-alive connections; each record goes with
``Idempotency-Key: <record uuid>``, so a request repeated after a crash, a timeout or a reset is
answered 200 with the stored record instead of creating a second one.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import aiohttp

INGEST_PATH = "/api/v1/billing-records"


class Outcome(StrEnum):
    """What to do with an outbox row after one upload attempt."""

    SENT = "sent"  # 201 created or 200 replay: delivered
    CONFLICT = "conflict"  # 409: same uuid, different body on the hub -> needs a person
    REJECTED = "rejected"  # 422 (or 400/403/413): poison message, keep it, do not retry
    UNAUTHORIZED = "unauthorized"  # 401: station token missing/revoked -> stop, tell operator
    RETRY = "retry"  # network error, timeout, 5xx, 429: try again later


@dataclass(frozen=True)
class UploadResult:
    """Result of one POST: outcome, HTTP status (None on network error) and a short detail."""

    outcome: Outcome
    status: int | None
    detail: str


def _error_part(body: Any) -> dict:
    """The hub's ``{"error": {...}}`` object (or the body itself), ``{}`` when absent."""
    if not isinstance(body, dict):
        return {}
    inner = body.get("error")
    return inner if isinstance(inner, dict) else body


def _field_errors(body: Any) -> str:
    """Short text of the hub's 422 field errors (locations and messages; no values echoed)."""
    fields = _error_part(body).get("fields")
    if not fields:
        return "invalid record"
    parts = []
    for f in fields[:10]:
        loc = ".".join(str(p) for p in f.get("loc", []))
        parts.append(f"{loc}: {f.get('msg', '')}")
    return "; ".join(parts)


def classify(status: int, body: Any) -> UploadResult:
    """Map an HTTP answer of the ingest endpoint to an :class:`Outcome` (pure, unit-tested)."""
    if status in (200, 201):
        return UploadResult(Outcome.SENT, status, "ok")
    if status == 409:
        return UploadResult(Outcome.CONFLICT, status, "same Idempotency-Key, different body")
    if status == 401:
        return UploadResult(Outcome.UNAUTHORIZED, status, "station token refused")
    if status in (408, 425, 429) or status >= 500:
        return UploadResult(Outcome.RETRY, status, f"hub answered {status}")
    if status == 422:
        return UploadResult(Outcome.REJECTED, status, _field_errors(body))
    # 400, 403 (record of another station), 404, 413...: retrying the same body cannot help.
    code = _error_part(body).get("code")
    return UploadResult(Outcome.REJECTED, status, f"hub answered {status} {code or ''}".strip())


class BillingClient:
    """Uploads billing records to one hub with a station token; reuse it (keep-alive)."""

    def __init__(
        self,
        hub_url: str,
        token: str,
        *,
        timeout_s: float = 10.0,
        max_connections: int = 16,
    ) -> None:
        self._url = hub_url.rstrip("/") + INGEST_PATH
        self._token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout_s, sock_connect=min(timeout_s, 5.0))
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._max_connections, keepalive_timeout=30)
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=self._timeout,
                headers={"Authorization": f"Bearer {self._token}"},
            )
        return self._session

    async def upload(self, record_uuid: str, payload: dict[str, Any]) -> UploadResult:
        """POST one record; never raises for network trouble (returns ``Outcome.RETRY``)."""
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers = {"Idempotency-Key": record_uuid, "Content-Type": "application/json"}
        try:
            async with self._client().post(self._url, data=data, headers=headers) as resp:
                try:
                    body = await resp.json(content_type=None)
                except (ValueError, aiohttp.ContentTypeError):
                    body = None
                return classify(resp.status, body)
        except TimeoutError:
            return UploadResult(Outcome.RETRY, None, "timeout")
        except (aiohttp.ClientError, OSError) as exc:
            return UploadResult(Outcome.RETRY, None, f"network: {type(exc).__name__}")

    async def close(self) -> None:
        """Close the keep-alive connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
            # Let the transports finish closing before the loop may be closed (aiohttp advice).
            await asyncio.sleep(0)
