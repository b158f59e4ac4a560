"""Appointments, doctors' territories, invitation links and their events.

Revision ID: 0004_appointments
Revises: 0003_expertise
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_appointments"
down_revision = "0003_expertise"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the tables."""
    op.create_table(
        "doctor_territories",
        sa.Column("doctor_id", sa.Integer, nullable=False),
        sa.Column("departement", sa.String(3), nullable=False),
        sa.ForeignKeyConstraint(["doctor_id"], ["doctors.id"], ondelete="CASCADE",
                                name="fk_doctor_territories_doctor_id_doctors"),
        sa.PrimaryKeyConstraint("doctor_id", "departement", name="pk_doctor_territories"),
    )  # fmt: skip
    op.create_table(
        "appointments",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("station_id", sa.Integer, nullable=False),
        sa.Column("doctor_id", sa.Integer, nullable=True),
        sa.Column("invited_name", sa.String(120), nullable=True),
        sa.Column("invited_email", sa.String(254), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_min", sa.Integer, nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("patient_label", sa.String(120), nullable=False),
        sa.Column("departement", sa.String(3), nullable=True),
        sa.Column("territorial", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reminded", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["station_id"], ["stations.id"],
                                name="fk_appointments_station_id_stations"),
        sa.ForeignKeyConstraint(["doctor_id"], ["doctors.id"],
                                name="fk_appointments_doctor_id_doctors"),
        sa.PrimaryKeyConstraint("id", name="pk_appointments"),
        sa.UniqueConstraint("uuid", name="uq_appointments_uuid"),
    )  # fmt: skip
    op.create_index("ix_appointments_starts_at", "appointments", ["starts_at"])
    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("appointment_id", sa.Integer, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("code_hmac", sa.String(64), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["appointment_id"], ["appointments.id"], ondelete="CASCADE",
                                name="fk_invitations_appointment_id_appointments"),
        sa.PrimaryKeyConstraint("id", name="pk_invitations"),
        sa.UniqueConstraint("token_hash", name="uq_invitations_token_hash"),
    )  # fmt: skip
    op.create_table(
        "invitation_events",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("invitation_id", sa.Integer, nullable=True),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("remote", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_invitation_events"),
    )


def downgrade() -> None:
    """Drop the tables."""
    op.drop_table("invitation_events")
    op.drop_table("invitations")
    op.drop_index("ix_appointments_starts_at", table_name="appointments")
    op.drop_table("appointments")
    op.drop_table("doctor_territories")
