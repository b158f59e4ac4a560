"""Sync worker and operator commands against the real hub on 127.0.0.1 and a real store."""

from __future__ import annotations

import asyncio
import io
import json
import os
import sys

import aiohttp
from sync_testlib import STATION, billing_payload, close_encounters

from telecabine.cli import main
from telecabine.services.sync_outbox import StoreOutbox
from telecabine.services.sync_runtime import (
    build_worker,
    load_station_token,
    run_parked_command,
    save_station_token,
)
from telecabine.store.tables import BillingRecordRow


def _rewrite_payload(store, record_uuid: str, change) -> None:
    """Alter a stored record's JSON (what a bug or a hand edit could do)."""
    with store.write() as session:
        row = session.get(BillingRecordRow, record_uuid)
        payload = json.loads(row.payload_json)
        change(payload)
        row.payload_json = json.dumps(payload)
        session.add(row)


async def test_records_reach_the_hub_once_and_encounters_are_marked_synced(sync_env):
    uuids = close_encounters(sync_env.store, STATION, 30)
    worker = build_worker(sync_env.settings, sync_env.store, sync_env.token, batch_size=8)
    try:
        report = await worker.run_once()
        again = await worker.run_once()
    finally:
        await worker.aclose()
    assert report.sent == 30 and again.sent == 0
    assert set(await sync_env.hub.keys()) == set(uuids)
    assert worker.status.pending == 0 and worker.status.last_success_at is not None
    assert StoreOutbox(sync_env.store).counts().sent == 30
    with sync_env.store.read() as session:
        enc_id = session.get(BillingRecordRow, uuids[0]).encounter_id
    assert sync_env.store.encounters.get(enc_id).synced_at is not None  # retention may purge


async def test_conflict_is_parked_never_recreated_and_the_rest_goes(sync_env):
    uuids = close_encounters(sync_env.store, STATION, 5)
    # The hub already holds uuids[0] with another body (e.g. the record was edited after a send).
    other = billing_payload(STATION, "enc-elsewhere", uuids[0])
    async with aiohttp.ClientSession() as http, http.post(
        f"{sync_env.hub.url}/api/v1/billing-records", json=other,
        headers={"Authorization": f"Bearer {sync_env.token}", "Idempotency-Key": uuids[0]},
    ) as resp:  # fmt: skip
        assert resp.status == 201
    worker = build_worker(sync_env.settings, sync_env.store, sync_env.token)
    try:
        report = await worker.run_once()
    finally:
        await worker.aclose()
    assert report.sent == 4 and report.parked == 1
    outbox = StoreOutbox(sync_env.store)
    assert outbox.parked() == [(uuids[0], "conflict", "same Idempotency-Key, different body")]
    assert worker.status.attention == 1
    assert "exploitant" in worker.status.words("fr")
    keys = await sync_env.hub.keys()
    assert sum(keys.values()) == 5 and set(keys) == set(uuids)  # no second uuid for it


async def test_invalid_record_is_parked_with_field_errors_without_blocking(sync_env):
    uuids = close_encounters(sync_env.store, STATION, 4)
    _rewrite_payload(sync_env.store, uuids[1], lambda p: p["doctor"].update(rpps="123"))
    worker = build_worker(sync_env.settings, sync_env.store, sync_env.token)
    try:
        report = await worker.run_once()
    finally:
        await worker.aclose()
    assert report.sent == 3 and report.parked == 1
    [(uuid, status, error)] = StoreOutbox(sync_env.store).parked()
    assert (uuid, status) == (uuids[1], "rejected")
    assert "doctor.rpps" in error and "123" not in error.replace("body.doctor.rpps", "")
    assert "refusé" in worker.status.words("fr") and "refused" in worker.status.words("en")

    # The operator lists it, the record is corrected, then put back in the queue and sent.
    out = io.StringIO()
    assert run_parked_command(sync_env.settings, None, out) == 0
    assert out.getvalue().startswith(f"{uuids[1]}\trejected\t")
    _rewrite_payload(sync_env.store, uuids[1], lambda p: p["doctor"].update(rpps="10000000001"))
    assert run_parked_command(sync_env.settings, uuids[1], io.StringIO()) == 0
    assert run_parked_command(sync_env.settings, uuids[1], io.StringIO()) == 2  # not parked now
    worker = build_worker(sync_env.settings, sync_env.store, sync_env.token)
    try:
        assert (await worker.run_once()).sent == 1
    finally:
        await worker.aclose()
    assert set(await sync_env.hub.keys()) == set(uuids)


async def test_wrong_token_stops_and_touches_nothing(sync_env):
    close_encounters(sync_env.store, STATION, 3)
    worker = build_worker(sync_env.settings, sync_env.store, "not-the-token")
    try:
        report = await worker.run_once()
    finally:
        await worker.aclose()
    assert report.unauthorized and worker.status.stopped
    assert StoreOutbox(sync_env.store).counts().pending == 3
    assert all(r.attempts == 0 for r in sync_env.store.outbox.pending(10))
    assert await sync_env.hub.keys() == {}


async def test_cli_sync_once_in_a_subprocess_then_export_csv(sync_env, capsys, monkeypatch):
    uuids = close_encounters(sync_env.store, STATION, 3)
    save_station_token(sync_env.settings, sync_env.token)
    assert load_station_token(sync_env.settings) == sync_env.token
    env = dict(os.environ, TELECABINE_INSECURE_FILE_KEYRING="1", TELECABINE_STATION_ID=STATION,
               TELECABINE_HUB_URL=sync_env.hub.url)  # fmt: skip
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "telecabine", "--data-dir", str(sync_env.settings.data_dir),
        "sync", "--once", env=env, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    text = out.decode()
    assert "Envoyés / sent: 3" in text and "Facturation à jour." in text
    assert "Billing up to date." in text
    assert set(await sync_env.hub.keys()) == set(uuids)

    capsys.readouterr()
    monkeypatch.setenv("TELECABINE_STATION_ID", STATION)
    rc = main(["--data-dir", str(sync_env.settings.data_dir), "export", "billing"])
    assert rc == 0
    lines = capsys.readouterr().out.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("sync_status;record_uuid;station_id")
    assert sorted(line.split(";")[1] for line in lines[1:]) == sorted(uuids)
    assert all(line.startswith("sent;") for line in lines[1:])
