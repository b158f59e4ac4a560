"""Tables of the operator's view (issues 15.4 and 20): organisations, presence, heartbeats,
incidents, consultation facts and the pre-aggregated activity rollups.

Kept apart from ``db.py`` so the fleet feature reads as one unit; they share its ``metadata``.
Rollups (``activity_daily``, ``activity_station_monthly``, ``activity_wait_daily``) are
maintained in the same transaction as the billing ingest that creates a fact, so dashboards
never scan the raw ``consultation_facts`` (which stay as the source of truth and the bench
anchor).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from telecabine.hub.db import metadata

organisations = Table(
    "organisations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(120), nullable=False, unique=True),
    # pharmacy | ehpad | health_centre | other
    Column("kind", String(16), nullable=False),
    Column("finess", String(9), nullable=True),  # FINESS number (9 characters)
    Column("am_number", String(9), nullable=True),  # Assurance Maladie number
    Column("created_at", DateTime(timezone=True), nullable=False),
)

station_presence = Table(
    "station_presence",
    metadata,
    Column(
        "station_id",
        Integer,
        ForeignKey("stations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("heartbeat_at", DateTime(timezone=True), nullable=True),
    Column("ws_seen_at", DateTime(timezone=True), nullable=True),
    Column("version", String(32), nullable=True),
    Column("equipment", Text, nullable=True),  # JSON list of {item, ok, code}
    Column("pending_outbox", Integer, nullable=True),
    Column("last_sync_at", DateTime(timezone=True), nullable=True),
    Column("free_disk_bytes", BigInteger, nullable=True),
    Column("clock_skew_s", Integer, nullable=True),
    Column("audit_seq", BigInteger, nullable=True),
    Column("audit_hash", String(64), nullable=True),
    # "truncated" (seq went backwards) / "rewritten" (same seq, other hash), sticky until reset
    Column("audit_flag", String(16), nullable=True),
    Column("audit_flag_at", DateTime(timezone=True), nullable=True),
    Column("history_at", DateTime(timezone=True), nullable=True),  # last history row kept
)

station_heartbeats = Table(
    "station_heartbeats",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("station_id", Integer, ForeignKey("stations.id", ondelete="CASCADE"), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("body", Text, nullable=False),  # the heartbeat as received (no patient data)
    Index("ix_station_heartbeats_station_at", "station_id", "at"),
)

fleet_incidents = Table(
    "fleet_incidents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("station_id", Integer, ForeignKey("stations.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(80), nullable=False),  # offline | equipment:<item> | audit
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True), nullable=True),
    Column("notified_at", DateTime(timezone=True), nullable=True),
    # 1 while open, NULL once closed: the unique key allows one open incident per kind, so two
    # hub instances ticking at once cannot both open (and both e-mail) the same incident.
    Column("open_marker", Integer, nullable=True),
    UniqueConstraint("station_id", "kind", "open_marker", name="uq_fleet_incidents_open"),
)

consultation_facts = Table(
    "consultation_facts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("record_key", String(64), nullable=False, unique=True),
    Column("station_id", Integer, ForeignKey("stations.id", ondelete="CASCADE"), nullable=False),
    Column("day", Date, nullable=False),
    Column("act_code", String(8), nullable=False),
    Column("specialty", String(120), nullable=False),
    Column("tlm_cents", Integer, nullable=False),  # pharmacist's TLM amount, 0 if none
    Column("wait_s", Integer, nullable=True),  # announce -> take
    Column("duration_s", Integer, nullable=True),  # take -> end
    Column("incident", Boolean, nullable=False),
    Index("ix_consultation_facts_day", "day"),
    Index("ix_consultation_facts_station_day", "station_id", "day"),
)

activity_daily = Table(
    "activity_daily",
    metadata,
    Column("day", Date, primary_key=True),
    Column("act_code", String(8), primary_key=True),
    Column("specialty", String(120), primary_key=True),
    Column("acts", Integer, nullable=False),
    Column("incidents", Integer, nullable=False),
    Column("calls_timed", Integer, nullable=False),
    Column("duration_s_sum", BigInteger, nullable=False),
    Column("tlm_cents", BigInteger, nullable=False),
)

activity_station_monthly = Table(
    "activity_station_monthly",
    metadata,
    Column("month", Date, primary_key=True),  # first day of the month
    Column("station_id", Integer, ForeignKey("stations.id", ondelete="CASCADE"), primary_key=True),
    Column("acts", Integer, nullable=False),
    Column("incidents", Integer, nullable=False),
    Column("tlm_cents", BigInteger, nullable=False),
)

activity_wait_daily = Table(
    "activity_wait_daily",
    metadata,
    Column("day", Date, primary_key=True),
    Column("bucket", Integer, primary_key=True),  # upper bound in seconds, see activity.BUCKETS
    Column("n", Integer, nullable=False),
)
