"""Engines for the configured database: SQLite (WAL, foreign keys) or PostgreSQL (psycopg 3).

SQLite transactions are real transactions here: each starts with an explicit `BEGIN` (Python's
sqlite3 module would otherwise commit before each DDL statement, so a migration killed half-way
left tables without its `alembic_version` row). A writing process's engine begins with
`BEGIN IMMEDIATE`, which takes the write lock at once: two processes that each read then write
queue on the lock (busy timeout) instead of one failing when it upgrades its read. A read-only
engine (the API, the monitoring plot) begins `DEFERRED`, so its readers never wait for a writer
(WAL).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

#: Seconds a SQLite connection waits for another process's write lock.
SQLITE_BUSY_SECONDS = 30
#: Seconds to reach a PostgreSQL server before giving up (an unreachable host fails, not hangs).
POSTGRES_CONNECT_SECONDS = 10


def normalise_url(url: str) -> str:
    """Use the psycopg 3 driver for plain `postgresql://` URLs."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str, *, writer: bool = True, **kwargs: Any) -> Engine:
    """An engine for `url`; a SQLite file gets its folder created, WAL and foreign keys.

    `writer=False` (a process that only reads) begins SQLite transactions without the lock.
    """
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_SECONDS}, **kwargs)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _begin_immediate if writer else _begin_deferred)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        connect_args={"connect_timeout": POSTGRES_CONNECT_SECONDS},
        **kwargs,
    )


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # The driver never begins nor commits on its own: SQLAlchemy's `begin` event does.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _begin_immediate(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _begin_deferred(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN")
