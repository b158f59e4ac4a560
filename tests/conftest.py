"""Fixtures shared by every test layer."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# CI has no keyring daemon: the station DB key goes to the clearly named insecure file fallback.
os.environ.setdefault("TELECABINE_INSECURE_FILE_KEYRING", "1")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A fresh, empty station data directory for one test."""
    d = tmp_path / "data"
    d.mkdir()
    return d


@pytest.fixture
def station_store(data_dir: Path):
    """A freshly created, migrated, encrypted station database (``telecabine.store.Store``)."""
    from telecabine.config import load_settings
    from telecabine.store import open_store

    store = open_store(load_settings(data_dir=data_dir, insecure_file_keyring=True))
    yield store
    store.close()
