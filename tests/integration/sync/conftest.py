"""Fixtures of the billing sync tests: a real hub on 127.0.0.1 and a real station store."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from sync_testlib import STATION, TestHub

from telecabine.config import Settings, load_settings
from telecabine.store import open_store
from telecabine.store.engine import Store


@dataclass
class SyncEnv:
    """Hub + station store + settings pointing at the hub + the station's token."""

    hub: TestHub
    store: Store
    settings: Settings
    token: str


@pytest.fixture
async def sync_env(tmp_path: Path):
    """A running hub with the station registered, and the station's encrypted store."""
    (tmp_path / "hub").mkdir()
    hub = TestHub(tmp_path / "hub")
    await hub.start()
    token = await hub.register(STATION)
    settings = load_settings(
        data_dir=tmp_path / "station", insecure_file_keyring=True, station_id=STATION,
        hub_url=hub.url,
    )  # fmt: skip
    settings.ensure_dirs()
    store = open_store(settings)
    yield SyncEnv(hub, store, settings, token)
    store.close()
    await hub.stop()
