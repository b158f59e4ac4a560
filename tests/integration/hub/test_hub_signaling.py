"""Waiting room and signaling relay over real WebSockets on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import json

from hub_testlib import client
from sqlalchemy import select

from telecabine.hub.accounts import register_station
from telecabine.hub.db import encounters, stations


def announce(eid: str, **over) -> dict:
    msg = {
        "v": 1,
        "type": "announce",
        "encounter_id": eid,
        "reason": "Toux depuis 3 jours",
        "age_band": "40-64",
        "flagged_vitals": ["8310-5"],
        "cabin": "Pharmacie du Centre",
    }
    msg.update(over)
    return msg


async def recv_type(ws, wanted: str, timeout: float = 5.0) -> dict:
    """Next message of a given type (skipping others, e.g. queue/position pushes)."""

    async def loop():
        while True:
            msg = await ws.receive_json()
            if msg["type"] == wanted:
                return msg

    return await asyncio.wait_for(loop(), timeout)


async def station_ws(env, s, token=None):
    return await s.ws_connect(
        env.ws_url + "/ws/station",
        headers={"Authorization": f"Bearer {token or env.station_token}"},
    )


async def doctor_ws(env, s, username: str, name: str = "Dr Lefèvre"):
    await env.doctor(username, name=name)
    await env.login(s, username)
    return await s.ws_connect(env.ws_url + "/ws/doctor", origin=env.url)


async def test_announce_queue_take_offer_answer_hangup(hub_env):
    async with client() as ss, client() as ds:
        st = await station_ws(hub_env, ss)
        doc = await doctor_ws(hub_env, ds, "dr.a")
        assert (await recv_type(doc, "queue"))["entries"] == []
        await st.send_json(announce("enc-1"))
        queued = await recv_type(st, "queued")
        assert queued["position"] == 1
        entries = (await recv_type(doc, "queue"))["entries"]
        assert len(entries) == 1
        entry = entries[0]
        # Only what the doctor needs to choose: no name, no NIR.
        assert set(entry) == {
            "encounter_id", "reason", "age_band", "flagged_vitals", "cabin",
            "waiting_since", "waited_s",
        }  # fmt: skip
        await doc.send_json({"v": 1, "type": "take", "encounter_id": "enc-1"})
        taken = await recv_type(doc, "taken")
        assert any(i.get("credential") for i in taken["ice_servers"])
        joined = await recv_type(st, "doctor_joined")
        assert joined["doctor"] == {"name": "Dr Lefèvre", "specialty": "Médecine générale"}
        assert joined["ice_servers"][1]["username"].endswith(":station-cabine-1")
        assert (await recv_type(doc, "queue"))["entries"] == []

        await st.send_json({"v": 1, "type": "offer", "encounter_id": "enc-1", "sdp": "v=0 offer"})
        assert (await recv_type(doc, "offer"))["sdp"] == "v=0 offer"
        await doc.send_json({"v": 1, "type": "answer", "encounter_id": "enc-1", "sdp": "v=0 ans"})
        assert (await recv_type(st, "answer"))["sdp"] == "v=0 ans"
        ice = {"v": 1, "type": "ice", "encounter_id": "enc-1", "candidate": "candidate:1 1 udp",
               "sdpMid": "0", "sdpMLineIndex": 0}  # fmt: skip
        await doc.send_json(ice)
        assert (await recv_type(st, "ice"))["candidate"] == "candidate:1 1 udp"
        await st.send_json({"v": 1, "type": "hangup", "encounter_id": "enc-1", "reason": "fin"})
        assert (await recv_type(doc, "hangup"))["reason"] == "fin"
        # After hangup the room is closed: nothing more is relayed.
        await doc.send_json({"v": 1, "type": "answer", "encounter_id": "enc-1", "sdp": "late"})
        assert (await recv_type(doc, "error"))["code"] == "not_in_room"
        await st.close()
        await doc.close()


async def test_two_doctors_race_one_wins(hub_env):
    async with client() as ss, client() as d1s, client() as d2s:
        st = await station_ws(hub_env, ss)
        d1 = await doctor_ws(hub_env, d1s, "dr.one", "Dr Un")
        d2 = await doctor_ws(hub_env, d2s, "dr.two", "Dr Deux")
        await st.send_json(announce("enc-race"))
        await recv_type(st, "queued")
        await recv_type(d1, "queue")
        take = {"v": 1, "type": "take", "encounter_id": "enc-race"}
        await asyncio.gather(d1.send_json(take), d2.send_json(take))

        async def outcome(ws):
            while True:
                msg = await asyncio.wait_for(ws.receive_json(), 5)
                if msg["type"] == "taken" or (msg["type"] == "error" and msg["code"]):
                    return msg

        results = await asyncio.gather(outcome(d1), outcome(d2))
        kinds = sorted(r["type"] for r in results)
        assert kinds == ["error", "taken"]
        loser = next(r for r in results if r["type"] == "error")
        assert loser["code"] == "already_taken" and loser["encounter_id"] == "enc-race"
        joined = await recv_type(st, "doctor_joined")
        winner = "Dr Un" if results[0]["type"] == "taken" else "Dr Deux"
        assert joined["doctor"]["name"] == winner
        # The loser cannot inject SDP into the winner's room.
        loser_ws = d2 if results[0]["type"] == "taken" else d1
        await loser_ws.send_json({"v": 1, "type": "answer", "encounter_id": "enc-race", "sdp": "x"})
        assert (await recv_type(loser_ws, "error"))["code"] == "not_in_room"
        for ws in (st, d1, d2):
            await ws.close()


async def test_positions_and_cancel_from_both_sides(hub_env):
    token2 = await register_station(hub_env.engine, "cabine-2")
    async with client() as s1, client() as s2, client() as ds:
        st1 = await station_ws(hub_env, s1)
        st2 = await station_ws(hub_env, s2, token2)
        doc = await doctor_ws(hub_env, ds, "dr.c")
        await st1.send_json(announce("enc-a"))
        assert (await recv_type(st1, "queued"))["position"] == 1
        await st2.send_json(announce("enc-b", cabin="EHPAD Les Tilleuls"))
        assert (await recv_type(st2, "queued"))["position"] == 2
        # Station 1 cancels: station 2 moves up.
        await st1.send_json({"v": 1, "type": "cancel", "encounter_id": "enc-a", "reason": "parti"})
        pos = await recv_type(st2, "position")
        assert pos == {"v": 1, "type": "position", "encounter_id": "enc-b", "position": 1}
        # A station cannot cancel another station's encounter.
        await st1.send_json({"v": 1, "type": "cancel", "encounter_id": "enc-b"})
        assert (await recv_type(st1, "error"))["code"] == "not_found"
        # The doctor takes then cancels: the station is told who cancelled.
        await doc.send_json({"v": 1, "type": "take", "encounter_id": "enc-b"})
        await recv_type(doc, "taken")
        await recv_type(st2, "doctor_joined")
        await doc.send_json(
            {"v": 1, "type": "cancel", "encounter_id": "enc-b", "reason": "urgence"}
        )
        cancelled = await recv_type(st2, "cancelled")
        assert cancelled["by"] == "doctor" and cancelled["reason"] == "urgence"
        # A hangup after the cancel (the call view closing) is silently accepted.
        await doc.send_json({"v": 1, "type": "hangup", "encounter_id": "enc-b"})
        await doc.send_json({"v": 1, "type": "ping"})
        seen = []
        while not seen or seen[-1] != "pong":
            seen.append((await doc.receive_json(timeout=5))["type"])
        assert "error" not in seen
        # Station-side cancel during a call reaches the doctor.
        await st1.send_json(announce("enc-c"))
        await recv_type(st1, "queued")
        await doc.send_json({"v": 1, "type": "take", "encounter_id": "enc-c"})
        await recv_type(doc, "taken")
        await st1.send_json(
            {"v": 1, "type": "cancel", "encounter_id": "enc-c", "reason": "malaise"}
        )
        assert (await recv_type(doc, "cancelled"))["by"] == "station"
        for ws in (st1, st2, doc):
            await ws.close()


async def test_station_disconnect_drops_then_requeues_in_place(hub_env):
    async with client() as ss, client() as ds:
        doc = await doctor_ws(hub_env, ds, "dr.d")
        assert (await recv_type(doc, "queue"))["entries"] == []
        st = await station_ws(hub_env, ss)
        await st.send_json(announce("enc-x"))
        await recv_type(st, "queued")
        first = (await recv_type(doc, "queue"))["entries"][0]
        await st.close()
        assert (await recv_type(doc, "queue"))["entries"] == []
        st = await station_ws(hub_env, ss)
        await st.send_json(announce("enc-x"))
        await recv_type(st, "queued")
        again = (await recv_type(doc, "queue"))["entries"][0]
        assert again["waiting_since"] == first["waiting_since"]
        await st.close()
        assert (await recv_type(doc, "queue"))["entries"] == []
        await doc.close()
    async with hub_env.engine.connect() as conn:
        status = (await conn.execute(select(encounters.c.status))).scalar()
    assert status == "dropped"


async def test_malformed_messages_get_errors_and_socket_survives(hub_env):
    async with client() as ss:
        st = await station_ws(hub_env, ss)
        await st.send_str("{nope")
        assert (await recv_type(st, "error"))["code"] == "bad_json"
        await st.send_json({"v": 1, "type": "take", "encounter_id": "x"})
        assert (await recv_type(st, "error"))["code"] == "not_allowed"
        await st.send_str('{"v":1,"type":"announce","encounter_id":"' + "x" * 70_000 + '"}')
        assert (await recv_type(st, "error"))["code"] == "too_large"
        await st.send_bytes(b"\x00\x01")
        assert (await recv_type(st, "error"))["code"] == "bad_json"
        await st.send_json({"v": 1, "type": "offer", "encounter_id": "nobody", "sdp": "x"})
        assert (await recv_type(st, "error"))["code"] == "not_in_room"
        await st.send_json({"v": 1, "type": "ping"})
        assert (await recv_type(st, "pong"))["v"] == 1
        await st.close()


async def test_call_ends_when_a_side_stays_away_past_the_grace(hub_env):
    from telecabine.hub.state import HUB

    hub_env.hub.app[HUB].settings.disconnect_grace_s = 0.3
    async with client() as ss, client() as ds:
        st = await station_ws(hub_env, ss)
        doc = await doctor_ws(hub_env, ds, "dr.g")
        # 1) The doctor's socket blips and comes back within the grace: the call goes on.
        await st.send_json(announce("enc-g1"))
        await recv_type(st, "queued")
        await doc.send_json({"v": 1, "type": "take", "encounter_id": "enc-g1"})
        await recv_type(st, "doctor_joined")
        await doc.close()
        doc = await ds.ws_connect(hub_env.ws_url + "/ws/doctor", origin=hub_env.url)
        # The reconnected console is reminded of its open call, with what the waiting room
        # showed (a reloaded page keeps its call header) and never an identity.
        reminder = await recv_type(doc, "taken")
        assert reminder["encounter_id"] == "enc-g1"
        sent = announce("enc-g1")
        assert [reminder[k] for k in ("cabin", "age_band", "reason")] == [
            sent["cabin"], sent["age_band"], sent["reason"]]  # fmt: skip
        await asyncio.sleep(0.6)
        await st.send_json({"v": 1, "type": "offer", "encounter_id": "enc-g1", "sdp": "v=0"})
        assert (await recv_type(doc, "offer"))["sdp"] == "v=0"
        # 2) The doctor goes away for good: the station is told by the hub.
        await doc.close()
        cancelled = await recv_type(st, "cancelled")
        assert cancelled["by"] == "hub" and cancelled["reason"] == "doctor_disconnected"
        # 3) The station goes away during a call: the doctor is told.
        doc = await ds.ws_connect(hub_env.ws_url + "/ws/doctor", origin=hub_env.url)
        await st.send_json(announce("enc-g2"))
        await recv_type(st, "queued")
        await doc.send_json({"v": 1, "type": "take", "encounter_id": "enc-g2"})
        await recv_type(doc, "taken")
        await st.close()
        cancelled = await recv_type(doc, "cancelled")
        assert cancelled["reason"] == "station_disconnected"
        await doc.close()


async def test_restart_drops_ghost_queue_and_station_keeps_its_place(hub_env):
    from datetime import UTC, datetime

    from sqlalchemy import insert

    from telecabine.hub.server import start_hub
    from telecabine.hub.state import HUB

    await register_station(hub_env.engine, "cabine-crashed")
    async with hub_env.engine.begin() as conn:
        ghost_station = (
            await conn.execute(select(stations.c.id).where(stations.c.name == "cabine-crashed"))
        ).scalar()
        now = datetime.now(UTC)
        await conn.execute(
            insert(encounters).values(
                encounter_id="enc-ghost", station_id=ghost_station, reason="r", age_band="80+",
                flagged_vitals="[]", cabin="c", waiting_since=now, status="queued", updated_at=now,
            )
        )  # fmt: skip
    async with client() as ss:
        st = await station_ws(hub_env, ss)
        await st.send_json(announce("enc-r"))
        await recv_type(st, "queued")

        async def status(eid):
            async with hub_env.engine.connect() as conn:
                return (
                    await conn.execute(
                        select(encounters.c.status, encounters.c.waiting_since).where(
                            encounters.c.encounter_id == eid
                        )
                    )
                ).one()

        since = (await status("enc-r")).waiting_since
        settings = hub_env.hub.app[HUB].settings
        # An HTTP-only instance starting up leaves the waiting room alone.
        http_only = await start_hub(settings.model_copy(update={"signaling": False}))
        await http_only.stop()
        assert (await status("enc-ghost")).status == "queued"
        # A signaling instance starting up (as after a crash) drops entries nobody holds.
        restarted = await start_hub(settings)
        try:
            assert (await status("enc-ghost")).status == "dropped"
            live = (await status("enc-r")).status
            # With PostgreSQL the other instance answers for its station through the bus;
            # SQLite is single-process, so a start-up there drops everything queued.
            assert live == ("queued" if hub_env.hub.app[HUB].bus else "dropped")
            await st.send_json(announce("enc-r"))
            await recv_type(st, "queued")
            row = await status("enc-r")
            assert row.status == "queued" and row.waiting_since == since
        finally:
            await restarted.stop()
        await st.close()


async def test_queue_message_stays_under_64_kib(hub_env):
    async with client() as ss, client() as ds:
        st = await station_ws(hub_env, ss)
        doc = await doctor_ws(hub_env, ds, "dr.q")
        await recv_type(doc, "queue")
        big = {"reason": "é" * 200, "flagged_vitals": ["x" * 64] * 20, "cabin": "c" * 64}
        for i in range(40):
            await st.send_json(announce(f"enc-big-{i}", **big))
            await recv_type(st, "queued")
        last = None
        with contextlib.suppress(TimeoutError):
            while True:  # drain the pushes; the last queue holds all 40 announces
                msg = await doc.receive(timeout=1.0)
                if msg.json()["type"] == "queue":
                    last = msg.data
        body = json.loads(last)
        assert len(last.encode("utf-8")) <= 64 * 1024
        assert 20 < len(body["entries"]) < 40
        assert body["entries"][0]["encounter_id"] == "enc-big-0"  # longest wait kept
        await st.close()
        await doc.close()
