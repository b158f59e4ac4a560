"""Issue 16 (hub hardening): one test per finding of the attacker's review, on loopback.

Concurrency tests use bounded counts; the descriptor test runs a real hub subprocess with a low
``RLIMIT_NOFILE`` (see test_hub_fd_flood.py).
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from conftest import _create_pg_database
from hub_testlib import ADMIN_TOKEN, DOCTOR_PASSWORD, HubEnv, client, hub_settings
from sqlalchemy import select, text
from test_hub_billing import record
from test_hub_signaling import announce, recv_type

from telecabine.hub.accounts import set_password
from telecabine.hub.db import encounters
from telecabine.hub.hardening import HASH_POOL
from telecabine.hub.server import register_station, start_hub
from telecabine.hub.state import HUB


@pytest.fixture(params=["sqlite", "postgres"])
async def sec_env(request, tmp_path: Path) -> AsyncIterator[HubEnv]:
    """A hub with short re-check periods and small caps (so the tests stay quick)."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
    else:
        host, port = request.getfixturevalue("postgres_server")
        url = await _create_pg_database(host, port)
    settings = hub_settings(
        url, tmp_path, session_check_s=0.3, announces_per_minute=3, max_sockets_per_station=2
    )
    hub = await start_hub(settings)
    try:
        token = await register_station(hub.app[HUB].engine, "cabine-1")
        yield HubEnv(hub, token, "cabine-1", ADMIN_TOKEN)
    finally:
        await hub.stop()


def _from(address: str) -> aiohttp.ClientSession:
    """A client whose connections come from another loopback address (127.0.0.0/8)."""
    return client(connector=aiohttp.TCPConnector(local_addr=(address, 0)))


async def _login(s: aiohttp.ClientSession, env: HubEnv, user: str, password: str):
    async with s.post(env.url + "/login", json={"username": user, "password": password}) as r:
        return r.status, r.headers.get("Retry-After")


# -- High: the sign-in limit holds under concurrency -----------------------------------------
async def test_concurrent_guesses_cannot_beat_the_limit(sec_env):
    await sec_env.doctor("dr.race")
    async with client() as s:
        guesses = [_login(s, sec_env, "dr.race", f"wrong-password-{i}") for i in range(39)]
        results = await asyncio.gather(*guesses, _login(s, sec_env, "dr.race", DOCTOR_PASSWORD))
    statuses = [status for status, _ in results]
    checked = statuses.count(401) + statuses.count(200)
    # Only the free attempts (login_max_failures = 5) reach the password check; all others
    # are refused before it, with a Retry-After.
    assert checked <= 5, statuses
    assert statuses.count(429) >= 35
    assert all(ra and int(ra) >= 1 for status, ra in results if status == 429)


# -- Medium: a stranger cannot lock a doctor out ---------------------------------------------
async def test_wrong_passwords_from_one_address_do_not_lock_out_another(sec_env):
    await sec_env.doctor("dr.victim")
    async with _from("127.0.0.2") as attacker:
        statuses = [(await _login(attacker, sec_env, "dr.victim", "nope-nope-1"))[0]
                    for _ in range(6)]  # fmt: skip
        assert statuses[-1] == 429  # the attacker is slowed down...
    async with _from("127.0.0.3") as doctor:
        assert (await _login(doctor, sec_env, "dr.victim", DOCTOR_PASSWORD))[0] == 200  # ...not her


