"""Automatic retention (issue 9 item 4): at start, then once a day on a fake clock; audited."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from telecabine.services.retention import RETENTION_ACTOR, RetentionScheduler

T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


class _Stop(Exception):
    pass


def _synced_closed(store, at, uuid):
    e = store.encounters.create("cab", now=at)
    store.encounters.close_with_billing(e.id, {"n": uuid}, uuid, now=at)
    store.outbox.mark_sent([uuid], now=at + timedelta(minutes=5))
    return e.id


async def test_purges_at_start_then_daily_never_unsynced(station_store):
    s = station_store
    old = _synced_closed(s, T0 - timedelta(days=40), "u-old")
    ages_tomorrow = _synced_closed(s, T0 - timedelta(days=29, hours=12), "u-tomorrow")
    unsynced = s.encounters.create("cab", now=T0 - timedelta(days=90))
    s.encounters.close_with_billing(
        unsynced.id, {"n": 1}, "u-unsynced", now=T0 - timedelta(days=90)
    )

    clock = [T0]
    naps: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        naps.append(seconds)
        clock[0] += timedelta(seconds=seconds)
        if len(scheduler.reports) >= 2:
            raise _Stop

    scheduler = RetentionScheduler(s, 30, clock=lambda: clock[0], sleep=fake_sleep)
    with pytest.raises(_Stop):
        await asyncio.wait_for(scheduler.run_forever(), timeout=30)

    first, second = scheduler.reports
    assert first.encounter_ids == [old]  # at start
    assert second.encounter_ids == [ages_tomorrow]  # a day later
    assert max(naps) <= 3600 and sum(naps[:24]) == pytest.approx(86400)
    assert s.encounters.get(unsynced.id).state == "closed"  # unsynced: never purged
    purges = [e for e in s.audit.entries() if e.action == "purge"]
    assert [p.actor for p in purges] == [RETENTION_ACTOR, RETENTION_ACTOR]
    assert s.audit.verify_chain() is None


async def test_a_failed_purge_is_retried_next_day(station_store):
    calls = []

    async def failing_then_ok(fn, *args, **kw):
        calls.append(args[2])  # the ``now`` passed to purge
        if len(calls) == 1:
            raise OSError("disk busy")
        return fn(*args, **kw)

    clock = [T0]

    async def fake_sleep(seconds: float) -> None:
        clock[0] += timedelta(seconds=seconds)
        if len(calls) >= 2:
            raise _Stop

    scheduler = RetentionScheduler(
        station_store, 30, clock=lambda: clock[0], sleep=fake_sleep, to_thread=failing_then_ok
    )
    with pytest.raises(_Stop):
        await scheduler.run_forever()
    assert calls == [T0, T0 + timedelta(days=1)]
    assert len(scheduler.reports) == 1
