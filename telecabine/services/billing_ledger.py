"""What this station has already billed: the pharmacist's TLM total for the year (the 750 EUR
cap of the 2022-03-09 pharmacy convention is counted per calendar year).

One row per billed accompaniment in ``pharmacist_tally`` (record uuid, station, year, amount;
no patient data), written in the consultation's closing transaction
(``EncounterRepository.close_consultation``) and never purged by local retention, so the
year's total survives the purge of synced billing records. Reading the total never writes.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlmodel import select

from telecabine.store.tables import AuditEntry, PharmacistTally

ZERO = Decimal("0.00")


def tally_row(record: dict[str, Any]) -> dict[str, Any] | None:
    """The tally row of a billing record's accompaniment, None when it bills no pharmacist TLM."""
    acc = record.get("accompanying") or {}
    if acc.get("role") != "pharmacist" or acc.get("act_code") != "TLM":
        return None
    return {
        "station_id": str(record.get("station_id") or ""),
        "year": int(str(record.get("act_date", "0"))[:4] or 0),
        "act_code": "TLM",
        "amount": str(acc.get("amount") or "0.00"),
    }


def pharmacist_year_to_date(store: Any, station_id: str, year: int) -> Decimal:
    """Sum of the TLM amounts of ``station_id``'s records whose act date falls in ``year``."""
    with store.read() as session:
        amounts = session.exec(
            select(PharmacistTally.amount).where(
                PharmacistTally.station_id == station_id, PharmacistTally.year == year
            )
        ).all()
    return sum((Decimal(a) for a in amounts), ZERO)


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
