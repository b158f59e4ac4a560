"""Open the station's SQLCipher database: key from the keyring, WAL, migrations to head.

``open_store(settings)`` is the single entry point; it returns a ``Store`` that owns the
SQLAlchemy engine and hands out the repositories. Measured on the 2-core CI machine: opening a
connection with the raw key costs < 1 ms (no PBKDF2), see ``bench/db_search.py``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import URL, create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError
from sqlalchemy.pool import QueuePool
from sqlmodel import Session

from telecabine.store.errors import StoreError, StoreKeyError
from telecabine.store.filelock import DatabaseLock
from telecabine.store.keys import KeyStore, choose_key_store, new_key, raw_key_pragma_value

if TYPE_CHECKING:
    from telecabine.config import Settings
    from telecabine.store.repositories import (
        AuditRepository,
        CareContactRepository,
        EncounterRepository,
        ExpertiseRepository,
        MailOutboxRepository,
        OutboxRepository,
        PatientRepository,
        ResidentRepository,
        StaffRepository,
    )

BUSY_TIMEOUT_MS = 5000
CACHE_KIB = 16 * 1024


def build_engine(db_path: Path, hex_key: str) -> Engine:
    """A SQLAlchemy engine over SQLCipher with a raw 256-bit key, WAL and foreign keys on."""
    url = URL.create(
        "sqlite+pysqlcipher",
        password=raw_key_pragma_value(hex_key),  # dialect runs: pragma key="x'<hex>'"
        database=str(db_path),
    )
    engine = create_engine(
        url,
        poolclass=QueuePool,
        pool_size=4,
        max_overflow=4,
        connect_args={"check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        # We issue BEGIN ourselves (below) so SQLite's locking matches our transactions.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA journal_mode = WAL")
        # FULL: each commit is fsynced, so a power cut in the cabin loses no billing record or
        # intake draft (NORMAL would keep the file consistent but could drop the last commits).
        cur.execute("PRAGMA synchronous = FULL")
        # Decrypted pages stay cached per connection: 16 MiB keeps the search indexes hot.
        cur.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        cur.execute("PRAGMA temp_store = MEMORY")  # sorts/temp tables never touch the disk
        # Purged rows are overwritten, not left in free pages where the key would reveal them.
        cur.execute("PRAGMA secure_delete = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        # Writers take the lock up front (IMMEDIATE) so they wait on busy_timeout instead of
        # failing mid-transaction when two writers race (e.g. audit seq allocation).
        if conn.get_execution_options().get("immediate"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")

    return engine


def check_key(engine: Engine) -> None:
    """Raise ``StoreKeyError`` if the key does not decrypt the file."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT count(*) FROM sqlite_master")).scalar_one()
    except DatabaseError as exc:
        if "not a database" not in str(exc.orig):
            # Disk full, permissions, missing directory...: not a key problem, say so.
            raise StoreError(
                f"Impossible d'ouvrir la base locale ({type(exc.orig).__name__}: {exc.orig}).",
                f"Cannot open the local database ({type(exc.orig).__name__}: {exc.orig}).",
            ) from exc
        raise StoreKeyError(
            "La clé de chiffrement ne permet pas d'ouvrir la base locale (clé perdue ou "
            "remplacée). Contactez le support ; ne supprimez pas le fichier.",
            "The encryption key does not open the local database (key lost or replaced). "
            "Contact support; do not delete the file.",
        ) from exc


