"""The whole consultation: station (simulated devices, encrypted store) + hub + Chromium doctor.

The doctor signs in to the real console, takes the encounter and the call starts; then, from
the browser: station video decoded (getStats), a blood-pressure request measured by the
simulated BLE cuff shows up on the doctor page, the otoscope switch changes the picture (read
back through a canvas), a prescription PDF rendered by the hub is stored and printed to a
file, and ending the call moves the encounter to wrap_up with the doctor's summary.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from call_testlib import (
    ARGS,
    CHROMIUM,
    INBOUND_JS,
    PASSWORD,
    PIXEL_JS,
    PLAYED_JS,
    ROLE_BGR,
    PatternCamera,
    near_rgb,
    require_chromium,
    until,
)

from telecabine.devices.ble.adapters import build_registry
from telecabine.devices.ble.manager import BleDeviceManager, BleTimeouts
from telecabine.devices.ble.pairing import PairingStore
from telecabine.devices.ble.simulated import Scenario, SimulatedAirspace
from telecabine.domain.vitals import default_ranges
from telecabine.hub.accounts import create_doctor, register_station
from telecabine.hub.config import HubSettings
from telecabine.hub.server import start_hub
from telecabine.hub.state import HUB
from telecabine.services.consultation import CallSetup, ConsultationService
from telecabine.services.measurement import MeasurementService

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


@pytest.fixture
async def hub(tmp_path: Path):
    settings = HubSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", data_dir=tmp_path, port=0
    )
    running = await start_hub(settings, host="127.0.0.1")
    engine = running.app[HUB].engine
    await create_doctor(engine, username="dr.martin", password=PASSWORD, name="Dr Claire Martin",
                        rpps="10000000001", specialty="Médecine générale")  # fmt: skip
    token = await register_station(engine, "cabine-e2e")
    try:
        yield running, token
    finally:
        await running.stop()


@pytest.fixture
async def page():
    require_chromium()
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            ctx = await browser.new_context(viewport={"width": 1280, "height": 900})
            yield await ctx.new_page()
        finally:
            await browser.close()


async def test_full_call_from_waiting_room_to_wrap_up(qapp, hub, page, station_store, data_dir):
    from telecabine.ui.screens.call import CallScreen
    from telecabine.ui.screens.call_documents import QtPdfPrinter

    running, token = hub
    encounters = station_store.encounters
    enc = encounters.create("cabine-e2e")
    for state in ("identified", "consented"):
        encounters.set_state(enc.id, state)
    cams = {r: PatternCamera(r) for r in ("room", "otoscope")}
    for c in cams.values():
        c.start()
    airspace = SimulatedAirspace.standard(Scenario.HYPERTENSION, measure_seconds=0.1)
    ble = BleDeviceManager(build_registry(), PairingStore(data_dir / "ble.json"),
                           timeouts=BleTimeouts(scan=0.05, connect=1, measurement=3),
                           airspace=airspace)  # fmt: skip
    measurement = MeasurementService(ble, encounters, ranges=default_ranges(),
                                     clock=lambda: datetime.now(UTC), measurement_timeout=5)  # fmt: skip
    setup = CallSetup(hub_url=running.url, station_token=token, station_id="cabine-e2e",
                      cabin="Pharmacie du Centre", cameras={r: c.mailbox for r, c in cams.items()},
                      play_audio=False)  # fmt: skip
    consult = ConsultationService(encounters, setup, measurement=measurement,
                                  printer=QtPdfPrinter(data_dir / "printed"))  # fmt: skip
    screen = CallScreen(consult)
    ended: list[bool] = []
    screen.sig_next.connect(lambda: ended.append(True))
    js_errors: list[str] = []
    page.on("pageerror", lambda exc: js_errors.append(str(exc)))
    try:
        # --- doctor signs in, station announces, doctor takes --------------------------------
        await page.goto(running.url + "/")
        await page.fill("#username", "dr.martin")
        await page.fill("#password", PASSWORD)
        await page.click("button[type=submit]")
        await page.wait_for_selector("body[data-ready='1']", timeout=10_000)
        screen.on_enter({"encounter_id": enc.id, "reason": "Céphalées", "age_band": "40-64",
                         "flagged_vitals": ["8480-6"], "lang": "fr"})  # fmt: skip
        row = page.locator(f"tr[data-encounter='{enc.id}']")
        await row.wait_for(timeout=10_000)
        loop = asyncio.get_running_loop()
        taken_at = loop.time()
        await row.get_by_role("button").click()

        # --- media both ways ---------------------------------------------------------------------
        stats = await until(lambda: _decoded(page), 15, "station video decoded in Chromium")
        first_frame_s = loop.time() - taken_at
        await until(lambda: consult.call.remote_video.frames > 10, 10, "doctor video at station")
        rgb = consult.call.remote_video.latest_rgb(max_width=320)
        assert rgb is not None and rgb.mean() > 10  # Chromium's fake camera, not black
        screen.refresh_video()  # the QTimer's job; this loop is plain asyncio
        assert not screen.doctor_video.pixmap().isNull()
        assert not screen.self_view.pixmap().isNull()
        assert screen.banner.text() == "En consultation"
        assert encounters.get(enc.id).state == "in_call"
        # The cabin's voice plays in the doctor's page, not only its picture.
        played = await until(lambda: _audio_played(page), 5, "cabin audio in the doctor's page")
        assert played["kinds"] == ["audio", "video"] and not played["paused"]
        await until(lambda: page.evaluate(PIXEL_JS, [0.5, 0.75]), 5, "canvas readable")
        assert near_rgb(await page.evaluate(PIXEL_JS, [0.5, 0.75]), ROLE_BGR["room"])
        print(f"first station frame decoded {first_frame_s:.2f} s after take; {stats}")

        # --- measurement requested by the doctor, measured in the cabin ---------------------------
        await page.click(".tc-tab[data-tab='exchange']")  # the side panel is in tabs
        await page.click("button[data-kind='blood_pressure']")
        await until(lambda: not screen.prompt.isHidden(), 5, "prompt in the cabin")
        assert screen.prompt.text() == "Le médecin demande la tension"
        screen.measure_button.click()  # the pharmacist puts the cuff on and presses the button
        await page.locator("li[data-code='8480-6']").wait_for(state="attached", timeout=10_000)
        assert "Pression systolique" in screen.vitals.text()
        assert "mmHg" in await page.locator("li[data-code='8480-6']").text_content()

        # --- otoscope on the same track ---------------------------------------------------------
        offers_before = await page.evaluate("() => window.__telecabineCall.state.offers")
        await page.click("button[data-role='otoscope']")
        await until(lambda: _pixel_is(page, ROLE_BGR["otoscope"]), 5, "otoscope picture")
        assert await page.evaluate("() => window.__telecabineCall.state.offers") == offers_before
        # The picture changes first; the console marks the live camera on the cabin's answer.
        await page.locator(".tc-live[data-role='otoscope']").wait_for(timeout=5_000)

        # --- prescription PDF: rendered by the hub, sent, stored, printed --------------------------
        await page.click(".tc-tab[data-tab='document']")
        await page.fill(".tc-form textarea", "Paracétamol 1 g, 3 fois par jour, 3 jours")
        await page.click(".tc-form button[type=submit]")
        await page.wait_for_selector("text=Document reçu par la cabine", timeout=15_000)
        docs = encounters.documents(enc.id)
        assert len(docs) == 1 and docs[0].content.startswith(b"%PDF-")
        assert docs[0].kind == "prescription" and docs[0].printed_at is not None
        printed = list((data_dir / "printed").glob("*.pdf"))
        assert len(printed) == 1 and printed[0].read_bytes().startswith(b"%PDF-")
        assert screen.document_info.text() == "Ordonnance reçue — imprimée"
        assert not screen.document_preview.pixmap().isNull()

        # --- end of call ---------------------------------------------------------------------------
        await page.click(".tc-tab[data-tab='end']")
        await page.select_option(".tc-end select[name=act]", "TCG")
        await page.select_option(".tc-end select[name=outcome]", "prescription")
        await page.click(".tc-end button[type=submit]")
        await until(lambda: consult.call.state == "ended", 10, "call ended at the station")
        await consult.wait_ended()
        assert encounters.get(enc.id).state == "wrap_up"
        summary = encounters.load_draft(enc.id).data["doctor_summary"]
        assert summary["act_code"] == "TCG" and summary["doctor"]["rpps"] == "10000000001"
        assert ended == [True]  # the screen hands over to wrap-up
        assert not js_errors
    finally:
        if consult.call is not None:
            await consult.call.close()
        await consult.wait_ended()
        await ble.close()
        for c in cams.values():
            await c.stop()


async def _decoded(page):
    stats = await page.evaluate(INBOUND_JS)
    return stats if stats and stats["framesDecoded"] > 5 else None


async def _audio_played(page):
    played = await page.evaluate(PLAYED_JS)
    return played if "audio" in played["kinds"] and played["samples"] > 0 else None


async def _pixel_is(page, bgr) -> bool:
    return near_rgb(await page.evaluate(PIXEL_JS, [0.5, 0.75]), bgr)


async def test_network_cut_with_chromium_recovers_and_is_recorded(hub, page, station_store):
    """10 s without any UDP at the station: fresh offer, Chromium answers, call resumes."""
    from aioice import ice

    running, token = hub
    encounters = station_store.encounters
    enc = encounters.create("cabine-e2e")
    for state in ("identified", "consented"):
        encounters.set_state(enc.id, state)
    cam = PatternCamera("room")
    cam.start()
    setup = CallSetup(hub_url=running.url, station_token=token, station_id="cabine-e2e",
                      cabin="Pharmacie du Centre", cameras={"room": cam.mailbox},
                      play_audio=False)  # fmt: skip
    consult = ConsultationService(encounters, setup)
    states: list[str] = []
    consult.events.state.append(states.append)
    cut = {"on": False}
    originals = (ice.StunProtocol.send_data, ice.StunProtocol.send_stun,
                 ice.StunProtocol.datagram_received)  # fmt: skip

    async def send_data(proto, data, addr):
        if not cut["on"]:
            await originals[0](proto, data, addr)

    def send_stun(proto, message, addr):
        if not cut["on"]:
            originals[1](proto, message, addr)

    def received(proto, data, addr):
        if not cut["on"]:
            originals[2](proto, data, addr)

    ice.StunProtocol.send_data, ice.StunProtocol.send_stun = send_data, send_stun
    ice.StunProtocol.datagram_received = received
    try:
        await page.goto(running.url + "/")
        await page.fill("#username", "dr.martin")
        await page.fill("#password", PASSWORD)
        await page.click("button[type=submit]")
        await page.wait_for_selector("body[data-ready='1']", timeout=10_000)
        await consult.start_call(enc.id, "Toux", "65-74")
        row = page.locator(f"tr[data-encounter='{enc.id}']")
        await row.wait_for(timeout=10_000)
        await row.get_by_role("button").click()
        await until(lambda: _decoded(page), 15, "station video decoded in Chromium")
        await until(lambda: consult.call.state == "in_call", 5, "in call")

        cut["on"] = True
        await until(lambda: consult.call.state == "reconnecting", 8, "reconnecting shown")
        await asyncio.sleep(7)
        cut["on"] = False
        await until(lambda: consult.call.state == "in_call", 25, "call resumed")
        await until(lambda: _decoded(page), 10, "video decoded on the new connection")
        assert await page.evaluate("() => window.__telecabineCall.state.offers") >= 2
        assert near_rgb(await page.evaluate(PIXEL_JS, [0.5, 0.75]), ROLE_BGR["room"])
        played = await until(lambda: _audio_played(page), 5, "cabin audio after the reconnection")
        assert played["kinds"] == ["audio", "video"]  # the new tracks replaced the old ones
        kinds = [i.kind for i in encounters.incidents(enc.id)]
        assert kinds[0] == "disconnect" and "reconnect" in kinds
        assert "reconnecting" in states
    finally:
        (ice.StunProtocol.send_data, ice.StunProtocol.send_stun,
         ice.StunProtocol.datagram_received) = originals  # fmt: skip
        if consult.call is not None:
            await consult.call.close()
        await consult.wait_ended()
        await cam.stop()
