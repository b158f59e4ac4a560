"""HTTP client of the hub's billing ingest (``POST /api/v1/billing-records`` and ``/batch``).

One ``aiohttp.ClientSession`` with keep-alive connections; each record goes with
``Idempotency-Key: <record uuid>`` (in the header, or beside the record in a batch), so a
request repeated after a crash, a timeout or a reset is answered 200 with the stored record
instead of creating a second one. :meth:`BillingClient.upload_batch` sends up to 500 records
per request and maps the hub's per-record answers onto the single-record rules
(:func:`classify`); a hub without the batch endpoint (404/405) is remembered for an hour and
records go one by one.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import aiohttp
from pydantic import ValidationError

from telecabine.protocol.billing import (
    BATCH_PATH,
    BATCH_VERSION,
    MAX_BATCH_BYTES,
    MAX_BATCH_RECORDS,
    BatchResponse,
)

INGEST_PATH = "/api/v1/billing-records"
NO_BATCH_RECHECK_S = 3600.0  # an old hub may be upgraded: try the batch endpoint again hourly
_ENVELOPE_BYTES = 64  # '{"v":1,"records":[' + ']}' with room to spare


class Outcome(StrEnum):
    """What to do with an outbox row after one upload attempt."""

    SENT = "sent"  # 201 created or 200 replay: delivered
    CONFLICT = "conflict"  # 409: same uuid, different body on the hub -> needs a person
    REJECTED = "rejected"  # 422 (or 400/403/413): poison message, keep it, do not retry
    UNAUTHORIZED = "unauthorized"  # 401: station token missing/revoked -> stop, tell operator
    RETRY = "retry"  # network error, timeout, 5xx, 429: try again later
    SINGLE = "single"  # batch endpoint absent or envelope refused: send it with upload()


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


def _dumps(payload: Any) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def split_by_size(
    parts: Sequence[str], max_records: int = MAX_BATCH_RECORDS, max_bytes: int = MAX_BATCH_BYTES
) -> list[range]:
    """Index ranges of ``parts`` (JSON items) fitting the batch limits; a lone oversize item
    gets a range of its own (the hub answers it 413, and only it is rejected)."""
    out: list[range] = []
    start, size = 0, _ENVELOPE_BYTES
    for i, part in enumerate(parts):
        n = len(part.encode("utf-8")) + 1
        if i > start and (i - start >= max_records or size + n > max_bytes):
            out.append(range(start, i))
            start, size = i, _ENVELOPE_BYTES
        size += n
    if start < len(parts):
        out.append(range(start, len(parts)))
    return out


def batch_results(keys: Sequence[str], body: Any) -> list[UploadResult]:
    """Per-record results of a 200 batch answer (pure); all RETRY if the answer is unreadable
    (safe: the hub stored nothing twice, a later replay gets "replayed")."""
    try:
        parsed = BatchResponse.model_validate(body)
    except ValidationError:
        parsed = None
    if parsed is None or [(r.index, r.idempotency_key) for r in parsed.results] != list(
        enumerate(keys)
    ):
        return [UploadResult(Outcome.RETRY, 200, "unreadable batch answer")] * len(keys)
    return [classify(r.status, {"error": r.error or {}}) for r in parsed.results]


_SINGLE = UploadResult(Outcome.SINGLE, None, "send alone")


def _stops(results: Sequence[UploadResult | None]) -> bool:
    """True when the hub/network is in trouble or the token refused: send nothing more now."""
    return any(r is None or r.outcome in (Outcome.RETRY, Outcome.UNAUTHORIZED) for r in results)


class BillingClient:
    """Uploads billing records to one hub with a station token; reuse it (keep-alive)."""

    def __init__(
        self,
        hub_url: str,
        token: str,
        *,
        timeout_s: float = 10.0,
        max_connections: int = 16,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self._tls = tls  # verified TLS: the operator's CA bundle when set (https only)
        self._url = hub_url.rstrip("/") + INGEST_PATH
        self._batch_url = hub_url.rstrip("/") + BATCH_PATH
        self._no_batch_until = 0.0
        self._token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout_s, sock_connect=min(timeout_s, 5.0))
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._max_connections, keepalive_timeout=30, ssl=self._tls or True
            )
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

    @property
    def batch_supported(self) -> bool:
        """False for an hour after the hub answered 404/405 to a batch (older hub)."""
        return time.monotonic() >= self._no_batch_until

    async def upload_batch(
        self, records: Sequence[tuple[str, dict[str, Any]]]
    ) -> list[UploadResult | None]:
        """POST ``(uuid, payload)`` records in batches; one result per record, in order.

        ``Outcome.SINGLE``: the hub has no batch endpoint (404/405, remembered an hour) or
        refused the envelope -> send that record with :meth:`upload`. ``None``: not tried,
        because an earlier request of this call hit hub/network trouble or a 401.
        Never raises for network trouble.
        """
        if not self.batch_supported:
            return [_SINGLE] * len(records)
        keys = [k for k, _ in records]
        parts = [f'{{"idempotency_key":{_dumps(k)},"record":{_dumps(p)}}}' for k, p in records]
        out: list[UploadResult | None] = [None] * len(records)
        for span in split_by_size(parts):
            results = await self._post_batch([keys[i] for i in span], [parts[i] for i in span])
            out[span.start : span.stop] = results
            if _stops(results):
                break
        return out

    async def _post_batch(self, keys: list[str], parts: list[str]) -> list[UploadResult | None]:
        data = f'{{"v":{BATCH_VERSION},"records":[{",".join(parts)}]}}'.encode()
        try:
            async with self._client().post(
                self._batch_url, data=data, headers={"Content-Type": "application/json"}
            ) as resp:
                try:
                    body = await resp.json(content_type=None)
                except (ValueError, aiohttp.ContentTypeError):
                    body = None
                status = resp.status
        except TimeoutError:
            return [UploadResult(Outcome.RETRY, None, "timeout")] * len(keys)
        except (aiohttp.ClientError, OSError) as exc:
            return [UploadResult(Outcome.RETRY, None, f"network: {type(exc).__name__}")] * len(keys)
        if status == 200:
            return list(batch_results(keys, body))
        if status == 413 and len(keys) > 1:
            # A hub with smaller limits than ours: halve until it fits.
            half = len(keys) // 2
            first = await self._post_batch(keys[:half], parts[:half])
            if _stops(first):
                return first + [None] * (len(keys) - half)
            return first + await self._post_batch(keys[half:], parts[half:])
        if status in (404, 405):
            self._no_batch_until = time.monotonic() + NO_BATCH_RECHECK_S
            return [_SINGLE] * len(keys)
        result = classify(status, body)
        if result.outcome is Outcome.REJECTED and status != 413:
            # Envelope refused (400/403/422): the single endpoint gives each record its own
            # verdict; a record is parked only on that verdict, never on the batch's.
            return [_SINGLE] * len(keys)
        return [result] * len(keys)

    async def close(self) -> None:
        """Close the keep-alive connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
            # Let the transports finish closing before the loop may be closed (aiohttp advice).
            await asyncio.sleep(0)
