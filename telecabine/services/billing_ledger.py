"""What this station has already billed: the pharmacist's TLM total for the year (the 750 EUR
cap of the 2022-03-09 pharmacy convention is counted per calendar year).

Two sources, merged by record UUID:
- the stored billing records (``billing_record``), written in the closing transaction: exact,
  but local retention purges them once synced (30 days by default);
- one audit entry per billed accompaniment (``billing_accompaniment``: year, code, amount,
  record UUID; no patient data). The audit trail is never purged, so the year's total survives
  the purge. The entry is appended right after closing; a record that lacks it (crash between
  the two) gets it the next time the total is read, long before retention could purge it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import select

from telecabine.store.tables import AuditEntry, BillingRecordRow

ZERO = Decimal("0.00")
TALLY_ACTION = "billing_accompaniment"


def _tally_details(record: dict[str, Any]) -> dict[str, Any] | None:
    """The audit details of a record's accompaniment, None when it bills no pharmacist TLM."""
    acc = record.get("accompanying") or {}
    if acc.get("role") != "pharmacist" or acc.get("act_code") != "TLM":
        return None
    return {
        "station_id": record.get("station_id"),
        "year": int(str(record.get("act_date", "0"))[:4] or 0),
        "act_code": "TLM",
        "amount": str(acc.get("amount") or "0.00"),
    }


def note_accompaniment(store: Any, record_uuid: str, record: dict[str, Any], actor: str) -> None:
    """Append the audit tally of a just-closed record's accompaniment (if it bills TLM)."""
    details = _tally_details(record)
    if details is not None:
        store.audit.record(actor, TALLY_ACTION, "billing_record", record_uuid, details)


def pharmacist_year_to_date(store: Any, station_id: str, year: int) -> Decimal:
    """Sum of the TLM amounts of ``station_id``'s records whose act date falls in ``year``."""
    # An act of 31 December may be closed a little after midnight: look from 1 December of the
    # year before and filter on the record's own act date.
    since = datetime(year - 1, 12, 1, tzinfo=UTC)
    with store.read() as session:
        records = session.exec(
            select(BillingRecordRow.record_uuid, BillingRecordRow.payload_json).where(
                BillingRecordRow.created_at >= since
            )
        ).all()
        tallies = session.exec(
            select(AuditEntry.object_id, AuditEntry.details_json).where(
                AuditEntry.action == TALLY_ACTION, AuditEntry.at >= since
            )
        ).all()
    amounts: dict[str, Decimal] = {}
    for uuid, raw in tallies:
        d = json.loads(raw)
        if d.get("station_id") == station_id and d.get("year") == year and uuid:
            amounts[uuid] = Decimal(str(d.get("amount", "0")))
    for uuid, raw in records:
        d = _tally_details(json.loads(raw))
        if d is None or d["station_id"] != station_id or d["year"] != year:
            continue
        if uuid not in amounts:  # closed, but its tally was never written: heal it now
            store.audit.record("system:billing", TALLY_ACTION, "billing_record", uuid, d)
        amounts[uuid] = Decimal(d["amount"])
    return sum(amounts.values(), ZERO)


def acts_closed_since(store: Any, since: datetime) -> int:
    """Consultations closed on this station since ``since`` (the audit trail is never purged,
    so the count survives local retention)."""
    from sqlalchemy import func

    with store.read() as session:
        return session.exec(
            select(func.count()).where(
                AuditEntry.action == "encounter_closed", AuditEntry.at >= since
            )
        ).one()
