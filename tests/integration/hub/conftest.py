"""Hub test fixtures: a real hub on 127.0.0.1 over SQLite and over a temporary PostgreSQL
(the cluster fixture lives in ``tests/postgres_testlib.py``, shared with the station e2e).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hub_testlib import ADMIN_TOKEN, HubEnv, hub_settings
from postgres_testlib import create_pg_database, postgres_server  # noqa: F401 (fixture)

from telecabine.hub.server import register_station, start_hub
from telecabine.hub.state import HUB


@pytest.fixture(params=["sqlite", "postgres"])
async def hub_env(request, tmp_path: Path) -> AsyncIterator[HubEnv]:
    """A hub on loopback with a fresh database (SQLite file, or a new PostgreSQL database)."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
    else:
        host, port = request.getfixturevalue("postgres_server")
        url = await create_pg_database(host, port)
    hub = await start_hub(hub_settings(url, tmp_path))
    try:
        # The app migrates on start-up, so the engine is ready for accounts now.
        token = await register_station(hub.app[HUB].engine, "cabine-1")
        yield HubEnv(hub, token, "cabine-1", ADMIN_TOKEN)
    finally:
        await hub.stop()
