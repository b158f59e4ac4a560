"""Encryption at rest: no key, no data; no plaintext in the DB, WAL or SHM files."""

from __future__ import annotations

import json
import sqlite3
import stat

import pytest

from telecabine.config import load_settings
from telecabine.store import KeyringUnavailableError, StoreKeyError, open_store
from telecabine.store.keys import INSECURE_KEY_FILENAME, InsecureFileKeyStore


def _all_db_bytes(store) -> bytes:
    out = b""
    for suffix in ("", "-wal", "-shm"):
        f = store.db_path.with_name(store.db_path.name + suffix)
        if f.exists():
            out += f.read_bytes()
    return out


def test_plain_sqlite_cannot_read_the_file(patient_encounter) -> None:
    store, _, _ = patient_encounter
    conn = sqlite3.connect(store.db_path)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="file is not a database"):
            conn.execute("SELECT name FROM sqlite_master").fetchall()
    finally:
        conn.close()


def test_patient_data_not_in_raw_bytes_even_with_wal_open(patient_encounter, distinctive) -> None:
    store, _, e = patient_encounter
    store.encounters.add_document(
        e.id, kind="prescription", filename="ordo.pdf", content=b"%PDF-1.7 Zyxquorbelin AMOXI"
    )
    # Store still open: recent pages live in the WAL file, which must be encrypted too.
    raw = _all_db_bytes(store)
    assert len(raw) > 4096
    for needle in (
        distinctive["birth_name"],
        distinctive["birth_name"].upper(),
        "AMOXI",
        distinctive["nir"],
        "Ermengarde",
    ):
        assert needle.encode() not in raw
        assert needle.encode("utf-16-le") not in raw


def test_key_file_fallback_is_private_and_named_insecure(station_store, data_dir) -> None:
    key_file = data_dir / INSECURE_KEY_FILENAME
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert station_store.key_warning is not None
    fr, en = station_store.key_warning
    assert "non protégé" in fr and "unprotected" in en


def test_wrong_key_gives_a_typed_error(station_store, data_dir) -> None:
    station_store.close()
    key_file = data_dir / INSECURE_KEY_FILENAME
    data = json.loads(key_file.read_text())
    account = next(iter(data))
    data[account] = "ab" * 32
    key_file.write_text(json.dumps(data))
    with pytest.raises(StoreKeyError) as exc:
        open_store(load_settings(data_dir=data_dir, insecure_file_keyring=True))
    assert "clé" in exc.value.message("fr")


def test_lost_key_never_replaced_silently(station_store, data_dir) -> None:
    station_store.close()
    (data_dir / INSECURE_KEY_FILENAME).unlink()
    with pytest.raises(StoreKeyError):
        open_store(load_settings(data_dir=data_dir, insecure_file_keyring=True))
    assert not (data_dir / INSECURE_KEY_FILENAME).exists() or not json.loads(
        (data_dir / INSECURE_KEY_FILENAME).read_text()
    )


def test_no_secure_keyring_and_fallback_not_enabled_fails_clearly(data_dir, monkeypatch) -> None:
    monkeypatch.setattr("telecabine.store.keys.secure_keyring_available", lambda: False)
    with pytest.raises(KeyringUnavailableError) as exc:
        open_store(load_settings(data_dir=data_dir, insecure_file_keyring=False))
    assert "TELECABINE_INSECURE_FILE_KEYRING=1" in exc.value.message("en")
    assert not any(data_dir.iterdir())  # nothing created


def test_explicit_key_store_is_used(data_dir, t0) -> None:
    ks = InsecureFileKeyStore(data_dir / "other.json")
    store = open_store(load_settings(data_dir=data_dir), key_store=ks)
    try:
        store.patients.create(
            birth_name="Autre", first_names="A", birth_date=t0.date(), sex="M", now=t0
        )
        assert json.loads((data_dir / "other.json").read_text())
    finally:
        store.close()


def test_database_files_are_owner_only(station_store) -> None:
    with station_store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA temp_store").scalar() == 2  # MEMORY
    for suffix in ("", "-wal", "-shm"):
        f = station_store.db_path.with_name(station_store.db_path.name + suffix)
        if f.exists():
            assert stat.S_IMODE(f.stat().st_mode) & 0o077 == 0, f.name


def test_unreadable_file_is_not_reported_as_a_key_problem(data_dir) -> None:
    import os

    from telecabine.store import StoreError
    from telecabine.store.engine import build_engine, check_key
    from telecabine.store.keys import new_key

    if os.geteuid() == 0:
        # root reads any file: use a directory where the DB file should be instead.
        target = data_dir / "dir.db"
        target.mkdir()
    else:
        target = data_dir / "locked.db"
        target.write_bytes(b"")
        target.chmod(0)
    engine = build_engine(target, new_key())
    try:
        with pytest.raises(StoreError) as exc:
            check_key(engine)
        assert not isinstance(exc.value, StoreKeyError)
        assert "Cannot open" in exc.value.message("en")
    finally:
        engine.dispose()
