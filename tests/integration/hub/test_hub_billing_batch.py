"""Batch billing ingest: per-record answers, one transaction, replays stored once, limits."""

from __future__ import annotations

import asyncio
import copy
import uuid

from hub_testlib import client
from sqlalchemy import select
from test_hub_billing import count_rows, record, station_headers

from telecabine.hub.db import billing_records
from telecabine.protocol.billing import BATCH_PATH, MAX_BATCH_RECORDS, BatchResponse


def batch(*records: dict, keys: list[str] | None = None) -> dict:
    keys = keys or [r["record_uuid"] for r in records]
    return {
        "v": 1,
        "records": [
            {"idempotency_key": k, "record": r} for k, r in zip(keys, records, strict=True)
        ],
    }


def auth(env) -> dict:
    return {"Authorization": f"Bearer {env.station_token}"}


async def post_batch(env, body, **kw):
    async with client() as s, s.post(env.url + BATCH_PATH, headers=auth(env), **kw) as resp:
        return resp.status, await resp.json(content_type=None)


async def stored_keys(env) -> list[str]:
    async with env.engine.connect() as conn:
        return [r[0] for r in await conn.execute(select(billing_records.c.idempotency_key))]


async def test_mixed_batch_answers_each_record_and_stores_only_valid_new_ones(hub_env):
    old = record(encounter_id="enc-old")
    changed_old = record(encounter_id="enc-changed")
    async with client() as s:
        for rec in (old, changed_old):
            headers = station_headers(hub_env, rec["record_uuid"])
            async with s.post(hub_env.url + "/api/v1/billing-records", json=rec,
                              headers=headers) as resp:  # fmt: skip
                assert resp.status == 201
    new1, new2 = record(encounter_id="enc-a"), record(encounter_id="enc-b")
    conflict = copy.deepcopy(changed_old)
    conflict["doctor"]["amount"] = "30.00"
    bad_nir = record(encounter_id="enc-bad")
    bad_nir["patient"]["nir"] = "185057800608400"
    other_station = record(station_id="cabine-9")
    floaty = record()
    floaty["coverage"]["amo"] = 15.5
    records = [new1, old, conflict, bad_nir, other_station, new2, floaty, new1, record()]
    keys = [r["record_uuid"] for r in records]
    keys[-1] = "not-a-uuid"
    status, body = await post_batch(hub_env, None, json=batch(*records, keys=keys))
    assert status == 200, body
    results = BatchResponse.model_validate(body).results
    assert [r.index for r in results] == list(range(len(records)))
    assert [r.idempotency_key for r in results] == keys
    assert [(r.outcome, r.status) for r in results] == [
        ("created", 201), ("replayed", 200), ("conflict", 409), ("invalid", 422),
        ("forbidden", 403), ("created", 201), ("invalid", 422),
        ("replayed", 200),  # the same record twice in one batch is stored once
        ("invalid", 422),
    ]  # fmt: skip
    assert results[3].error["fields"][0]["loc"][:4] == ["records", "3", "record", "patient"]
    assert results[6].error["fields"][0]["loc"][-2:] == ["coverage", "amo"]
    assert results[8].error["fields"][0]["loc"] == ["records", "8", "idempotency_key"]
    assert results[2].error["code"] == "conflict"
    assert all(r.received_at is not None for r in results if r.status in (200, 201))
    # No patient value echoed back in the answers.
    assert "185057800608400" not in str(body) and "Durand" not in str(body)
    assert sorted(await stored_keys(hub_env)) == sorted(
        r["record_uuid"] for r in (old, changed_old, new1, new2)
    )


async def test_replay_of_a_whole_batch_after_a_lost_ack_stores_nothing_twice(hub_env):
    records = [record(encounter_id=f"enc-{i}") for i in range(120)]
    status, first = await post_batch(hub_env, None, json=batch(*records))
    assert status == 200
    assert {r["outcome"] for r in first["results"]} == {"created"}
    # The ack was "lost": the station sends the very same batch again, twice concurrently.
    again = await asyncio.gather(*(post_batch(hub_env, None, json=batch(*records))
                                   for _ in range(3)))  # fmt: skip
    for status, body in again:
        assert status == 200
        assert {r["outcome"] for r in body["results"]} == {"replayed"}
        assert [r["received_at"] for r in body["results"]] == [
            r["received_at"] for r in first["results"]
        ]
    assert await count_rows(hub_env) == 120


