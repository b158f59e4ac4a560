"""No signaling lost between instances when one's LISTEN connection is cut mid-call.

Station on instance A, doctor on instance B, in a call. PostgreSQL kills B's listening
connection (``pg_terminate_backend``); while B is not listening, the station sends ICE
candidates and a re-offer (too large for a NOTIFY payload). Once B listens again it catches up
from the outbox: the doctor gets every message, once, in order.
"""

from __future__ import annotations

import asyncio

import pytest
from hub_testlib import client
from sqlalchemy import func, select, text

from telecabine.hub.db import signal_outbox
from telecabine.hub.server import start_hub
from telecabine.hub.state import HUB


async def recv_type(ws, wanted: str, timeout: float = 10.0) -> dict:
    async def loop():
        while True:
            msg = await ws.receive_json()
            if msg["type"] == wanted:
                return msg

    return await asyncio.wait_for(loop(), timeout)


async def recv_relayed(ws, count: int, timeout: float = 10.0) -> list[dict]:
    out: list[dict] = []

    async def loop():
        while len(out) < count:
            msg = await ws.receive_json()
            if msg["type"] in ("ice", "offer"):
                out.append(msg)

    await asyncio.wait_for(loop(), timeout)
    return out


@pytest.mark.parametrize("hub_env", ["postgres"], indirect=True)
async def test_listener_cut_mid_call_loses_nothing(hub_env, monkeypatch):
    a = hub_env.hub
    b = await start_hub(a.app[HUB].settings)
    try:
        bus_b = b.app[HUB].bus
        await hub_env.doctor("dr.cut")
        async with client() as ss, client() as ds:
            st = await ss.ws_connect(
                hub_env.ws_url + "/ws/station",
                headers={"Authorization": f"Bearer {hub_env.station_token}"},
            )
            async with ds.post(b.url + "/login",
                               json={"username": "dr.cut", "password": "correct-horse-battery"}
                               ) as resp:  # fmt: skip
                assert resp.status == 200
            doc = await ds.ws_connect(b.url.replace("http", "ws", 1) + "/ws/doctor", origin=b.url)
            await recv_type(doc, "queue")
            await st.send_json({"v": 1, "type": "announce", "encounter_id": "enc-cut",
                                "reason": "r", "age_band": "40-64", "cabin": "c"})  # fmt: skip
            await recv_type(st, "queued")
            await doc.send_json({"v": 1, "type": "take", "encounter_id": "enc-cut"})
            await recv_type(doc, "taken")
            await recv_type(st, "doctor_joined")
            await st.send_json({"v": 1, "type": "offer", "encounter_id": "enc-cut", "sdp": "o1"})
            assert (await recv_type(doc, "offer"))["sdp"] == "o1"

            # Hold B's reconnection until the station has spoken, so the gap is certain.
            release = asyncio.Event()
            real_start = bus_b.start

            async def held_start():
                await release.wait()
                await real_start()

            monkeypatch.setattr(bus_b, "start", held_start)
            old_pid = await bus_b.listener_pid()
            async with hub_env.engine.begin() as conn:
                await conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": old_pid})
            for _ in range(100):
                if not bus_b.listening:
                    break
                await asyncio.sleep(0.05)
            assert not bus_b.listening

            big_sdp = "v=0\r\n" + "a=candidate:x\r\n" * 1_500  # ~22 KB: read from the row
            sent = [{"v": 1, "type": "ice", "encounter_id": "enc-cut", "candidate": f"c{i}"}
                    for i in range(3)]  # fmt: skip
            sent.append({"v": 1, "type": "offer", "encounter_id": "enc-cut", "sdp": big_sdp})
            for msg in sent:
                await st.send_json(msg)
            for _ in range(100):  # A has published them (to the outbox) while B was deaf
                async with hub_env.engine.connect() as conn:
                    n = await conn.scalar(
                        select(func.count()).select_from(signal_outbox)
                        .where(signal_outbox.c.kind == "doctor")
                    )  # fmt: skip
                if n >= 2 + len(sent):  # taken + first offer, then ours
                    break
                await asyncio.sleep(0.05)
            assert n >= 2 + len(sent)
            with pytest.raises(TimeoutError):
                await recv_relayed(doc, 1, timeout=0.5)  # nothing arrives while B is deaf

            release.set()
            got = await recv_relayed(doc, 4)
            assert [m.get("candidate") for m in got[:3]] == ["c0", "c1", "c2"]
            assert got[3]["type"] == "offer" and got[3]["sdp"] == big_sdp
            assert bus_b.listening and await bus_b.listener_pid() != old_pid
            assert bus_b.caught_up >= 4

            # Live again, and nothing delivered twice: the next relayed message is the new one.
            await st.send_json({"v": 1, "type": "ice", "encounter_id": "enc-cut",
                                "candidate": "after"})  # fmt: skip
            (after,) = await recv_relayed(doc, 1)
            assert after["candidate"] == "after"
            await doc.close()
            await st.close()
    finally:
        await b.stop()
