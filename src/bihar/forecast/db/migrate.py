"""Bring a database to the newest schema with Alembic (`alembic upgrade head` in code)."""

from __future__ import annotations

import logging

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

log = logging.getLogger(__name__)

SCRIPT_LOCATION = "bihar.forecast.db:migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    return config


def upgrade_head(engine: Engine) -> None:
    """Apply every pending migration to the database behind `engine`."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


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
