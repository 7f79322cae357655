"""Alembic environment for programmatic use: Store.migrate() hands over its open connection."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from policycheck.store.tables import metadata


def run_migrations() -> None:
    """Upgrade on the connection in config.attributes["connection"], inside its transaction."""
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError("run policycheck migrations with Store.migrate(), not the alembic CLI")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


# Alembic installs `context.config` while it runs this file; a plain import (pytest's doctest
# collection, for one) finds none and does nothing.
if hasattr(context, "config"):
    run_migrations()