async def test_concurrent_overlapping_batches_store_each_record_once(hub_env):
    records = [record(encounter_id=f"enc-{i}") for i in range(60)]
    # Four batches sharing records race on the unique key: each record exists once.
    slices = [records[0:30], records[15:45], records[30:60], records[::2]]
    answers = await asyncio.gather(*(post_batch(hub_env, None, json=batch(*s)) for s in slices))
    created = []
    for status, body in answers:
        assert status == 200, body
        assert {r["outcome"] for r in body["results"]} <= {"created", "replayed"}
        created += [r["idempotency_key"] for r in body["results"] if r["outcome"] == "created"]
    assert sorted(created) == sorted(r["record_uuid"] for r in records)
    assert await count_rows(hub_env) == 60


async def test_batch_envelope_errors_are_clear_and_never_500(hub_env):
    url = hub_env.url + BATCH_PATH
    rec = record()
    async with client() as s:
        async with s.post(url, json=batch(rec)) as resp:
            assert resp.status == 401
        cases = [
            (b"{not json", 400, "bad_json"),
            (b"\xff\xfe", 400, "bad_json"),
            (b"[]", 422, "invalid_batch"),
            (b'{"v": 2, "records": []}', 422, "invalid_batch"),
            (b'{"v": 1, "records": []}', 422, "invalid_batch"),
            (b'{"v": 1, "records": [{"record": {}}]}', 422, "invalid_batch"),
            (b'{"v": 1, "records": [7]}', 422, "invalid_batch"),
        ]
        for data, status, code in cases:
            async with s.post(url, data=data, headers=auth(hub_env)) as resp:
                body = await resp.json()
                assert (resp.status, body["error"]["code"]) == (status, code), data
        too_many = batch(*[record() for _ in range(MAX_BATCH_RECORDS + 1)])
        async with s.post(url, json=too_many, headers=auth(hub_env)) as resp:
            body = await resp.json()
            assert resp.status == 413
            assert body["error"]["max_records"] == MAX_BATCH_RECORDS
        huge = {"v": 1, "records": [{"idempotency_key": str(uuid.uuid4()),
                                     "record": {"pad": "x" * (3 * 1024 * 1024)}}]}  # fmt: skip
        async with s.post(url, json=huge, headers=auth(hub_env)) as resp:
            assert resp.status == 413
    assert await count_rows(hub_env) == 0


async def test_station_gone_mid_body_stores_nothing_and_logs_no_error(hub_env, caplog):
    port = int(hub_env.url.rsplit(":", 1)[1])
    _reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (f"POST {BATCH_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {hub_env.station_token}\r\nContent-Length: 100000\r\n\r\n")  # fmt: skip
    writer.write(head.encode() + b'{"v": 1, "records": [')
    await writer.drain()
    await asyncio.sleep(0.2)
    writer.transport.abort()  # killed mid-body
    await asyncio.sleep(0.3)
    status, body = await post_batch(hub_env, None, json=batch(record()))
    assert status == 200 and body["results"][0]["outcome"] == "created"
    assert await count_rows(hub_env) == 1
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


async def test_database_that_stays_locked_gives_503_retry_after(hub_env, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from telecabine.hub import billing_batch

    class Locked:
        def begin(self):
            raise OperationalError("BEGIN", {}, Exception("database is locked"))

    monkeypatch.setattr(billing_batch, "_TX_ATTEMPTS", 2)
    real = billing_batch.store_batch
    monkeypatch.setattr(billing_batch, "store_batch", lambda _e, s, r: real(Locked(), s, r))
    async with client() as s, s.post(hub_env.url + BATCH_PATH, json=batch(record()),
                                     headers=auth(hub_env)) as resp:  # fmt: skip
        assert resp.status == 503 and resp.headers["Retry-After"] == "1"
        assert (await resp.json())["error"]["code"] == "busy"
    assert await count_rows(hub_env) == 0
