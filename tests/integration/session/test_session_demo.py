"""`telecabine demo` wiring: in-process hub, demo doctor, the station's consultation built by
the composition root (``telecabine/station.py``, shared with ``telecabine run``).

Drives the real hub: the doctor signs in with the printed credentials, sees the demo encounter
in the queue over /ws/doctor, takes it, and receives the station's offer.
"""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from telecabine.config import load_settings
from telecabine.demo import demo_settings, start_demo_hub
from telecabine.devices.registry import DeviceRegistry
from telecabine.station import build_consultation
from telecabine.store import open_store


@pytest.mark.timeout(60)
async def test_demo_station_reaches_a_doctor_through_the_demo_hub(data_dir):
    settings = load_settings(data_dir=data_dir, insecure_file_keyring=True,
                             simulated_devices=True, station_id="cabine-demo")  # fmt: skip
    hub = await start_demo_hub(settings)
    settings = demo_settings(settings, hub)
    store = open_store(settings)
    registry = DeviceRegistry(settings)
    consultation, devices = build_consultation(settings, store.encounters, registry)
    for device in devices:
        device.start()
    encounter_id = store.encounters.create(settings.station_id).id
    for state in ("identified", "consented"):  # legal steps only (state machine)
        store.encounters.set_state(encounter_id, state)
    try:
        banner = hub.banner()
        assert hub.url in banner and hub.password in banner
        assert set(consultation.setup.cameras) == {
            "room", "otoscope", "dermatoscope", "document"}  # fmt: skip
        positions: list[int] = []
        consultation.events.position.append(positions.append)
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as http:
            async with http.post(
                f"{hub.url}/login", json={"username": hub.username, "password": hub.password}
            ) as r:
                assert r.status == 200  # fmt: skip
            ws = await http.ws_connect(hub.url.replace("http", "ws", 1) + "/ws/doctor",
                                       headers={"Origin": hub.url})  # fmt: skip
            await consultation.start_call(encounter_id, "Démonstration", "40-64")

            async def next_of(kind: str) -> dict:
                while True:
                    msg = await ws.receive_json()
                    if msg["type"] == kind and (kind != "queue" or msg["entries"]):
                        return msg

            queue = await asyncio.wait_for(next_of("queue"), 10)
            assert queue["entries"][0]["encounter_id"] == encounter_id
            await ws.send_json({"v": 1, "type": "take", "encounter_id": encounter_id})
            offer = await asyncio.wait_for(next_of("offer"), 15)
            assert "m=video" in offer["sdp"] and "m=audio" in offer["sdp"]
            assert positions == [1]
            assert store.encounters.get(encounter_id).state == "in_call"
            await ws.close()
    finally:
        if consultation.call is not None:
            await consultation.call.close()
        registry.stop_all()
        store.close()
        await hub.stop()
