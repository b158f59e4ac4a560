"""Staff account rows. Hashing and lockout policy live in ``telecabine.services.staff``."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from telecabine.store.clock import utc_now
from telecabine.store.errors import IntegrityProblem, not_found
from telecabine.store.tables import STAFF_ROLES, StaffMember

if TYPE_CHECKING:
    from telecabine.store.engine import Store

_EDITABLE = frozenset(
    {
        "display_name",
        "role",
        "rpps",
        "am_number",
        "pin_hash",
        "must_change_pin",
        "failed_attempts",
        "locked_until",
        "active",
    }
)


class StaffRepository:
    """CRUD on staff rows (the PIN is only ever stored as an argon2id hash)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def add(
        self,
        *,
        login: str,
        display_name: str,
        role: str,
        pin_hash: str,
        rpps: str | None = None,
        am_number: str | None = None,
        must_change_pin: bool = False,
        now: datetime | None = None,
    ) -> StaffMember:
        """Insert an account; ``login`` must be unique."""
        if role not in STAFF_ROLES:
            raise ValueError(f"unknown staff role {role!r}")
        ts = utc_now(now)
        row = StaffMember(
            login=login,
            display_name=display_name,
            role=role,
            pin_hash=pin_hash,
            rpps=rpps,
            am_number=am_number,
            must_change_pin=must_change_pin,
            created_at=ts,
            updated_at=ts,
        )
        try:
            with self._store.write() as session:
                session.add(row)
                session.flush()
        except IntegrityError as exc:
            raise IntegrityProblem(
                f"L'identifiant « {login} » est déjà utilisé.", f"Login '{login}' is already taken."
            ) from exc
        return row

    def get(self, staff_id: int) -> StaffMember:
        """The account or ``NotFoundError``."""
        with self._store.read() as session:
            row = session.get(StaffMember, staff_id)
        if row is None:
            raise not_found("staff", staff_id)
        return row

    def by_login(self, login: str) -> StaffMember | None:
        """The account with this login, if any."""
        with self._store.read() as session:
            return session.exec(select(StaffMember).where(StaffMember.login == login)).first()

    def list_active(self) -> list[StaffMember]:
        """Active accounts sorted by display name (the sign-in picker)."""
        with self._store.read() as session:
            stmt = select(StaffMember).where(col(StaffMember.active).is_(True))
            return list(session.exec(stmt.order_by(col(StaffMember.display_name))))

    def count_admins(self) -> int:
        """Number of active admins (0 means first-run setup is needed)."""
        with self._store.read() as session:
            stmt = (
                select(func.count())
                .select_from(StaffMember)
                .where(StaffMember.role == "admin", col(StaffMember.active).is_(True))
            )
            return session.exec(stmt).one()

    def update(self, staff_id: int, now: datetime | None = None, **fields: object) -> StaffMember:
        """Change account fields (used by the staff service: lockout counters, PIN hash...)."""
        unknown = set(fields) - _EDITABLE
        if unknown:
            raise TypeError(f"not staff fields: {sorted(unknown)}")
        if "role" in fields and fields["role"] not in STAFF_ROLES:
            raise ValueError(f"unknown staff role {fields['role']!r}")
        with self._store.write() as session:
            row = session.get(StaffMember, staff_id)
            if row is None:
                raise not_found("staff", staff_id)
            for k, v in fields.items():
                setattr(row, k, v)
            row.updated_at = utc_now(now)
            session.add(row)
        return row
