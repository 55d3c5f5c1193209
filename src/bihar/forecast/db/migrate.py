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
from sqlalchemy import Engine

from bihar.forecast.db.locks import lock_until_commit

log = logging.getLogger(__name__)

SCRIPT_LOCATION = "bihar.forecast.db:migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    return config


def upgrade_head(engine: Engine) -> None:
    """Apply every pending migration to the database behind `engine`, in one transaction; when
    any ran, the served days (derived data) are remade by the code of this revision."""
    config = alembic_config()
    with engine.begin() as connection:
        lock_until_commit(connection, "migrations")
        before = MigrationContext.configure(connection).get_current_revision()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        if MigrationContext.configure(connection).get_current_revision() != before:
            from bihar.forecast.served import remake_all_served_days

            remake_all_served_days(connection)


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
