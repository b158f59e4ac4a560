"""Bus messages: signaling messages too large for a PostgreSQL NOTIFY payload.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``bus_messages``."""
    op.create_table(
        "bus_messages",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_bus_messages"),
    )


def downgrade() -> None:
    """Drop ``bus_messages``."""
    op.drop_table("bus_messages")
