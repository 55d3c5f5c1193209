"""Hourly observations in the database: idempotent upsert and reads.

The caller owns the transaction (`engine.begin()`), so one acquisition is all-or-nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy import Connection, and_, bindparam, func, insert, select, update

from bihar.forecast.db.models import LocationRow, Observation
from bihar.forecast.locations import Location, UnknownLocationError
from bihar.forecast.openmeteo import VARIABLES

BATCH_ROWS = 5_000
_TABLE = Observation.__table__


@dataclass(frozen=True)
class UpsertCounts:
    inserted: int
    updated: int
    unchanged: int


def ensure_location(conn: Connection, location: Location, elevation: float | None) -> int:
    """The id of the stored `location` (`bihar locations add`), its elevation filled in when
    learnt."""
    row = conn.execute(
        select(LocationRow.id, LocationRow.elevation).where(LocationRow.name == location.name)
    ).first()
    if row is None:
        raise UnknownLocationError(
            f"{location.name} is not a stored location; add it with `bihar locations add`"
        )
    if row.elevation is None and elevation is not None:
        conn.execute(
            update(LocationRow).where(LocationRow.id == row.id).values(elevation=elevation)
        )
    return row.id


def location_id(conn: Connection, name: str) -> int:
    """The id of a stored location, or `UnknownLocationError` naming the stored ones."""
    found = conn.execute(select(LocationRow.id).where(LocationRow.name == name)).scalar()
    if found is None:
        names = conn.execute(select(LocationRow.name).order_by(LocationRow.name)).scalars().all()
        raise UnknownLocationError(
            f"no data for location {name!r}; stored: {', '.join(names) or 'none'}"
        )
    return found


def upsert_observations(
    conn: Connection, loc_id: int, rows: pd.DataFrame, source: str, ingested_at: datetime
) -> UpsertCounts:
    """Insert new hours, update changed ones, leave identical ones untouched.

    `rows` is indexed by naive-UTC hour with the `VARIABLES` columns and a boolean `interpolated`.
    An unchanged row keeps its source and ingestion time, so running twice changes nothing.
    """
    if rows.empty:
        return UpsertCounts(0, 0, 0)
    existing = read_hourly(conn, loc_id, rows.index[0], rows.index[-1])
    new_times = rows.index.difference(existing.index)
    common = rows.index.intersection(existing.index)
    columns = [*VARIABLES, "interpolated"]
    ours = rows.loc[common, columns]
    theirs = existing.loc[common, columns]
    same = ((ours == theirs) | (ours.isna() & theirs.isna())).all(axis=1)
    changed = ours[~same.to_numpy()]

    new_records = _records(rows.loc[new_times, columns])
    for batch in _batches(new_records):
        conn.execute(
            insert(_TABLE),
            [
                {**r, "location_id": loc_id, "source": source, "ingested_at": ingested_at}
                for r in batch
            ],
        )
    if not changed.empty:
        statement = (
            update(_TABLE)
            .where(and_(_TABLE.c.location_id == loc_id, _TABLE.c.time == bindparam("b_time")))
            .values({c: bindparam(f"b_{c}") for c in [*columns, "source", "ingested_at"]})
        )
        for batch in _batches(_records(changed)):
            conn.execute(
                statement,
                [
                    {
                        **{f"b_{k}": v for k, v in r.items()},
                        "b_source": source,
                        "b_ingested_at": ingested_at,
                    }
                    for r in batch
                ],
            )
    return UpsertCounts(len(new_times), len(changed), len(common) - len(changed))


def read_hourly(
    conn: Connection,
    loc_id: int,
    start: datetime | None = None,
    end: datetime | None = None,
    variables: Sequence[str] = VARIABLES,
) -> pd.DataFrame:
    """Stored hours of a location between `start` and `end` (inclusive), indexed by time,
    with the `variables` columns and `interpolated`."""
    names = list(variables)
    query = select(_TABLE.c.time, *[_TABLE.c[v] for v in names], _TABLE.c.interpolated).where(
        _TABLE.c.location_id == loc_id
    )
    if start is not None:
        query = query.where(_TABLE.c.time >= start)
    if end is not None:
        query = query.where(_TABLE.c.time <= end)
    # plain tuples: pandas probes Row objects attribute by attribute, 2x slower
    result = [tuple(row) for row in conn.execute(query.order_by(_TABLE.c.time))]
    frame = pd.DataFrame.from_records(result, columns=["time", *names, "interpolated"])
    frame["time"] = pd.to_datetime(frame["time"])
    frame[names] = frame[names].astype(float)
    frame["interpolated"] = frame["interpolated"].astype(bool)
    return frame.set_index("time")


def stored_range(conn: Connection, loc_id: int) -> tuple[datetime, datetime] | None:
    """First and last stored hour of a location, or None when it has none."""
    first, last = conn.execute(
        select(func.min(_TABLE.c.time), func.max(_TABLE.c.time)).where(
            _TABLE.c.location_id == loc_id
        )
    ).one()
    return None if first is None else (pd.Timestamp(first), pd.Timestamp(last))


def _records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Rows as dicts with Python scalars, NaN as None, the index as `time`."""
    out = frame.astype(object).where(frame.notna(), None)
    out.insert(0, "time", frame.index.to_pydatetime())
    records = out.to_dict("records")
    for record in records:
        record["interpolated"] = bool(record["interpolated"])
        for v in VARIABLES:
            value = record[v]
            if value is not None:
                record[v] = float(np.float64(value))
    return records


def _batches(records: list[dict[str, object]]) -> Iterator[list[dict[str, object]]]:
    for i in range(0, len(records), BATCH_ROWS):
        yield records[i : i + BATCH_ROWS]
