"""Outbox bookkeeping used by the sync worker."""

from __future__ import annotations

from datetime import timedelta


def test_pending_failed_and_sent(patient_encounter, t0) -> None:
    store, _, e = patient_encounter
    store.encounters.close_with_billing(e.id, {"n": 1}, "u-1", now=t0)
    assert [p.record_uuid for p in store.outbox.pending(now=t0)] == ["u-1"]
    store.outbox.mark_failed("u-1", "HTTP 503", next_attempt_at=t0 + timedelta(minutes=1))
    assert store.outbox.pending(now=t0) == []
    assert store.outbox.counts().failing == 1
    later = t0 + timedelta(minutes=2)
    assert [p.attempts for p in store.outbox.pending(now=later)] == [1]
    assert store.encounters.get(e.id).synced_at is None
    assert store.outbox.mark_sent(["u-1"], now=later) == 1
    assert store.outbox.mark_sent(["u-1"], now=later) == 0  # idempotent
    counts = store.outbox.counts()
    assert (counts.pending, counts.sent, counts.failing) == (0, 1, 0)
    assert store.outbox.get("u-1").last_error is None
    assert store.encounters.get(e.id).synced_at == later
