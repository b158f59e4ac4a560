"""The wrap-up counts the 750 EUR TLM cap per pharmacy: the hub's organisation figure when it
is fresh (source "hub"), the cabin's own count otherwise (source "station")."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from wrapup_testlib import encounter_in_wrap_up

from telecabine.protocol.heartbeat import TlmAllowance
from telecabine.services.tlm_allowance import OrgAllowanceCache
from telecabine.services.wrapup import WrapUpForm, WrapUpService

NOW = datetime(2026, 3, 2, 9, 40, tzinfo=UTC)


class _Hub:
    """A hub answer (the client's contract), or None when the hub is unreachable."""

    def __init__(self, used: str | None) -> None:
        self.used = used

    async def tlm_allowance(self, year: int) -> TlmAllowance | None:
        if self.used is None:
            return None
        return TlmAllowance(
            year=year, organisation="Ph. du Marché", used=self.used, cap="750.00", stations=2
        )


def _preview(store, org_tlm_used):
    svc = WrapUpService(
        store, station_id="cabine-test", clock=lambda: NOW, org_tlm_used=org_tlm_used
    )
    eid = encounter_in_wrap_up(store)
    ctx = svc.load(eid)
    form = WrapUpForm(doctor=ctx.summary_act, accompanying_role="pharmacist", staff_name="C. D")
    return svc.preview(eid, form)


async def test_org_figure_caps_the_act_and_offline_falls_back(station_store) -> None:
    clock = [0.0]
    cache = OrgAllowanceCache(_Hub("748.00"), max_age_s=60, clock=lambda: clock[0])
    assert cache.get(2026) is None
    assert await cache.refresh(2026) == Decimal("748.00")
    p = _preview(station_store, cache.get)
    assert (p.tlm_used, p.tlm_source) == (Decimal("748.00"), "hub")
    assert p.accompanying.amount == Decimal("2.00") and p.accompanying.cap_reached
    clock[0] = 61.0  # stale: the hub has not answered for a while
    p = _preview(station_store, cache.get)
    assert (p.tlm_used, p.tlm_source) == (Decimal("0.00"), "station")
    assert p.accompanying.amount == Decimal("5.00")
    offline = OrgAllowanceCache(_Hub(None))
    assert await offline.refresh(2026) is None
    assert _preview(station_store, offline.get).tlm_source == "station"
