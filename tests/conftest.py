"""Fixtures shared by every test layer."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# CI has no keyring daemon: the station DB key goes to the clearly named insecure file fallback.
os.environ.setdefault("TELECABINE_INSECURE_FILE_KEYRING", "1")
# Never touch a developer's real keyring from tests (one key per temp DB would pile up there).
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A fresh, empty station data directory for one test."""
    d = tmp_path / "data"
    d.mkdir()
    return d


@pytest.fixture(scope="session")
def _station_store_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One migrated, encrypted DB file and its key, copied for each test (saves the migration)."""
    import json

    from telecabine.config import load_settings
    from telecabine.store import open_store
    from telecabine.store.keys import INSECURE_KEY_FILENAME

    d = tmp_path_factory.mktemp("store-template")
    store = open_store(load_settings(data_dir=d, insecure_file_keyring=True))
    store.close()  # checkpoints the WAL: the main file holds everything
    key = json.loads((d / INSECURE_KEY_FILENAME).read_text())[store.key_account]
    return store.db_path, key


@pytest.fixture
def station_store(data_dir: Path, _station_store_template: tuple[Path, str]):
    """A fresh, migrated, encrypted station database file for this test (``Store``)."""
    import shutil

    from telecabine.config import load_settings
    from telecabine.store import open_store
    from telecabine.store.keys import INSECURE_KEY_FILENAME, InsecureFileKeyStore

    template, key = _station_store_template
    settings = load_settings(data_dir=data_dir, insecure_file_keyring=True)
    shutil.copyfile(template, settings.db_path)
    InsecureFileKeyStore(data_dir / INSECURE_KEY_FILENAME).set(str(settings.db_path.resolve()), key)
    store = open_store(settings)
    yield store
    store.close()
