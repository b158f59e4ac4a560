"""Who is signed in at the station and whether the screen is locked (issue 9 item 2).

A plain model with a fake-clock-friendly API: the UI calls ``touch(now)`` on user input and
``tick(now)`` from a timer; after ``Settings.idle_lock_seconds`` without input the session locks
and listeners are told to hide every patient datum. Unlocking needs the signed-in person's PIN
(or a full sign-in by someone else, which replaces the session). No Qt here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from telecabine.services.staff import StaffAccount, StaffService
from telecabine.store.clock import utc_now


@dataclass(frozen=True)
class SessionState:
    """The current account (None when nobody is signed in) and the lock flag."""

    account: StaffAccount | None
    locked: bool

    @property
    def shows_patient_data(self) -> bool:
        """True only when someone is signed in and the screen is unlocked."""
        return self.account is not None and not self.locked


Listener = Callable[[SessionState], None]


class StaffSession:
    """Sign-in state machine: signed out → signed in ⇄ locked → signed out; every step audited."""

    def __init__(self, staff: StaffService, idle_timeout: timedelta) -> None:
        self._staff = staff
        self._idle = idle_timeout
        self._account: StaffAccount | None = None
        self._locked = False
        self._last_activity: datetime | None = None
        self._listeners: list[Listener] = []

    @property
    def state(self) -> SessionState:
        """Snapshot of who is signed in and whether the screen is locked."""
        return SessionState(self._account, self._locked)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` on every change; returns an unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def sign_in(self, login: str, pin: str, now: datetime | None = None) -> StaffAccount:
        """Full sign-in (raises the staff service's errors); replaces any previous session."""
        ts = utc_now(now)
        account = self._staff.sign_in(login, pin, now=ts)
        if self._account is not None and self._account.id != account.id:
            self._staff.sign_out(self._account.id, now=ts)
        self._account, self._locked, self._last_activity = account, False, ts
        self._emit()
        return account

    def unlock(self, pin: str, now: datetime | None = None) -> StaffAccount:
        """Unlock with the signed-in person's PIN."""
        if self._account is None:
            raise RuntimeError("nobody is signed in")
        return self.sign_in(self._account.login, pin, now=now)

    def touch(self, now: datetime | None = None) -> None:
        """User activity (a key, a tap): pushes the idle deadline back."""
        if self._account is not None and not self._locked:
            self._last_activity = utc_now(now)

    def tick(self, now: datetime | None = None) -> bool:
        """Lock if idle for longer than the timeout; True when this call locked."""
        ts = utc_now(now)
        if self._account is None or self._locked or self._last_activity is None:
            return False
        if ts - self._last_activity < self._idle:
            return False
        self.lock("idle", now=ts)
        return True

    def lock(self, reason: str = "manual", now: datetime | None = None) -> None:
        """Hide patient data until the PIN is typed again (``reason``: manual, idle...)."""
        if self._account is None or self._locked:
            return
        self._locked = True
        self._staff.record_lock(self._account.id, reason, now=now)
        self._emit()

    def sign_out(self, now: datetime | None = None) -> None:
        """End the session (audited)."""
        if self._account is None:
            return
        self._staff.sign_out(self._account.id, now=now)
        self._account, self._locked, self._last_activity = None, False, None
        self._emit()

    def _emit(self) -> None:
        state = self.state
        for listener in list(self._listeners):
            listener(state)
