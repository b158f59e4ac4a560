"""Batch uploads: splitting by the protocol limits, per-record answers, fallback, probe batch."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime

from test_sync_worker_unit import OK, MemoryOutbox

from telecabine.protocol.billing import MAX_BATCH_RECORDS
from telecabine.sync.backoff import Backoff
from telecabine.sync.client import Outcome, UploadResult, batch_results, split_by_size
from telecabine.sync.worker import SyncWorker

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RETRY = UploadResult(Outcome.RETRY, 503, "hub answered 503")
SINGLE = UploadResult(Outcome.SINGLE, None, "send alone")


class BatchScripted:
    """Batch uploader: ``answer(uuid, batch_no)`` per record; single uploads answer OK."""

    def __init__(self, answer):
        self.answer = answer
        self.batches: list[list[str]] = []
        self.singles: list[str] = []

    async def upload_batch(self, records):
        self.batches.append([u for u, _ in records])
        return [self.answer(u, len(self.batches)) for u, _ in records]

    async def upload(self, record_uuid, payload):
        self.singles.append(record_uuid)
        return OK


def worker(box, up, **kw):
    kw.setdefault("backoff", Backoff(rng=random.Random(1)))
    return SyncWorker(box, up, clock=lambda: T0, **kw)


def test_split_by_size_respects_count_and_bytes():
    parts = ["x" * 98] * 1200
    spans = split_by_size(parts)
    assert [len(s) for s in spans] == [MAX_BATCH_RECORDS, MAX_BATCH_RECORDS, 200]
    spans = split_by_size(parts, max_records=1000, max_bytes=1000)
    assert all(len(s) == 9 for s in spans[:-1])  # 64 envelope + 9 * 99 <= 1000
    assert [i for s in spans for i in s] == list(range(1200))
    # One item over the byte limit goes alone (the hub answers 413 for it only).
    assert [list(s) for s in split_by_size(["a", "b" * 5000, "c"], max_bytes=1000)] == [
        [0], [1], [2]
    ]  # fmt: skip


def test_batch_results_map_to_single_record_rules_and_distrust_odd_answers():
    keys = ["k0", "k1", "k2", "k3", "k4"]
    outcomes = [("created", 201), ("replayed", 200), ("conflict", 409), ("invalid", 422),
                ("forbidden", 403)]  # fmt: skip
    body = {"v": 1, "results": [
        {"index": i, "idempotency_key": k, "outcome": o, "status": s,
         **({"error": {"code": o, "message": "m", "fields": [{"loc": ["records", str(i),
                       "record", "patient", "nir"], "msg": "NIR key does not match"}]}}
            if s == 422 else {})}
        for i, (k, (o, s)) in enumerate(zip(keys, outcomes, strict=True))]}  # fmt: skip
    got = batch_results(keys, body)
    assert [r.outcome for r in got] == [Outcome.SENT, Outcome.SENT, Outcome.CONFLICT,
                                        Outcome.REJECTED, Outcome.REJECTED]  # fmt: skip
    assert "patient.nir: NIR key does not match" in got[3].detail
    # Answers out of order, missing, or not JSON: nothing is believed, everything retried.
    shuffled = {"v": 1, "results": list(reversed(body["results"]))}
    for odd in (shuffled, {"v": 1, "results": body["results"][:4]}, None, json.dumps(body)):
        assert {r.outcome for r in batch_results(keys, odd)} == {Outcome.RETRY}


async def test_batches_of_request_size_each_record_booked_from_its_own_answer():
    box = MemoryOutbox(1200)

    def answer(u, n):
        if u == "u0007":
            return UploadResult(Outcome.CONFLICT, 409, "same key, different body")
        if u == "u0900":
            return UploadResult(Outcome.REJECTED, 422, "patient.nir: bad")
        return OK

    up = BatchScripted(answer)
    report = await worker(box, up).run_once()
    assert sorted(len(b) for b in up.batches) == [200, 500, 500]
    assert report.sent == 1198 and report.parked == 2 and up.singles == []
    assert box.rows["u0007"].status == "conflict" and box.rows["u0900"].status == "rejected"
    assert box.counts().pending == 0


async def test_hub_without_batches_gets_records_one_by_one():
    box = MemoryOutbox(30)
    up = BatchScripted(lambda u, n: SINGLE)
    report = await worker(box, up).run_once()
    assert report.sent == 30 and sorted(up.singles) == sorted(box.rows)


async def test_trouble_stops_the_pass_then_a_probe_batch_comes_first():
    box = MemoryOutbox(1500)
    up = BatchScripted(lambda u, n: RETRY if n == 1 else OK)
    w = worker(box, up, batch_concurrency=1, probe_size=25)
    first = await w.run_once()
    # Only the first request went out; its 500 records wait for a jittered retry.
    assert len(up.batches) == 1 and first.retried == 500 and first.sent == 0
    assert sum(r.attempts for r in box.rows.values()) == 500
    assert w.status.last_problem.key == "hub_error"
    w._clock = lambda: datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # every retry is due
    second = await w.run_once()
    assert len(up.batches[1]) == 25  # the probe
    assert second.sent == 1500 and box.counts().pending == 0


async def test_untried_records_of_a_batch_stay_untouched():
    box = MemoryOutbox(10)
    # The client stopped after a 401 inside a call: the rest are "not tried" (None).
    answers = {0: UploadResult(Outcome.UNAUTHORIZED, 401, "station token refused")}
    up = BatchScripted(lambda u, n: answers.get(int(u[1:])))
    report = await worker(box, up).run_once()
    assert report.unauthorized
    assert all(r.status == "pending" and r.attempts == 0 for r in box.rows.values())


async def test_timeouts_halve_the_records_per_request_and_success_grows_it_back():
    box = MemoryOutbox(2000)
    timeout = UploadResult(Outcome.RETRY, None, "timeout")
    up = BatchScripted(lambda u, n: timeout if n <= 3 else OK)
    w = worker(box, up, batch_concurrency=1, probe_size=25)
    late = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    for hours in range(1, 5):
        w._clock = lambda h=hours: late.replace(hour=9 + h)  # retries due each pass
        await w.run_once()
    sizes = [len(b) for b in up.batches]
    assert sizes[:3] == [500, 25, 25]  # full, then probes after failed passes
    assert w._request_now <= MAX_BATCH_RECORDS
    assert max(sizes[3:]) == MAX_BATCH_RECORDS  # back to full batches after successes
    assert box.counts().pending == 0
