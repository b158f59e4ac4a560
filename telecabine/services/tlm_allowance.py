"""The pharmacist's TLM allowance used this year, as the wrap-up shows it (issue 20.4).

The 750 EUR yearly cap is per pharmacy (organisation), not per cabin. When the hub answers,
its figure — summed over every cabin of the organisation — is used (``source="hub"``); when it
does not (offline, timeout), the station's own count is (``source="station"``), and the wrap-up
says which. A hub figure lower than the local count (records not yet synced) never hides them:
the larger of the two is kept, so the cap is never over-spent because of a late sync.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, Protocol

from telecabine.protocol.heartbeat import TlmAllowance
from telecabine.services.billing_ledger import pharmacist_year_to_date

Source = Literal["hub", "station"]


class AllowancePort(Protocol):
    """``StationHubClient`` (the part used here)."""

    async def tlm_allowance(self, year: int) -> TlmAllowance | None:
        """The organisation's figure, or None when the hub is unreachable."""
        ...


@dataclass(frozen=True)
class AllowanceUsed:
    """TLM used this year, where the figure comes from, and the organisation if known."""

    amount_used: Decimal
    source: Source
    organisation: str | None = None

    def as_tuple(self) -> tuple[Decimal, Source]:
        """``(amount_used, source)``."""
        return self.amount_used, self.source


async def tlm_used(
    store: Any, station_id: str, year: int, client: AllowancePort | None
) -> AllowanceUsed:
    """TLM used in ``year``: the hub's per-organisation figure when online, else the local one.

    ``store`` is read in a thread (SQLCipher); the hub call never raises (None when offline).
    """
    import asyncio

    local = await asyncio.to_thread(pharmacist_year_to_date, store, station_id, year)
    if client is None:
        return AllowanceUsed(local, "station")
    try:
        remote = await client.tlm_allowance(year)
    except Exception:  # a refused token is an operator problem; the wrap-up still closes
        remote = None
    if remote is None:
        return AllowanceUsed(local, "station")
    return AllowanceUsed(max(Decimal(remote.used), local), "hub", remote.organisation)
