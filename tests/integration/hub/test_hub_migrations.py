"""The Alembic migrations produce exactly the schema that ``hub/db.py`` declares."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from telecabine.hub.db import metadata, migrate


async def test_migrations_match_models_and_are_idempotent(hub_env):
    await migrate(hub_env.engine)  # second run (the app ran it at start-up): no-op

    def diff(sync_conn):
        ctx = MigrationContext.configure(sync_conn, opts={"compare_type": True})
        return compare_metadata(ctx, metadata)

    async with hub_env.engine.connect() as conn:
        changes = await conn.run_sync(diff)
    assert changes == []
