"""Doctor console in Debian's Chromium (Playwright): sign-in, live queue, take, cancel, race.

The station side is a real WebSocket client on /ws/station. Screenshots of the sign-in page
and the queue are written to ``$TELECABINE_SCREENSHOTS`` when that variable is set.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import aiohttp
import pytest

from telecabine.hub.accounts import create_doctor, register_station
from telecabine.hub.config import HubSettings
from telecabine.hub.server import start_hub
from telecabine.hub.state import HUB

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
]  # fmt: skip
PASSWORD = "correct-horse-battery"


def _require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("Chromium missing under CI")
        pytest.skip("Chromium not installed")


@pytest.fixture
async def console_hub(tmp_path: Path):
    """A hub with two doctors and one station, on loopback."""
    settings = HubSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", data_dir=tmp_path, port=0
    )
    hub = await start_hub(settings, host="127.0.0.1")
    engine = hub.app[HUB].engine
    for user, name, admin in (
        ("dr.martin", "Dr Claire Martin", False),
        ("dr.bernard", "Dr Paul Bernard", True),
    ):
        await create_doctor(engine, username=user, password=PASSWORD, name=name,
                            rpps="10000000001", specialty="Médecine générale",
                            is_admin=admin)  # fmt: skip
    token = await register_station(engine, "cabine-1")
    try:
        yield hub, token
    finally:
        await hub.stop()


@pytest.fixture
async def browser():
    _require_chromium()
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            await b.close()


async def _shot(page, name: str) -> None:
    folder = os.environ.get("TELECABINE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


async def _sign_in(page, url: str, username: str) -> None:
    await page.goto(url + "/")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_selector("body[data-ready='1']", timeout=10_000)


async def _station(session: aiohttp.ClientSession, hub, token: str):
    return await session.ws_connect(
        hub.url.replace("http", "ws", 1) + "/ws/station",
        headers={"Authorization": f"Bearer {token}"},
    )


async def _recv(ws, wanted: str) -> dict:
    async def loop():
        while True:
            msg = await ws.receive_json()
            if msg["type"] == wanted:
                return msg

    return await asyncio.wait_for(loop(), 10)


def _announce(eid: str, cabin: str = "Pharmacie du Centre") -> dict:
    return {"v": 1, "type": "announce", "encounter_id": eid, "reason": "Fièvre et toux",
            "age_band": "40-64", "flagged_vitals": ["8310-5"], "cabin": cabin}  # fmt: skip


async def test_sign_in_queue_take_cancel(console_hub, browser):
    hub, token = console_hub
    page = await (await browser.new_context(viewport={"width": 1280, "height": 800})).new_page()
    js_errors: list[str] = []
    failed: set[str] = set()
    page.on("pageerror", lambda exc: js_errors.append(str(exc)))
    page.on(
        "response",
        lambda r: (
            failed.add(r.url.split("?")[0].removeprefix(hub.url)) if r.status >= 400 else None
        ),
    )

    resp = await page.goto(hub.url + "/")
    assert resp.status == 401
    assert await page.locator("h1").inner_text() == "Connexion médecin"
    await _shot(page, "signin-fr")
    await page.fill("#username", "dr.martin")
    await page.fill("#password", "wrong-password")
    await page.click("button[type=submit]")
    assert "incorrect" in await page.locator("[role=alert]").inner_text()
    assert await page.input_value("#username") == "dr.martin"  # only the password to retype
    assert await page.evaluate("document.activeElement.id") == "password"
    await _shot(page, "signin-error")

    await _sign_in(page, hub.url, "dr.martin")
    assert "Dr Claire Martin" in await page.locator("#who").inner_text()
    assert await page.locator("#export-csv").is_hidden()  # not an operator account
    await page.wait_for_selector("#queue-empty:visible")

    async with aiohttp.ClientSession() as s:
        st = await _station(s, hub, token)
        await st.send_json(_announce("enc-e2e-1"))
        assert (await _recv(st, "queued"))["position"] == 1
        row = page.locator("tr[data-encounter='enc-e2e-1']")
        await row.wait_for(timeout=5_000)
        assert "Température" in await row.inner_text()
        assert "Pharmacie du Centre" in await row.inner_text()
        assert (await page.title()).startswith("(1) ")
        assert "Pharmacie du Centre" in await page.locator("#announcer").inner_text()
        await _shot(page, "queue-fr")

        # Language switch re-renders the queue in English.
        await page.click("#lang-switch")
        assert await page.locator("#queue-title").inner_text() == "Waiting room (1)"
        assert "Temperature" in await row.inner_text()
        await _shot(page, "queue-en")
        await page.click("#lang-switch")

        await row.get_by_role("button").click()
        joined = await _recv(st, "doctor_joined")
        assert joined["doctor"]["name"] == "Dr Claire Martin"
        await page.wait_for_selector("#call-view:visible")
        assert "Pharmacie du Centre" in await page.locator("#call-meta").inner_text()
        await _shot(page, "call-view")
        # A reload (or a dropped socket) brings the doctor back to the open call.
        await page.reload()
        await page.wait_for_selector("#call-view:visible", timeout=10_000)

        await page.click("#cancel-call")
        cancelled = await _recv(st, "cancelled")
        assert cancelled["by"] == "doctor"
        await page.wait_for_selector("#queue-view:visible")

        # Station-side cancel of a waiting patient: the row disappears.
        await st.send_json(_announce("enc-e2e-2"))
        await page.locator("tr[data-encounter='enc-e2e-2']").wait_for(timeout=5_000)
        await st.send_json({"v": 1, "type": "cancel", "encounter_id": "enc-e2e-2"})
        await page.locator("tr[data-encounter='enc-e2e-2']").wait_for(
            state="detached", timeout=5_000
        )
        await st.close()
    assert js_errors == []
    # Expected refusals only: the sign-in page and the bad password (401), the favicon (401,
    # nothing is public), and call.js (404) while the call engineer's module is absent.
    assert failed <= {"/", "/login", "/favicon.ico", "/static/call.js"}, failed


async def test_two_doctors_race_for_one_patient(console_hub, browser):
    hub, token = console_hub
    pages = []
    for user in ("dr.martin", "dr.bernard"):
        page = await (await browser.new_context()).new_page()
        await _sign_in(page, hub.url, user)
        pages.append(page)
    assert await pages[1].locator("#export-csv").is_visible()  # dr.bernard is an operator
    async with aiohttp.ClientSession() as s:
        st = await _station(s, hub, token)
        await st.send_json(_announce("enc-race"))
        await _recv(st, "queued")
        buttons = [p.locator("tr[data-encounter='enc-race'] button") for p in pages]
        for b in buttons:
            await b.wait_for(timeout=5_000)
        # Both click at (nearly) the same time. On a loaded machine the winner's take can reach
        # the other console first: its row then vanishes under the pointer and that click never
        # happens — also a lost race, shown by the row going away instead of a message.
        clicks = await asyncio.gather(
            *(b.click(timeout=5_000) for b in buttons), return_exceptions=True
        )
        joined = await _recv(st, "doctor_joined")
        winner_idx = 0 if joined["doctor"]["name"] == "Dr Claire Martin" else 1
        winner, loser = pages[winner_idx], pages[1 - winner_idx]
        assert clicks[winner_idx] is None, clicks[winner_idx]
        await winner.wait_for_selector("#call-view:visible", timeout=5_000)
        if clicks[1 - winner_idx] is None:  # both takes reached the hub: one was refused
            await loser.wait_for_function(
                "document.getElementById('status').textContent.includes('autre médecin')",
                timeout=5_000,
            )
        else:
            await loser.locator("tr[data-encounter='enc-race']").wait_for(
                state="detached", timeout=5_000
            )
        assert await loser.locator("#call-view").is_hidden()
        assert await loser.locator("tr[data-encounter='enc-race']").count() == 0
        await _shot(loser, "race-loser")
        # End the winner's call so the camera is released before the browser closes.
        await winner.click("#cancel-call")
        await _recv(st, "cancelled")
        await st.close()
    for p in pages:
        await p.context.close()
