"""Shared, atomic counters in the hub database: sign-in back-off and per-station rates.

Every hub instance sharing the database sees the same counts (issue 21 item 4), and each check
*is* the count: one ``INSERT ... ON CONFLICT DO UPDATE ... WHERE ... RETURNING`` statement per
key, which SQLite (>= 3.35) and PostgreSQL both run atomically (PostgreSQL locks the row; the
second of two concurrent upserts re-evaluates the ``WHERE`` against the first one's result).

Sign-in: an attempt is counted *before* the password is verified (pessimistically, as a
failure) and only undone after a success, so 40 simultaneous guesses cannot all pass a check
that runs before any of them is recorded. Past a few free attempts, each further one pushes
``next_at`` forward by a delay that doubles (1 s, 2 s, 4 s… capped): attempts before
``next_at`` are refused with 429 and ``Retry-After`` without touching the password hash.
Keys: (user name, address) with few free attempts - the guessing itself -, the address alone
(password spraying across user names) and the user name alone with a much larger allowance (a
distributed guess). A stranger's wrong passwords from one address therefore never lock the
doctor out of her own address (what a hard per-user lock did).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from sqlalchemy import case, delete, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from telecabine.hub.db import throttle

t = throttle.c


@dataclass(frozen=True)
class Rule:
    """Back-off of one key: ``free`` attempts in a row, then waits of base, 2·base… up to
    ``cap`` between attempts (the ``free``-th attempt already starts the first wait)."""

    key: str
    free: int
    base_s: float
    cap_s: float


def _insert(engine: AsyncEngine):
    return (postgresql if engine.dialect.name == "postgresql" else sqlite).insert(throttle)


def _upsert_attempt(engine: AsyncEngine, rule: Rule, now: float, forget_s: float):
    stale = t.last_at < now - forget_s
    first_delay = 0.0 if rule.free > 1 else rule.base_s
    new_delay = case(
        (stale, literal(first_delay)),
        (t.count + 1 < rule.free, literal(0.0)),
        (t.delay_s < rule.base_s, literal(rule.base_s)),
        (t.delay_s * 2 >= rule.cap_s, literal(rule.cap_s)),
        else_=t.delay_s * 2,
    )
    stmt = _insert(engine).values(
        key=rule.key, count=1, delay_s=first_delay, next_at=now + first_delay, last_at=now
    )
    return stmt.on_conflict_do_update(
        index_elements=[t.key],
        set_={
            "count": case((stale, literal(1)), else_=t.count + 1),
            "delay_s": new_delay,
            "next_at": literal(now) + new_delay,
            "last_at": now,
        },
        # delay_s = 0: no wait in force (next_at may be a concurrent request's later "now").
        where=(t.delay_s == 0) | (t.next_at <= now),
    ).returning(t.count)


async def attempt(
    engine: AsyncEngine, rules: list[Rule], *, forget_s: float, now: float | None = None
) -> float:
    """Count one attempt on every key atomically; 0 if allowed, else seconds to wait.

    All keys or none: when one key is in its back-off delay the transaction is rolled back,
    so a refused attempt does not lengthen the others' delays.
    """
    now = time.time() if now is None else now
    rules = sorted(rules, key=lambda r: r.key)  # one lock order: no deadlock between instances
    async with engine.connect() as conn:
        tx = await conn.begin()
        blocked = False
        for rule in rules:
            row = (await conn.execute(_upsert_attempt(engine, rule, now, forget_s))).first()
            if row is None:
                blocked = True
                break
        if not blocked:
            await tx.commit()
            return 0.0
        await tx.rollback()
        until = (
            await conn.execute(
                select(t.next_at).where(t.key.in_([r.key for r in rules]), t.delay_s > 0)
            )
        ).all()
    wait = max((row.next_at for row in until), default=now) - now
    return max(wait, 0.5)


async def succeeded(
    engine: AsyncEngine, reset_keys: list[str], undo_keys: list[str], *, forget_s: float
) -> None:
    """After a good password: forget ``reset_keys``, un-count this attempt on ``undo_keys``."""
    now = time.time()
    async with engine.begin() as conn:
        await conn.execute(delete(throttle).where(t.key.in_(reset_keys)))
        await conn.execute(
            update(throttle).where(t.key.in_(undo_keys), t.count > 0).values(count=t.count - 1)
        )
        # Housekeeping where it costs nothing noticeable: rows nobody has touched for long.
        await conn.execute(delete(throttle).where(t.last_at < now - forget_s, t.next_at < now))


async def within_rate(
    engine: AsyncEngine, key: str, limit: int, window_s: float, now: float | None = None
) -> bool:
    """Fixed-window counter shared by every instance: False once ``limit`` is spent."""
    now = time.time() if now is None else now
    slot = int(now // window_s)
    full_key = f"{key}@{slot}"
    end = (slot + 1) * window_s
    stmt = (
        _insert(engine)
        .values(key=full_key, count=1, delay_s=0.0, next_at=end, last_at=now)
        .on_conflict_do_update(index_elements=[t.key], set_={"count": t.count + 1, "last_at": now})
        .returning(t.count)
    )
    async with engine.begin() as conn:
        count = (await conn.execute(stmt)).scalar_one()
        if random.random() < 0.02:
            await conn.execute(
                delete(throttle).where(t.key.like(f"{key}@%"), t.next_at < now - window_s)
            )
    return count <= limit
