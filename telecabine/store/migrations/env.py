"""Alembic environment of the station schema (run by ``telecabine.store.migrate``)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from telecabine.store import tables  # noqa: F401  (registers the tables on the metadata)

connection = context.config.attributes.get("connection")
if connection is None:  # the store always passes its own (keyed) connection
    raise RuntimeError("station migrations run through telecabine.store.migrate.upgrade_to_head()")
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
)
with context.begin_transaction():
    context.run_migrations()
