"""Named locks held until the end of the current transaction, so that writers of the same thing
take turns.

PostgreSQL: a transaction-level advisory lock keyed on the name. SQLite: nothing to do, since a
writer's transaction already holds the database's write lock from its first statement (the
engine begins with `BEGIN IMMEDIATE`, see `engine`).
"""

from __future__ import annotations

import hashlib

from sqlalchemy import Connection, text


def lock_until_commit(conn: Connection, name: str) -> None:
    """Wait for, then hold, the lock called `name` until the transaction of `conn` ends."""
    if conn.dialect.name == "postgresql":
        digest = hashlib.sha256(f"bihar:{name}".encode()).digest()
        key = int.from_bytes(digest[:8], "big", signed=True)
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
