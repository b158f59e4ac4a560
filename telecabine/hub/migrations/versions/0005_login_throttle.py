"""Shared throttle counters (sign-in back-off, announces per station) and billing encounter check.

Revision ID: 0005_login_throttle
Revises: 0006_signal_outbox
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_login_throttle"
down_revision = "0006_signal_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``throttle``; add ``billing_records.encounter_check``."""
    op.create_table(
        "throttle",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("delay_s", sa.Float, nullable=False),
        sa.Column("next_at", sa.Float, nullable=False),
        sa.Column("last_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_throttle"),
    )
    with op.batch_alter_table("billing_records") as batch:
        batch.add_column(
            sa.Column("encounter_check", sa.String(16), nullable=False, server_default="unknown")
        )


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("billing_records") as batch:
        batch.drop_column("encounter_check")
    op.drop_table("throttle")
