"""The installed station end to end: three processes, like a pharmacy and its operator.

``telecabine hub`` serves over PostgreSQL (its own process); the operator registers the cabin
(``hub add-station``) and a doctor (``hub add-doctor``); the cabin is enrolled with
``telecabine enroll`` and runs ``telecabine run`` (its own process, Qt offscreen, simulated
devices chosen by settings), walked by ``station_run_driver.py``; Debian Chromium is the doctor.

Patient A: intake -> vitals (simulated BLE) -> call -> prescription -> end of call; the hub is
then stopped, the wrap-up still closes (the record waits in the outbox); patient B goes through
intake and vitals while the station says the call is unavailable; the hub comes back and the
billing record arrives there.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from pathlib import Path

import aiohttp
import pytest
from call_testlib import ARGS, CHROMIUM, INBOUND_JS, PASSWORD, require_chromium, until
from postgres_testlib import create_pg_database

from telecabine.services.call_availability import WORDS
from telecabine.services.enrolment import PROBLEMS

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]
DRIVER = Path(__file__).parent / "station_run_driver.py"
ADMIN = "e2e-admin-token-0123456789"
TELECABINE = [sys.executable, "-m", "telecabine"]


async def _run(*args: str, env: dict, stdin: str | None = None) -> str:
    proc = await asyncio.create_subprocess_exec(
        *TELECABINE, *args, env=env, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate((stdin or "").encode()), 60)
    assert proc.returncode == 0, (args, err.decode()[-2000:])
    return out.decode()


class Hub:
    """``telecabine hub`` as a process; stop and start again on the same port."""

    def __init__(self, database: str, env: dict) -> None:
        self.database, self.env = database, env
        self.proc: asyncio.subprocess.Process | None = None
        self.url = ""

    async def start(self, port: int = 0) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            *TELECABINE, "hub", "--host", "127.0.0.1", "--port", str(port),
            "--database", self.database, env=self.env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        while True:
            line = (await asyncio.wait_for(self.proc.stdout.readline(), 60)).decode()
            assert line, "hub exited before serving"
            if line.startswith("Hub : "):
                self.url = line.split()[2]
                return

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            await asyncio.wait_for(self.proc.wait(), 30)


class Station:
    """The station driver process: ``AT ...`` lines out, orders in."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[str] = []

    async def expect(self, prefix: str, timeout: float = 120) -> str:
        async def read() -> str:
            while True:
                raw = await self.proc.stdout.readline()
                if not raw:
                    raise AssertionError(f"station exited before {prefix!r}: {self.lines[-20:]}")
                line = raw.decode().rstrip("\n")
                if not line.startswith("{"):  # JSON log lines go to stderr; keep the rest
                    self.lines.append(line)
                if line.startswith("TIMEOUT") or line.startswith("WRAPUP-ERROR"):
                    raise AssertionError(line)
                if line.startswith(prefix):
                    return line

        return await asyncio.wait_for(read(), timeout)

    async def order(self, word: str) -> None:
        self.proc.stdin.write(f"{word}\n".encode())
        await self.proc.stdin.drain()


CHANNEL_OPEN_JS = """() => { const c = window.__telecabineCall;
  return !!(c && c.state.channel && c.state.channel.readyState === 'open'); }"""


async def _decoded(page):
    stats = await page.evaluate(INBOUND_JS)
    return stats if stats and stats["framesDecoded"] > 0 else None


async def _send_prescription(page, attempts: int = 3) -> None:
    """Send, and send again if the console says the cabin did not take it (as a doctor would:
    on this loaded 2-core machine a document can time out while the call reconnects)."""
    info = page.locator(".tc-doc-info")
    for attempt in range(attempts):
        await page.evaluate("() => { document.querySelector('.tc-doc-info').textContent = ''; }")
        await page.click(".tc-doc button[type=submit]")
        await page.wait_for_function(  # "sending…" first, then received or refused
            """() => /reçu|refusé/.test(document.querySelector('.tc-doc-info').textContent)""",
            timeout=60_000,
        )
        if "Document reçu par la cabine" in await info.text_content():
            return
        print(f"warning: prescription not taken (attempt {attempt + 1}), sending again")
        await page.wait_for_timeout(2000)
    raise AssertionError("the cabin never took the prescription")


@pytest.fixture
async def doctor_page():
    require_chromium()
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            ctx = await browser.new_context(viewport={"width": 1280, "height": 900})
            yield await ctx.new_page()
        finally:
            await browser.close()


