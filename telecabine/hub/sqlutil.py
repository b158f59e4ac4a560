"""Small SQL helpers shared by the fleet modules (one upsert for SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes (stored in UTC): make them aware."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _insert_for(conn: AsyncConnection):
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


async def upsert(
    conn: AsyncConnection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
    *,
    set_: Sequence[str] = (),
    add: Sequence[str] = (),
) -> None:
    """INSERT ... ON CONFLICT (keys) DO UPDATE: ``set_`` columns take the new value, ``add``
    columns are incremented by it (rollup counters)."""
    if not rows:
        return
    stmt = _insert_for(conn)(table)
    changes: dict[str, Any] = {c: stmt.excluded[c] for c in set_}
    changes.update({c: table.c[c] + stmt.excluded[c] for c in add})
    if changes:
        stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_=changes)
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
    await conn.execute(stmt, list(rows))
