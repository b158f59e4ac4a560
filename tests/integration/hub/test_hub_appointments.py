"""Appointments and invitation links (SQLite and PostgreSQL): Paris times across both 2026 DST
changes, territorial doctors offered first and the choice recorded, the invitation and its
code received over real SMTP (aiosmtpd on loopback), the link's page, expired / reused /
tampered links refused with what to do, 20 wrong codes lock the link, every refusal audited,
reminders 24 h and 1 h before, sent once."""

from __future__ import annotations

import re
import socket
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from hub_testlib import client
from sqlalchemy import select

from telecabine.hub.appointments import invitation_events, send_due_reminders
from telecabine.hub.state import HUB


class Inbox:
    def __init__(self) -> None:
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=default_policy))
        return "250 OK"

    def texts(self) -> list[str]:
        return [m.get_content() for m in self.messages]


@pytest.fixture
def relay():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    ctl = Controller(inbox, hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        yield port, inbox
    finally:
        ctl.stop()


def _configure(hub_env, port: int) -> None:
    s = hub_env.hub.app[HUB].settings
    s.invite_smtp_host, s.invite_smtp_port, s.invite_smtp_security = "127.0.0.1", port, "none"
    s.public_url = "https://hub.example.org"


async def _book(st, url, **over):
    body = {"starts_local": "2026-10-25T10:00", "duration_min": 20, "reason": "Suivi escarre",
            "patient_label": "Mme M. J., ch. 12B", "departement": "17",
            "invited": {"name": "Dr Anne Durand", "email": "anne.durand@medecin.mssante.fr"},
            **over}  # fmt: skip
    async with st.post(f"{url}/api/v1/appointments", json=body) as r:
        return r.status, await r.json()


@pytest.fixture
def future_dst(monkeypatch):
    """Run as if it were 1 March 2026, so both 2026 DST changes are in the future."""
    import telecabine.hub.appointments as mod

    monkeypatch.setattr(mod, "_now", lambda: datetime(2026, 3, 1, 12, 0, tzinfo=UTC))


async def test_paris_times_across_both_dst_changes(hub_env, future_dst) -> None:
    auth = {"Authorization": f"Bearer {hub_env.station_token}"}
    async with client(headers=auth) as st:
        status, spring = await _book(st, hub_env.url, starts_local="2026-03-29T10:00")
        assert status == 201
        assert spring["starts_at"] == "2026-03-29T08:00:00+00:00"  # CEST, UTC+2
        assert spring["starts_text_fr"] == "dimanche 29 mars 2026 à 10:00 (heure de Paris)"
        status, autumn = await _book(st, hub_env.url, starts_local="2026-10-25T10:00")
        assert autumn["starts_at"] == "2026-10-25T09:00:00+00:00"  # CET, UTC+1
        status, gap = await _book(st, hub_env.url, starts_local="2026-03-29T02:30")
        assert status == 422 and gap["error"]["code"] == "appointment_time_gap"
        status, twice = await _book(st, hub_env.url, starts_local="2026-10-25T02:30",
                                    second_occurrence=True)  # fmt: skip
        assert twice["starts_at"] == "2026-10-25T01:30:00+00:00"
        async with st.get(f"{hub_env.url}/api/v1/appointments", params={"day": "2026-10-25"}) as r:
            day = (await r.json())["appointments"]
        assert [a["starts_local"] for a in day] == ["2026-10-25T02:30", "2026-10-25T10:00"]


async def test_territorial_doctors_first_and_choice_recorded(hub_env, future_dst) -> None:
    from telecabine.hub.appointments import doctor_territories
    from telecabine.hub.db import doctors

    await hub_env.doctor("dr.paris", name="Dr Alice Paris")
    await hub_env.doctor("dr.rochelle", name="Dr Zoé Rochelle")
    async with hub_env.engine.begin() as conn:
        zid = (await conn.execute(select(doctors.c.id).where(doctors.c.username == "dr.rochelle"))
               ).scalar()  # fmt: skip
        await conn.execute(doctor_territories.insert().values(doctor_id=zid, departement="17"))
    auth = {"Authorization": f"Bearer {hub_env.station_token}"}
    async with client(headers=auth) as st:
        async with st.get(f"{hub_env.url}/api/v1/appointments/doctors",
                          params={"departement": "17"}) as r:  # fmt: skip
            listed = (await r.json())["doctors"]
        assert [d["username"] for d in listed] == ["dr.rochelle", "dr.paris"]
        assert listed[0]["in_territory"] and not listed[1]["in_territory"]
        status, booked = await _book(st, hub_env.url, doctor_username="dr.paris", invited=None,
                                     territorial_reason="médecin traitant de la résidente")  # fmt: skip
        assert status == 201
    t = booked["territorial"]
    assert t["offered_first"] == ["dr.rochelle"] and t["chosen"] == "dr.paris"
    assert not t["chosen_in_territory"] and t["reason"] == "médecin traitant de la résidente"


async def test_invitation_link_code_refusals_and_reminders(hub_env, relay) -> None:
    port, inbox = relay
    _configure(hub_env, port)
    auth = {"Authorization": f"Bearer {hub_env.station_token}"}
    starts = (datetime.now(UTC) + timedelta(days=2)).astimezone()
    from telecabine.domain.appointments import PARIS

    local = (datetime.now(UTC) + timedelta(days=2)).astimezone(PARIS).replace(
        tzinfo=None, second=0, microsecond=0)  # fmt: skip
    async with client(headers=auth) as st:
        status, appt = await _book(st, hub_env.url, starts_local=local.isoformat())
        assert status == 201, appt
        async with st.post(f"{hub_env.url}/api/v1/appointments/{appt['uuid']}/invite") as r:
            assert r.status == 200, await r.text()
    link_mail, code_mail = inbox.texts()[-2:]
    link = re.search(r"https://hub\.example\.org(/invite/[\w-]+)", link_mail).group(1)
    code = re.search(r"\b(\d{6})\b", code_mail).group(1)
    assert code not in link_mail  # the code travels separately
    assert "(heure de Paris)" in link_mail
    async with client() as browser:
        async with browser.get(hub_env.url + link) as r:
            assert r.status == 200 and "code" in (await r.text()).lower()
        async with browser.get(hub_env.url + link[:-3] + "xyz") as r:  # tampered
            assert r.status == 404 and "renvoyer" in await r.text()
        wrong = "000000" if code != "000000" else "111111"
        async with browser.post(hub_env.url + link, data={"code": wrong}) as r:
            assert r.status == 401
        async with browser.post(hub_env.url + link, data={"code": code}) as r:
            assert r.status == 200 and "accepté" in await r.text()
        async with browser.post(hub_env.url + link, data={"code": code}) as r:  # reused
            assert r.status == 410 and "déjà servi" in await r.text()
    # A resend replaces the link; 20 wrong codes lock the new one.
    async with (
        client(headers=auth) as st,
        st.post(f"{hub_env.url}/api/v1/appointments/{appt['uuid']}/invite") as r,
    ):
        assert r.status == 200
    link2 = re.search(r"(/invite/[\w-]+)", inbox.texts()[-2]).group(1)
    async with client() as browser:
        async with browser.get(hub_env.url + link) as r:
            assert r.status == 404  # the first link was replaced
        for i in range(20):
            async with browser.post(hub_env.url + link2, data={"code": f"{i:06d}x"}) as r:
                last = r.status
        assert last == 410
        async with browser.get(hub_env.url + link2) as r:
            assert r.status == 410 and "bloqué" in await r.text()
    async with hub_env.engine.connect() as conn:
        events = (await conn.execute(select(invitation_events.c.event))).scalars().all()
    assert {"unknown", "wrong_code", "verified", "used", "locked"} <= set(events)
    # Reminders: none yet; 24 h before, one; again, none; 1 h before, one more.
    before = len(inbox.messages)
    app = hub_env.hub.app
    start = datetime.fromisoformat(appt["starts_at"])
    assert await send_due_reminders(app, start - timedelta(hours=30)) == 0
    assert await send_due_reminders(app, start - timedelta(hours=23)) == 1
    assert await send_due_reminders(app, start - timedelta(hours=22)) == 0
    assert await send_due_reminders(app, start - timedelta(minutes=50)) == 1
    reminders = inbox.texts()[before:]
    assert len(reminders) == 2 and all("(heure de Paris)" in t for t in reminders)
    assert starts is not None


async def test_expired_link_and_missing_public_url(hub_env, relay) -> None:
    port, inbox = relay
    _configure(hub_env, port)
    hub_env.hub.app[HUB].settings.public_url = None
    auth = {"Authorization": f"Bearer {hub_env.station_token}"}
    from telecabine.domain.appointments import PARIS

    soon = (datetime.now(UTC) + timedelta(minutes=10)).astimezone(PARIS).replace(
        tzinfo=None, second=0, microsecond=0)  # fmt: skip
    async with client(headers=auth) as st:
        _status, appt = await _book(st, hub_env.url, starts_local=soon.isoformat(),
                                   duration_min=5)  # fmt: skip
        url = f"{hub_env.url}/api/v1/appointments/{appt['uuid']}/invite"
        async with st.post(url) as r:
            assert r.status == 409  # never a localhost link by default
        hub_env.hub.app[HUB].settings.public_url = "https://hub.example.org"
        async with st.post(url) as r:
            assert r.status == 200
    link = re.search(r"(/invite/[\w-]+)", inbox.texts()[-2]).group(1)
    import telecabine.hub.appointments as mod

    real_now = mod._now
    mod._now = lambda: real_now() + timedelta(hours=3)  # after the appointment and its grace
    try:
        async with client() as browser, browser.get(hub_env.url + link) as r:
            assert r.status == 410 and "passé" in await r.text()
    finally:
        mod._now = real_now
