"""Operator's view over a real hub (SQLite and PostgreSQL): station presence from a running
HeartbeatWorker, offline within the window and one alert e-mail (aiosmtpd), the TLM cap shared
by the cabins of one pharmacy, and a truncated audit chain flagged."""

from __future__ import annotations

import asyncio
import copy
import json
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from fleet_testlib import ADMIN, start_fleet_hub, start_smtp
from hub_testlib import client
from postgres_testlib import create_pg_database
from test_hub_billing import record

from telecabine.config import load_settings
from telecabine.hub.config import HubSettings
from telecabine.hub.organisations import add_organisation, assign_station
from telecabine.hub.presence import list_presence
from telecabine.hub.server import register_station
from telecabine.hub.state import HUB
from telecabine.protocol.heartbeat import EquipmentStatus
from telecabine.services.billing_ledger import tally_row
from telecabine.services.heartbeat import DEFAULT_INTERVAL_S, HeartbeatWorker, StoreFigures
from telecabine.services.tlm_allowance import my_activity, tlm_used
from telecabine.store.tables import PharmacistTally
from telecabine.sync.station_client import StationHubClient


@pytest.fixture(params=["sqlite", "postgres"])
async def db_url(request, tmp_path: Path) -> str:
    """A fresh hub database URL on each backend."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
    host, port = request.getfixturevalue("postgres_server")
    return await create_pg_database(host, port)


async def _until(predicate, limit_s: float):
    """Poll an async predicate every 50 ms, at most ``limit_s``; returns its last value."""
    value = None
    for _ in range(int(limit_s / 0.05)):
        value = await predicate()
        if value:
            return value
        await asyncio.sleep(0.05)
    return value


def test_defaults_meet_30_and_90_seconds() -> None:
    """With the shipped defaults: online after the first beat (< 30 s even if one beat is
    lost to the 5 s timeout), offline at most interval + window after the last beat (< 90 s);
    socket presence is refreshed every monitor interval, so a closed socket is gone < 90 s too."""
    hub = HubSettings()
    assert load_settings().heartbeat_interval_s == DEFAULT_INTERVAL_S
    assert DEFAULT_INTERVAL_S + 5.0 < 30
    assert DEFAULT_INTERVAL_S + hub.presence_window_s < 90
    assert hub.monitor_interval_s + hub.presence_window_s < 90


async def test_worker_online_then_offline_with_one_mail(db_url, tmp_path, station_store) -> None:
    box, smtp_port, smtp = await start_smtp()
    hub = await start_fleet_hub(db_url, tmp_path, smtp_port)
    engine = hub.app[HUB].engine
    try:
        token = await register_station(engine, "cabine-1")
        figures = StoreFigures(
            station_store,
            data_dir=tmp_path,
            version="1.2.0",
            equipment=lambda: [EquipmentStatus(item="camera", ok=True)],
        )
        worker = HeartbeatWorker(StationHubClient(hub.url, token), figures, interval_s=0.2)

        async def presence():
            return (await list_presence(engine, datetime.now(UTC), 1.0))[0]

        assert not (await presence()).online  # registered, never seen
        await worker.start()
        p = await _until(lambda: _online(presence), 30)
        assert p and p.online and p.version == "1.2.0"
        assert p.equipment == [{"item": "camera", "ok": True, "code": None}]
        assert box.subjects == []
        await worker.aclose()
        p = await _until(lambda: _offline(presence), 90)
        assert p and not p.online
        # One e-mail for this incident, however many monitor ticks pass.
        assert await _until(lambda: _some(box.subjects), 10)
        await asyncio.sleep(0.6)
        assert len(box.subjects) == 1, box.subjects
        assert "cabine-1" in box.subjects[0] and "offline" in box.subjects[0]
    finally:
        await hub.stop()
        smtp.close()


async def _online(presence):
    p = await presence()
    return p if p.online else None


async def _offline(presence):
    p = await presence()
    return p if not p.online else None


async def _some(items):
    return bool(items)


async def test_two_stations_of_one_pharmacy_share_the_tlm_cap(db_url, tmp_path, station_store):
    hub = await start_fleet_hub(db_url, tmp_path, None)
    engine = hub.app[HUB].engine
    try:
        await add_organisation(engine, "Pharmacie du Marché", "pharmacy", finess="750012345")
        tokens = {n: await register_station(engine, n) for n in ("cab-a", "cab-b", "cab-x")}
        for n in ("cab-a", "cab-b"):
            await assign_station(engine, n, "Pharmacie du Marché")
        now = datetime.now(UTC)
        year = now.year
        async with client() as http:
            for name, count in (("cab-a", 2), ("cab-b", 3), ("cab-x", 4)):
                for i in range(count):
                    # cab-a's acts are today's ("my activity" counts this month's acts).
                    day = now.date().isoformat() if name == "cab-a" else f"{year}-01-0{i + 1}"
                    rec = record(station_id=name, encounter_id=f"{name}-{i}", act_date=day)
                    async with http.post(
                        f"{hub.url}/api/v1/billing-records",
                        json=rec,
                        headers={
                            "Authorization": f"Bearer {tokens[name]}",
                            "Idempotency-Key": rec["record_uuid"],
                        },
                    ) as resp:
                        assert resp.status == 201, await resp.text()
        station_a = StationHubClient(hub.url, tokens["cab-a"])
        station_x = StationHubClient(hub.url, tokens["cab-x"])
        try:
            a = await station_a.tlm_allowance(year)
            assert (a.used, a.cap, a.organisation, a.stations) == (
                "25.00",
                "750.00",
                "Pharmacie du Marché",
                2,
            )
            x = await station_x.tlm_allowance(year)
            assert (x.used, x.organisation, x.stations) == ("20.00", None, 1)
            # Station side: one local record; online it uses the organisation's figure.
            rec = record(station_id="cab-a", act_date=now.date().isoformat())
            with station_store.write() as s:  # its TLM tally row (written when it closed)
                s.add(PharmacistTally(record_uuid=rec["record_uuid"], created_at=now,
                                      **tally_row(rec)))  # fmt: skip
            online = await tlm_used(station_store, "cab-a", year, station_a)
            assert online.as_tuple() == (Decimal("25.00"), "hub")
            assert online.organisation == "Pharmacie du Marché"
            mine = await my_activity(station_store, "cab-a", now, station_a)
            assert (mine.acts, mine.tlm_used, mine.tlm_cap, mine.source) == (
                2,
                Decimal("25.00"),
                Decimal("750.00"),
                "hub",
            )
        finally:
            await station_a.close()
            await station_x.close()
    finally:
        await hub.stop()
    # Hub gone: the station falls back to its own count and says so.
    offline_client = StationHubClient(hub.url, tokens["cab-a"], timeout_s=1.0)
    try:
        offline = await tlm_used(station_store, "cab-a", year, offline_client)
    finally:
        await offline_client.close()
    assert offline.as_tuple() == (Decimal("5.00"), "station")
    offline_client = StationHubClient(hub.url, tokens["cab-a"], timeout_s=1.0)
    try:
        mine = await my_activity(station_store, "cab-a", now, offline_client)
    finally:
        await offline_client.close()
    assert (mine.acts, mine.tlm_used, mine.source) == (0, Decimal("5.00"), "station")


def _truncate_audit(store, keep: int) -> None:
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER audit_log_no_delete")
        conn.exec_driver_sql(f"DELETE FROM audit_log WHERE seq > {int(keep)}")


async def test_truncated_audit_chain_is_flagged(db_url, tmp_path, station_store) -> None:
    hub = await start_fleet_hub(db_url, tmp_path, None)
    engine = hub.app[HUB].engine
    try:
        token = await register_station(engine, "cabine-1")
        for i in range(6):
            station_store.audit.record(f"staff:{i}", "sign_in", "staff", str(i), {"i": i})
        worker = HeartbeatWorker(
            StationHubClient(hub.url, token),
            StoreFigures(station_store, data_dir=tmp_path, version="1.2.0"),
            interval_s=3600,
        )
        try:
            assert await worker.beat_once()
            assert worker.status.audit_flag is None
            station_store.audit.record("staff:9", "sign_out", "staff", "9", {})
            assert await worker.beat_once()  # the chain grew: still fine
            assert worker.status.audit_flag is None
            _truncate_audit(station_store, 4)
            assert station_store.audit.verify_chain() is None  # the chain alone cannot tell
            assert await worker.beat_once()
            assert worker.status.audit_flag == "truncated"
        finally:
            await worker.aclose()
        async with client() as http:
            async with http.get(f"{hub.url}/api/v1/admin/stations", headers=ADMIN) as resp:
                body = await resp.json()
            async with http.get(
                f"{hub.url}/api/v1/admin/stations?state=audit_broken", headers=ADMIN
            ) as resp:
                flagged = await resp.json()
        (cab,) = body["stations"]
        assert "audit_broken" in cab["states"] and cab["audit_flag"] == "truncated"
        assert [s["station_id"] for s in flagged["stations"]] == ["cabine-1"]
    finally:
        await hub.stop()


async def test_heartbeat_refuses_bad_input(db_url, tmp_path) -> None:
    hub = await start_fleet_hub(db_url, tmp_path, None)
    try:
        token = await register_station(hub.app[HUB].engine, "cabine-1")
        auth = {"Authorization": f"Bearer {token}"}
        good = {"version": "1.0", "sent_at": datetime.now(UTC).isoformat()}
        async with client() as http:
            for body, status in (
                (b"{not json", 422),
                ({**good, "audit_head": {"seq": -1, "hash": "x"}}, 422),
                ({**good, "surprise": 1}, 422),
                ({"version": "1.0", "sent_at": "2026-01-01T00:00:00"}, 422),  # naive time
            ):
                kw = {"data": body} if isinstance(body, bytes) else {"json": copy.deepcopy(body)}
                async with http.post(
                    f"{hub.url}/api/v1/stations/heartbeat", headers=auth, **kw
                ) as resp:
                    assert resp.status == status
                    assert (await resp.json())["error"]["code"] == "invalid"
            async with http.post(f"{hub.url}/api/v1/stations/heartbeat", json=good) as resp:
                assert resp.status == 401
            async with http.post(
                f"{hub.url}/api/v1/stations/heartbeat", json=good, headers=ADMIN
            ) as resp:
                assert resp.status == 403
    finally:
        await hub.stop()


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "telecabine", "hub", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_cli_organisations_and_stations(tmp_path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
    r = await asyncio.to_thread(
        _cli,
        "--database",
        url,
        "add-organisation",
        "EHPAD Les Tilleuls",
        "--kind",
        "ehpad",
        "--finess",
        "12345",
    )
    assert r.returncode == 2 and "FINESS" in r.stderr and "Traceback" not in r.stderr
    r = await asyncio.to_thread(
        _cli,
        "--database",
        url,
        "add-organisation",
        "EHPAD Les Tilleuls",
        "--kind",
        "ehpad",
        "--finess",
        "2A0012345",
    )
    assert r.returncode == 0, r.stderr
    r = await asyncio.to_thread(
        _cli, "--database", url, "add-station", "cab-t1", "--organisation", "EHPAD Les Tilleuls"
    )
    assert r.returncode == 0, r.stderr
    token = r.stdout.strip().splitlines()[-1]
    hub = await start_fleet_hub(url, tmp_path, None, presence_window_s=60.0)
    try:
        await register_station(hub.app[HUB].engine, "cab-t2")
        async with client() as http:
            hb = {"version": "2.0", "sent_at": datetime.now(UTC).isoformat()}
            async with http.post(
                f"{hub.url}/api/v1/stations/heartbeat",
                json=hb,
                headers={"Authorization": f"Bearer {token}"},
            ) as resp:
                assert resp.status == 200
        r = await asyncio.to_thread(_cli, "--database", url, "stations", "--json")
        assert r.returncode == 0, r.stderr
        listed = {s["station_id"]: s for s in json.loads(r.stdout)}
        assert listed["cab-t1"]["online"] is True
        assert listed["cab-t1"]["organisation"] == "EHPAD Les Tilleuls"
        assert listed["cab-t1"]["last_seen"].endswith("Z")
        assert listed["cab-t2"]["online"] is False and listed["cab-t2"]["last_seen"] is None
    finally:
        await hub.stop()


async def test_signaling_socket_counts_as_presence(db_url, tmp_path) -> None:
    hub = await start_fleet_hub(db_url, tmp_path, None)
    engine = hub.app[HUB].engine
    try:
        token = await register_station(engine, "cabine-ws")

        async def presence():
            return (await list_presence(engine, datetime.now(UTC), 1.0))[0]

        async with client() as http:
            ws = await http.ws_connect(
                hub.url.replace("http", "ws", 1) + "/ws/station",
                headers={"Authorization": f"Bearer {token}"},
            )
            p = await _until(lambda: _online(presence), 30)
            assert p and p.online and p.heartbeat_at is None  # seen through its socket only
            await ws.close()
        p = await _until(lambda: _offline(presence), 90)
        assert p and not p.online and p.last_seen is not None
    finally:
        await hub.stop()


async def test_failing_equipment_mails_once_per_incident(db_url, tmp_path) -> None:
    box, smtp_port, smtp = await start_smtp()
    # A long presence window: this test is about equipment, not about going offline.
    hub = await start_fleet_hub(db_url, tmp_path, smtp_port, presence_window_s=600.0)
    try:
        token = await register_station(hub.app[HUB].engine, "cabine-eq")
        auth = {"Authorization": f"Bearer {token}"}

        async def beat(ok: bool) -> None:
            hb = {
                "version": "1.0",
                "sent_at": datetime.now(UTC).isoformat(),
                "equipment": [{"item": "otoscope", "ok": ok, "code": None if ok else "lost"}],
            }
            async with http.post(
                f"{hub.url}/api/v1/stations/heartbeat", json=hb, headers=auth
            ) as resp:
                assert resp.status == 200

        async with client() as http:
            for _ in range(3):  # three failing beats: still one incident, one mail
                await beat(False)
            assert await _until(lambda: _some(box.subjects), 10)
            await asyncio.sleep(0.5)
            assert len(box.subjects) == 1 and "otoscope" in box.subjects[0]
            await beat(True)  # repaired: the incident closes
            await asyncio.sleep(0.5)
            await beat(False)  # fails again: a new incident, a new mail
            assert await _until(lambda: _count(box.subjects, 2), 10)
            async with http.get(
                f"{hub.url}/api/v1/admin/stations/cabine-eq", headers=ADMIN
            ) as resp:
                incidents = (await resp.json())["incidents"]
        assert [(i["kind"], i["closed_at"] is None, i["notified"]) for i in incidents] == [
            ("equipment:otoscope", True, True),
            ("equipment:otoscope", False, True),
        ]
    finally:
        await hub.stop()
        smtp.close()


async def _count(items, n):
    return len(items) >= n
