"""The pharmacist's yearly TLM tally becomes a table (was audit entries healed on read).

Revision ID: 0005_pharmacist_tlm_tally_table
Revises: 0004_residents

Backfilled from what the database already knows: the ``billing_accompaniment`` audit entries
(never purged) and the stored billing records (for a record whose entry was never written).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0005_pharmacist_tlm_tally_table"
down_revision = "0004_residents"
branch_labels = None
depends_on = None


def _details(payload: dict) -> dict | None:
    acc = payload.get("accompanying") or {}
    if acc.get("role") != "pharmacist" or acc.get("act_code") != "TLM":
        return None
    return {"station_id": payload.get("station_id") or "", "act_code": "TLM",
            "year": int(str(payload.get("act_date", "0"))[:4] or 0),
            "amount": str(acc.get("amount") or "0.00")}


def upgrade() -> None:
    """Apply this revision."""
    tally = op.create_table('pharmacist_tally',
    sa.Column('record_uuid', sa.String(length=36), nullable=False),
    sa.Column('station_id', sa.String(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('act_code', sa.String(), nullable=False),
    sa.Column('amount', sa.String(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('record_uuid')
    )
    with op.batch_alter_table('pharmacist_tally', schema=None) as batch_op:
        batch_op.create_index('ix_pharmacist_tally_year', ['station_id', 'year'], unique=False)
    conn = op.get_bind()
    rows: dict[str, dict] = {}
    for uuid, raw in conn.execute(sa.text(
            "SELECT object_id, details_json FROM audit_log WHERE action = 'billing_accompaniment'")):
        d = json.loads(raw)
        if uuid and d.get("act_code") == "TLM":
            rows[uuid] = {"station_id": d.get("station_id") or "", "act_code": "TLM",
                          "year": int(d.get("year") or 0), "amount": str(d.get("amount", "0"))}
    for uuid, raw in conn.execute(sa.text("SELECT record_uuid, payload_json FROM billing_record")):
        d = _details(json.loads(raw))
        if d is not None:
            rows.setdefault(uuid, d)
    now = datetime.now(UTC).replace(tzinfo=None)  # stored naive UTC, as UTCDateTime does
    if rows:
        op.bulk_insert(tally, [{"record_uuid": u, **d, "created_at": now} for u, d in rows.items()])


def downgrade() -> None:
    """Revert this revision (the audit entries it was built from are still there)."""
    with op.batch_alter_table('pharmacist_tally', schema=None) as batch_op:
        batch_op.drop_index('ix_pharmacist_tally_year')
    op.drop_table('pharmacist_tally')