async def test_run_station_calls_a_doctor_and_bills_through_a_separate_hub(
    request, doctor_page, tmp_path
):
    page = doctor_page
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    page.on("pageerror", lambda exc: console.append(f"pageerror {exc}"))
    database = await create_pg_database(*request.getfixturevalue("postgres_server"))
    env = {**os.environ, "TELECABINE_HUB_ADMIN_TOKEN": ADMIN,
           "TELECABINE_HUB_DATA_DIR": str(tmp_path / "hub")}  # fmt: skip
    hub = Hub(database, env)
    await hub.start()
    station = None
    try:
        # --- the operator registers the cabin and a doctor ---------------------------------------
        out = await _run("hub", "--database", database, "add-station", "cabine-e2e", env=env)
        token = out.strip().splitlines()[-1]
        pw_file = tmp_path / "pw"
        pw_file.write_text(PASSWORD)
        await _run("hub", "--database", database, "add-doctor", "--username", "dr.martin",
                   "--name", "Dr Claire Martin", "--rpps", "10000000001",
                   "--password-file", str(pw_file), env=env)  # fmt: skip

        # --- the pharmacy enrols its cabin, then runs it ------------------------------------------
        data = tmp_path / "station"
        log = tmp_path / "station.stderr"  # JSON logs (no patient data), read on failure
        senv = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
                "TELECABINE_INSECURE_FILE_KEYRING": "1",
                "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
                # simulated twins chosen device by device, as an installer could
                "TELECABINE_CAMERA_ROOM": "sim:room", "TELECABINE_CAMERA_WIDTH": "640",
                "TELECABINE_CAMERA_HEIGHT": "360", "TELECABINE_CAMERA_FPS": "15",
                "TELECABINE_AUDIO_INPUT": "sim", "TELECABINE_AUDIO_OUTPUT": "sim",
                "TELECABINE_BLE_SIMULATED_SCENARIO": "normal",
                "TELECABINE_HUB_PROBE_INTERVAL_S": "1",
                "TELECABINE_SYNC_TIMEOUT_S": "3"}  # fmt: skip
        for key in (
            "TELECABINE_HUB_URL",
            "TELECABINE_STATION_ID",
            "TELECABINE_STATION_TOKEN",
            "TELECABINE_SIMULATED_DEVICES",
            "TELECABINE_STETHOSCOPE_DEVICE",
        ):
            senv.pop(key, None)
        await _run("--data-dir", str(data), "enroll", "--hub", hub.url, stdin=token, env=senv)
        assert json.loads((data / "enrolment.json").read_text())["station_id"] == "cabine-e2e"
        proc = await asyncio.create_subprocess_exec(
            sys.executable, str(DRIVER), str(data), env=senv, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=log.open("wb"),
        )  # fmt: skip
        station = Station(proc)

        await page.goto(hub.url + "/")
        await page.fill("#username", "dr.martin")
        await page.fill("#password", PASSWORD)
        await page.click("button[type=submit]")
        await page.wait_for_selector("body[data-ready='1']", timeout=15_000)

        await station.expect("VITALS")
        line = await station.expect("AT call")
        assert WORDS["available"][0] in line  # the status line: a doctor can be called
        row = page.locator("tr[data-encounter]")
        await row.first.wait_for(timeout=30_000)
        await row.first.get_by_role("button").click()
        decoded = await until(lambda: _decoded(page), 60, "station video decoded in Chromium")
        assert decoded["framesDecoded"] > 0
        await until(lambda: page.evaluate(CHANNEL_OPEN_JS), 60, "data channel open")
        await page.click(".tc-tab[data-tab='document']")  # the side panel is in tabs
        await page.fill(".tc-doc textarea", "Paracétamol 1 g, 3 fois par jour, 3 jours")
        await _send_prescription(page)
        await page.click(".tc-tab[data-tab='end']")
        await page.select_option(".tc-end select[name=act]", "TCG")
        await page.select_option(".tc-end select[name=outcome]", "prescription")
        await page.click(".tc-end button[type=submit]")
        summary = (await station.expect("AT wrapup")).split()[2]
        if summary != "summary":  # end_call raced the hangup (data channel vs WebSocket)
            print("warning: the doctor's end_call summary did not reach the station")

        # --- the hub goes away: wrap-up, intake and vitals go on; billing waits -------------------
        port = int(hub.url.rsplit(":", 1)[1])
        await hub.stop()
        await station.order("close")
        record_uuid = (await station.expect("CLOSED")).split()[1]
        assert (await station.expect("SYNC")).split()[1] in ("pending", "attention")
        await station.order("second")
        await station.expect("VITALS")
        offline = await station.expect("OFFLINE")
        assert PROBLEMS["unreachable"][0] in offline and "indisponible" in offline

        # --- the hub comes back: the record leaves the outbox --------------------------------------
        await hub.start(port)
        await station.order("wait-sync")
        await station.expect("SYNCED", timeout=90)
        assert await asyncio.wait_for(proc.wait(), 60) == 0
        auth = {"Authorization": f"Bearer {ADMIN}"}
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"{hub.url}/api/v1/billing-records", headers=auth) as r,
        ):
            assert r.status == 200
            records = [x["record"] for x in (await r.json())["records"]]
        assert [r["record_uuid"] for r in records] == [record_uuid]
        assert records[0]["station_id"] == "cabine-e2e"
        assert records[0]["doctor"]["rpps"] == "10000000001"
    except BaseException:
        with contextlib.suppress(Exception):
            await page.screenshot(path=str(tmp_path / "doctor.png"))
        print("doctor console:", console[-20:])
        if (tmp_path / "station.stderr").exists():
            tail = (tmp_path / "station.stderr").read_text(errors="replace")[-4000:]
            print("station stderr (tail):\n" + tail)
        raise
    finally:
        if station is not None and station.proc.returncode is None:
            station.proc.kill()
            with contextlib.suppress(Exception):
                await station.proc.wait()
        await hub.stop()
