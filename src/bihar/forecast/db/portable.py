"""SQL expressions written once and compiled for SQLite and for PostgreSQL, where the two
spell them differently."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, literal_column
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


def upsert(dialect: str, table: Table) -> sqlite.Insert | postgresql.Insert:
    """An INSERT into `table` that takes `on_conflict_do_update` (both dialects have one)."""
    if dialect == "sqlite":
        return sqlite.insert(table)
    if dialect == "postgresql":
        return postgresql.insert(table)
    raise NotImplementedError(f"no upsert for {dialect}")


class HoursAfter(FunctionElement[Any]):
    """`HoursAfter(timestamp, n)`: the timestamp `n` whole hours later, in the form the column
    stores (so it compares with stored values on SQLite, which keeps timestamps as text)."""

    inherit_cache = True

    def __init__(self, timestamp: Any, hours: int) -> None:
        # The number is a literal column, so it is part of the statement's cache key.
        super().__init__(timestamp, literal_column(str(int(hours))))


def _timestamp_and_hours(element: HoursAfter, compiler: SQLCompiler, **kw: Any) -> tuple[str, int]:
    timestamp, hours = element.clauses.clauses
    return compiler.process(timestamp, **kw), int(hours.name)


@compiles(HoursAfter, "sqlite")
def _hours_after_sqlite(element: HoursAfter, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLAlchemy stores SQLite timestamps as 'YYYY-MM-DD HH:MM:SS.ffffff'.
    timestamp, hours = _timestamp_and_hours(element, compiler, **kw)
    return f"(datetime({timestamp}, '+{hours} hours') || '.000000')"


@compiles(HoursAfter, "postgresql")
def _hours_after_postgresql(element: HoursAfter, compiler: SQLCompiler, **kw: Any) -> str:
    timestamp, hours = _timestamp_and_hours(element, compiler, **kw)
    return f"({timestamp} + interval '{hours} hours')"
