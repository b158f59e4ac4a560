"""Billing ingest: 201 first, 200 replay, 409 conflict, 422 field errors, concurrent replays."""

from __future__ import annotations

import asyncio
import copy
import csv
import io
import uuid

from hub_testlib import client
from sqlalchemy import func, select

from telecabine.hub.db import billing_records

NIR_BODY = "1850578006084"
NIR = NIR_BODY + f"{97 - int(NIR_BODY) % 97:02d}"


def record(**over) -> dict:
    rec = {
        "record_uuid": str(uuid.uuid4()),
        "station_id": "cabine-1",
        "encounter_id": "enc-1",
        "created_at": "2026-11-23T08:00:00+00:00",
        "act_date": "2026-11-23",
        "patient": {
            "birth_name": "Durand",
            "first_names": "Élodie",
            "nir": NIR,
            "birth_date": "1985-05-01",
            "rang_gemellaire": None,
        },
        "accompanying": {
            "role": "pharmacist",
            "staff_name": "Ph. Martin",
            "rpps": None,
            "am_number": None,
            "act_code": "TLM",
            "amount": "5.00",
        },
        "doctor": {
            "name": "Dr Lefèvre",
            "rpps": "10000000001",
            "specialty": "Médecine générale",
            "act_code": "TCG",
            "amount": "25.00",
        },
        "coverage": {
            "amo": "15.50",
            "amc": "7.50",
            "patient": "0.00",
            "participation_forfaitaire": "2.00",
        },
        "exoneration": None,
        "in_parcours": True,
        "currency": "EUR",
    }
    rec.update(over)
    return rec


def station_headers(env, key: str) -> dict:
    return {"Authorization": f"Bearer {env.station_token}", "Idempotency-Key": key}


async def count_rows(env) -> int:
    async with env.engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(billing_records))).scalar()


async def test_ingest_replay_conflict(hub_env):
    rec = record()
    key = rec["record_uuid"]
    url = hub_env.url + "/api/v1/billing-records"
    async with client() as s:
        async with s.post(url, json=rec) as resp:
            assert resp.status == 401
        async with s.post(url, json=rec, headers=station_headers(hub_env, key)) as resp:
            assert resp.status == 201
            first = await resp.json()
        assert first["record"]["doctor"]["amount"] == "25.00"
        assert first["record"]["patient"]["first_names"] == "Élodie"
        async with s.post(url, json=rec, headers=station_headers(hub_env, key)) as resp:
            assert resp.status == 200
            assert await resp.json() == first
        changed = copy.deepcopy(rec)
        changed["doctor"]["amount"] = "30.00"
        async with s.post(url, json=changed, headers=station_headers(hub_env, key)) as resp:
            assert resp.status == 409
            assert (await resp.json())["error"]["code"] == "conflict"
    assert await count_rows(hub_env) == 1


async def test_ingest_invalid_bodies_get_field_errors(hub_env):
    url = hub_env.url + "/api/v1/billing-records"
    bad_nir = record()
    bad_nir["patient"]["nir"] = NIR[:13] + "00"
    bad_amount = record()
    bad_amount["doctor"]["amount"] = 25.0
    async with client() as s:
        async with s.post(
            url, json=bad_nir, headers=station_headers(hub_env, bad_nir["record_uuid"])
        ) as resp:
            assert resp.status == 422
            body = await resp.json()
            locs = [f["loc"] for f in body["error"]["fields"]]
            assert ["patient", "nir"] in locs
            assert NIR[:13] not in await resp.text()  # never echo patient data back
        async with s.post(
            url, json=bad_amount, headers=station_headers(hub_env, bad_amount["record_uuid"])
        ) as resp:
            assert resp.status == 422
        rec = record()
        async with s.post(url, json=rec, headers=station_headers(hub_env, "not-a-uuid")) as resp:
            assert resp.status == 422
        async with s.post(
            url, json=rec, headers=station_headers(hub_env, str(uuid.uuid4()))
        ) as resp:
            assert resp.status == 422  # key must be the record's uuid
        async with s.post(
            url, data=b"{not json", headers=station_headers(hub_env, rec["record_uuid"])
        ) as resp:
            assert resp.status == 422
        other = record(station_id="cabine-2")
        async with s.post(
            url, json=other, headers=station_headers(hub_env, other["record_uuid"])
        ) as resp:
            assert resp.status == 403
        async with s.post(
            url, data=b"x" * 300_000, headers=station_headers(hub_env, rec["record_uuid"])
        ) as resp:
            assert resp.status == 413
    assert await count_rows(hub_env) == 0


async def test_concurrent_replays_make_one_row(hub_env):
    rec = record()
    url = hub_env.url + "/api/v1/billing-records"
    async with client() as s:

        async def post():
            async with s.post(
                url, json=rec, headers=station_headers(hub_env, rec["record_uuid"])
            ) as resp:
                return resp.status, await resp.json()

        results = await asyncio.gather(*(post() for _ in range(20)))
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * 19 + [201]
    assert len({str(body) for _, body in results}) == 1
    assert await count_rows(hub_env) == 1


async def test_admin_list_and_csv_export(hub_env):
    url = hub_env.url + "/api/v1/billing-records"
    admin = {"Authorization": f"Bearer {hub_env.admin_token}"}
    async with client() as s:
        for i in range(3):
            rec = record(encounter_id=f"enc-{i}")
            async with s.post(
                url, json=rec, headers=station_headers(hub_env, rec["record_uuid"])
            ) as resp:
                assert resp.status == 201
        async with s.get(url, headers=admin) as resp:
            body = await resp.json()
        assert [r["record"]["encounter_id"] for r in body["records"]] == ["enc-0", "enc-1", "enc-2"]
        first_at = body["records"][0]["received_at"]
        async with s.get(url, params={"since": first_at}, headers=admin) as resp:
            assert len((await resp.json())["records"]) == 2
        async with s.get(url, params={"limit": "2"}, headers=admin) as resp:
            page1 = await resp.json()
        cursor = {"since": page1["next_since"], "after_id": str(page1["next_after_id"])}
        async with s.get(url, params=cursor, headers=admin) as resp:
            page2 = await resp.json()
        assert [r["record"]["encounter_id"] for r in page1["records"] + page2["records"]] == [
            "enc-0", "enc-1", "enc-2",
        ]  # fmt: skip
        async with s.get(url, params={"since": "yesterday"}, headers=admin) as resp:
            assert resp.status == 422
        async with s.get(url + ".csv", headers=admin) as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"].startswith("text/csv")
            text = (await resp.read()).decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text), delimiter=";"))
        assert rows[0][:3] == ["received_at", "record_uuid", "station_id"]
        assert len(rows) == 4 and "Élodie" in rows[1]
        # An admin doctor's session works too; a plain doctor's does not.
        await hub_env.doctor("boss", admin=True)
        await hub_env.doctor("plain")
    async with client() as s:
        await hub_env.login(s, "plain")
        async with s.get(url) as resp:
            assert resp.status == 403
    async with client() as s:
        await hub_env.login(s, "boss")
        async with s.get(url + ".csv") as resp:
            assert resp.status == 200
