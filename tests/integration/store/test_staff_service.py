"""Staff sign-in service: first-run admin, argon2id, lockout with growing delay, PIN reset."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlmodel import select

from telecabine.services.staff import (
    AccountLocked,
    BadCredentials,
    NotAllowed,
    StaffAccount,
    StaffService,
    WeakPin,
)
from telecabine.store.tables import StaffMember


@pytest.fixture
def service(station_store):
    # Cheap argon2id parameters keep the test fast; production uses the library defaults.
    return StaffService(station_store, PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def admin(service, t0) -> StaffAccount:
    return service.create_first_admin("Admin", "Alice Admin", "482913", rpps="10001234567", now=t0)


def test_first_run_then_no_second_first_admin(service, t0) -> None:
    assert service.needs_first_run()
    a = service.create_first_admin("admin", "Alice", "482913", now=t0)
    assert a.role == "admin" and a.login == "admin"
    assert not service.needs_first_run()
    with pytest.raises(NotAllowed):
        service.create_first_admin("admin2", "Bob", "482913", now=t0)


def test_pin_is_stored_as_argon2id_hash_only(service, admin, station_store) -> None:
    with station_store.read() as s:
        row = s.exec(select(StaffMember)).one()
    assert row.pin_hash.startswith("$argon2id$") and "482913" not in row.pin_hash
    assert not hasattr(admin, "pin_hash")


def test_sign_in_success_and_wrong_pin(service, admin, t0) -> None:
    assert service.sign_in("admin", "482913", now=t0).id == admin.id
    with pytest.raises(BadCredentials):
        service.sign_in("admin", "000001", now=t0)
    with pytest.raises(BadCredentials):
        service.sign_in("nobody", "482913", now=t0)


def test_lockout_after_five_failures_with_growing_delay(service, admin, t0) -> None:
    for i in range(4):
        with pytest.raises(BadCredentials):
            service.sign_in("admin", "999999", now=t0 + timedelta(seconds=i))
    with pytest.raises(AccountLocked) as locked:
        service.sign_in("admin", "999999", now=t0 + timedelta(seconds=5))
    first_until = locked.value.until
    assert first_until == t0 + timedelta(seconds=35)
    # While locked even the right PIN is refused (not even checked).
    with pytest.raises(AccountLocked):
        service.sign_in("admin", "482913", now=t0 + timedelta(seconds=20))
    with pytest.raises(AccountLocked) as locked2:
        service.sign_in("admin", "999999", now=first_until + timedelta(seconds=1))
    assert locked2.value.until - (first_until + timedelta(seconds=1)) == timedelta(seconds=60)
    ok_at = locked2.value.until + timedelta(seconds=1)
    assert service.sign_in("admin", "482913", now=ok_at).id == admin.id
    with pytest.raises(BadCredentials):  # counter reset by the success
        service.sign_in("admin", "999999", now=ok_at)


def test_admin_resets_pin_and_others_cannot(service, admin, t0) -> None:
    nurse = service.create_account(
        admin.id, "ines", "Inès Infirmière", "nurse", "739201", rpps="10009876543", now=t0
    )
    with pytest.raises(NotAllowed):
        service.reset_pin(nurse.id, admin.id, "111222", now=t0)
    service.reset_pin(admin.id, nurse.id, "605148", now=t0)
    with pytest.raises(BadCredentials):
        service.sign_in("ines", "739201", now=t0)
    signed = service.sign_in("ines", "605148", now=t0)
    assert signed.must_change_pin
    service.change_pin(nurse.id, "605148", "918273", now=t0)
    assert not service.sign_in("ines", "918273", now=t0).must_change_pin


def test_weak_pins_refused(service, admin, t0) -> None:
    for pin in ("1234", "111111", "123456", "abc"):
        with pytest.raises(WeakPin):
            service.create_account(admin.id, f"u{pin}", "U", "nurse", pin, now=t0)
    service.create_account(admin.id, "pw", "P", "pharmacist", "correct horse", now=t0)


def test_every_step_is_audited_without_pins(service, admin, station_store, t0) -> None:
    service.sign_in("admin", "482913", now=t0)
    with pytest.raises(BadCredentials):
        service.sign_in("admin", "999999", now=t0)
    service.record_lock(admin.id, "idle", now=t0)
    service.sign_out(admin.id, now=t0)
    entries = station_store.audit.entries()
    actions = [e.action for e in entries]
    assert actions == ["staff_created", "sign_in", "sign_in_failed", "lock", "sign_out"]
    assert not any("482913" in e.details_json or "999999" in e.details_json for e in entries)
    assert station_store.audit.verify_chain() is None


def test_disable_account_and_never_the_last_admin(service, admin, t0) -> None:
    nurse = service.create_account(admin.id, "ines", "Inès", "nurse", "739201", now=t0)
    service.set_active(admin.id, nurse.id, False, now=t0)
    with pytest.raises(BadCredentials):
        service.sign_in("ines", "739201", now=t0)
    assert [a.login for a in service.accounts()] == ["admin"]
    with pytest.raises(NotAllowed):
        service.set_active(admin.id, admin.id, False, now=t0)
    service.set_active(admin.id, nurse.id, True, now=t0)
    assert service.sign_in("ines", "739201", now=t0).id == nurse.id


def test_professional_numbers_checked(service, admin, t0) -> None:
    from telecabine.services.staff import StaffError

    a = service.create_account(
        admin.id, "p1", "Pharma", "pharmacist", "739201", rpps="100 0000 0002", am_number="12345678",
        now=t0,
    )  # fmt: skip
    assert (a.rpps, a.am_number) == ("10000000002", "12345678")
    for bad in ({"rpps": "12345"}, {"rpps": "1000000000A"}, {"am_number": "12-34"}):
        with pytest.raises(StaffError):
            service.create_account(admin.id, "p2", "X", "nurse", "739201", now=t0, **bad)