# -- Medium: Argon2 runs off the event loop, in a bounded pool -------------------------------
async def test_password_hashing_is_off_the_event_loop_and_bounded(sec_env):
    pool = sec_env.hub.app[HASH_POOL]
    done = 0

    async def unknown_user(s: aiohttp.ClientSession, i: int) -> int:
        nonlocal done
        status, _ = await _login(s, sec_env, f"nobody{i}", "whatever-password")
        done += 1
        return status

    async with client() as flood:
        logins = [asyncio.ensure_future(unknown_user(flood, i)) for i in range(8)]
        await asyncio.sleep(0.05)
        async with client() as s, s.get(sec_env.url + "/healthz") as resp:
            assert resp.status == 200
        # Eight Argon2 verifications queue in one hash thread; the health check did not
        # wait for them (on the event loop it would have waited for most).
        assert done < 4, done
        assert set(await asyncio.gather(*logins)) == {401}
    pool._max = 0  # a full queue answers 503 at once instead of piling up
    async with _from("127.0.2.1") as s:
        assert (await _login(s, sec_env, "nobody", "whatever-password"))[0] == 503


# -- Medium: a doctor's WebSocket ends with her session --------------------------------------
async def test_doctor_socket_closes_on_logout_and_on_password_change(sec_env):
    await sec_env.doctor("dr.ws")
    async with client() as s:
        await sec_env.login(s, "dr.ws")
        ws = await s.ws_connect(sec_env.ws_url + "/ws/doctor", origin=sec_env.url)
        await recv_type(ws, "queue")
        async with s.post(sec_env.url + "/logout", headers={"Origin": sec_env.url}) as r:
            assert r.status == 200
        msg = await ws.receive(timeout=5)
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        assert ws.close_code == 4401

    async with client() as ss, client() as ds:
        station = await ss.ws_connect(
            sec_env.ws_url + "/ws/station",
            headers={"Authorization": f"Bearer {sec_env.station_token}"},
        )
        await station.send_json(announce("enc-pw-1"))
        await recv_type(station, "queued")
        await sec_env.login(ds, "dr.ws")
        doc = await ds.ws_connect(sec_env.ws_url + "/ws/doctor", origin=sec_env.url)
        await recv_type(doc, "queue")
        # `hub set-password` from another process: nothing tells this instance directly.
        await set_password(sec_env.engine, "dr.ws", "another-long-passphrase")
        await doc.send_json({"v": 1, "type": "take", "encounter_id": "enc-pw-1"})
        msg = await doc.receive(timeout=5)
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        assert doc.close_code == 4401
        async with sec_env.engine.connect() as conn:
            status = (
                await conn.execute(
                    select(encounters.c.status).where(encounters.c.encounter_id == "enc-pw-1")
                )
            ).scalar_one()
        assert status == "queued"  # the take was not performed
        await station.close()


async def test_idle_doctor_socket_closes_after_password_change(sec_env):
    await sec_env.doctor("dr.idle")
    async with client() as s:
        await sec_env.login(s, "dr.idle")
        ws = await s.ws_connect(sec_env.ws_url + "/ws/doctor", origin=sec_env.url)
        await recv_type(ws, "queue")
        await set_password(sec_env.engine, "dr.idle", "another-long-passphrase")
        msg = await ws.receive(timeout=5)  # session_check_s = 0.3 in this fixture
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        assert ws.close_code == 4401


# -- Medium: CSV formula injection -----------------------------------------------------------
async def test_csv_export_neutralises_formulas(sec_env):
    from telecabine.hub.billing_api import csv_cell

    # Records strip surrounding whitespace; tab and CR are neutralised all the same.
    assert csv_cell("\tx") == "'\tx" and csv_cell("\rx") == "'\rx" and csv_cell("ok") == "ok"
    bad = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3+cmd|x"]
    headers = {"Authorization": f"Bearer {sec_env.station_token}"}
    async with client() as s:
        for i, name in enumerate(bad):
            rec = record(encounter_id=f"enc-csv-{i}")
            rec["patient"]["birth_name"] = name
            rec["accompanying"]["staff_name"] = name
            async with s.post(
                sec_env.url + "/api/v1/billing-records",
                json=rec,
                headers={**headers, "Idempotency-Key": rec["record_uuid"]},
            ) as r:
                assert r.status == 201, await r.text()
        async with s.get(
            sec_env.url + "/api/v1/billing-records.csv",
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        ) as r:
            rows = list(csv.reader(io.StringIO((await r.text()).lstrip("\ufeff")), delimiter=";"))
    header = rows[0]
    for row in rows[1:]:
        for cell in row:
            assert not cell or cell[0] not in "=+-@\t\r", cell
        name = row[header.index("patient.birth_name")]
        assert name.startswith("'") and name[1:] in bad


