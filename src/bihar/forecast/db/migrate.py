"""Bring a database to the newest schema with Alembic (`alembic upgrade head` in code).

A migration runs in one transaction on both backends (on SQLite too: see `engine`), so a process
killed at any point of it leaves the database as it was, and the next command migrates it
again. Concurrent migrations queue: on SQLite behind the write lock, on PostgreSQL behind a
transaction-level advisory lock; the second then finds the schema current and does nothing.
"""

from __future__ import annotations

import logging

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

log = logging.getLogger(__name__)

SCRIPT_LOCATION = "bihar.forecast.db:migrations"
#: Key of the PostgreSQL advisory lock held while migrating (any constant unique to bihar).
MIGRATION_LOCK_KEY = 0x6269686172  # "bihar"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    return config


def upgrade_head(engine: Engine) -> None:
    """Apply every pending migration to the database behind `engine`, in one transaction."""
    config = alembic_config()
    with engine.begin() as connection:
        _lock_migrations(connection)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _lock_migrations(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})


def is_current(engine: Engine) -> bool:
    """Whether the database is at the newest revision."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() == head


def ensure_schema(engine: Engine) -> None:
    """Migrate to head when behind (logged), else nothing."""
    if not is_current(engine):
        log.info("migrating %s to the newest schema", engine.url.render_as_string())
        upgrade_head(engine)
