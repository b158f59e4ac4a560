"""Organisations owning cabins (issue 20.4) and the pharmacist's TLM allowance per organisation.

A pharmacy or EHPAD is identified by its FINESS number and/or its Assurance Maladie number. The
pharmacy convention caps the TLM accompaniment at 750 EUR a calendar year **per pharmacy**,
so the hub sums the TLM of every cabin of the organisation (``activity_station_monthly``,
maintained on billing ingest) and answers ``GET /api/v1/stations/tlm-allowance`` to any of its
stations. A station without organisation gets its own total.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

from aiohttp import web
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from telecabine.hub.accounts import AccountError
from telecabine.hub.db import stations
from telecabine.hub.fleet_tables import activity_station_monthly, organisations
from telecabine.hub.security import PRINCIPAL, STATION, json_error, requires
from telecabine.hub.state import HUB
from telecabine.protocol.heartbeat import TlmAllowance

TLM_CAP = Decimal("750.00")
KINDS = ("pharmacy", "ehpad", "health_centre", "other")
_FINESS_RE = re.compile(r"^(?:[0-9]{2}|2A|2B)[0-9]{7}$")  # department (2A/2B: Corsica) + 7
_AM_RE = re.compile(r"^[0-9]{8,9}$")


async def add_organisation(
    engine: AsyncEngine,
    name: str,
    kind: str,
    *,
    finess: str | None = None,
    am_number: str | None = None,
) -> int:
    """Create an organisation; returns its id. Raises :class:`AccountError` on bad input."""
    name = name.strip()
    if not name or len(name) > 120:
        raise AccountError("Nom requis (120 caractères max.) / name required (max 120)")
    if kind not in KINDS:
        raise AccountError(f"Type inconnu / unknown kind (choose from: {', '.join(KINDS)})")
    finess = (finess or "").strip().upper() or None
    am_number = (am_number or "").strip() or None
    if finess is None and am_number is None:
        raise AccountError("FINESS ou numéro Assurance Maladie requis / FINESS or AM number needed")
    if finess is not None and not _FINESS_RE.match(finess):
        raise AccountError("FINESS : 9 caractères (ex. 750012345) / FINESS: 9 characters")
    if am_number is not None and not _AM_RE.match(am_number):
        raise AccountError("Numéro Assurance Maladie : 8 ou 9 chiffres / AM number: 8-9 digits")
    try:
        async with engine.begin() as conn:
            result = await conn.execute(
                insert(organisations).values(
                    name=name,
                    kind=kind,
                    finess=finess,
                    am_number=am_number,
                    created_at=datetime.now(UTC),
                )
            )
    except IntegrityError:
        raise AccountError("Organisation déjà enregistrée / organisation already exists") from None
    return int(result.inserted_primary_key[0])


async def organisation_id(engine: AsyncEngine, name: str) -> int:
    """The id of an organisation by name; :class:`AccountError` if unknown."""
    async with engine.connect() as conn:
        found = (
            await conn.execute(select(organisations.c.id).where(organisations.c.name == name))
        ).scalar()
    if found is None:
        raise AccountError(f"Organisation inconnue / unknown organisation: {name}")
    return int(found)


async def assign_station(engine: AsyncEngine, station_name: str, org_name: str) -> None:
    """Attach a registered station to an organisation."""
    org = await organisation_id(engine, org_name)
    async with engine.begin() as conn:
        result = await conn.execute(
            update(stations).where(stations.c.name == station_name).values(organisation_id=org)
        )
    if result.rowcount != 1:
        raise AccountError(f"Station inconnue / unknown station: {station_name}")


async def list_organisations(engine: AsyncEngine) -> list[dict]:
    """Organisations with their number of cabins (fleet filter, CLI)."""
    n = func.count(stations.c.id)
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(organisations, n.label("cabins"))
                .outerjoin(stations, stations.c.organisation_id == organisations.c.id)
                .group_by(*organisations.c)
                .order_by(organisations.c.name)
            )
        ).all()
    return [
        {
            "id": r.id,
            "name": r.name,
            "kind": r.kind,
            "finess": r.finess,
            "am_number": r.am_number,
            "cabins": int(r.cabins),
        }
        for r in rows
    ]


async def tlm_allowance(engine: AsyncEngine, station_db_id: int, year: int) -> TlmAllowance:
    """TLM used in ``year`` by the station's organisation (or the station alone)."""
    m = activity_station_monthly.c
    async with engine.connect() as conn:
        org = (
            await conn.execute(
                select(stations.c.organisation_id, organisations.c.name)
                .outerjoin(organisations, organisations.c.id == stations.c.organisation_id)
                .where(stations.c.id == station_db_id)
            )
        ).one()
        if org.organisation_id is None:
            members = select(stations.c.id).where(stations.c.id == station_db_id)
        else:
            members = select(stations.c.id).where(stations.c.organisation_id == org.organisation_id)
        ids = [r[0] for r in await conn.execute(members)]
        cents = (
            await conn.execute(
                select(func.coalesce(func.sum(m.tlm_cents), 0)).where(
                    m.station_id.in_(ids), m.month.between(date(year, 1, 1), date(year, 12, 1))
                )
            )
        ).scalar()
    used = (Decimal(int(cents)) / 100).quantize(Decimal("0.01"))
    return TlmAllowance(
        year=year,
        organisation=org.name,
        used=f"{used:.2f}",
        cap=f"{TLM_CAP:.2f}",
        stations=len(ids),
    )


def _year(request: web.Request) -> int:
    raw = request.query.get("year")
    year = int(raw) if raw else datetime.now(UTC).year
    if not 2000 <= year <= 2200:
        raise ValueError(year)
    return year


@requires(STATION)
async def tlm_allowance_route(request: web.Request) -> web.Response:
    """``GET /api/v1/stations/tlm-allowance?year=YYYY`` (station token)."""
    try:
        year = _year(request)
    except ValueError:
        return json_error(422, "invalid_query", "Année invalide / invalid year")
    answer = await tlm_allowance(request.app[HUB].engine, request[PRINCIPAL].station.id, year)
    return web.Response(text=answer.model_dump_json(), content_type="application/json")


@requires(STATION)
async def station_activity_route(request: web.Request) -> web.Response:
    """``GET /api/v1/stations/activity``: this station's acts this month and TLM this year."""
    station = request[PRINCIPAL].station
    today = datetime.now(UTC).date()
    m = activity_station_monthly.c
    async with request.app[HUB].engine.connect() as conn:
        acts = (
            await conn.execute(
                select(func.coalesce(func.sum(m.acts), 0)).where(
                    m.station_id == station.id, m.month == today.replace(day=1)
                )
            )
        ).scalar()
    allowance = await tlm_allowance(request.app[HUB].engine, station.id, today.year)
    return web.json_response(
        {
            "month": today.replace(day=1).isoformat(),
            "acts": int(acts),
            "tlm": allowance.model_dump(mode="json"),
        }
    )
