"""Seed a real hub with a small, known activity (for the API test and the Playwright test).

Records go through the real ingest endpoints (single and batch), encounters are the waiting
room's rows with known announce/take/end times, so the expected figures below are exact.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import aiohttp
from sqlalchemy import insert

from telecabine.hub.db import encounters
from telecabine.hub.organisations import add_organisation, assign_station
from telecabine.hub.server import register_station

ORG = "Pharmacie du Marché"
INJECTION = '=HYPERLINK("http://example.org","x")'
# station, act code, specialty, act date, wait s, duration s, final status (None: no call row)
ROWS = [
    ("cab-a", "TCG", "Médecine générale", "2026-11-02", 40, 600, "ended"),
    ("cab-a", "TCG", "Médecine générale", "2026-11-03", 100, 700, "ended"),
    ("cab-a", "TE2", "Dermatologie", "2026-11-10", 20, 900, "ended"),
    ("cab-b", "TCG", "Médecine générale", "2026-10-05", 50, 300, "dropped"),
    ("cab-b", "TC", INJECTION, "2026-10-06", 200, 400, "ended"),
    ("cab-x", "TCG", "Médecine générale", "2026-11-20", None, None, None),
]
EXPECTED = {
    "acts": 6,
    "by_act": [["TCG", 4], ["TC", 1], ["TE2", 1]],
    "by_cabin": [["cab-a", 3], ["cab-b", 2], ["cab-x", 1]],
    "by_organisation": [[ORG, 5], ["—", 1]],
    "per_month": [["2026-10-01", 2], ["2026-11-01", 4]],
    "wait_p50_s": 60,  # waits 20, 40, 50, 100, 200 -> buckets 30, 45, 60, 120, 240
    "wait_p95_s": 240,
    "mean_duration_s": 580,
    "incident_share": round(1 / 6, 4),
    "period": ("2026-01-01", "2026-12-31"),
}


def _record(station: str, enc: str, code: str, specialty: str, day: str) -> dict:
    nir_body = "1850578006084"
    return {
        "record_uuid": str(uuid.uuid4()),
        "station_id": station,
        "encounter_id": enc,
        "created_at": f"{day}T10:00:00+00:00",
        "act_date": day,
        "patient": {
            "birth_name": "Durand",
            "first_names": "Élodie",
            "nir": nir_body + f"{97 - int(nir_body) % 97:02d}",
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
            "specialty": specialty,
            "act_code": code,
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


async def seed_activity(hub_url: str, engine) -> dict[str, str]:
    """Register the organisation and cabins, time the calls, ingest the records."""
    await add_organisation(engine, ORG, "pharmacy", finess="750012345")
    tokens = {}
    ids = {}
    for name in ("cab-a", "cab-b", "cab-x"):
        tokens[name] = await register_station(engine, name)
    for name in ("cab-a", "cab-b"):
        await assign_station(engine, name, ORG)
    from sqlalchemy import select

    from telecabine.hub.db import stations

    async with engine.connect() as conn:
        ids = dict((await conn.execute(select(stations.c.name, stations.c.id))).all())
    batches: dict[str, list[dict]] = {}
    async with engine.begin() as conn:
        for i, (st, code, spec, day, wait, dur, status) in enumerate(ROWS):
            enc = f"enc-{i}"
            if status is not None:
                queued = datetime.fromisoformat(f"{day}T09:00:00+00:00")
                taken = queued + timedelta(seconds=wait)
                await conn.execute(
                    insert(encounters).values(
                        encounter_id=enc,
                        station_id=ids[st],
                        reason="test",
                        age_band="40-49",
                        flagged_vitals="[]",
                        cabin=st,
                        waiting_since=queued,
                        status=status,
                        doctor_id=None,
                        updated_at=taken + timedelta(seconds=dur),
                        taken_at=taken,
                        ended_at=taken + timedelta(seconds=dur),
                    )
                )
            batches.setdefault(st, []).append(_record(st, enc, code, spec, day))
    async with aiohttp.ClientSession() as http:
        for st, recs in batches.items():
            auth = {"Authorization": f"Bearer {tokens[st]}"}
            if st == "cab-a":  # the batch endpoint
                body = {
                    "v": 1,
                    "records": [{"idempotency_key": r["record_uuid"], "record": r} for r in recs],
                }
                async with http.post(
                    f"{hub_url}/api/v1/billing-records/batch", json=body, headers=auth
                ) as resp:
                    assert resp.status == 200, await resp.text()
                continue
            for r in recs:  # the single-record endpoint
                async with http.post(
                    f"{hub_url}/api/v1/billing-records",
                    json=r,
                    headers={**auth, "Idempotency-Key": r["record_uuid"]},
                ) as resp:
                    assert resp.status == 201, await resp.text()
    _ = UTC
    return tokens
