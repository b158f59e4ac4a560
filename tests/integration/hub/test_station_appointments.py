"""The station's appointments service against a real hub (SQLite): doctors of the département
first, booking with an invited doctor sends the invitation, the day view, cancel, and plain
errors when the hub refuses or cannot be reached."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from telecabine.domain.appointments import PARIS
from telecabine.services.appointments import AppointmentsService, AppointmentsUnavailable
from telecabine.sync.appointments_client import AppointmentsClient


@pytest.fixture
async def hub_env_sqlite(tmp_path):
    """One SQLite hub (the hub's SQL on PostgreSQL is covered by test_hub_appointments)."""
    from hub_testlib import ADMIN_TOKEN, HubEnv, hub_settings

    from telecabine.hub.server import register_station, start_hub
    from telecabine.hub.state import HUB

    hub = await start_hub(hub_settings(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", tmp_path))
    try:
        token = await register_station(hub.app[HUB].engine, "cabine-1")
        yield HubEnv(hub, token, "cabine-1", ADMIN_TOKEN)
    finally:
        await hub.stop()


async def test_book_list_cancel_and_errors(hub_env_sqlite) -> None:
    env = hub_env_sqlite
    await env.doctor("dr.paris", name="Dr Alice Paris")
    svc = AppointmentsService(AppointmentsClient(env.url, env.station_token))
    try:
        doctors = await svc.doctors("17")
        assert [d.username for d in doctors] == ["dr.paris"]
        when = (datetime.now(UTC) + timedelta(days=1)).astimezone(PARIS)
        local = when.replace(tzinfo=None, second=0, microsecond=0)
        uuid = await svc.book(starts_local=local.isoformat(timespec="minutes"), duration_min=15,
                              reason="Suivi", patient_label="Mme M. J.", departement="17",
                              doctor_username="dr.paris")  # fmt: skip
        (appt,) = await svc.day(local.date())
        assert appt.uuid == uuid and appt.doctor == "Dr Alice Paris"
        assert "(heure de Paris)" in appt.text_fr
        with pytest.raises(AppointmentsUnavailable) as err:
            await svc.book(starts_local="2026-03-29T02:30", duration_min=15, reason="x",
                           patient_label="y", departement=None, doctor_username="dr.paris")  # fmt: skip
        assert err.value.code in ("appointment_time_gap", "appointment_past")
        await svc.cancel(uuid)
        assert (await svc.day(local.date()))[0].status == "cancelled"
    finally:
        await svc.close()
    offline = AppointmentsService(AppointmentsClient("http://127.0.0.1:9", env.station_token))
    with pytest.raises(AppointmentsUnavailable) as err:
        await offline.day(local.date())
    assert err.value.code == "appointments_offline"
    await offline.close()
