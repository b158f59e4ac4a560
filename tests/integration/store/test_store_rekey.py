"""Key rotation: data readable with the new key; the old key no longer opens the file."""

from __future__ import annotations

import json

import pytest
import sqlcipher3

from telecabine.config import load_settings
from telecabine.store import StoreKeyError, open_store
from telecabine.store.keys import INSECURE_KEY_FILENAME
from telecabine.store.rekey import rekey_store


def _raw_open(path, hex_key):
    conn = sqlcipher3.connect(str(path))
    conn.execute(f"PRAGMA key = \"x'{hex_key}'\"")
    return conn


def test_rekey_then_reopen(patient_encounter, data_dir) -> None:
    store, p, _ = patient_encounter
    keys = json.loads((data_dir / INSECURE_KEY_FILENAME).read_text())
    old_key = keys[store.key_account]
    rekey_store(store, actor="staff:1")
    assert store.patients.get(p.id).birth_name == "Zyxquorbelin"  # same Store keeps working
    store.close()

    keys = json.loads((data_dir / INSECURE_KEY_FILENAME).read_text())
    new = keys[store.key_account]
    assert new != old_key and keys[store.key_account + "#next"] == ""
    old_conn = _raw_open(store.db_path, old_key)
    with pytest.raises(sqlcipher3.DatabaseError):
        old_conn.execute("SELECT count(*) FROM patient").fetchall()
    old_conn.close()

    again = open_store(load_settings(data_dir=data_dir, insecure_file_keyring=True))
    try:
        assert again.patients.get(p.id).birth_name == "Zyxquorbelin"
        assert again.audit.entries()[-1].action == "store_rekey"
    finally:
        again.close()


def test_interrupted_rekey_recovers_with_pending_key(station_store, data_dir) -> None:
    station_store.close()
    kf = data_dir / INSECURE_KEY_FILENAME
    keys = json.loads(kf.read_text())
    account = station_store.key_account
    # Simulate a crash after PRAGMA rekey but before the new key replaced the old one.
    new = "cd" * 32
    conn = _raw_open(station_store.db_path, keys[account])
    conn.execute(f"PRAGMA rekey = \"x'{new}'\"")
    conn.close()
    keys[account + "#next"] = new
    kf.write_text(json.dumps(keys))
    store = open_store(load_settings(data_dir=data_dir, insecure_file_keyring=True))
    store.close()
    assert json.loads(kf.read_text())[account] == new
    keys = json.loads(kf.read_text())
    keys[account] = "ef" * 32
    kf.write_text(json.dumps(keys))
    with pytest.raises(StoreKeyError):
        open_store(load_settings(data_dir=data_dir, insecure_file_keyring=True))


def test_rekey_refused_while_another_process_has_the_store_open(data_dir) -> None:
    import os
    import subprocess
    import sys
    import textwrap

    from telecabine.store.filelock import StoreBusyError

    if os.name != "posix":
        pytest.skip("advisory lock is POSIX-only (documented in store/filelock.py)")
    settings = load_settings(data_dir=data_dir, insecure_file_keyring=True)
    open_store(settings).close()
    holder = textwrap.dedent(
        f"""
        import sys, time
        from telecabine.config import load_settings
        from telecabine.store import open_store
        s = open_store(load_settings(data_dir={str(data_dir)!r}, insecure_file_keyring=True))
        print("open", flush=True)
        sys.stdin.readline()
        s.close()
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", holder], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout.readline().strip() == "open"
        store = open_store(settings)
        try:
            with pytest.raises(StoreBusyError):
                rekey_store(store)
            assert store.patients.search_by_name("x") == []  # still usable, old key
        finally:
            store.close()
    finally:
        child.communicate("\n", timeout=30)
    store = open_store(settings)
    try:
        rekey_store(store)  # alone now
    finally:
        store.close()
