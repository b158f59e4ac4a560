"""Writers from several threads: no lost audit entry, chain intact (BEGIN IMMEDIATE + busy wait)."""

from __future__ import annotations

import threading

from telecabine.store.keys import key_storage_warning


def test_parallel_audit_appends_keep_the_chain(station_store) -> None:
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(15):
                station_store.audit.record(f"staff:{n}", "patient_viewed", "encounter", f"{n}-{i}")
        except BaseException as exc:  # reported below; a thread must not die silently
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert station_store.audit.count() == 60
    assert station_store.audit.verify_chain() is None


def test_key_storage_warning_for_check(data_dir, monkeypatch) -> None:
    monkeypatch.setattr("telecabine.store.keys.secure_keyring_available", lambda: False)
    fr, en = key_storage_warning(data_dir, insecure_file_allowed=True)
    assert "non protégé" in fr and "unprotected" in en
    fr, en = key_storage_warning(data_dir, insecure_file_allowed=False)
    assert "TELECABINE_INSECURE_FILE_KEYRING" in en
    monkeypatch.setattr("telecabine.store.keys.secure_keyring_available", lambda: True)
    assert key_storage_warning(data_dir, insecure_file_allowed=True) is None
