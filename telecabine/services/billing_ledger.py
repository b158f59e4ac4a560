"""What this station has already billed: the pharmacist's TLM total for the year (the 750 EUR
cap of the 2022-03-09 pharmacy convention is counted per calendar year).

Read from the stored billing records (``billing_record`` table, one per closed encounter), the
same rows the outbox sends, so the cap follows exactly what was billed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import select

from telecabine.store.tables import BillingRecordRow

ZERO = Decimal("0.00")


def pharmacist_year_to_date(store: Any, station_id: str, year: int) -> Decimal:
    """Sum of the TLM amounts of ``station_id``'s records whose act date falls in ``year``.

    Records purged by local retention no longer count (see the report: the hub holds them all);
    with the default retention (longer than a year) nothing of the current year is purged.
    """
    # An act of 31 December may be closed (created_at) a little after midnight: look from
    # 1 December of the year before and filter on the record's own act date.
    since = datetime(year - 1, 12, 1, tzinfo=UTC)
    total = ZERO
    with store.read() as session:
        rows = session.exec(
            select(BillingRecordRow.payload_json).where(BillingRecordRow.created_at >= since)
        ).all()
    for raw in rows:
        record = json.loads(raw)
        acc = record.get("accompanying") or {}
        if (
            record.get("station_id") == station_id
            and str(record.get("act_date", ""))[:4] == f"{year:04d}"
            and acc.get("role") == "pharmacist"
            and acc.get("act_code") == "TLM"
        ):
            total += Decimal(str(acc.get("amount") or "0"))
    return total
