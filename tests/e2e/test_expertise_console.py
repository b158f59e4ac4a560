"""The expert answers a télé-expertise in Debian's Chromium: a station (real store, real sync
worker) sends a request with two 8 MP photos; the expert opens her inbox, sees the photo at its
full resolution, zooms, answers with the outcome; the station fetches and keeps the answer and
the TE2/RQD acts. Screenshots go to ``$TELECABINE_SCREENSHOTS`` when set."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from telecabine.devices.still import SIM_STILL_SIZE, simulated_still
from telecabine.hub.accounts import create_doctor, register_station
from telecabine.hub.config import HubSettings
from telecabine.hub.server import start_hub
from telecabine.hub.state import HUB
from telecabine.services.expertise import ExpertiseService, ExpertiseSyncWorker, RequesterInfo
from telecabine.sync.expertise_client import ExpertiseClient

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
PASSWORD = "correct-horse-battery"


async def _shot(page, name: str) -> None:
    folder = os.environ.get("TELECABINE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=False)


async def test_expert_answers_in_chromium_and_the_station_keeps_it(station_store, tmp_path):
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("Chromium missing under CI")
        pytest.skip("Chromium not installed")
    from playwright.async_api import async_playwright

    settings = HubSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", data_dir=tmp_path, port=0
    )
    hub = await start_hub(settings, host="127.0.0.1")
    engine = hub.app[HUB].engine
    await create_doctor(engine, username="derma", password=PASSWORD, name="Dr Inès Derma",
                        rpps="10000000009", specialty="Dermatologie")  # fmt: skip
    token = await register_station(engine, "cabine-test")
    patient = station_store.patients.create(
        birth_name="MARTIN", first_names="Jeanne", birth_date=date(1948, 5, 12), sex="F",
        nir="248057512345690",
    )  # fmt: skip
    service = ExpertiseService(station_store, station_id="cabine-test")
    u = service.create(
        patient_id=patient.id, question="Lésion pigmentée du dos : exérèse ?", urgency="urgent",
        expert_username="derma",
        stills=[simulated_still("dermatoscope", 0.0), simulated_still("document", 2.0)],
        requester=RequesterInfo("Claire Dubois", "pharmacist", "10000000002"),
    )  # fmt: skip
    worker = ExpertiseSyncWorker(station_store, ExpertiseClient(hub.url, token))
    try:
        assert (await worker.sync_once()).sent == 1
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = await browser.new_page(viewport={"width": 1280, "height": 800})
            await page.goto(hub.url + "/")
            await page.fill("#username", "derma")
            await page.fill("#password", PASSWORD)
            await page.click("button[type=submit]")
            await page.wait_for_url(f"{hub.url}/**")
            await page.goto(hub.url + "/expertise")
            await page.wait_for_selector("#inbox li button")
            assert "Urgent" in await page.inner_text("#inbox")
            await _shot(page, "console_expertise_inbox_fr")
            await page.click("#inbox li button")
            await page.wait_for_selector("#detail-photos img")
            await page.wait_for_function(
                "() => [...document.querySelectorAll('#detail-photos img')]"
                ".every(i => i.complete && i.naturalWidth > 0)"
            )
            widths = await page.eval_on_selector_all(
                "#detail-photos img", "imgs => imgs.map(i => i.naturalWidth)"
            )
            assert widths == [SIM_STILL_SIZE[0], SIM_STILL_SIZE[0]]  # full resolution
            assert "MARTIN" in await page.inner_text("#detail-title")
            await _shot(page, "console_expertise_request_fr")
            await page.click("#detail-photos button")
            assert await page.is_visible("#zoom")
            await page.click("#zoom-close")
            await page.click("#answer-send")  # empty: refused on the page, nothing sent
            assert "avis" in (await page.inner_text("#answer-error")).lower()
            await page.fill("#answer-text", "Naevus atypique : exérèse conseillée sous 1 mois.")
            await page.check("input[value=needs_teleconsultation]")
            await page.click("#answer-send")
            await page.wait_for_selector("#answer-done:not([hidden])")
            done = await page.inner_text("#answer-done")
            assert "TE2 23.00" in done and "RQD 10.00" in done
            await _shot(page, "console_expertise_answered_fr")
            await browser.close()
        assert (await worker.sync_once()).answers == 1
        (view,) = service.recent()
        assert view.answer.outcome == "needs_teleconsultation"
        assert "exérèse" in view.answer.text
    finally:
        await worker.aclose()
        await hub.stop()
    assert u == view.request_uuid
