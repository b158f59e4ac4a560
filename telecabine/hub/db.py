"""Hub database: SQLAlchemy Core tables, async engine, Alembic migrations run on start.

The same code runs on SQLite (``sqlite+aiosqlite``, default) and PostgreSQL
(``postgresql+asyncpg``). State that must be shared between hub instances (accounts, sessions,
the waiting room, billing records) lives here, so the hub itself stays stateless.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

doctors = Table(
    "doctors",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(120), nullable=False, unique=True),
    Column("name", String(120), nullable=False),
    Column("rpps", String(11), nullable=False),
    Column("specialty", String(120), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

stations = Table(
    "stations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # The pharmacy / EHPAD the cabin belongs to (fleet_tables.organisations; TLM cap per org).
    Column(
        "organisation_id",
        Integer,
        ForeignKey("organisations.id", ondelete="SET NULL"),
        nullable=True,
    ),
)

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("doctor_id", Integer, ForeignKey("doctors.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

encounters = Table(
    "encounters",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("encounter_id", String(64), nullable=False, unique=True),
    Column("station_id", Integer, ForeignKey("stations.id", ondelete="CASCADE"), nullable=False),
    Column("reason", String(200), nullable=False),
    Column("age_band", String(16), nullable=False),
    Column("flagged_vitals", Text, nullable=False),  # JSON list of strings
    Column("cabin", String(64), nullable=False),
    Column("waiting_since", DateTime(timezone=True), nullable=False),
    # queued -> taken -> ended | cancelled; "dropped" = station socket lost while queued.
    Column("status", String(16), nullable=False),
    Column("doctor_id", Integer, ForeignKey("doctors.id"), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("taken_at", DateTime(timezone=True), nullable=True),  # activity: wait = take - queue
    Column("ended_at", DateTime(timezone=True), nullable=True),  # activity: call duration
)

billing_records = Table(
    "billing_records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("idempotency_key", String(64), nullable=False),
    Column("station_id", Integer, ForeignKey("stations.id"), nullable=False),
    Column("encounter_id", String(64), nullable=False),
    Column("body_sha256", String(64), nullable=False),
    Column("body", Text, nullable=False),  # canonical JSON of the validated record
    Column("received_at", DateTime(timezone=True), nullable=False, index=True),
    # "ok": the hub's waiting room knows this encounter for this station; "unknown": it does
    # not (e.g. a call made while the hub was unreachable) - visible in the export for review.
    Column("encounter_check", String(16), nullable=False, server_default="unknown"),
    UniqueConstraint("idempotency_key", name="uq_billing_records_idempotency_key"),
)

signal_outbox = Table(
    "signal_outbox",
    metadata,
    # Every message one instance fans out to the others (bus.py): the NOTIFY carries its id, a
    # listener that lost its connection catches up from here. Rows live a few minutes.
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("instance", String(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("principal_id", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
)  # fmt: skip

# Shared counters for sign-in back-off and per-station rates (see ``throttle.py``): one row per
# key, updated by one atomic upsert so that every hub instance sharing the database agrees.
throttle = Table(
    "throttle",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("count", Integer, nullable=False),
    Column("delay_s", Float, nullable=False),  # current back-off step (doubles per failure)
    Column("next_at", Float, nullable=False),  # epoch seconds: no attempt before this
    Column("last_at", Float, nullable=False),  # epoch seconds of the last counted attempt
)

# The fleet tables (organisations, presence, rollups) register on the same metadata.
import telecabine.hub.fleet_tables  # noqa: E402, F401

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def create_engine(url: str) -> AsyncEngine:
    """Async engine for a SQLite or PostgreSQL URL (SQLite gets WAL, FKs and a busy timeout)."""
    if url.startswith("sqlite"):
        # hide_parameters: SQL errors must not carry patient data into logs or tracebacks.
        engine = create_async_engine(url, connect_args={"timeout": 30}, hide_parameters=True)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            # FULL, not NORMAL: a hub ack (201/200) must survive a power cut, since the station
            # then forgets the record. The fsync per commit is ~0.4 ms here; batches amortise it.
            cur.execute("PRAGMA synchronous=FULL")
            cur.close()

        return engine
    return create_async_engine(url, pool_pre_ping=True, hide_parameters=True)


def _upgrade(connection: Connection) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "head")


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema to the newest Alembic revision (idempotent)."""
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade)
