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


def test_mark_sent_many_and_partial_encounter(station_store, t0, monkeypatch) -> None:
    monkeypatch.setattr("telecabine.store.repositories.outbox._CHUNK", 7)
    s = station_store
    uuids = []
    for i in range(24):  # several chunks
        e = s.encounters.create("cab", now=t0)
        s.encounters.close_with_billing(e.id, {"i": i}, f"u-{i:04d}", now=t0)
        uuids.append(f"u-{i:04d}")
    assert s.outbox.mark_sent(uuids[:20], now=t0) == 20
    counts = s.outbox.counts()
    assert (counts.pending, counts.sent) == (4, 20)
    with s.read() as session:
        from sqlmodel import col, func, select

        from telecabine.store.tables import Encounter

        n_synced = session.exec(
            select(func.count()).select_from(Encounter).where(col(Encounter.synced_at).is_not(None))
        ).one()
    assert n_synced == 20
