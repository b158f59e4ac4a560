"""Initial hub schema: doctors, stations, sessions, encounters, billing records.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the first version of every hub table."""
    op.create_table(
        "doctors",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(120), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("rpps", sa.String(11), nullable=False),
        sa.Column("specialty", sa.String(120), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("is_admin", sa.Boolean, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_doctors"),
        sa.UniqueConstraint("username", name="uq_doctors_username"),
    )
    op.create_table(
        "stations",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_stations"),
        sa.UniqueConstraint("name", name="uq_stations_name"),
        sa.UniqueConstraint("token_hash", name="uq_stations_token_hash"),
    )
    op.create_table(
        "sessions",
        sa.Column("token_hash", sa.String(64)),
        sa.Column("doctor_id", sa.Integer, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name="pk_sessions"),
        sa.ForeignKeyConstraint(
            ["doctor_id"],
            ["doctors.id"],
            ondelete="CASCADE",
            name="fk_sessions_doctor_id_doctors",
        ),
    )
    op.create_table(
        "encounters",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("encounter_id", sa.String(64), nullable=False),
        sa.Column("station_id", sa.Integer, nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("age_band", sa.String(16), nullable=False),
        sa.Column("flagged_vitals", sa.Text, nullable=False),
        sa.Column("cabin", sa.String(64), nullable=False),
        sa.Column("waiting_since", TZ, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("doctor_id", sa.Integer, nullable=True),
        sa.Column("updated_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_encounters"),
        sa.UniqueConstraint("encounter_id", name="uq_encounters_encounter_id"),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["stations.id"],
            ondelete="CASCADE",
            name="fk_encounters_station_id_stations",
        ),
        sa.ForeignKeyConstraint(
            ["doctor_id"], ["doctors.id"], name="fk_encounters_doctor_id_doctors"
        ),
    )
    op.create_table(
        "billing_records",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("idempotency_key", sa.String(64), nullable=False),
        sa.Column("station_id", sa.Integer, nullable=False),
        sa.Column("encounter_id", sa.String(64), nullable=False),
        sa.Column("body_sha256", sa.String(64), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("received_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_billing_records"),
        sa.UniqueConstraint("idempotency_key", name="uq_billing_records_idempotency_key"),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name="fk_billing_records_station_id_stations"
        ),
    )
    op.create_index(
        "ix_billing_records_received_at", "billing_records", ["received_at"], unique=False
    )


def downgrade() -> None:
    """Drop every hub table."""
    op.drop_index("ix_billing_records_received_at", table_name="billing_records")
    for name in ("billing_records", "encounters", "sessions", "stations", "doctors"):
        op.drop_table(name)
