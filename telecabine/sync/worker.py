"""Outbox worker: uploads pending billing records to the hub, on the running asyncio loop.

Records go in batches (``POST /api/v1/billing-records/batch``, up to 500 per request, two
requests in flight) when the uploader can (``upload_batch``); against an older hub without the
batch endpoint, or for a batch whose envelope it refused, they go one by one (12 in flight).
After a failed pass the next one starts with a small probe batch, so a hub that is still down
costs one small request, not a 500-record bookkeeping round.
Runs on the qasync loop in the station (plain asyncio here, no Qt). Database calls are short
repository calls run in a worker thread (``asyncio.to_thread``) so the UI never waits on SQLite.
Rules per answer (see ``client.Outcome``): delivered -> mark sent; 409 -> parked "conflict" (never
re-sent under a new uuid); 422 -> parked "rejected" with the field errors, the rest continues;
401 -> stop and tell the operator; network/timeout/5xx -> retry later with full-jitter backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from telecabine.protocol.billing import MAX_BATCH_RECORDS
from telecabine.sync.backoff import Backoff
from telecabine.sync.client import Outcome, UploadResult
from telecabine.sync.status import SyncCounts, SyncProblem, SyncStatus

log = logging.getLogger(__name__)


class DueRecord(Protocol):
    """A record due for sending (``telecabine.store`` ``PendingRecord`` fits)."""

    record_uuid: str
    payload: dict[str, Any]
    attempts: int


class OutboxPort(Protocol):
    """What the worker needs from the station database (adapter in ``services.sync_outbox``)."""

    def pending(self, limit: int, now: datetime) -> list[DueRecord]:
        """Records due at ``now`` (oldest first)."""
        ...

    def mark_sent(self, uuids: list[str], now: datetime) -> int:
        """Mark delivered records."""
        ...

    def mark_failed(self, uuid: str, error: str, next_attempt_at: datetime) -> None:
        """Count a failed attempt and schedule the next."""
        ...

    def park(self, uuid: str, status: str, error: str, now: datetime) -> None:
        """Take a record out of the queue for a person to look at ("conflict"/"rejected")."""
        ...

    def counts(self) -> SyncCounts:
        """Pending / sent / needing attention."""
        ...


class Uploader(Protocol):
    """Sends one record (``client.BillingClient`` in production)."""

    async def upload(self, record_uuid: str, payload: dict[str, Any]) -> UploadResult:
        """POST one record; returns an outcome, never raises for network trouble."""
        ...


class BatchUploader(Uploader, Protocol):
    """An uploader that can also send many records per request (``BillingClient``)."""

    async def upload_batch(
        self, records: list[tuple[str, dict[str, Any]]]
    ) -> list[UploadResult | None]:
        """One result per record (``None``: not tried; ``Outcome.SINGLE``: send it alone)."""
        ...


Results = list[tuple[DueRecord, UploadResult | None]]
"""Records with their answer (``None``: not tried)."""

_STOP = (Outcome.RETRY, Outcome.UNAUTHORIZED)

_PROBLEM_OF = {
    Outcome.CONFLICT: "conflict",
    Outcome.REJECTED: "rejected",
    Outcome.UNAUTHORIZED: "unauthorized",
}


def _retry_problem(result: UploadResult) -> str:
    if result.status is not None:
        return "hub_error"
    return "timeout" if result.detail == "timeout" else "network"


@dataclass
class PassReport:
    """What one pass over the outbox did."""

    sent: int = 0
    retried: int = 0
    parked: int = 0
    unauthorized: bool = False
    outcomes: dict[str, int] = field(default_factory=dict)


def utc_clock() -> datetime:
    """The real UTC clock (tests pass a skewed one)."""
    return datetime.now(UTC)


class SyncWorker:
    """Drains the outbox to the hub: ``run_once()`` for the CLI, ``start()`` on the app loop."""

    def __init__(
        self,
        outbox: OutboxPort,
        uploader: Uploader,
        *,
        clock: Callable[[], datetime] = utc_clock,
        backoff: Backoff | None = None,
        batch_size: int = 1000,
        concurrency: int = 12,
        poll_interval_s: float = 30.0,
        request_batch: int = MAX_BATCH_RECORDS,
        batch_concurrency: int = 2,
        probe_size: int = 25,
    ) -> None:
        self._outbox = outbox
        self._uploader = uploader
        self._clock = clock
        self._backoff = backoff or Backoff()
        self._batch_size = batch_size
        self._concurrency = concurrency
        self._poll_s = poll_interval_s
        self._request_batch = max(1, min(request_batch, MAX_BATCH_RECORDS))
        self._request_now = self._request_batch  # halved after a timeout (slow uplink)
        self._batch_concurrency = batch_concurrency
        self._probe_size = max(1, min(probe_size, batch_size))
        self._status = SyncStatus()
        self._listeners: list[Callable[[SyncStatus], None]] = []
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._failures_in_a_row = 0

    # --- observation ------------------------------------------------------------------------
    @property
    def status(self) -> SyncStatus:
        """The latest status (pending count, last success, last problem, stopped)."""
        return self._status

    def add_listener(self, callback: Callable[[SyncStatus], None]) -> None:
        """Call ``callback(status)`` on the loop after every pass (the UI widget subscribes)."""
        self._listeners.append(callback)

    def _publish(self, **changes: Any) -> None:
        from dataclasses import replace

        self._status = replace(self._status, **changes)
        for cb in list(self._listeners):
            try:
                cb(self._status)
            except Exception:  # a broken listener must not stop billing
                log.exception("sync status listener failed")

    async def refresh_counts(self) -> SyncStatus:
        """Re-read the outbox counts (e.g. right after an encounter closed)."""
        counts = await asyncio.to_thread(self._outbox.counts)
        self._publish(pending=counts.pending, attention=counts.attention)
        return self._status

    # --- one pass ------------------------------------------------------------------------------
    async def run_once(self) -> PassReport:
        """Send everything due now, batch by batch; stops early on hub trouble or a 401."""
        report = PassReport()
        # After a failed pass, probe with a few records before sending full batches.
        limit = self._probe_size if self._failures_in_a_row else self._batch_size
        while True:
            now = self._clock()
            due = await asyncio.to_thread(self._outbox.pending, limit, now)
            if not due:
                break
            hub_trouble = await self._send_batch(due, now, report)
            if report.unauthorized or hub_trouble or len(due) < limit:
                break
            limit = self._batch_size
        self._failures_in_a_row = self._failures_in_a_row + 1 if report.retried else 0
        await self.refresh_counts()
        return report

    async def _send_batch(self, due: list[DueRecord], now: datetime, report: PassReport) -> bool:
        """Upload ``due`` and record every answer; True when the hub seemed in trouble."""
        if hasattr(self._uploader, "upload_batch"):
            return await self._send_batched(due, now, report)
        results, trouble = await self._upload_each(due)
        await self._apply(results, now, report)
        return trouble

    async def _send_batched(self, due: list[DueRecord], now: datetime, report: PassReport) -> bool:
        """Batches of ``request_batch`` records, ``batch_concurrency`` requests in flight; each
        batch's answers are booked as soon as they arrive (while the next one is on the hub)."""
        uploader: BatchUploader = self._uploader  # type: ignore[assignment]
        gate = asyncio.Semaphore(self._batch_concurrency)
        trouble = asyncio.Event()
        alone: list[DueRecord] = []

        async def one(chunk: list[DueRecord]) -> None:
            async with gate:
                if trouble.is_set():
                    return  # rows left untouched: due again on the next pass
                answers = await uploader.upload_batch([(r.record_uuid, r.payload) for r in chunk])
                if any(a is None or a.outcome in _STOP for a in answers):
                    trouble.set()
                self._adapt_request_size(answers)
            pairs = list(zip(chunk, answers, strict=True))
            alone.extend(r for r, a in pairs if a is not None and a.outcome is Outcome.SINGLE)
            await self._apply(
                [(r, a) for r, a in pairs if a is None or a.outcome is not Outcome.SINGLE],
                now,
                report,
            )

        step = self._request_now
        await asyncio.gather(*(one(due[i : i + step]) for i in range(0, len(due), step)))
        if not alone or trouble.is_set():
            return trouble.is_set()
        results, more_trouble = await self._upload_each(alone)  # hub without batches
        await self._apply(results, now, report)
        return more_trouble

    def _adapt_request_size(self, answers: list[UploadResult | None]) -> None:
        """Halve the records per request after a timeout (a 500-record batch may not get
        through a slow 4G uplink in time), double it back after a batch that went through."""
        if any(a is not None and a.detail == "timeout" for a in answers):
            self._request_now = max(self._probe_size, self._request_now // 2)
        elif answers and all(a is not None and a.outcome is not Outcome.RETRY for a in answers):
            self._request_now = min(self._request_batch, self._request_now * 2)

    async def _upload_each(self, due: list[DueRecord]) -> tuple[Results, bool]:
        """One request per record with bounded concurrency (hub without the batch endpoint)."""
        gate = asyncio.Semaphore(self._concurrency)
        trouble = asyncio.Event()  # after one retryable failure, don't start the others

        async def one(rec: DueRecord) -> tuple[DueRecord, UploadResult | None]:
            async with gate:
                if trouble.is_set():
                    return rec, None
                result = await self._uploader.upload(rec.record_uuid, rec.payload)
                if result.outcome in _STOP:
                    trouble.set()
                return rec, result

        results = await asyncio.gather(*(one(r) for r in due))
        return list(results), trouble.is_set()

    async def _apply(self, results: Results, now: datetime, report: PassReport) -> None:
        """Book the answers: sent rows in one statement, failures scheduled, poison parked."""
        sent = [r.record_uuid for r, res in results if res and res.outcome is Outcome.SENT]
        if sent:
            await asyncio.to_thread(self._outbox.mark_sent, sent, now)
            report.sent += len(sent)
            self._publish(last_success_at=now)
        failed: list[tuple[str, str, datetime]] = []
        problem: SyncProblem | None = None  # published once: a 500-record batch is one event
        for rec, res in results:
            if res is None or res.outcome is Outcome.SENT:
                continue
            report.outcomes[res.outcome.value] = report.outcomes.get(res.outcome.value, 0) + 1
            if res.outcome is Outcome.RETRY:
                failed.append(
                    (rec.record_uuid, res.detail, now + self._backoff.delay(rec.attempts))
                )
                report.retried += 1
                problem = SyncProblem(_retry_problem(res), now, res.detail)
            elif res.outcome is Outcome.UNAUTHORIZED:
                # Not the record's fault: leave it untouched, stop until the operator acts.
                report.unauthorized = True
                self._publish(
                    stopped=True, last_problem=SyncProblem("unauthorized", now, res.detail)
                )
            elif res.outcome in _PROBLEM_OF:
                status = _PROBLEM_OF[res.outcome]
                await asyncio.to_thread(self._outbox.park, rec.record_uuid, status, res.detail, now)
                report.parked += 1
                problem = SyncProblem(status, now, res.detail)
        if failed:
            await asyncio.to_thread(self._mark_failed_all, failed)
        if problem is not None and not report.unauthorized:
            self._publish(last_problem=problem)

    def _mark_failed_all(self, failed: list[tuple[str, str, datetime]]) -> None:
        """In the worker thread: a whole failed batch, in one transaction when the outbox can
        (``mark_failed_many``; row by row, 500 records cost seconds of commits)."""
        many = getattr(self._outbox, "mark_failed_many", None)
        if many is not None:
            many(failed)
            return
        for uuid, detail, retry_at in failed:
            self._outbox.mark_failed(uuid, detail, retry_at)

    # --- background loop ------------------------------------------------------------------------
    def start(self) -> asyncio.Task[None]:
        """Start the background loop on the running loop (keeps the task referenced)."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="sync-worker")
        return self._task

    def wake(self) -> None:
        """Send now (an encounter just closed, or the operator fixed the token)."""
        self._publish(stopped=False)
        self._wake.set()

    async def stop(self) -> None:
        """Stop the background loop (waits for the current request to be abandoned)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def aclose(self) -> None:
        """Stop the loop and close the uploader's connections."""
        await self.stop()
        close = getattr(self._uploader, "close", None)
        if close is not None:
            await close()

    def next_delay_s(self) -> float:
        """Seconds to wait before the next pass: poll interval, or backoff after failures."""
        if self._failures_in_a_row == 0:
            return self._poll_s
        return min(self._poll_s, self._backoff.delay_s(self._failures_in_a_row - 1) + 0.5)

    async def _run(self) -> None:
        while True:
            if not self._status.stopped:
                try:
                    await self.run_once()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # e.g. database busy: report, try again later
                    log.exception("sync pass failed")
                    self._failures_in_a_row += 1
                    self._publish(
                        last_problem=SyncProblem("hub_error", self._clock(), type(exc).__name__)
                    )
            self._wake.clear()
            delay = None if self._status.stopped else self.next_delay_s()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)
