"""Operator pages in Debian's Chromium (Playwright): fleet, cabin and activity pages open for
an admin doctor, every plot is a non-empty SVG drawn by the hub, and the tables under the plots
match the seeded data (``tests/activity_seed.py``). Screenshots go to ``$TELECABINE_SCREENSHOTS``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from activity_seed import EXPECTED, ORG, seed_activity
from test_console_hub import ARGS, CHROMIUM, PASSWORD, _require_chromium, _shot

from telecabine.hub.accounts import create_doctor
from telecabine.hub.config import HubSettings
from telecabine.hub.server import start_hub
from telecabine.hub.state import HUB

pytestmark = pytest.mark.e2e

CHARTS = ["per_week", "per_month", "by_act", "by_specialty", "by_cabin", "by_organisation"]


@pytest.fixture
async def admin_hub(tmp_path: Path):
    """A hub with an admin doctor, seeded activity and one cabin that sent a heartbeat."""
    settings = HubSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", data_dir=tmp_path, port=0
    )
    hub = await start_hub(settings, host="127.0.0.1")
    engine = hub.app[HUB].engine
    await create_doctor(
        engine,
        username="dr.admin",
        password=PASSWORD,
        name="Dr Admin",
        rpps="10000000001",
        specialty="Médecine générale",
        is_admin=True,
    )
    tokens = await seed_activity(hub.url, engine)
    beat = {
        "version": "1.2.0",
        "sent_at": datetime.now(UTC).isoformat(),
        "equipment": [{"item": "otoscope", "ok": False, "code": "not_found"}],
    }
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{hub.url}/api/v1/stations/heartbeat",
            json=beat,
            headers={"Authorization": f"Bearer {tokens['cab-a']}"},
        ) as resp,
    ):
        assert resp.status == 200
    try:
        yield hub
    finally:
        await hub.stop()


@pytest.fixture
async def page():
    _require_chromium()
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            ctx = await browser.new_context(viewport={"width": 1200, "height": 900})
            yield await ctx.new_page()
        finally:
            await browser.close()


async def _rows(page, selector: str) -> list[list[str]]:
    return await page.eval_on_selector_all(
        f"{selector} tbody tr",
        "rows => rows.map(r => [...r.children].map(c => c.textContent.trim()))",
    )


async def test_admin_pages_render_plots_and_tables(admin_hub, page) -> None:
    url = admin_hub.url
    await page.goto(url + "/")
    await page.fill("#username", "dr.admin")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_selector("body[data-ready='1']", timeout=10_000)

    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    await page.goto(url + "/admin/fleet?lang=fr")
    await page.wait_for_selector("#fleet-body tr", timeout=10_000)
    fleet = {r[0]: r for r in await _rows(page, "#fleet")}
    assert set(fleet) == {"cab-a", "cab-b", "cab-x"}
    assert "En ligne" in fleet["cab-a"][2] and "otoscope" in fleet["cab-a"][2]
    assert fleet["cab-b"][2].startswith("Hors ligne") and fleet["cab-a"][1] == ORG
    await _shot(page, "admin-fleet")

    await page.goto(url + "/admin/cabin?name=cab-a&lang=en")
    await page.wait_for_selector("#history-body tr", timeout=10_000)
    assert await page.text_content("#cabin-name") == "Cabin cab-a"
    history = await _rows(page, "#history")
    assert history[0][1] == "1.2.0" and "otoscope ✗" in history[0][2]

    start, end = EXPECTED["period"]
    await page.goto(url + f"/admin/activity?from={start}&to={end}&lang=en")
    await page.wait_for_selector("body[data-loaded='1']", timeout=20_000)
    assert await page.text_content("#sum-adm_acts") == str(EXPECTED["acts"])
    assert await page.text_content("#sum-adm_wait_p95") == f"{EXPECTED['wait_p95_s']} s"
    for chart in CHARTS:
        bars = await page.locator(f"#chart-{chart} svg rect.bar").count()
        assert bars > 0, chart
        table = await _rows(page, f"#chart-{chart} table")
        assert len(table) == bars, chart
        if chart in ("by_act", "by_cabin", "by_organisation", "per_month"):
            assert table == [[k, str(n)] for k, n in EXPECTED[chart]], chart
    assert await page.text_content("#chart-by_act svg title") == "Acts by act code"
    await _shot(page, "admin-activity")
    assert errors == []
