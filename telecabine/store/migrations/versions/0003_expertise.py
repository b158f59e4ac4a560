"""Télé-expertise requests (offline queue, answers) and their photos.

Revision ID: 0003_expertise
Revises: 0002_mt_report
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_expertise"
down_revision = "0002_mt_report"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "expertise_request",
        sa.Column("request_uuid", sa.String(length=36), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("encounter_id", sa.String(), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("payload_json", sa.Text(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("answer_json", sa.Text(), nullable=True),
        sa.Column("answer_pdf", sa.LargeBinary(), nullable=True),
        sa.Column("printed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["encounter_id"], ["encounter.id"]),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"]),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"]),
        sa.PrimaryKeyConstraint("request_uuid"),
    )
    op.create_index("ix_expertise_due", "expertise_request", ["status", "next_attempt_at"])
    op.create_index(
        "ix_expertise_request_patient_id", "expertise_request", ["patient_id"], unique=False
    )
    op.create_table(
        "expertise_photo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_uuid", sa.String(), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["request_uuid"], ["expertise_request.request_uuid"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_expertise_photo_request_uuid", "expertise_photo", ["request_uuid"], unique=False
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_expertise_photo_request_uuid", table_name="expertise_photo")
    op.drop_table("expertise_photo")
    op.drop_index("ix_expertise_request_patient_id", table_name="expertise_request")
    op.drop_index("ix_expertise_due", table_name="expertise_request")
    op.drop_table("expertise_request")
