"""Activity figures over a real hub: rollups maintained on ingest equal the raw-fact figures,
plots are non-empty SVG, CSV downloads neutralise formula cells, bad periods are typed 422."""

from __future__ import annotations

import csv
import io
from datetime import date

from activity_seed import EXPECTED, INJECTION, seed_activity
from fleet_testlib import ADMIN, start_fleet_hub
from hub_testlib import client
from test_hub_fleet import db_url  # noqa: F401 - the sqlite/postgres fixture

from telecabine.hub.activity import dashboard
from telecabine.hub.state import HUB


async def test_activity_figures_plots_and_csv(db_url, tmp_path) -> None:  # noqa: F811
    hub = await start_fleet_hub(db_url, tmp_path, None)
    engine = hub.app[HUB].engine
    start, end = EXPECTED["period"]
    q = f"from={start}&to={end}"
    try:
        await seed_activity(hub.url, engine)
        async with client() as http:
            async with http.get(f"{hub.url}/api/v1/admin/activity?{q}", headers=ADMIN) as resp:
                assert resp.status == 200
                data = await resp.json()
            s = data["summary"]
            assert s["acts"] == EXPECTED["acts"]
            assert (s["wait_p50_s"], s["wait_p95_s"]) == (60, 240)
            assert s["mean_duration_s"] == EXPECTED["mean_duration_s"]
            assert s["incident_share"] == EXPECTED["incident_share"]
            for key in ("by_act", "by_cabin", "by_organisation", "per_month"):
                assert data[key] == EXPECTED[key], key
            assert sum(n for _, n in data["per_week"]) == 6
            # Rollups (maintained on ingest) and raw facts give the same figures.
            async with engine.connect() as conn:
                d0, d1 = date.fromisoformat(start), date.fromisoformat(end)
                raw = (await dashboard(conn, d0, d1, raw=True)).as_json()
            assert raw == data
            # Organisation filter: only its two cabins.
            org = "Pharmacie du Marché"
            async with http.get(
                f"{hub.url}/api/v1/admin/activity",
                params={"from": start, "to": end, "organisation": org},
                headers=ADMIN,
            ) as resp:
                assert (await resp.json())["summary"]["acts"] == 5
            async with http.get(
                f"{hub.url}/api/v1/admin/activity/by_act.svg?{q}&lang=en", headers=ADMIN
            ) as resp:
                assert resp.content_type == "image/svg+xml"
                svg = await resp.text()
            assert svg.count('class="bar"') == 3 and "Acts by act code" in svg
            async with http.get(
                f"{hub.url}/api/v1/admin/activity/by_specialty.csv?{q}", headers=ADMIN
            ) as resp:
                raw_csv = (await resp.read()).decode("utf-8-sig")
            rows = list(csv.reader(io.StringIO(raw_csv), delimiter=";"))
            assert ["'" + INJECTION, "1"] in rows
            assert not any(r[0].startswith("=") for r in rows)
            for bad in ("from=2026-13-01", "from=2026-12-01&to=2026-01-01", "organisation=nope"):
                async with http.get(
                    f"{hub.url}/api/v1/admin/activity?{bad}", headers=ADMIN
                ) as resp:
                    assert resp.status == 422, bad
            async with http.get(f"{hub.url}/api/v1/admin/activity?{q}") as resp:
                assert resp.status == 401
            async with http.get(f"{hub.url}/api/v1/admin/activity/nope.svg", headers=ADMIN) as resp:
                assert resp.status == 404
    finally:
        await hub.stop()
