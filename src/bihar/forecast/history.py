"""The 3-hour history of a location, read from the database and aggregated by the one rule."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import Connection

from bihar.forecast.aggregation import to_three_hourly
from bihar.forecast.observations import location_id, read_hourly
from bihar.forecast.openmeteo import VARIABLES

TARGET = "temperature_2m"


def three_hourly(hourly: pd.DataFrame) -> pd.DataFrame:
    """Every 3-hour slot from the first to the last stored hour (missing slots are NaN), for
    each weather variable present."""
    frame = hourly[[c for c in VARIABLES if c in hourly.columns]]
    if frame.empty:
        return frame
    full = pd.date_range(frame.index[0].floor("D"), frame.index[-1], freq="h", name="time")
    return to_three_hourly(frame.reindex(full))


def load_history(
    conn: Connection, location: str, start: datetime | None = None, end: datetime | None = None
) -> pd.DataFrame:
    """3-hour values of `location` from the hours `start` … `end` (inclusive) of the store."""
    return three_hourly(read_hourly(conn, location_id(conn, location), start, end))
