"""Two hub instances on one PostgreSQL: station on one, doctor on the other (no stickiness).

The waiting room, take, relay (including an SDP too large for a NOTIFY payload) and the
disconnect grace work across instances through the LISTEN/NOTIFY bus.
"""

from __future__ import annotations

import asyncio

import pytest
from hub_testlib import client

from telecabine.hub.server import start_hub
from telecabine.hub.state import HUB


async def recv_type(ws, wanted: str, timeout: float = 10.0) -> dict:
    async def loop():
        while True:
            msg = await ws.receive_json()
            if msg["type"] == wanted:
                return msg

    return await asyncio.wait_for(loop(), timeout)


@pytest.mark.parametrize("hub_env", ["postgres"], indirect=True)
async def test_station_and_doctor_on_different_instances(hub_env):
    settings = hub_env.hub.app[HUB].settings
    settings.disconnect_grace_s = 1.5
    other = await start_hub(settings)
    try:
        assert hub_env.hub.app[HUB].bus is not None and other.app[HUB].bus is not None
        await hub_env.doctor("dr.multi")
        async with client() as ss, client() as ds:
            st = await ss.ws_connect(
                hub_env.ws_url + "/ws/station",
                headers={"Authorization": f"Bearer {hub_env.station_token}"},
            )
            # The doctor signs in and connects through the *other* instance.
            async with ds.post(other.url + "/login",
                               json={"username": "dr.multi", "password": "correct-horse-battery"}
                               ) as resp:  # fmt: skip
                assert resp.status == 200
            other_ws = other.url.replace("http", "ws", 1) + "/ws/doctor"
            doc = await ds.ws_connect(other_ws, origin=other.url)
            assert (await recv_type(doc, "queue"))["entries"] == []
            await st.send_json({"v": 1, "type": "announce", "encounter_id": "enc-m",
                                "reason": "r", "age_band": "40-64", "cabin": "c"})  # fmt: skip
            await recv_type(st, "queued")
            entries = (await recv_type(doc, "queue"))["entries"]
            assert [e["encounter_id"] for e in entries] == ["enc-m"]
            await doc.send_json({"v": 1, "type": "take", "encounter_id": "enc-m"})
            await recv_type(doc, "taken")
            assert (await recv_type(st, "doctor_joined"))["doctor"]["name"] == "Dr Lefèvre"
            big_sdp = "v=0\r\n" + "a=candidate:x\r\n" * 1_500  # ~22 KB: goes through the table
            await st.send_json({"v": 1, "type": "offer", "encounter_id": "enc-m", "sdp": big_sdp})
            assert (await recv_type(doc, "offer"))["sdp"] == big_sdp
            await doc.send_json({"v": 1, "type": "answer", "encounter_id": "enc-m", "sdp": "a"})
            assert (await recv_type(st, "answer"))["sdp"] == "a"
            # The doctor's socket moves to the first instance within the grace: call survives.
            await doc.close()
            doc = await ds.ws_connect(hub_env.ws_url + "/ws/doctor", origin=hub_env.url)
            assert (await recv_type(doc, "taken"))["encounter_id"] == "enc-m"
            await asyncio.sleep(2.5)
            await st.send_json({"v": 1, "type": "ice", "encounter_id": "enc-m", "candidate": ""})
            assert (await recv_type(doc, "ice"))["encounter_id"] == "enc-m"
            # The database drops the other instance's listener: it listens again by itself.
            from sqlalchemy import text

            old_pid = await other.app[HUB].bus.listener_pid()
            async with hub_env.engine.begin() as conn:
                await conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": old_pid})
            async with client() as d2:
                async with d2.post(other.url + "/login",
                                   json={"username": "dr.multi",
                                         "password": "correct-horse-battery"}) as resp:  # fmt: skip
                    assert resp.status == 200
                doc2 = await d2.ws_connect(other_ws, origin=other.url)
                for _ in range(50):
                    await asyncio.sleep(0.1)
                    if other.app[HUB].bus._conn is not None and (
                        await other.app[HUB].bus.listener_pid() != old_pid
                    ):
                        break
                await st.send_json({"v": 1, "type": "ice", "encounter_id": "enc-m",
                                    "candidate": "after-reconnect"})  # fmt: skip
                assert (await recv_type(doc2, "ice"))["candidate"] == "after-reconnect"
                await doc2.close()
            # The station leaves for good: the doctor (on the other instance) is told.
            await st.close()
            cancelled = await recv_type(doc, "cancelled")
            assert cancelled["reason"] == "station_disconnected"
            await doc.close()
    finally:
        await other.stop()