# -- Low: malformed input is a typed 4xx, headers on every response --------------------------
async def test_malformed_input_never_500_and_errors_carry_headers(sec_env):
    deep = b"[" * 50_000
    station = {"Authorization": f"Bearer {sec_env.station_token}"}
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    await sec_env.doctor("dr.json")
    async with client() as s:
        async with s.post(sec_env.url + "/login", data=deep,
                          headers={"Content-Type": "application/json"}) as r:  # fmt: skip
            assert r.status == 401
        key = str(uuid.uuid4())
        for path, extra in (
            ("/api/v1/billing-records", {"Idempotency-Key": key}),
            ("/api/v1/billing-records/batch", {}),
        ):
            async with s.post(sec_env.url + path, data=deep, headers={**station, **extra,
                              "Content-Type": "application/json"}) as r:  # fmt: skip
                assert r.status in (400, 422), (path, r.status)
                assert r.headers["Content-Type"].startswith("application/json")
        await sec_env.login(s, "dr.json")
        async with s.post(sec_env.url + "/api/v1/documents/render", data=deep,
                          headers={"Content-Type": "application/json"}) as r:  # fmt: skip
            assert r.status == 422
            assert (await r.json())["error"]["code"] == "too_deep"
        async with s.get(sec_env.url + "/static/app%00.js") as r:
            assert r.status == 404
        q = "since=2026-01-01T00:00:00%2B00:00&after_id=" + str(2**70)
        async with s.get(sec_env.url + "/api/v1/billing-records?" + q, headers=admin) as r:
            assert r.status == 422
        async with s.get(sec_env.url + "/api/v1/billing-records?limit=-5", headers=admin) as r:
            assert r.status == 200
        # A real server-side failure: a typed 500, with every security header, no banner.
        async with sec_env.engine.begin() as conn:
            await conn.execute(text("DROP TABLE billing_records"))
        async with s.get(sec_env.url + "/api/v1/billing-records", headers=admin) as r:
            assert r.status == 500
            assert (await r.json())["error"]["code"] == "internal"
            for name in ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options",
                         "Referrer-Policy", "Cache-Control"):  # fmt: skip
                assert name in r.headers, name
            assert r.headers["Server"] == "telecabine-hub"
        async with s.get(sec_env.url + "/nowhere") as r:
            assert r.status == 404 and r.headers["Server"] == "telecabine-hub"
            assert "Content-Security-Policy" in r.headers
    # A request aiohttp cannot even parse (NUL in the path): 400, headers, no echo, no banner.
    reader, writer = await asyncio.open_connection("127.0.0.1", sec_env.hub.port)
    writer.write(b"GET /static/a\x00.js HTTP/1.1\r\nHost: x\r\n\r\n")
    raw = await asyncio.wait_for(reader.read(4096), 5)
    writer.close()
    head = raw.decode("latin-1")
    assert head.startswith("HTTP/1.0 400") or head.startswith("HTTP/1.1 400"), head
    assert "Server: telecabine-hub" in head and "aiohttp" not in head
    assert "X-Content-Type-Options: nosniff" in head and "\x00" not in head


