"""EHPAD residents (room, unit, ALD, trusted person, consent on file).

Revision ID: 0004_residents
Revises: 0003_expertise
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_residents"
down_revision = "0003_expertise"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "resident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("room", sa.String(), nullable=False),
        sa.Column("room_key", sa.String(), nullable=False),
        sa.Column("unit", sa.String(), nullable=True),
        sa.Column("ald", sa.Boolean(), nullable=False),
        sa.Column("ald_label", sa.String(), nullable=True),
        sa.Column("trusted_person", sa.String(), nullable=True),
        sa.Column("legal_representative", sa.String(), nullable=True),
        sa.Column("consent_given_at", sa.DateTime(), nullable=True),
        sa.Column("consent_given_by", sa.String(), nullable=True),
        sa.Column("consent_renew_by", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("patient_id"),
    )
    op.create_index("ix_resident_room", "resident", ["room_key"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_resident_room", table_name="resident")
    op.drop_table("resident")
