"""Signal outbox: every bus message gets a row, so a listener that reconnects catches up.

Replaces ``bus_messages`` (which held only the messages too large for a NOTIFY payload).

Revision ID: 0006_signal_outbox
Revises: 0007_fleet_activity
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_signal_outbox"
down_revision = "0007_fleet_activity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``signal_outbox``, drop ``bus_messages`` (rows there live minutes: nothing kept)."""
    op.create_table(
        "signal_outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), autoincrement=True),
        sa.Column("instance", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("principal_id", sa.Integer, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_signal_outbox"),
    )
    op.create_index("ix_signal_outbox_created_at", "signal_outbox", ["created_at"])
    op.drop_table("bus_messages")


def downgrade() -> None:
    """Back to ``bus_messages``."""
    op.create_table(
        "bus_messages",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_bus_messages"),
    )
    op.drop_index("ix_signal_outbox_created_at", "signal_outbox")
    op.drop_table("signal_outbox")
