"""Migrations build the whole schema from an empty file and match the SQLModel tables."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from telecabine.store import tables
from telecabine.store.migrate import current_revision, head_revision


def test_fresh_database_is_at_head_with_every_table(data_dir) -> None:
    from telecabine.config import load_settings
    from telecabine.store import open_store

    store = open_store(load_settings(data_dir=data_dir, insecure_file_keyring=True))
    try:
        assert current_revision(store.engine) == head_revision()
        names = set(inspect(store.engine).get_table_names())
    finally:
        store.close()
    expected = {
        t.__tablename__
        for t in (
            tables.Patient,
            tables.Encounter,
            tables.Consent,
            tables.Observation,
            tables.Incident,
            tables.Document,
            tables.BillingRecordRow,
            tables.OutboxEntry,
            tables.StaffMember,
            tables.AuditEntry,
        )
    }
    assert expected <= names


def test_migrated_schema_matches_models(station_store) -> None:
    with station_store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(ctx, SQLModel.metadata)
    assert diffs == []


def test_pragmas_wal_and_foreign_keys(station_store) -> None:
    with station_store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1


def test_reopen_runs_no_migration_and_keeps_data(data_dir) -> None:
    from datetime import date

    from telecabine.config import load_settings
    from telecabine.store import open_store

    settings = load_settings(data_dir=data_dir, insecure_file_keyring=True)
    store = open_store(settings)
    pid = store.patients.create(
        birth_name="Reouvert", first_names="Jean", birth_date=date(1960, 1, 2), sex="M"
    ).id
    store.close()
    again = open_store(settings)
    try:
        assert again.patients.get(pid).birth_name == "Reouvert"
    finally:
        again.close()


def test_downgrade_to_base_and_upgrade_again(data_dir) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from telecabine.config import load_settings
    from telecabine.store import open_store
    from telecabine.store.migrate import alembic_config, upgrade_to_head

    store = open_store(load_settings(data_dir=data_dir, insecure_file_keyring=True))
    try:
        cfg = alembic_config()
        with store.engine.connect() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")
            conn.commit()
        assert set(inspect(store.engine).get_table_names()) <= {"alembic_version"}
        upgrade_to_head(store.engine)
        assert current_revision(store.engine) == head_revision()
        assert "audit_log" in inspect(store.engine).get_table_names()
    finally:
        store.close()
