"""Activity figures (issue 20.2): facts written on billing ingest, rollups, dashboard queries.

Each stored billing record gives one ``consultation_facts`` row (act day, act code, the
doctor's specialty, the pharmacist's TLM amount, waiting time announce -> take and call
duration from the waiting room, incident = a call that was taken but did not end normally).
In the **same transaction** three rollups are incremented (upserts):

- ``activity_daily`` (day, act code, specialty): acts, incidents, timed calls, duration sum,
  TLM cents — national curves, act mix, specialty mix, mean duration, incident share;
- ``activity_station_monthly`` (month, station): acts, incidents, TLM — per cabin and, through
  ``stations.organisation_id``, per organisation (and the 750 EUR TLM cap per organisation);
- ``activity_wait_daily`` (day, bucket): a histogram of waiting times; p50/p95 are read from
  it with the resolution of :data:`BUCKETS` (upper bound of the bucket holding the quantile).

Dashboards read the rollups only (:func:`dashboard`); with an organisation filter they read
that organisation's facts through ``ix_consultation_facts_station_day`` (a few cabins).
:func:`dashboard` with ``raw=True`` computes the same figures from the facts: the bench anchor.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from telecabine.hub.db import encounters, stations
from telecabine.hub.fleet_tables import (
    activity_daily,
    activity_station_monthly,
    activity_wait_daily,
    consultation_facts,
    organisations,
)
from telecabine.hub.sqlutil import aware, upsert

# Waiting-time histogram: upper bounds in seconds (the last one catches everything).
BUCKETS = (
    15,
    30,
    45,
    60,
    90,
    120,
    180,
    240,
    300,
    420,
    600,
    900,
    1200,
    1800,
    2700,
    3600,
    5400,
    7200,
    86_400_000,
)
INCIDENT_STATUSES = ("cancelled", "dropped")


def bucket_of(seconds: int) -> int:
    """The histogram bucket (upper bound) of a waiting time."""
    for b in BUCKETS:
        if seconds <= b:
            return b
    return BUCKETS[-1]


def quantile(hist: dict[int, int], q: float) -> int | None:
    """Upper bound of the bucket holding quantile ``q`` of a {bucket: n} histogram."""
    total = sum(hist.values())
    if total == 0:
        return None
    need = q * total
    seen = 0
    for b in sorted(hist):
        seen += hist[b]
        if seen >= need:
            return b
    return max(hist)


def _cents(amount: Any) -> int:
    return int((Decimal(str(amount or "0")) * 100).to_integral_value())


def _fact(key: str, station_db_id: int, record: dict[str, Any], enc) -> dict[str, Any]:
    acc = record.get("accompanying") or {}
    doctor = record.get("doctor") or {}
    tlm = (
        _cents(acc.get("amount"))
        if (acc.get("role"), acc.get("act_code")) == ("pharmacist", "TLM")
        else 0
    )
    wait = duration = None
    incident = False
    if enc is not None:
        queued, taken, ended = aware(enc.waiting_since), aware(enc.taken_at), aware(enc.ended_at)
        if taken is not None:
            wait = max(0, round((taken - queued).total_seconds()))
            if ended is not None:
                duration = max(0, round((ended - taken).total_seconds()))
            incident = enc.status in INCIDENT_STATUSES
    return {
        "record_key": key,
        "station_id": station_db_id,
        "day": date.fromisoformat(str(record["act_date"])),
        "act_code": str(doctor.get("act_code", "?"))[:8],
        "specialty": str(doctor.get("specialty", "?"))[:120],
        "tlm_cents": tlm,
        "wait_s": wait,
        "duration_s": duration,
        "incident": incident,
    }


async def record_facts(
    conn: AsyncConnection, station_db_id: int, records: list[tuple[str, dict[str, Any]]]
) -> None:
    """Write the facts of newly stored records and bump the rollups (caller's transaction)."""
    if not records:
        return
    enc_ids = [str(r.get("encounter_id")) for _, r in records]
    rows = (
        await conn.execute(
            select(
                encounters.c.encounter_id,
                encounters.c.status,
                encounters.c.waiting_since,
                encounters.c.taken_at,
                encounters.c.ended_at,
            ).where(
                encounters.c.encounter_id.in_(enc_ids), encounters.c.station_id == station_db_id
            )
        )
    ).all()
    by_enc = {r.encounter_id: r for r in rows}
    facts = [_fact(k, station_db_id, r, by_enc.get(str(r.get("encounter_id")))) for k, r in records]
    await conn.execute(insert(consultation_facts), facts)
    await add_to_rollups(conn, facts)


async def add_to_rollups(conn: AsyncConnection, facts: list[dict[str, Any]]) -> None:
    """Increment the three rollups by a list of facts (also used by the bench's seeder)."""
    daily: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    monthly: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    waits: dict[tuple, int] = defaultdict(int)
    for f in facts:
        d = daily[(f["day"], f["act_code"], f["specialty"])]
        d[0] += 1
        d[1] += int(f["incident"])
        if f["duration_s"] is not None:
            d[2] += 1
            d[3] += f["duration_s"]
        d[4] += f["tlm_cents"]
        m = monthly[(f["day"].replace(day=1), f["station_id"])]
        m[0] += 1
        m[1] += int(f["incident"])
        m[2] += f["tlm_cents"]
        if f["wait_s"] is not None:
            waits[(f["day"], bucket_of(f["wait_s"]))] += 1
    await upsert(
        conn,
        activity_daily,
        [
            {
                "day": k[0],
                "act_code": k[1],
                "specialty": k[2],
                "acts": v[0],
                "incidents": v[1],
                "calls_timed": v[2],
                "duration_s_sum": v[3],
                "tlm_cents": v[4],
            }
            for k, v in sorted(daily.items())
        ],
        ["day", "act_code", "specialty"],
        add=["acts", "incidents", "calls_timed", "duration_s_sum", "tlm_cents"],
    )
    await upsert(
        conn,
        activity_station_monthly,
        [
            {"month": k[0], "station_id": k[1], "acts": v[0], "incidents": v[1], "tlm_cents": v[2]}
            for k, v in sorted(monthly.items())
        ],
        ["month", "station_id"],
        add=["acts", "incidents", "tlm_cents"],
    )
    await upsert(
        conn,
        activity_wait_daily,
        [{"day": k[0], "bucket": k[1], "n": v} for k, v in sorted(waits.items())],
        ["day", "bucket"],
        add=["n"],
    )


def decode_records(bodies: list[tuple[str, str]]) -> list[tuple[str, dict[str, Any]]]:
    """(key, canonical JSON) pairs as (key, dict) for :func:`record_facts`."""
    return [(k, json.loads(b)) for k, b in bodies]


def week_start(d: date) -> date:
    """Monday of ``d``'s ISO week."""
    return d - timedelta(days=d.weekday())


@dataclass
class Dashboard:
    """Every figure of the activity page for a period (same shape from rollups or raw facts)."""

    start: date
    end: date
    per_day: dict[date, int] = field(default_factory=dict)
    by_act: dict[str, int] = field(default_factory=dict)
    by_specialty: dict[str, int] = field(default_factory=dict)
    by_cabin: list[tuple[str, int]] = field(default_factory=list)
    by_organisation: list[tuple[str, int]] = field(default_factory=list)
    wait_hist: dict[int, int] = field(default_factory=dict)
    acts: int = 0
    incidents: int = 0
    calls_timed: int = 0
    duration_s_sum: int = 0

    def per_week(self) -> list[tuple[date, int]]:
        """Acts per ISO week (Monday)."""
        out: dict[date, int] = defaultdict(int)
        for d, n in self.per_day.items():
            out[week_start(d)] += n
        return sorted(out.items())

    def per_month(self) -> list[tuple[date, int]]:
        """Acts per calendar month (first day)."""
        out: dict[date, int] = defaultdict(int)
        for d, n in self.per_day.items():
            out[d.replace(day=1)] += n
        return sorted(out.items())

    def summary(self) -> dict[str, Any]:
        """Headline figures: acts, waiting p50/p95 (s), mean duration (s), incident share."""
        return {
            "acts": self.acts,
            "wait_p50_s": quantile(self.wait_hist, 0.5),
            "wait_p95_s": quantile(self.wait_hist, 0.95),
            "mean_duration_s": round(self.duration_s_sum / self.calls_timed)
            if self.calls_timed
            else None,
            "incident_share": round(self.incidents / self.acts, 4) if self.acts else None,
        }

    def as_json(self) -> dict[str, Any]:
        """JSON-ready dict (the API and the tests)."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "summary": self.summary(),
            "per_week": [[d.isoformat(), n] for d, n in self.per_week()],
            "per_month": [[d.isoformat(), n] for d, n in self.per_month()],
            "by_act": [list(kv) for kv in sorted(self.by_act.items(), key=_rank)],
            "by_specialty": [list(kv) for kv in sorted(self.by_specialty.items(), key=_rank)],
            "by_cabin": [list(kv) for kv in self.by_cabin],
            "by_organisation": [list(kv) for kv in self.by_organisation],
        }


TOP_N = 50


def _rank(kv: tuple[str, int]) -> tuple[int, str]:
    return (-kv[1], kv[0])


async def dashboard(
    conn: AsyncConnection,
    start: date,
    end: date,
    *,
    organisation_id: int | None = None,
    raw: bool = False,
) -> Dashboard:
    """The activity figures between ``start`` and ``end`` (inclusive)."""
    if raw or organisation_id is not None:
        return await _from_facts(conn, start, end, organisation_id)
    return await _from_rollups(conn, start, end)


async def _from_rollups(conn: AsyncConnection, start: date, end: date) -> Dashboard:
    out = Dashboard(start, end)
    ad = activity_daily.c
    in_period = ad.day.between(start, end)
    for r in await conn.execute(
        select(ad.day, func.sum(ad.acts)).where(in_period).group_by(ad.day)
    ):
        out.per_day[r[0]] = int(r[1])
    for col, target in ((ad.act_code, out.by_act), (ad.specialty, out.by_specialty)):
        for r in await conn.execute(select(col, func.sum(ad.acts)).where(in_period).group_by(col)):
            target[r[0]] = int(r[1])
    tot = (
        await conn.execute(
            select(
                func.sum(ad.acts),
                func.sum(ad.incidents),
                func.sum(ad.calls_timed),
                func.sum(ad.duration_s_sum),
            ).where(in_period)
        )
    ).one()
    out.acts, out.incidents, out.calls_timed, out.duration_s_sum = (int(v or 0) for v in tot)
    w = activity_wait_daily.c
    for r in await conn.execute(
        select(w.bucket, func.sum(w.n)).where(w.day.between(start, end)).group_by(w.bucket)
    ):
        out.wait_hist[int(r[0])] = int(r[1])
    m = activity_station_monthly.c
    months = m.month.between(start.replace(day=1), end)
    acts = func.sum(m.acts).label("acts")
    # Rank on integer keys first (60k monthly rows a year at 5,000 cabins), names for the top only.
    top = (
        select(m.station_id, acts)
        .where(months)
        .group_by(m.station_id)
        .order_by(acts.desc(), m.station_id)
        .limit(TOP_N)
        .subquery()
    )
    out.by_cabin = _ranked(
        (r[0], int(r[1]))
        for r in await conn.execute(
            select(stations.c.name, top.c.acts).join(stations, stations.c.id == top.c.station_id)
        )
    )
    by_org = (
        select(stations.c.organisation_id, acts)
        .select_from(activity_station_monthly.join(stations, stations.c.id == m.station_id))
        .where(months)
        .group_by(stations.c.organisation_id)
        .order_by(acts.desc())
        .limit(TOP_N + 1)  # + the cabins without organisation
        .subquery()
    )
    org_name = func.coalesce(organisations.c.name, "—")
    out.by_organisation = _ranked(
        (r[0], int(r[1]))
        for r in await conn.execute(
            select(org_name, by_org.c.acts).select_from(
                by_org.outerjoin(organisations, organisations.c.id == by_org.c.organisation_id)
            )
        )
    )[:TOP_N]
    return out


async def _from_facts(
    conn: AsyncConnection, start: date, end: date, organisation_id: int | None
) -> Dashboard:
    out = Dashboard(start, end)
    f = consultation_facts.c
    cond = [f.day.between(start, end)]
    if organisation_id is not None:
        ids = select(stations.c.id).where(stations.c.organisation_id == organisation_id)
        cond.append(f.station_id.in_(ids.scalar_subquery()))
    for r in await conn.execute(
        select(
            f.day,
            f.act_code,
            f.specialty,
            func.count(),
            func.sum(func.cast(f.incident, _int())),
            func.count(f.duration_s),
            func.coalesce(func.sum(f.duration_s), 0),
        )
        .where(*cond)
        .group_by(f.day, f.act_code, f.specialty)
    ):
        n = int(r[3])
        out.per_day[r[0]] = out.per_day.get(r[0], 0) + n
        out.by_act[r[1]] = out.by_act.get(r[1], 0) + n
        out.by_specialty[r[2]] = out.by_specialty.get(r[2], 0) + n
        out.acts += n
        out.incidents += int(r[4] or 0)
        out.calls_timed += int(r[5])
        out.duration_s_sum += int(r[6])
    for r in await conn.execute(
        select(f.wait_s, func.count()).where(*cond, f.wait_s.is_not(None)).group_by(f.wait_s)
    ):
        b = bucket_of(int(r[0]))
        out.wait_hist[b] = out.wait_hist.get(b, 0) + int(r[1])
    # Same period semantics as the monthly rollup: whole months overlapping the period.
    cond_m = [f.day.between(start.replace(day=1), _month_end(end)), *cond[1:]]
    acts = func.count().label("acts")
    out.by_cabin = [
        (r[0], int(r[1]))
        for r in await conn.execute(
            select(stations.c.name, acts)
            .join(stations, stations.c.id == f.station_id)
            .where(*cond_m)
            .group_by(stations.c.name)
            .order_by(acts.desc(), stations.c.name)
            .limit(TOP_N)
        )
    ]
    org_name = func.coalesce(organisations.c.name, "—")
    out.by_organisation = [
        (r[0], int(r[1]))
        for r in await conn.execute(
            select(org_name, acts)
            .select_from(
                consultation_facts.join(stations, stations.c.id == f.station_id).outerjoin(
                    organisations, organisations.c.id == stations.c.organisation_id
                )
            )
            .where(*cond_m)
            .group_by(org_name)
            .order_by(acts.desc(), org_name)
            .limit(TOP_N)
        )
    ]
    return out


def _ranked(pairs) -> list[tuple[str, int]]:
    """Most acts first, ties by name (the same order from rollups and from raw facts)."""
    return sorted(pairs, key=lambda kv: (-kv[1], kv[0]))


def _int():
    from sqlalchemy import Integer

    return Integer


def _month_end(d: date) -> date:
    nxt = (d.replace(day=28) + timedelta(days=4)).replace(day=1)
    return nxt - timedelta(days=1)


def parse_period(query, today: date) -> tuple[date, date]:
    """``?from=YYYY-MM-DD&to=YYYY-MM-DD`` (default: the last 365 days); ValueError if bad."""
    end = date.fromisoformat(query["to"]) if query.get("to") else today
    start = date.fromisoformat(query["from"]) if query.get("from") else end - timedelta(days=364)
    if start > end or (end - start).days > 3 * 366:
        raise ValueError("period")
    return start, end


def utc_today(now: datetime) -> date:
    """Today's date in UTC."""
    return now.date()
