"""Idle auto-lock and unlock with a fake clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher

from telecabine.config import load_settings
from telecabine.services.staff import BadCredentials, StaffService
from telecabine.services.staff_session import StaffSession


@pytest.fixture
def session(station_store, t0):
    staff = StaffService(
        station_store, PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
    admin = staff.create_first_admin("claire", "Claire", "482913", now=t0)
    staff.create_account(admin.id, "ines", "Inès", "nurse", "739201", now=t0)
    idle = timedelta(seconds=load_settings().idle_lock_seconds)
    return StaffSession(staff, idle)


def test_idle_lock_hides_patient_data_until_pin(session, station_store, t0) -> None:
    seen = []
    session.subscribe(seen.append)
    assert not session.state.shows_patient_data
    session.sign_in("claire", "482913", now=t0)
    assert session.state.shows_patient_data
    session.touch(now=t0 + timedelta(seconds=100))
    assert not session.tick(now=t0 + timedelta(seconds=200))  # 100 s idle < 120 s
    assert session.tick(now=t0 + timedelta(seconds=221))
    assert session.state.locked and not session.state.shows_patient_data
    assert not session.tick(now=t0 + timedelta(seconds=500))  # already locked
    with pytest.raises(BadCredentials):
        session.unlock("000000", now=t0 + timedelta(seconds=230))
    assert session.state.locked
    session.unlock("482913", now=t0 + timedelta(seconds=240))
    assert session.state.shows_patient_data
    assert [s.shows_patient_data for s in seen] == [True, False, True]
    actions = [e.action for e in station_store.audit.entries()]
    assert actions[-4:] == ["sign_in", "lock", "sign_in_failed", "sign_in"]


def test_someone_else_signing_in_replaces_the_session(session, station_store, t0) -> None:
    session.sign_in("claire", "482913", now=t0)
    session.lock(now=t0)
    session.sign_in("ines", "739201", now=t0)
    assert session.state.account.login == "ines" and not session.state.locked
    session.sign_out(now=t0)
    assert session.state.account is None
    actions = [e.action for e in station_store.audit.entries()]
    assert actions[-4:] == ["lock", "sign_in", "sign_out", "sign_out"]
