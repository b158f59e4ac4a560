"""`telecabine demo` wiring: in-process hub, demo doctor, station with simulated devices.

Drives the real hub: the doctor signs in with the printed credentials, sees the demo encounter
in the queue over /ws/doctor, takes it, and receives the station's offer.
"""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from telecabine.config import load_settings
from telecabine.demo import prepare_demo_station


@pytest.mark.timeout(60)
async def test_demo_station_reaches_a_doctor_through_the_demo_hub(data_dir, capsys):
    settings = load_settings(data_dir=data_dir, insecure_file_keyring=True,
                             simulated_devices=True, station_id="cabine-demo")  # fmt: skip
    station = await prepare_demo_station(settings, demo_encounter=True)
    try:
        banner = capsys.readouterr().out
        assert station.hub.url in banner and station.hub.password in banner
        assert set(station.consultation.setup.cameras) == {
            "room", "otoscope", "dermatoscope", "document"}  # fmt: skip
        positions: list[int] = []
        station.consultation.events.position.append(positions.append)
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as http:
            async with http.post(
                f"{station.hub.url}/login",
                json={"username": station.hub.username, "password": station.hub.password},
            ) as r:
                assert r.status == 200  # fmt: skip
            ws = await http.ws_connect(station.hub.url.replace("http", "ws", 1) + "/ws/doctor",
                                       headers={"Origin": station.hub.url})  # fmt: skip
            await station.consultation.start_call(station.encounter_id, "Démonstration", "40-64")

            async def next_of(kind: str) -> dict:
                while True:
                    msg = await ws.receive_json()
                    if msg["type"] == kind and (kind != "queue" or msg["entries"]):
                        return msg

            queue = await asyncio.wait_for(next_of("queue"), 10)
            assert queue["entries"][0]["encounter_id"] == station.encounter_id
            await ws.send_json({"v": 1, "type": "take", "encounter_id": station.encounter_id})
            offer = await asyncio.wait_for(next_of("offer"), 15)
            assert "m=video" in offer["sdp"] and "m=audio" in offer["sdp"]
            assert positions == [1]
            assert station.store.encounters.get(station.encounter_id).state == "in_call"
            await ws.close()
    finally:
        await station.close()
