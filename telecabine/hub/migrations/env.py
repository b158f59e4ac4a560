"""Alembic environment for the hub schema (run on start by ``telecabine.hub.db.migrate``)."""

from __future__ import annotations

from alembic import context

from telecabine.hub.db import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # the hub always passes its own connection
    raise RuntimeError("hub migrations run through telecabine.hub.db.migrate()")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
