"""The 3-hour history of a location, read from the database and aggregated by the one rule
(`aggregation`), on the location's local clock."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Connection

from bihar.forecast.aggregation import to_three_hourly
from bihar.forecast.locations import find_location
from bihar.forecast.observations import location_id, read_hourly
from bihar.forecast.openmeteo import VARIABLES
from bihar.forecast.problem import day_hours

TARGET = "temperature_2m"


def three_hourly(hourly: pd.DataFrame, timezone: str = "UTC") -> pd.DataFrame:
    """Every local 3-hour slot from the first to the last stored hour (missing slots are NaN),
    for each weather variable present, indexed by naive local slot start."""
    frame = hourly[[c for c in VARIABLES if c in hourly.columns]]
    if frame.empty:
        return frame
    full = pd.date_range(frame.index[0], frame.index[-1], freq="h", name="time")
    return to_three_hourly(frame.reindex(full), timezone)


def load_history(
    conn: Connection, location: str, first_day: date | None = None, last_day: date | None = None
) -> pd.DataFrame:
    """3-hour values of `location` over its local days `first_day` … `last_day` (each bound
    open when None), from the store."""
    place = find_location(conn, location)
    lo = hi = None
    if first_day is not None:
        lo = day_hours(first_day, first_day, place.timezone)[0]
    if last_day is not None:
        hi = day_hours(last_day, last_day, place.timezone)[1]
    return three_hourly(read_hourly(conn, location_id(conn, place.name), lo, hi), place.timezone)