@dataclass
class Store:
    """The open station database: engine, key store, warnings and repositories."""

    db_path: Path
    engine: Engine
    key_store: KeyStore
    key_account: str
    lock: DatabaseLock | None = None
    _writer: Engine = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._writer = self.engine.execution_options(immediate=True)

    @property
    def key_warning(self) -> tuple[str, str] | None:
        """(French, English) warning when the key is not in a secure keyring, else None."""
        return self.key_store.warning

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        """A short read-only session (rows stay usable after it closes)."""
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """One short write transaction: commits on success, rolls everything back on error."""
        with Session(self._writer, expire_on_commit=False) as session, session.begin():
            yield session

    @property
    def patients(self) -> PatientRepository:
        """Patient identities."""
        from telecabine.store.repositories import PatientRepository

        return PatientRepository(self)

    @property
    def encounters(self) -> EncounterRepository:
        """Encounters and everything attached to them."""
        from telecabine.store.repositories import EncounterRepository

        return EncounterRepository(self)

    @property
    def outbox(self) -> OutboxRepository:
        """Billing records waiting to be sent to the hub."""
        from telecabine.store.repositories import OutboxRepository

        return OutboxRepository(self)

    @property
    def care_contacts(self) -> CareContactRepository:
        """The médecin traitant of each patient (name, RPPS, secure e-mail)."""
        from telecabine.store.repositories import CareContactRepository

        return CareContactRepository(self)

    @property
    def mail_outbox(self) -> MailOutboxRepository:
        """Report e-mails waiting to leave."""
        from telecabine.store.repositories import MailOutboxRepository

        return MailOutboxRepository(self)

    @property
    def expertise(self) -> ExpertiseRepository:
        """Télé-expertise requests, photos and answers."""
        from telecabine.store.repositories import ExpertiseRepository

        return ExpertiseRepository(self)

    @property
    def residents(self) -> ResidentRepository:
        """EHPAD residents (room, ALD, representatives, consent on file)."""
        from telecabine.store.repositories import ResidentRepository

        return ResidentRepository(self)

    @property
    def staff(self) -> StaffRepository:
        """Staff accounts (hashes only; sign-in logic is in services.staff)."""
        from telecabine.store.repositories import StaffRepository

        return StaffRepository(self)

    @property
    def audit(self) -> AuditRepository:
        """The hash-chained audit trail."""
        from telecabine.store.repositories import AuditRepository

        return AuditRepository(self)

    def replace_engine(self, engine: Engine) -> None:
        """Swap in a new engine (after a rekey); the old one is disposed."""
        self.engine.dispose()
        self.engine = engine
        self._writer = engine.execution_options(immediate=True)

    def close(self) -> None:
        """Checkpoint the WAL and release every connection."""
        with contextlib.suppress(DatabaseError), self.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        self.engine.dispose()
        if self.lock is not None:
            self.lock.release()


def _restrict_permissions(db_path: Path) -> None:
    """Owner-only access to the DB and its WAL/SHM (encrypted anyway; no need to expose them)."""
    if os.name != "posix":
        return  # Windows: the per-user AppData ACL already applies
    for suffix in ("", "-wal", "-shm"):
        f = db_path.with_name(db_path.name + suffix)
        if f.exists():
            f.chmod(0o600)


def _open_with_key_or_pending(
    db_path: Path, hex_key: str, key_store: KeyStore, account: str
) -> Engine:
    """Engine for the stored key; after an interrupted rekey, the pending ``#next`` key."""
    engine = build_engine(db_path, hex_key)
    try:
        check_key(engine)
        return engine
    except StoreKeyError:
        engine.dispose()
        pending = key_store.get(account + "#next")
        if not pending:
            raise
    engine = build_engine(db_path, pending)
    try:
        check_key(engine)
    except StoreKeyError:
        engine.dispose()
        raise
    key_store.set(account, pending)  # the rekey had finished: make its key the current one
    key_store.set(account + "#next", "")
    return engine


def open_store(settings: Settings, *, key_store: KeyStore | None = None) -> Store:
    """Open (creating on first start) the encrypted database and migrate it to head."""
    from telecabine.store.migrate import upgrade_to_head

    settings.ensure_dirs()
    db_path = settings.db_path.resolve()
    if key_store is None:
        key_store = choose_key_store(settings.data_dir, settings.insecure_file_keyring)
    account = str(db_path)
    hex_key = key_store.get(account)
    if hex_key is None:
        if db_path.exists() and db_path.stat().st_size > 0:
            # Never silently replace a lost key: a new one cannot read the existing file.
            raise StoreKeyError(
                "La base locale existe mais sa clé est introuvable dans le trousseau. "
                "Contactez le support ; ne supprimez pas le fichier.",
                "The local database exists but its key is missing from the keyring. "
                "Contact support; do not delete the file.",
            )
        hex_key = new_key()
        key_store.set(account, hex_key)
    lock = DatabaseLock(db_path)
    lock.acquire_shared()
    try:
        engine = _open_with_key_or_pending(db_path, hex_key, key_store, account)
    except BaseException:
        lock.release()
        raise
    try:
        upgrade_to_head(engine)
        _restrict_permissions(db_path)
    except BaseException:
        engine.dispose()
        lock.release()
        raise
    return Store(
        db_path=db_path, engine=engine, key_store=key_store, key_account=account, lock=lock
    )
