"""Batch uploads against the real hub on 127.0.0.1: older hub (no batch endpoint), a hub with
smaller batch limits (413 -> halves), and a replayed pass after a lost ack."""

from __future__ import annotations

from sync_testlib import STATION, close_encounters

from telecabine.services.sync_outbox import StoreOutbox
from telecabine.services.sync_runtime import build_worker


async def _drain(env, **kw):
    worker = build_worker(env.settings, env.store, env.token, **kw)
    try:
        return await worker.run_once(), worker
    finally:
        await worker.aclose()


async def test_older_hub_without_batch_endpoint_gets_records_one_by_one(sync_env):
    uuids = close_encounters(sync_env.store, STATION, 40)
    sync_env.hub.faults.mode = "no_batch"
    report, worker = await _drain(sync_env, batch_size=16)
    assert report.sent == 40 and worker.status.pending == 0
    keys = await sync_env.hub.keys()
    assert set(keys) == set(uuids) and set(keys.values()) == {1}
    # The 404 is remembered: three passes of 16, one batch attempt only.
    assert sync_env.hub.faults.hits["no_batch"] == 1


async def test_hub_with_smaller_batch_limit_gets_halves(sync_env):
    uuids = close_encounters(sync_env.store, STATION, 100)
    sync_env.hub.faults.max_batch = 30
    report, _ = await _drain(sync_env)
    assert report.sent == 100
    keys = await sync_env.hub.keys()
    assert set(keys) == set(uuids) and set(keys.values()) == {1}
    assert sync_env.hub.faults.hits["413"] >= 1


async def test_answer_lost_after_the_hub_stored_a_batch_is_replayed_not_duplicated(sync_env):
    uuids = close_encounters(sync_env.store, STATION, 60)
    sync_env.hub.faults.mode = "500_after"  # stored, then the answer is lost
    report, _ = await _drain(sync_env)
    assert report.sent == 0 and report.retried == 60
    assert len(await sync_env.hub.keys()) == 60
    sync_env.hub.faults.mode = "ok"
    report, _ = await _drain(sync_env, clock=_later)
    assert report.sent == 60
    keys = await sync_env.hub.keys()
    assert set(keys) == set(uuids) and set(keys.values()) == {1}
    assert StoreOutbox(sync_env.store).counts().pending == 0


def _later():
    from datetime import UTC, datetime, timedelta

    return datetime.now(UTC) + timedelta(minutes=6)  # every jittered retry is due


async def test_refused_batch_envelope_sends_each_record_alone_and_parks_none(sync_env):
    uuids = close_encounters(sync_env.store, STATION, 1)  # even a batch of one
    sync_env.hub.faults.mode = "batch_422"
    report, worker = await _drain(sync_env)
    assert report.sent == 1 and report.parked == 0 and worker.status.attention == 0
    assert set(await sync_env.hub.keys()) == set(uuids)
    assert sync_env.hub.faults.hits["batch_422"] == 1