# -- Info: caps per principal, announces per minute, billing encounter ownership -------------
async def test_socket_cap_per_station_and_announces_per_minute(sec_env):
    headers = {"Authorization": f"Bearer {sec_env.station_token}"}
    async with client() as s:
        a = await s.ws_connect(sec_env.ws_url + "/ws/station", headers=headers)
        b = await s.ws_connect(sec_env.ws_url + "/ws/station", headers=headers)
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await s.ws_connect(sec_env.ws_url + "/ws/station", headers=headers)
        assert refused.value.status == 429
        if time.time() % 60 > 54:  # the count is per calendar minute: start a fresh one
            await asyncio.sleep(61 - time.time() % 60)
        for i in range(3):
            await a.send_json(announce(f"enc-rate-{i}"))
            await recv_type(a, "queued")
        await a.send_json(announce("enc-rate-3"))
        err = await recv_type(a, "error")
        assert err["code"] == "rate_limited"
        await b.close()
        await a.close()


async def test_billing_record_checked_against_the_station_encounters(sec_env):
    other = await register_station(sec_env.engine, "cabine-2")
    async with client() as s:
        for token, eid in ((sec_env.station_token, "enc-mine"), (other, "enc-theirs")):
            ws = await s.ws_connect(sec_env.ws_url + "/ws/station",
                                    headers={"Authorization": f"Bearer {token}"})  # fmt: skip
            await ws.send_json(announce(eid))
            await recv_type(ws, "queued")
            await ws.close()
        headers = {"Authorization": f"Bearer {sec_env.station_token}"}
        outcomes = {}
        for eid in ("enc-mine", "enc-theirs", "enc-never-seen"):
            rec = record(encounter_id=eid)
            async with s.post(sec_env.url + "/api/v1/billing-records", json=rec,
                              headers={**headers, "Idempotency-Key": rec["record_uuid"]}) as r:  # fmt: skip
                outcomes[eid] = (r.status, await r.json())
        assert outcomes["enc-mine"][0] == 201
        assert outcomes["enc-mine"][1]["encounter_check"] == "ok"
        assert outcomes["enc-never-seen"][0] == 201
        assert outcomes["enc-never-seen"][1]["encounter_check"] == "unknown"
        status, body = outcomes["enc-theirs"]
        assert status == 422
        assert body["error"]["fields"][0]["loc"] == ["body", "encounter_id"]
        batch = {"v": 1, "records": [{"idempotency_key": r["record_uuid"], "record": r}
                                     for r in (record(encounter_id="enc-theirs"),)]}  # fmt: skip
        async with s.post(sec_env.url + "/api/v1/billing-records/batch",
                          data=json.dumps(batch), headers=headers) as r:  # fmt: skip
            result = (await r.json())["results"][0]
        assert result["status"] == 422 and result["outcome"] == "invalid"
        async with s.get(sec_env.url + "/api/v1/billing-records.csv",
                         headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as r:  # fmt: skip
            rows = list(csv.reader(io.StringIO((await r.text()).lstrip("\ufeff")), delimiter=";"))
        col = rows[0].index("encounter_check")
        assert sorted(row[col] for row in rows[1:]) == ["ok", "unknown"]


def test_password_policy_in_cli(tmp_path: Path, capsys):
    from telecabine.cli import main

    pw = tmp_path / "pw"
    for weak in ("Password123!", "azerty123456", "dr.martin2026"):
        pw.write_text(weak + "\n")
        code = main(["--data-dir", str(tmp_path), "hub", "add-doctor", "--username", "dr.martin",
                     "--name", "Dr Martin", "--rpps", "10000000002", "--password-file", str(pw)])  # fmt: skip
        err = capsys.readouterr().err
        assert code == 2 and "trop facile" in err and "too easy" in err, (weak, err)
    pw.write_text("lanterne cactus bretelle\n")
    assert main(["--data-dir", str(tmp_path), "hub", "add-doctor", "--username", "dr.martin",
                 "--name", "Dr Martin", "--rpps", "10000000002", "--password-file", str(pw)]) == 0  # fmt: skip
    pw.write_text("soleil123456\n")
    code = main(["--data-dir", str(tmp_path), "hub", "set-password", "--username", "dr.martin",
                 "--password-file", str(pw)])  # fmt: skip
    assert code == 2 and "too easy" in capsys.readouterr().err
