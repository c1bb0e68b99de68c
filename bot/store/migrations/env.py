"""Alembic's environment: always handed a live connection by bot.store.migrate (never a URL)."""

from __future__ import annotations

from alembic import context

from bot.store.tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite alters tables by copying them: later revisions can change columns on both engines.
    render_as_batch=True,
)
with context.begin_transaction():
    context.run_migrations()
