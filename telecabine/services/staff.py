"""Staff accounts and sign-in (issue 9 item 2): argon2id PINs, lockout with growing delay.

No Qt here; the sign-in and lock screens (ui/) call this service. Hashing costs ~0.2 s on the
2-core CI machine (argon2-cffi defaults, RFC 9106 low-memory profile), so the UI should call
``sign_in`` through ``asyncio.to_thread``. A PIN can never be read back: only its hash is
stored, and nothing returns the hash (``StaffAccount`` has no such field).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from telecabine.store.clock import utc_now
from telecabine.store.engine import Store
from telecabine.store.errors import StoreError
from telecabine.store.tables import STAFF_ROLES, StaffMember

MAX_FREE_FAILURES = 5
FIRST_LOCK = timedelta(seconds=30)
MAX_LOCK = timedelta(hours=1)
_DIGITS = re.compile(r"^\d+$")


class StaffError(StoreError):
    """A sign-in or account operation refused, with a message fit for the screen."""

    key = "staff.error"


class BadCredentials(StaffError):
    """Unknown login or wrong PIN (deliberately indistinguishable)."""

    key = "staff.bad_credentials"


class AccountLocked(StaffError):
    """Too many failures: no attempt is checked before ``until``."""

    key = "staff.locked"

    def __init__(self, until: datetime) -> None:
        super().__init__(
            f"Trop d'essais. Compte verrouillé jusqu'à {until:%H:%M:%S} (UTC).",
            f"Too many attempts. Account locked until {until:%H:%M:%S} (UTC).",
        )
        self.until = until


class NotAllowed(StaffError):
    """The acting account may not do this (e.g. not an admin)."""

    key = "staff.not_allowed"


class WeakPin(StaffError):
    """The new PIN or password does not meet the rules."""

    key = "staff.weak_pin"


@dataclass(frozen=True)
class StaffAccount:
    """What screens may know about an account (never the PIN hash)."""

    id: int
    login: str
    display_name: str
    role: str
    rpps: str | None
    am_number: str | None
    must_change_pin: bool
    active: bool

    @classmethod
    def of(cls, row: StaffMember) -> StaffAccount:
        """Copy the public fields of a row."""
        assert row.id is not None
        return cls(
            row.id,
            row.login,
            row.display_name,
            row.role,
            row.rpps,
            row.am_number,
            row.must_change_pin,
            row.active,
        )


def lock_duration(failed_attempts: int) -> timedelta | None:
    """Lock after the 5th failure: 30 s, then doubling each further failure, capped at 1 h."""
    if failed_attempts < MAX_FREE_FAILURES:
        return None
    return min(FIRST_LOCK * (2 ** (failed_attempts - MAX_FREE_FAILURES)), MAX_LOCK)


def normalise_professional_numbers(
    rpps: str | None, am_number: str | None
) -> tuple[str | None, str | None]:
    """RPPS: 11 digits. Assurance Maladie number: 8 or 9 digits (length to confirm per
    profession). Spaces are dropped; empty means none. Raises ``StaffError`` otherwise."""
    rpps = re.sub(r"\s+", "", rpps or "") or None
    am_number = re.sub(r"\s+", "", am_number or "") or None
    if rpps is not None and not (len(rpps) == 11 and rpps.isdigit()):
        raise StaffError("Le numéro RPPS compte 11 chiffres.", "The RPPS number has 11 digits.")
    if am_number is not None and not (len(am_number) in (8, 9) and am_number.isdigit()):
        raise StaffError(
            "Le numéro Assurance Maladie compte 8 ou 9 chiffres.",
            "The Assurance Maladie number has 8 or 9 digits.",
        )
    return rpps, am_number


def check_pin_strength(pin: str) -> None:
    """A PIN is 6-12 digits, not one repeated digit nor a straight run; a password is 8+ chars."""
    if _DIGITS.match(pin):
        runs = "0123456789012345678909876543210"
        if not 6 <= len(pin) <= 12:
            raise WeakPin("Le code doit compter 6 à 12 chiffres.", "The PIN needs 6 to 12 digits.")
        if len(set(pin)) == 1 or pin in runs:
            raise WeakPin("Code trop simple.", "PIN too easy to guess.")
        return
    if len(pin) < 8:
        raise WeakPin(
            "Le mot de passe doit compter au moins 8 caractères.",
            "The password needs at least 8 characters.",
        )


class StaffService:
    """First-run admin, accounts, sign-in with lockout, PIN reset; every step audited."""

    def __init__(self, store: Store, hasher: PasswordHasher | None = None) -> None:
        self._store = store
        self._hasher = hasher or PasswordHasher()  # argon2id by default
        self._dummy: str | None = None
        self._dummy_lock = threading.Lock()

    @property
    def _dummy_hash(self) -> str:
        """Verified against for unknown logins so timing does not reveal which logins exist.

        Computed on first use, not in ``__init__``: one argon2id hash is ~0.2-0.9 s, and the
        service is built on the way to the station's first page. The app calls
        :meth:`warm_up` in a thread once the page is shown.
        """
        with self._dummy_lock:
            if self._dummy is None:
                self._dummy = self._hasher.hash("not-a-real-pin-0")
            return self._dummy

    def warm_up(self) -> None:
        """Compute the dummy hash now (off the UI thread), so the first unknown login is not
        faster or slower than a known one."""
        _ = self._dummy_hash

    # --- accounts ----------------------------------------------------------------------------
    def needs_first_run(self) -> bool:
        """True until an admin exists: the UI then shows the first-run setup."""
        return self._store.staff.count_admins() == 0

    def create_first_admin(
        self,
        login: str,
        display_name: str,
        pin: str,
        *,
        rpps: str | None = None,
        am_number: str | None = None,
        now: datetime | None = None,
    ) -> StaffAccount:
        """Create the first admin; refused once any admin exists."""
        if not self.needs_first_run():
            raise NotAllowed("Un administrateur existe déjà.", "An administrator already exists.")
        return self._create("system", login, display_name, "admin", pin, rpps, am_number, now)

    def create_account(
        self,
        admin_id: int,
        login: str,
        display_name: str,
        role: str,
        pin: str,
        *,
        rpps: str | None = None,
        am_number: str | None = None,
        now: datetime | None = None,
    ) -> StaffAccount:
        """An admin creates an account (role in pharmacist/nurse/care_assistant/admin)."""
        self._require_admin(admin_id)
        if role not in STAFF_ROLES:
            raise ValueError(f"unknown staff role {role!r}")
        return self._create(
            f"staff:{admin_id}", login, display_name, role, pin, rpps, am_number, now
        )

    def accounts(self) -> list[StaffAccount]:
        """Active accounts for the sign-in picker."""
        return [StaffAccount.of(r) for r in self._store.staff.list_active()]

    def set_active(
        self, admin_id: int, staff_id: int, active: bool, now: datetime | None = None
    ) -> None:
        """An admin disables or re-enables an account (never the last active admin)."""
        self._require_admin(admin_id)
        target = self._store.staff.get(staff_id)
        if not active and target.role == "admin" and self._store.staff.count_admins() <= 1:
            raise NotAllowed(
                "Impossible de désactiver le dernier administrateur.",
                "The last administrator cannot be disabled.",
            )
        self._store.staff.update(staff_id, now=now, active=active)
        self._store.audit.record(
            f"staff:{admin_id}",
            "staff_updated",
            "staff",
            str(staff_id),
            {"active": active},
            now=now,
        )

    def reset_pin(
        self, admin_id: int, staff_id: int, new_pin: str, now: datetime | None = None
    ) -> None:
        """An admin sets a temporary PIN for someone else (to be changed at next sign-in)."""
        self._require_admin(admin_id)
        if admin_id == staff_id:
            raise NotAllowed(
                "Changez votre propre code avec l'ancien.", "Change your own PIN with the old one."
            )
        check_pin_strength(new_pin)
        self._store.staff.update(
            staff_id,
            now=now,
            pin_hash=self._hasher.hash(new_pin),
            must_change_pin=True,
            failed_attempts=0,
            locked_until=None,
        )
        self._store.audit.record(f"staff:{admin_id}", "pin_reset", "staff", str(staff_id), now=now)

    def change_pin(
        self, staff_id: int, old_pin: str, new_pin: str, now: datetime | None = None
    ) -> None:
        """The account holder changes their own PIN (old one required)."""
        row = self._store.staff.get(staff_id)
        self._verify_or_count(row, old_pin, utc_now(now))
        check_pin_strength(new_pin)
        self._store.staff.update(
            staff_id, now=now, pin_hash=self._hasher.hash(new_pin), must_change_pin=False
        )
        self._store.audit.record(
            f"staff:{staff_id}", "pin_changed", "staff", str(staff_id), now=now
        )

    # --- sign-in -------------------------------------------------------------------------------
    def sign_in(self, login: str, pin: str, now: datetime | None = None) -> StaffAccount:
        """Check the PIN; raises ``BadCredentials`` or ``AccountLocked``; audited either way."""
        ts = utc_now(now)
        row = self._store.staff.by_login(login.strip().lower())
        if row is None or not row.active:
            self._safe_verify(self._dummy_hash, pin)
            self._store.audit.record("unknown", "sign_in_failed", details={"reason": "bad"}, now=ts)
            raise self._bad()
        self._verify_or_count(row, pin, ts)
        if row.failed_attempts or row.locked_until:
            row = self._store.staff.update(row.id, now=ts, failed_attempts=0, locked_until=None)
        if self._hasher.check_needs_rehash(row.pin_hash):
            row = self._store.staff.update(row.id, now=ts, pin_hash=self._hasher.hash(pin))
        self._store.audit.record(f"staff:{row.id}", "sign_in", "staff", str(row.id), now=ts)
        return StaffAccount.of(row)

    def sign_out(self, staff_id: int, now: datetime | None = None) -> None:
        """Record a sign-out."""
        self._store.audit.record(f"staff:{staff_id}", "sign_out", "staff", str(staff_id), now=now)

    def record_lock(self, staff_id: int | None, reason: str, now: datetime | None = None) -> None:
        """Record that the screen locked (``reason``: idle, manual, next_patient...)."""
        actor = f"staff:{staff_id}" if staff_id is not None else "system"
        self._store.audit.record(actor, "lock", details={"reason": reason}, now=now)

    # --- internals ------------------------------------------------------------------------------
    def _create(
        self,
        actor: str,
        login: str,
        display_name: str,
        role: str,
        pin: str,
        rpps: str | None,
        am_number: str | None,
        now: datetime | None,
    ) -> StaffAccount:
        login = login.strip().lower()
        if not login or not display_name.strip():
            raise StaffError("Identifiant et nom obligatoires.", "Login and name are required.")
        check_pin_strength(pin)
        rpps, am_number = normalise_professional_numbers(rpps, am_number)
        row = self._store.staff.add(
            login=login,
            display_name=display_name.strip(),
            role=role,
            pin_hash=self._hasher.hash(pin),
            rpps=rpps,
            am_number=am_number,
            now=now,
        )
        self._store.audit.record(
            actor, "staff_created", "staff", str(row.id), {"role": role}, now=now
        )
        return StaffAccount.of(row)

    def _require_admin(self, admin_id: int) -> None:
        row = self._store.staff.get(admin_id)
        if row.role != "admin" or not row.active:
            raise NotAllowed("Réservé à un administrateur.", "Only an administrator can do this.")

    def _verify_or_count(self, row: StaffMember, pin: str, ts: datetime) -> None:
        assert row.id is not None
        if row.locked_until is not None and ts < row.locked_until:
            raise AccountLocked(row.locked_until)
        if self._safe_verify(row.pin_hash, pin):
            return
        failures = row.failed_attempts + 1
        delay = lock_duration(failures)
        until = ts + delay if delay else None
        self._store.staff.update(row.id, now=ts, failed_attempts=failures, locked_until=until)
        self._store.audit.record(
            f"staff:{row.id}",
            "sign_in_failed",
            "staff",
            str(row.id),
            {"failures": failures, "locked": until is not None},
            now=ts,
        )
        if until is not None:
            raise AccountLocked(until)
        raise self._bad()

    def _safe_verify(self, pin_hash: str, pin: str) -> bool:
        try:
            return self._hasher.verify(pin_hash, pin)
        except (VerificationError, InvalidHashError):
            return False

    @staticmethod
    def _bad() -> BadCredentials:
        return BadCredentials("Identifiant ou code incorrect.", "Wrong login or PIN.")
