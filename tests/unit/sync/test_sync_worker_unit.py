"""Sync worker rules against an in-memory outbox and a scripted uploader (no network, no DB)."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telecabine.sync.backoff import Backoff
from telecabine.sync.client import Outcome, UploadResult, classify
from telecabine.sync.status import SyncCounts, SyncProblem, SyncStatus
from telecabine.sync.worker import SyncWorker

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass
class Row:
    record_uuid: str
    payload: dict
    attempts: int = 0
    status: str = "pending"
    next_at: datetime = T0
    error: str | None = None


class MemoryOutbox:
    """In-memory ``OutboxPort``."""

    def __init__(self, n: int) -> None:
        self.rows = {f"u{i:04d}": Row(f"u{i:04d}", {"i": i}) for i in range(n)}

    def pending(self, limit, now):
        due = [r for r in self.rows.values() if r.status == "pending" and r.next_at <= now]
        return sorted(due, key=lambda r: (r.next_at, r.record_uuid))[:limit]

    def mark_sent(self, uuids, now):
        for u in uuids:
            self.rows[u].status = "sent"
        return len(uuids)

    def mark_failed(self, uuid, error, next_attempt_at):
        r = self.rows[uuid]
        r.attempts += 1
        r.error = error
        r.next_at = next_attempt_at

    def park(self, uuid, status, error, now):
        self.rows[uuid].status = status
        self.rows[uuid].error = error

    def counts(self):
        s = [r.status for r in self.rows.values()]
        return SyncCounts(
            s.count("pending"), s.count("sent"), s.count("conflict") + s.count("rejected")
        )


class Scripted:
    """Uploader answering from a function of (uuid, call number)."""

    def __init__(self, answer):
        self.answer = answer
        self.calls: list[str] = []

    async def upload(self, record_uuid, payload):
        self.calls.append(record_uuid)
        return self.answer(record_uuid, len(self.calls))


OK = UploadResult(Outcome.SENT, 201, "ok")


def worker(outbox, uploader, **kw):
    kw.setdefault("backoff", Backoff(rng=random.Random(1)))
    return SyncWorker(outbox, uploader, clock=lambda: T0, **kw)


async def test_all_sent_in_batches_and_status_in_words():
    box = MemoryOutbox(25)
    w = worker(box, Scripted(lambda u, n: OK), batch_size=10, concurrency=4)
    report = await w.run_once()
    assert report.sent == 25
    assert box.counts() == SyncCounts(0, 25, 0)
    assert w.status.pending == 0 and w.status.last_success_at == T0
    assert w.status.words("fr").startswith("Facturation à jour.")
    assert w.status.words("en").startswith("Billing up to date.")


async def test_conflict_and_rejected_are_parked_and_do_not_block_the_rest():
    box = MemoryOutbox(6)

    def answer(u, n):
        if u == "u0001":
            return UploadResult(Outcome.CONFLICT, 409, "same key, different body")
        if u == "u0003":
            return classify(
                422, {"error": {"fields": [{"loc": ["body", "doctor", "rpps"], "msg": "bad"}]}}
            )
        return OK

    up = Scripted(answer)
    w = worker(box, up)
    report = await w.run_once()
    assert report.sent == 4 and report.parked == 2
    assert box.rows["u0001"].status == "conflict"
    assert box.rows["u0003"].status == "rejected"
    assert "body.doctor.rpps: bad" in box.rows["u0003"].error
    assert w.status.attention == 2
    assert "à vérifier" in w.status.words("fr")
    # parked records are never uploaded again by later passes, nor re-created
    up.calls.clear()
    await w.run_once()
    assert up.calls == []


async def test_401_stops_without_touching_records():
    box = MemoryOutbox(5)
    w = worker(box, Scripted(lambda u, n: classify(401, None)), concurrency=1)
    report = await w.run_once()
    assert report.unauthorized and w.status.stopped
    assert all(r.attempts == 0 and r.status == "pending" for r in box.rows.values())
    assert "jeton" in w.status.words("fr") and "token" in w.status.words("en")


async def test_network_error_schedules_retry_with_jitter_and_stops_the_pass():
    box = MemoryOutbox(50)
    up = Scripted(lambda u, n: UploadResult(Outcome.RETRY, None, "network: ClientOSError"))
    w = worker(box, up, concurrency=1)
    report = await w.run_once()
    # one failure trips the pass: the other 49 are not hammered
    assert report.retried == 1 and len(up.calls) == 1
    failed = box.rows[up.calls[0]]
    assert failed.attempts == 1 and T0 <= failed.next_at <= T0 + timedelta(seconds=2)
    assert w.status.last_problem.key == "network"
    assert "injoignable" in w.status.words("fr")
    assert w.next_delay_s() <= 30


async def test_retry_then_success_clears_problem_from_words():
    box = MemoryOutbox(3)
    up = Scripted(
        lambda u, n: UploadResult(Outcome.RETRY, 503, "hub answered 503") if n == 1 else OK
    )
    w = worker(box, up, concurrency=1)
    await w.run_once()
    times = iter([T0 + timedelta(minutes=5)] * 10)
    w._clock = lambda: next(times)
    await w.run_once()
    assert box.counts().sent == 3
    assert "erreur" not in w.status.words("fr")


@pytest.mark.parametrize(
    ("status", "outcome"),
    [(200, Outcome.SENT), (201, Outcome.SENT), (409, Outcome.CONFLICT), (422, Outcome.REJECTED),
     (401, Outcome.UNAUTHORIZED), (403, Outcome.REJECTED), (500, Outcome.RETRY),
     (502, Outcome.RETRY), (503, Outcome.RETRY), (429, Outcome.RETRY), (408, Outcome.RETRY)],
)  # fmt: skip
def test_classify(status, outcome):
    assert classify(status, {}).outcome is outcome


@given(attempt=st.integers(min_value=0, max_value=10_000), seed=st.integers(0, 2**32))
def test_backoff_full_jitter_bounds(attempt, seed):
    b = Backoff(base_s=2.0, cap_s=300.0, rng=random.Random(seed))
    d = b.delay_s(attempt)
    assert 0.0 <= d <= min(300.0, 2.0 * 2 ** min(attempt, 62))


def test_backoff_grows_then_caps():
    b = Backoff(base_s=1.0, cap_s=60.0)
    assert [b.ceiling(a) for a in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]


def test_status_words_show_problem_only_when_newer_than_success():
    old = SyncProblem("timeout", T0)
    s = SyncStatus(pending=2, last_success_at=T0 + timedelta(minutes=1), last_problem=old)
    fr = s.words("fr", now=T0 + timedelta(minutes=4))
    assert "2 enregistrements en attente" in fr and "il y a 3 min" in fr
    assert "temps" not in fr
    s2 = SyncStatus(pending=1, last_problem=SyncProblem("timeout", T0))
    assert "1 record waiting" in s2.words("en") and "in time" in s2.words("en")


async def test_background_loop_sends_when_woken_and_stops_cleanly():
    box = MemoryOutbox(0)
    w = worker(box, Scripted(lambda u, n: OK), poll_interval_s=3600)
    seen: list[SyncStatus] = []
    w.add_listener(seen.append)
    task = w.start()
    await asyncio.sleep(0.05)
    box.rows["late"] = Row("late", {"i": 1})  # an encounter closes while the worker sleeps
    w.wake()
    for _ in range(500):  # up to 5 s: a 2-core CI box under load can be slow to wake
        if box.rows["late"].status == "sent":
            break
        await asyncio.sleep(0.01)
    assert box.rows["late"].status == "sent"
    assert seen[-1].pending == 0
    await w.aclose()
    assert task.done()


async def test_broken_listener_does_not_stop_billing():
    box = MemoryOutbox(2)
    w = worker(box, Scripted(lambda u, n: OK))
    w.add_listener(lambda s: 1 / 0)
    assert (await w.run_once()).sent == 2
