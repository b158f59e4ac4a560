"""Key rotation (``telecabine store rekey``): SQLCipher ``PRAGMA rekey`` with a fresh random key.

Order matters so a crash never strands the data: the new key is first saved in the key store
under ``<account>#next``, then the file is re-encrypted, then the new key replaces the old one.
If the process dies in between, ``open_store`` finds the ``#next`` key and uses it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from telecabine.store.engine import build_engine, check_key
from telecabine.store.keys import new_key, raw_key_pragma_value
from telecabine.store.repositories.audit import append_in

if TYPE_CHECKING:
    from telecabine.store.engine import Store

NEXT_SUFFIX = "#next"


def rekey_store(store: Store, *, actor: str = "system", now: datetime | None = None) -> None:
    """Re-encrypt the database with a new key and keep it in the key store; audited."""
    if store.lock is not None:
        store.lock.upgrade_exclusive()  # refuses while the station (another process) is open
    try:
        _rekey(store, actor, now)
    finally:
        if store.lock is not None:
            store.lock.downgrade_shared()


def _rekey(store: Store, actor: str, now: datetime | None) -> None:
    hex_key = new_key()
    store.key_store.set(store.key_account + NEXT_SUFFIX, hex_key)
    # One connection only: checkpoint the WAL into the main file, then rekey every page.
    store.engine.dispose()
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.commit()
        raw = conn.connection.dbapi_connection
        raw.execute(f'PRAGMA rekey = "{raw_key_pragma_value(hex_key)}"')
    store.engine.dispose()
    new_engine = build_engine(store.db_path, hex_key)
    check_key(new_engine)
    store.key_store.set(store.key_account, hex_key)
    store.key_store.set(store.key_account + NEXT_SUFFIX, "")
    store.replace_engine(new_engine)
    with store.write() as session:
        append_in(session, actor=actor, action="store_rekey", now=now)
