"""Waiting room in the database: announce, list, atomic take, cancel, end.

"Take" is one conditional UPDATE (``... WHERE status = 'queued'``): whichever doctor's
statement commits first changes one row, the other changes none and is told ``already_taken``.
That holds across hub processes sharing PostgreSQL, not only inside one event loop.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from telecabine.hub.db import doctors, encounters
from telecabine.protocol.signaling import Announce, QueueEntry

QUEUED, TAKEN, ENDED, CANCELLED, DROPPED = "queued", "taken", "ended", "cancelled", "dropped"
_OPEN = (QUEUED, TAKEN)


class RoomError(Exception):
    """A waiting-room request that cannot be honoured; ``code`` goes into the error reply."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class EncounterRef:
    """Who is in an encounter's room."""

    encounter_id: str
    station_id: int
    doctor_id: int | None
    status: str
    # What the waiting room showed (no identity): set by ``taken`` for the console's reminder.
    cabin: str | None = None
    age_band: str | None = None
    reason: str | None = None


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def get(engine: AsyncEngine, encounter_id: str) -> EncounterRef | None:
    """The encounter's participants and status, or None."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(encounters.c.station_id, encounters.c.doctor_id, encounters.c.status).where(
                    encounters.c.encounter_id == encounter_id
                )
            )
        ).first()
    return EncounterRef(encounter_id, row.station_id, row.doctor_id, row.status) if row else None


async def announce(engine: AsyncEngine, station_id: int, msg: Announce, now: datetime) -> str:
    """Queue an encounter (or re-queue it after a dropped connection); returns its status.

    Returns ``"queued"`` or ``"taken"`` (a reconnecting station whose doctor already joined).
    """
    values = {
        "reason": msg.reason,
        "age_band": msg.age_band,
        "flagged_vitals": json.dumps(list(msg.flagged_vitals)),
        "cabin": msg.cabin,
        "updated_at": now,
    }
    try:
        async with engine.begin() as conn:
            await conn.execute(
                insert(encounters).values(
                    encounter_id=msg.encounter_id,
                    station_id=station_id,
                    waiting_since=now,
                    status=QUEUED,
                    **values,
                )
            )
        return QUEUED
    except IntegrityError:
        pass
    ref = await get(engine, msg.encounter_id)
    if ref is None or ref.station_id != station_id:
        raise RoomError("conflict", "Identifiant de consultation déjà utilisé / id already used")
    if ref.status in (QUEUED, TAKEN):
        return ref.status
    if ref.status == DROPPED:  # keeps its original waiting_since: the patient did not move
        async with engine.begin() as conn:
            await conn.execute(
                update(encounters)
                .where(encounters.c.encounter_id == msg.encounter_id)
                .values(status=QUEUED, **values)
            )
        return QUEUED
    raise RoomError("closed", "Consultation terminée ou annulée / encounter closed")


# The ``queue`` message must stay under the protocol's 64 KiB: a (very) long waiting room shows
# its longest waits that fit, and the next ones move up as patients are taken.
QUEUE_MAX_ENTRIES = 500
QUEUE_MAX_BYTES = 60_000


async def queue(engine: AsyncEngine, now: datetime) -> list[QueueEntry]:
    """Queued encounters, longest wait first, with only what the doctor needs to choose."""
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(encounters)
                .where(encounters.c.status == QUEUED)
                .order_by(encounters.c.waiting_since, encounters.c.id)
                .limit(QUEUE_MAX_ENTRIES)
            )
        ).all()
    entries, size = [], 0
    for r in rows:
        entry = QueueEntry(
            encounter_id=r.encounter_id,
            reason=r.reason,
            age_band=r.age_band,
            flagged_vitals=json.loads(r.flagged_vitals),
            cabin=r.cabin,
            waiting_since=_aware(r.waiting_since),
            waited_s=max(0, int((now - _aware(r.waiting_since)).total_seconds())),
        )
        size += len(entry.model_dump_json().encode("utf-8")) + 1
        if size > QUEUE_MAX_BYTES:
            break
        entries.append(entry)
    return entries


async def positions(engine: AsyncEngine) -> dict[str, tuple[int, int]]:
    """encounter_id -> (station_id, 1-based position) for every queued encounter."""
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(encounters.c.encounter_id, encounters.c.station_id)
                .where(encounters.c.status == QUEUED)
                .order_by(encounters.c.waiting_since, encounters.c.id)
            )
        ).all()
    return {r.encounter_id: (r.station_id, i) for i, r in enumerate(rows, start=1)}


async def take(engine: AsyncEngine, encounter_id: str, doctor_id: int, now: datetime) -> int:
    """Assign a queued encounter to a doctor atomically; returns its station id."""
    async with engine.begin() as conn:
        result = await conn.execute(
            update(encounters)
            .where(encounters.c.encounter_id == encounter_id, encounters.c.status == QUEUED)
            .values(status=TAKEN, doctor_id=doctor_id, updated_at=now, taken_at=now)
        )
    if result.rowcount == 1:
        ref = await get(engine, encounter_id)
        assert ref is not None
        return ref.station_id
    ref = await get(engine, encounter_id)
    if ref is not None and ref.status == TAKEN:
        raise RoomError(
            "already_taken", "Patient déjà pris par un autre médecin / already taken by a doctor"
        )
    raise RoomError("not_found", "Patient plus en attente / no longer waiting")


async def close(engine: AsyncEngine, encounter_id: str, status: str, now: datetime) -> bool:
    """Move an open encounter to ``ended``/``cancelled``/``dropped``; False if already closed."""
    async with engine.begin() as conn:
        result = await conn.execute(
            update(encounters)
            .where(encounters.c.encounter_id == encounter_id, encounters.c.status.in_(_OPEN))
            .values(status=status, updated_at=now, ended_at=now)
        )
    return result.rowcount == 1


async def drop_station(engine: AsyncEngine, station_id: int, now: datetime) -> list[str]:
    """A station's socket closed: its queued encounters leave the queue until it re-announces."""
    async with engine.begin() as conn:
        rows = (
            await conn.execute(
                select(encounters.c.encounter_id).where(
                    encounters.c.station_id == station_id, encounters.c.status == QUEUED
                )
            )
        ).all()
        await conn.execute(
            update(encounters)
            .where(encounters.c.station_id == station_id, encounters.c.status == QUEUED)
            .values(status=DROPPED, updated_at=now)
        )
    return [r.encounter_id for r in rows]


