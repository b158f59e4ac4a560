"""The pharmacist's TLM allowance used this year, as the wrap-up shows it (issue 20.4).

The 750 EUR yearly cap is per pharmacy (organisation), not per cabin. When the hub answers,
its figure — summed over every cabin of the organisation — is used (``source="hub"``); when it
does not (offline, timeout), the station's own count is (``source="station"``), and the wrap-up
says which. The larger of the hub's and the local figure is kept, so this cabin's unsynced
records are not forgotten (the hub's figure may still miss them while they wait: a lower bound
until the outbox drains — the wrap-up syncs right after closing).

``WrapUpService`` is synchronous: give it ``OrgAllowanceCache(client).get`` as
``org_tlm_used`` and ``await cache.refresh(year)`` when the wrap-up screen opens (or on each
heartbeat); a figure older than ``max_age_s`` counts as unknown, i.e. offline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, Protocol

from telecabine.protocol.heartbeat import TlmAllowance
from telecabine.services.billing_ledger import pharmacist_year_to_date

Source = Literal["hub", "station"]
TLM_CAP = Decimal("750.00")  # per pharmacy and calendar year (2022 pharmacy convention)


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


class OrgAllowanceCache:
    """The organisation's TLM figure last fetched from the hub, for synchronous readers."""

    def __init__(self, client: AllowancePort, *, max_age_s: float = 300.0, clock=None) -> None:
        import time

        self._client = client
        self._max_age = max_age_s
        self._clock = clock or time.monotonic
        self._value: tuple[int, Decimal, float] | None = None

    async def refresh(self, year: int) -> Decimal | None:
        """Ask the hub now; keeps and returns its figure, None when unreachable."""
        try:
            remote = await self._client.tlm_allowance(year)
        except Exception:  # refused token: treated as unknown, the local count is used
            remote = None
        if remote is None:
            return None
        self._value = (year, Decimal(remote.used), self._clock())
        return self._value[1]

    def get(self, year: int) -> Decimal | None:
        """The cached figure for ``year`` if fresh enough, else None (offline fallback)."""
        if self._value is None:
            return None
        y, amount, at = self._value
        if y != year or self._clock() - at > self._max_age:
            return None
        return amount


@dataclass(frozen=True)
class MyActivity:
    """The pharmacist's "my activity" figure: this month's acts and the TLM used this year."""

    month: date
    acts: int
    tlm_used: Decimal
    tlm_cap: Decimal
    source: Source  # "hub" (the organisation's figure) or "station" (offline: this cabin's)


class ActivityPort(AllowancePort, Protocol):
    """``StationHubClient``: also this station's activity as the hub counts it."""

    async def my_activity(self) -> dict | None:
        """``{"month", "acts", "tlm": TlmAllowance}`` or None when unreachable."""
        ...


async def my_activity(
    store: Any, station_id: str, now: datetime, client: ActivityPort | None
) -> MyActivity:
    """This month's consultations at this cabin and the TLM used this year (hub when online)."""
    import asyncio

    from telecabine.services.billing_ledger import acts_closed_since

    month = now.date().replace(day=1)
    since = datetime(month.year, month.month, 1, tzinfo=now.tzinfo)
    local_acts = await asyncio.to_thread(acts_closed_since, store, since)
    used = await tlm_used(store, station_id, now.year, client)
    remote = None
    if client is not None and used.source == "hub":
        try:
            remote = await client.my_activity()
        except Exception:  # refused: keep the local count
            remote = None
    # The hub counts synced records only: never show fewer acts than the cabin closed.
    acts = max(int(remote["acts"]), local_acts) if remote else local_acts
    return MyActivity(month, acts, used.amount_used, TLM_CAP, used.source)
