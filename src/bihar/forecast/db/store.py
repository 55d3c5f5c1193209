"""The store a command works on: the configured database checked, opened and migrated, with
database failures reported as one line (`StoreError`) instead of a driver's traceback."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from bihar.forecast.db.engine import make_engine, normalise_url
from bihar.forecast.db.migrate import ensure_schema

log = logging.getLogger(__name__)


class StoreError(RuntimeError):
    """The database cannot be opened or written; the message says why and what to check."""


@contextmanager
def open_store(url: str, writer: bool = True) -> Iterator[Engine]:
    """An engine on `url` migrated to the newest schema, disposed of at the end.

    A SQLite file a writer cannot write, a server that cannot be reached, a database that does
    not exist, and an operational failure while the block runs raise `StoreError`."""
    shown = make_url(normalise_url(url)).render_as_string(hide_password=True)
    if writer:
        _check_writable(url)
    engine = make_engine(url, writer=writer)
    try:
        try:
            ensure_schema(engine)
        except DBAPIError as exc:
            raise StoreError(
                f"cannot open the database {shown}: {_reason(exc)} (check DATABASE_URL, and that "
                "the server runs and the database exists)"
            ) from exc
        try:
            yield engine
        except OperationalError as exc:
            raise StoreError(f"database {shown} failed: {_reason(exc)}") from exc
    finally:
        engine.dispose()


def _check_writable(url: str) -> None:
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return
    path = Path(parsed.database)
    if path.exists() and not os.access(path, os.W_OK):
        raise StoreError(
            f"the database file {path} is read-only; make it writable, or set DATABASE_URL to "
            "another database"
        )
    folder = path.parent
    while not folder.exists():
        folder = folder.parent
    if not os.access(folder, os.W_OK):
        raise StoreError(
            f"cannot write in {folder} (the database {path} and its journal go there); "
            "choose another DATABASE_URL"
        )


def _reason(exc: DBAPIError) -> str:
    """The driver's own message, first line only."""
    text = str(exc.orig).strip() or type(exc.orig).__name__
    return text.splitlines()[0]
