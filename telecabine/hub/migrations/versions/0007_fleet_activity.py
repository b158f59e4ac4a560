"""Fleet and activity (issues 15.4, 20): organisations, station presence and heartbeats,
incidents, consultation facts and daily/monthly rollups; encounters get take/end times.

Revision ID: 0007_fleet_activity
Revises: 0004_appointments
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_fleet_activity"
down_revision = "0004_appointments"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the fleet tables, link stations to organisations, time the encounters."""
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("finess", sa.String(9), nullable=True),
        sa.Column("am_number", sa.String(9), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_organisations"),
        sa.UniqueConstraint("name", name="uq_organisations_name"),
    )
    with op.batch_alter_table("stations") as batch:
        batch.add_column(sa.Column("organisation_id", sa.Integer, nullable=True))
        batch.create_foreign_key(
            "fk_stations_organisation_id_organisations",
            "organisations",
            ["organisation_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("encounters") as batch:
        batch.add_column(sa.Column("taken_at", TZ, nullable=True))
        batch.add_column(sa.Column("ended_at", TZ, nullable=True))
    op.create_table(
        "station_presence",
        sa.Column("station_id", sa.Integer, nullable=False),
        sa.Column("heartbeat_at", TZ, nullable=True),
        sa.Column("ws_seen_at", TZ, nullable=True),
        sa.Column("version", sa.String(32), nullable=True),
        sa.Column("equipment", sa.Text, nullable=True),
        sa.Column("pending_outbox", sa.Integer, nullable=True),
        sa.Column("last_sync_at", TZ, nullable=True),
        sa.Column("free_disk_bytes", sa.BigInteger, nullable=True),
        sa.Column("clock_skew_s", sa.Integer, nullable=True),
        sa.Column("audit_seq", sa.BigInteger, nullable=True),
        sa.Column("audit_hash", sa.String(64), nullable=True),
        sa.Column("audit_flag", sa.String(16), nullable=True),
        sa.Column("audit_flag_at", TZ, nullable=True),
        sa.Column("history_at", TZ, nullable=True),
        sa.PrimaryKeyConstraint("station_id", name="pk_station_presence"),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["stations.id"],
            ondelete="CASCADE",
            name="fk_station_presence_station_id_stations",
        ),
    )
    op.create_table(
        "station_heartbeats",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("station_id", sa.Integer, nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_station_heartbeats"),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["stations.id"],
            ondelete="CASCADE",
            name="fk_station_heartbeats_station_id_stations",
        ),
    )
    op.create_index("ix_station_heartbeats_station_at", "station_heartbeats", ["station_id", "at"])
    op.create_table(
        "fleet_incidents",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("station_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(80), nullable=False),
        sa.Column("opened_at", TZ, nullable=False),
        sa.Column("closed_at", TZ, nullable=True),
        sa.Column("notified_at", TZ, nullable=True),
        sa.Column("open_marker", sa.Integer, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_fleet_incidents"),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["stations.id"],
            ondelete="CASCADE",
            name="fk_fleet_incidents_station_id_stations",
        ),
        sa.UniqueConstraint("station_id", "kind", "open_marker", name="uq_fleet_incidents_open"),
    )
    op.create_table(
        "consultation_facts",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("record_key", sa.String(64), nullable=False),
        sa.Column("station_id", sa.Integer, nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("act_code", sa.String(8), nullable=False),
        sa.Column("specialty", sa.String(120), nullable=False),
        sa.Column("tlm_cents", sa.Integer, nullable=False),
        sa.Column("wait_s", sa.Integer, nullable=True),
        sa.Column("duration_s", sa.Integer, nullable=True),
        sa.Column("incident", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_consultation_facts"),
        sa.UniqueConstraint("record_key", name="uq_consultation_facts_record_key"),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["stations.id"],
            ondelete="CASCADE",
            name="fk_consultation_facts_station_id_stations",
        ),
    )
    op.create_index("ix_consultation_facts_day", "consultation_facts", ["day"])
    op.create_index(
        "ix_consultation_facts_station_day", "consultation_facts", ["station_id", "day"]
    )
    op.create_table(
        "activity_daily",
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("act_code", sa.String(8), nullable=False),
        sa.Column("specialty", sa.String(120), nullable=False),
        sa.Column("acts", sa.Integer, nullable=False),
        sa.Column("incidents", sa.Integer, nullable=False),
        sa.Column("calls_timed", sa.Integer, nullable=False),
        sa.Column("duration_s_sum", sa.BigInteger, nullable=False),
        sa.Column("tlm_cents", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("day", "act_code", "specialty", name="pk_activity_daily"),
    )
    op.create_table(
        "activity_station_monthly",
        sa.Column("month", sa.Date, nullable=False),
        sa.Column("station_id", sa.Integer, nullable=False),
        sa.Column("acts", sa.Integer, nullable=False),
        sa.Column("incidents", sa.Integer, nullable=False),
        sa.Column("tlm_cents", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("month", "station_id", name="pk_activity_station_monthly"),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["stations.id"],
            ondelete="CASCADE",
            name="fk_activity_station_monthly_station_id_stations",
        ),
    )
    op.create_table(
        "activity_wait_daily",
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("bucket", sa.Integer, nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("day", "bucket", name="pk_activity_wait_daily"),
    )


def downgrade() -> None:
    """Drop the fleet tables and columns."""
    for name in (
        "activity_wait_daily",
        "activity_station_monthly",
        "activity_daily",
        "consultation_facts",
        "fleet_incidents",
        "station_heartbeats",
        "station_presence",
    ):
        op.drop_table(name)
    with op.batch_alter_table("encounters") as batch:
        batch.drop_column("ended_at")
        batch.drop_column("taken_at")
    with op.batch_alter_table("stations") as batch:
        batch.drop_constraint("fk_stations_organisation_id_organisations", type_="foreignkey")
        batch.drop_column("organisation_id")
    op.drop_table("organisations")