async def doctor_public(engine: AsyncEngine, doctor_id: int) -> tuple[str, str]:
    """(name, specialty) of a doctor, for ``doctor_joined``."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(doctors.c.name, doctors.c.specialty).where(doctors.c.id == doctor_id)
            )
        ).one()
    return row.name, row.specialty


async def taken(
    engine: AsyncEngine, *, station_id: int | None = None, doctor_id: int | None = None
):
    """Encounters in a call (status ``taken``) for a station or a doctor."""
    query = select(
        encounters.c.encounter_id, encounters.c.station_id, encounters.c.doctor_id,
        encounters.c.cabin, encounters.c.age_band, encounters.c.reason,
    )  # fmt: skip
    query = query.where(encounters.c.status == TAKEN)
    if station_id is not None:
        query = query.where(encounters.c.station_id == station_id)
    if doctor_id is not None:
        query = query.where(encounters.c.doctor_id == doctor_id)
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [
        EncounterRef(
            r.encounter_id, r.station_id, r.doctor_id, TAKEN, r.cabin, r.age_band, r.reason
        )
        for r in rows
    ]


async def drop_all_queued(engine: AsyncEngine, now: datetime) -> int:
    """At start-up: no station socket is connected yet, so every queued entry is stale."""
    async with engine.begin() as conn:
        result = await conn.execute(
            update(encounters)
            .where(encounters.c.status == QUEUED)
            .values(status=DROPPED, updated_at=now)
        )
    return result.rowcount
