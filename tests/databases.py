"""Throw-away PostgreSQL databases on the server the suite uses.

The server is `BIHAR_TEST_POSTGRES_URL` (default the local one, database `test`). When it
cannot be reached the test is skipped, unless CI=true, where it fails: CI never skips them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

#: The PostgreSQL server of the suite (any SQLAlchemy or libpq form of the URL).
POSTGRES_URL = os.environ.get(
    "BIHAR_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _postgres_unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"PostgreSQL is required when CI=true: {reason}")
    pytest.skip(f"PostgreSQL not reachable ({reason}); set CI=true to make this a failure")


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new empty database (its SQLAlchemy URL), dropped afterwards."""
    import psycopg

    name = f"bihar_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(_libpq(POSTGRES_URL), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        _postgres_unavailable(str(exc).strip().splitlines()[0])
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = _libpq(POSTGRES_URL).rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(_libpq(POSTGRES_URL), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
