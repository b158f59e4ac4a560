"""The doctor stops working blind and loses nothing: real hub, real aiortc station (encrypted
store), Debian Chromium as the doctor.

Before the take the waiting room shows no identity; after it the doctor's page shows the INS
traits (NIR masked: the identity is only *validée*), the reason, the parcours verdict, the
temperature and blood pressure measured before the call with their flags and the pharmacist;
the prescription form carries the identity. A chat message and a measurement request sent
while the console reloads reach the cabin once the call reconnects and show "remis"; the
header still shows cabin, age band and reason; the cabin's reply shows in the console.
Screenshots of the console (1280 x 800) go to ``TELECABINE_SCREENSHOTS`` when set.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from call_testlib import ARGS, CHROMIUM, PASSWORD, PatternCamera, require_chromium, until

from telecabine.hub.accounts import create_doctor, register_station
from telecabine.hub.config import HubSettings
from telecabine.hub.server import start_hub
from telecabine.hub.state import HUB
from telecabine.services.consultation import CallSetup, ConsultationService
from telecabine.session.call import CallTiming

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]
CABIN = "Pharmacie du Centre"
SHOTS = os.environ.get("TELECABINE_SCREENSHOTS")


@pytest.fixture
async def hub(tmp_path: Path):
    settings = HubSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", data_dir=tmp_path, port=0
    )
    running = await start_hub(settings, host="127.0.0.1")
    engine = running.app[HUB].engine
    await create_doctor(engine, username="dr.martin", password=PASSWORD, name="Dr Claire Martin",
                        rpps="10000000001", specialty="Médecine générale")  # fmt: skip
    token = await register_station(engine, "cabine-ctx")
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
            ctx = await browser.new_context(viewport={"width": 1280, "height": 800})
            yield await ctx.new_page()
        finally:
            await browser.close()


def _prepared_encounter(store) -> str:
    """Identified (INS validée), consented, temperature and blood pressure already measured."""
    staff = store.staff.add(login="anne", display_name="Anne Pharma", role="pharmacist",
                            pin_hash="x")  # fmt: skip
    enc = store.encounters.create("cabine-ctx", staff_id=staff.id)
    patient = store.patients.create(birth_name="MARTIN", first_names="Paul Louis",
                                    birth_date=date(1984, 12, 1), sex="M",
                                    nir="184127505612355", ins_status="validee")  # fmt: skip
    store.encounters.attach_patient(enc.id, patient.id)
    store.encounters.save_draft(enc.id, "measuring", {
        "reason": "Fièvre depuis 3 jours",
        "situation": {"has_medecin_traitant": True, "orientation_by_medecin_traitant": True,
                      "alternance_respected": True, "teleconsultant_in_territory": True}})  # fmt: skip
    now = datetime.now(UTC) - timedelta(minutes=5)
    store.encounters.add_observation(enc.id, code="8310-5", value=38.9, unit="Cel",
                                     method="manual", measured_at=now, flag="high")  # fmt: skip
    store.encounters.add_observation(enc.id, code="8480-6", value=128, unit="mm[Hg]",
                                     method="device:cuff-1", measured_at=now, flag="normal")  # fmt: skip
    for state in ("identified", "consented"):
        store.encounters.set_state(enc.id, state)
    return enc.id


# call.js in the page: French and English words for every key, and patient_context checked
# (an INS number on an unqualified identity, an unknown status, bad vitals, a wrong version).
CHECKS_JS = """async () => {
  const m = await import('/static/call.js');
  const fr = Object.keys(m.TEXT.fr), en = Object.keys(m.TEXT.en);
  const ctx = (identity, extra = {}) => ({ v: 1, type: 'patient_context', encounter_id: 'e-1',
    identity: { birth_name: 'X', first_names: 'Y', ins_status: 'validee', ...identity }, ...extra });
  return {
    missing_en: fr.filter((k) => !en.includes(k)), missing_fr: en.filter((k) => !fr.includes(k)),
    good: m.checkContext(ctx({})),
    matricule: m.checkContext(ctx({ matricule: '1 84 12 75 056 123 55' })),
    status: m.checkContext(ctx({ ins_status: 'certain' })),
    vitals: m.checkContext(ctx({}, { vitals: [{ code: 1 }] })),
    envelope: m.checkContext({ ...ctx({}), v: 2 }),
  };
}"""

HOLD_OFFERS_JS = """(() => {
  window.__allowRtc = false;
  const original = RTCPeerConnection.prototype.setRemoteDescription;
  RTCPeerConnection.prototype.setRemoteDescription = async function (...args) {
    while (!window.__allowRtc) await new Promise((r) => setTimeout(r, 50));
    return original.apply(this, args);
  };
})();"""


async def _status(page, selector: str) -> str | None:
    loc = page.locator(selector)
    return await loc.get_attribute("data-status") if await loc.count() else None


async def test_doctor_sees_the_patient_and_nothing_she_sends_is_lost(
    qapp, hub, page, station_store
):
    from telecabine.ui.screens.call import CallScreen

    running, token = hub
    eid = _prepared_encounter(station_store)
    cam = PatternCamera("room")
    cam.start()
    setup = CallSetup(hub_url=running.url, station_token=token, station_id="cabine-ctx",
                      cabin=CABIN, cameras={"room": cam.mailbox}, play_audio=False,
                      timing=CallTiming(stall_s=1.5, attempt_s=4.0))  # fmt: skip
    consult = ConsultationService(station_store.encounters, setup)  # context: the same store
    screen = CallScreen(consult)
    js_errors: list[str] = []
    page.on("pageerror", lambda exc: js_errors.append(str(exc)))
    try:
        await page.goto(running.url + "/")
        await page.fill("#username", "dr.martin")
        await page.fill("#password", PASSWORD)
        await page.click("button[type=submit]")
        await page.wait_for_selector("body[data-ready='1']", timeout=10_000)
        checks = await page.evaluate(CHECKS_JS)
        assert checks == {"missing_en": [], "missing_fr": [], "good": "", "matricule": "matricule",
                          "status": "ins_status", "vitals": "vitals", "envelope": "envelope"}  # fmt: skip
        screen.on_enter({"encounter_id": eid, "reason": "Fièvre depuis 3 jours",
                         "age_band": "40-64", "flagged_vitals": ["8310-5"], "lang": "fr"})  # fmt: skip
        row = page.locator(f"tr[data-encounter='{eid}']")
        await row.wait_for(timeout=10_000)
        assert "MARTIN" not in await page.content()  # the waiting room shows no identity
        assert "Température : 38.9 °C ⚠ élevé" in screen.vitals.text()  # cabin strip, pre-call
        await row.get_by_role("button").click()

        # --- what the doctor sees once she took the call -------------------------------------
        name = page.locator(".tc-patient [data-field='name']")
        await name.wait_for(timeout=15_000)
        assert (await name.inner_text()).strip() == "MARTIN Paul Louis"
        patient = await page.locator(".tc-patient").inner_text()
        assert "né le 01/12/1984 — homme" in patient and "Identité validée" in patient
        assert "1 84 •• •• ••• ••• 55" in patient and "Matricule INS" not in patient
        assert (
            "Fièvre depuis 3 jours" in patient and "Parcours de soins : dans le parcours" in patient
        )
        assert "Anne Pharma (pharmacien(ne))" in patient
        temp = page.locator(".tc-vitals li[data-code='8310-5']")
        assert "38.9 °C (élevé)" in await temp.inner_text()
        assert "tc-flag-high" in await temp.get_attribute("class")
        assert await page.locator(".tc-vitals li[data-code='8480-6']").count() == 1
        assert "MARTIN Paul Louis" in await page.locator("#call-patient").inner_text()
        await page.click(".tc-tab[data-tab='document']")
        rx = page.locator(".tc-doc input[name='patient']")
        assert await rx.input_value() == "MARTIN Paul Louis, né le 01/12/1984"
        assert await rx.get_attribute("readonly") is not None
        box = await page.locator(".tc-doc button[type=submit]").bounding_box()
        assert box and box["y"] + box["height"] <= 800  # reachable without scrolling
        if SHOTS:
            await page.screenshot(path=f"{SHOTS}/console_call_prescription.png")
        await page.click(".tc-tab[data-tab='patient']")
        if SHOTS:
            await page.screenshot(path=f"{SHOTS}/console_call_patient.png")

        # --- console reload: what she sends meanwhile is delivered once the call is back -----
        await until(lambda: consult.call.state == "in_call", 10, "in call")
        # The reloaded page holds the station's new offer until the messages are written, so
        # they are sent while no channel can carry them (deterministic, whatever the timing).
        await page.add_init_script(HOLD_OFFERS_JS)
        await page.reload()
        await page.wait_for_selector("#call-view:not([hidden]) .tc-chat-form", state="attached",
                                     timeout=10_000)  # fmt: skip
        meta = await page.locator("#call-meta").inner_text()
        assert CABIN in meta and "40-64" in meta and "Fièvre depuis 3 jours" in meta
        await page.click(".tc-tab[data-tab='exchange']")
        channel_open = await page.evaluate(
            "() => { const c = window.__telecabineCall.state.channel;"
            " return !!c && c.readyState === 'open'; }"
        )
        assert not channel_open  # sent below while nothing can carry them yet
        await page.fill(".tc-chat-form input", "Depuis quand avez-vous de la fièvre ?")
        await page.click(".tc-chat-form button[type=submit]")
        await page.click("button[data-kind='spo2']")
        await page.click(".tc-tab[data-tab='document']")
        await page.fill(".tc-doc textarea", "Paracétamol 1 g, 3 fois par jour, 3 jours")
        await page.click(".tc-doc button[type=submit]")
        await page.wait_for_selector(".tc-doc-info:text('en attente')", timeout=10_000)
        await page.click(".tc-tab[data-tab='exchange']")
        chat_li = ".tc-chat li.tc-from-doctor"
        assert await _status(page, chat_li) == "queued"
        assert await _status(page, ".tc-requests li") == "queued"
        assert "en attente" in await page.locator(chat_li).inner_text()
        await page.evaluate("() => { window.__allowRtc = true; }")
        await until(
            lambda: any("Depuis quand" in screen.chat.item(i).text()
                        for i in range(screen.chat.count())),
            40, "chat delivered in the cabin",
        )  # fmt: skip
        await until(lambda: not screen.prompt.isHidden(), 10, "request shown in the cabin")
        assert screen.prompt.text() == "Le médecin demande la saturation (SpO₂)"
        assert screen.caption.text() == "Depuis quand avez-vous de la fièvre ?"
        for sel in (chat_li, ".tc-requests li"):
            await until(
                lambda s=sel: _status_is(page, s, "delivered"), 10, f"{sel} shown as delivered"
            )
        assert "remis" in await page.locator(chat_li).inner_text()
        await page.click(".tc-tab[data-tab='document']")
        await page.wait_for_selector("text=Document reçu par la cabine", timeout=15_000)
        docs = station_store.encounters.documents(eid)
        assert len(docs) == 1 and docs[0].content.startswith(b"%PDF-")
        # The patient context came again on the new channel (the page had forgotten it).
        await page.click(".tc-tab[data-tab='patient']")
        await name.wait_for(timeout=5_000)

        # --- the cabin answers with a touch reply -----------------------------------------------
        await page.click(".tc-tab[data-tab='exchange']")
        screen.reply_buttons["Oui"].click()
        await page.locator(".tc-chat li.tc-from-station", has_text="Oui").wait_for(timeout=10_000)
        await until(lambda: consult.call.unacknowledged == 0, 5, "station chat acknowledged")
        # Exactly once each, although the console sent them again on the new channel.
        assert sum("Depuis quand" in screen.chat.item(i).text()
                   for i in range(screen.chat.count())) == 1  # fmt: skip
        if SHOTS:
            await page.screenshot(path=f"{SHOTS}/console_call_exchange.png")
            _grab_cabin(qapp, screen, f"{SHOTS}/cabin_call.png")
        assert not js_errors
    finally:
        if consult.call is not None:
            await consult.call.close()
        await consult.wait_ended()
        await cam.stop()


def _grab_cabin(qapp, screen, path: str) -> None:
    """The cabin's call screen as the kiosk shows it (theme, 1280 x 800 minus the header)."""
    from PySide6.QtTest import QTest

    from telecabine.ui.theme import apply_theme

    apply_theme(qapp)
    screen.resize(1280, 740)
    screen.show()
    for _ in range(10):
        screen.refresh_video()
        QTest.qWait(40)
    screen.grab().save(path)


async def _status_is(page, selector: str, want: str) -> bool:
    return await _status(page, selector) == want
