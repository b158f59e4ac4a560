"""Doctor console accessibility in Debian's Chromium (issue 17 item 5).

- axe-core (vendored, ``tests/e2e/vendor/axe.min.js``) finds no serious or critical violation
  on the sign-in page, the waiting room (empty and with a patient, FR and EN) and the call view;
- a doctor using only Tab, typing and Enter signs in, takes the waiting patient, fills the end
  of call form and ends the call (the station receives the hang-up, the queue comes back).

The station side is a real WebSocket client on /ws/station (no media: the call view renders,
the end of call goes through signaling).
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
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
BLOCKING = ("serious", "critical")
MAX_TABS = 60  # a walk that needs more presses than this is a failure, not a wait


@pytest.fixture
async def hub_and_token(tmp_path: Path):
    settings = HubSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", data_dir=tmp_path, port=0
    )
    hub = await start_hub(settings, host="127.0.0.1")
    await create_doctor(hub.app[HUB].engine, username="dr.martin", password=PASSWORD,
                        name="Dr Claire Martin", rpps="10000000001",
                        specialty="Médecine générale")  # fmt: skip
    token = await register_station(hub.app[HUB].engine, "cabine-1")
    try:
        yield hub, token
    finally:
        await hub.stop()


@pytest.fixture
async def page():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("Chromium missing under CI")
        pytest.skip("Chromium not installed")
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            # bypass_csp: the hub's CSP rightly refuses inline scripts, and axe is injected.
            context = await browser.new_context(
                viewport={"width": 1280, "height": 800}, bypass_csp=True
            )
            yield await context.new_page()
        finally:
            await browser.close()


async def _axe(page, where: str) -> list[str]:
    """Run axe-core on the page; the serious/critical violations as readable lines."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.add_script_tag(path=str(AXE))
    result = await page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    return [
        f"{where}: {v['id']} ({v['impact']}) {v['help']} — "
        + "; ".join(n["target"][0] if n["target"] else "?" for n in v["nodes"][:4])
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]


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


def _announce(eid: str) -> dict:
    return {"v": 1, "type": "announce", "encounter_id": eid, "reason": "Fièvre et toux",
            "age_band": "40-64", "flagged_vitals": ["8310-5"],
            "cabin": "Pharmacie du Centre"}  # fmt: skip


async def _tab_to(page, selector: str, *, shift: bool = False) -> None:
    """Press Tab until ``selector`` has the focus (bounded: a missing stop fails)."""
    key = "Shift+Tab" if shift else "Tab"
    for _ in range(MAX_TABS):
        if await page.evaluate("(s) => document.activeElement?.matches(s) ?? false", selector):
            return
        await page.keyboard.press(key)
    focused = await page.evaluate("document.activeElement?.outerHTML.slice(0, 120)")
    raise AssertionError(f"Tab never reached {selector} (focus on {focused})")


async def test_axe_finds_no_serious_violation_on_signin_queue_and_call(hub_and_token, page):
    hub, token = hub_and_token
    problems: list[str] = []
    await page.goto(hub.url + "/")
    problems += await _axe(page, "sign-in")
    await page.fill("#username", "dr.martin")
    await page.fill("#password", "wrong-password")
    await page.click("button[type=submit]")
    await page.wait_for_selector("[role=alert]")
    problems += await _axe(page, "sign-in error")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_selector("body[data-ready='1']", timeout=10_000)
    await page.wait_for_selector("#queue-empty:visible")
    problems += await _axe(page, "queue empty")
    async with aiohttp.ClientSession() as s:
        st = await _station(s, hub, token)
        await st.send_json(_announce("enc-a11y"))
        await _recv(st, "queued")
        await page.locator("tr[data-encounter='enc-a11y']").wait_for(timeout=5_000)
        problems += await _axe(page, "queue")
        await page.click("#lang-switch")
        await page.wait_for_function("document.documentElement.lang === 'en'")
        problems += await _axe(page, "queue (en)")
        await page.click("#lang-switch")
        await page.locator("tr[data-encounter='enc-a11y'] button").click()
        await _recv(st, "doctor_joined")
        await page.wait_for_selector("#call-view:visible")
        await page.wait_for_selector(".tc-call", timeout=10_000)
        problems += await _axe(page, "call")
        await st.close()
    assert not problems, "\n".join(problems)


async def test_keyboard_only_doctor_walk_from_sign_in_to_end_of_call(hub_and_token, page):
    hub, token = hub_and_token
    await page.goto(hub.url + "/")
    await _tab_to(page, "#username")
    await page.keyboard.type("dr.martin")
    await _tab_to(page, "#password")
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")
    await page.wait_for_selector("body[data-ready='1']", timeout=10_000)
    async with aiohttp.ClientSession() as s:
        st = await _station(s, hub, token)
        await st.send_json(_announce("enc-keys"))
        await _recv(st, "queued")
        await page.locator("tr[data-encounter='enc-keys']").wait_for(timeout=5_000)
        await _tab_to(page, "tr[data-encounter='enc-keys'] button")
        await page.keyboard.press("Enter")
        joined = await _recv(st, "doctor_joined")
        assert joined["doctor"]["name"] == "Dr Claire Martin"
        # The side panel is in tabs: the "End" tab opens the end-of-call form.
        await page.wait_for_selector(".tc-tab[data-tab=end]", timeout=10_000)
        await _tab_to(page, ".tc-tab[data-tab=end]")
        await page.keyboard.press("Enter")
        await page.wait_for_selector(".tc-end select[name=act]", timeout=10_000)
        # The end-of-call form: act code and outcome chosen with the arrow keys, a note typed.
        await _tab_to(page, ".tc-end select[name=act]")
        await page.keyboard.press("ArrowDown")
        await _tab_to(page, ".tc-end select[name=outcome]")
        await page.keyboard.press("ArrowDown")
        await page.keyboard.press("Tab")
        await page.keyboard.type("Revoir si fièvre")
        await _tab_to(page, ".tc-end button[type=submit]")
        await page.keyboard.press("Enter")
        hangup = await _recv(st, "hangup")
        assert hangup["reason"] == "doctor_ended"
        await page.wait_for_selector("#queue-view:visible", timeout=10_000)
        await st.close()
