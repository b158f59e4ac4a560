"""The worker's view of the station store: due rows, clock jumps, parking, set-based marking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sync_testlib import STATION, close_encounters

from telecabine.services.sync_outbox import StoreOutbox
from telecabine.store.tables import BillingRecordRow


def test_due_rows_tolerate_a_clock_that_went_backwards(station_store):
    a, b, c = close_encounters(station_store, STATION, 3)
    now = datetime.now(UTC)
    outbox = StoreOutbox(station_store)
    outbox.mark_failed(a, "timeout", now + timedelta(minutes=5))  # a normal backoff: wait
    outbox.mark_failed(b, "timeout", now + timedelta(hours=6))  # scheduled by a clock 6 h ahead
    due = {r.record_uuid for r in outbox.pending(10, now)}
    assert due == {b, c}
    assert {r.record_uuid for r in outbox.pending(10, now + timedelta(minutes=6))} == {a, b, c}


def test_parked_rows_leave_the_queue_until_requeued(station_store):
    a, b = close_encounters(station_store, STATION, 2)
    now = datetime.now(UTC)
    outbox = StoreOutbox(station_store)
    outbox.park(a, "rejected", "body.doctor.rpps: String should match pattern", now)
    assert [r.record_uuid for r in outbox.pending(10, now)] == [b]
    assert outbox.counts().attention == 1 and outbox.counts().pending == 1
    outbox.requeue(a, now)
    assert {r.record_uuid for r in outbox.pending(10, now)} == {a, b}


def test_mark_sent_is_idempotent_and_sets_synced_at(station_store):
    uuids = close_encounters(station_store, STATION, 505)  # > one 500-uuid chunk
    now = datetime.now(UTC)
    outbox = StoreOutbox(station_store)
    assert outbox.mark_sent(uuids, now) == 505
    assert outbox.mark_sent(uuids[:10], now) == 0  # a replay answered twice changes nothing
    with station_store.read() as session:
        eid = session.get(BillingRecordRow, uuids[-1]).encounter_id
    assert station_store.encounters.get(eid).synced_at is not None
    assert outbox.counts().sent == 505 and outbox.pending(10, now) == []


def test_mark_failed_many_books_a_failed_batch_in_one_go(station_store):
    a, b, c = close_encounters(station_store, STATION, 3)
    now = datetime.now(UTC)
    outbox = StoreOutbox(station_store)
    outbox.mark_sent([c], now)  # already delivered by another process: left alone
    later = now + timedelta(minutes=5)
    changed = outbox.mark_failed_many(
        [(a, "timeout", later), (b, "x" * 900, later), (c, "timeout", later)]
    )
    assert changed == 2
    assert outbox.pending(10, now) == []  # both wait for their retry time
    due = {r.record_uuid: r for r in outbox.pending(10, later)}
    assert set(due) == {a, b} and due[a].attempts == 1
    row = station_store.outbox.get(b)
    assert row.attempts == 1 and len(row.last_error) == 500
    assert row.next_attempt_at == later
    assert station_store.outbox.get(c).status == "sent"
