"""Alembic environment: migrate the connection pii-audit hands over, batch mode on SQLite."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from pii_audit.ledger.schema import metadata


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    """Migrate the connection in the config's attributes, else the URL in alembic.ini."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(context.config.get_main_option("sqlalchemy.url"), hide_parameters=True)
    with engine.connect() as connection:
        _run(connection)


run()
