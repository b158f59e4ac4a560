"""Télé-expertise requests, their photos, answers and billed acts.

Revision ID: 0003_expertise
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_expertise"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``expertise_requests`` and ``expertise_photos``."""
    op.create_table(
        "expertise_requests",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("request_uuid", sa.String(36), nullable=False),
        sa.Column("station_id", sa.Integer, nullable=False),
        sa.Column("expert_id", sa.Integer, nullable=False),
        sa.Column("patient_key", sa.String(64), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("urgency", sa.String(16), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("body_sha256", sa.String(64), nullable=False),
        sa.Column("photos_expected", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("answer_text", sa.Text, nullable=True),
        sa.Column("answer_pdf", sa.LargeBinary, nullable=True),
        sa.Column("acts", sa.Text, nullable=True),
        sa.Column("rqd_refused", sa.String(32), nullable=True),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name="fk_expertise_requests_station_id_stations"
        ),
        sa.ForeignKeyConstraint(
            ["expert_id"], ["doctors.id"], name="fk_expertise_requests_expert_id_doctors"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_expertise_requests"),
        sa.UniqueConstraint("request_uuid", name="uq_expertise_requests_request_uuid"),
    )
    op.create_index("ix_expertise_requests_answered_at", "expertise_requests", ["answered_at"])
    op.create_table(
        "expertise_photos",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("request_id", sa.Integer, nullable=False),
        sa.Column("idx", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["expertise_requests.id"],
            ondelete="CASCADE",
            name="fk_expertise_photos_request_id_expertise_requests",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_expertise_photos"),
        sa.UniqueConstraint("request_id", "idx", name="uq_expertise_photo"),
    )


def downgrade() -> None:
    """Drop the télé-expertise tables."""
    op.drop_table("expertise_photos")
    op.drop_index("ix_expertise_requests_answered_at", table_name="expertise_requests")
    op.drop_table("expertise_requests")
