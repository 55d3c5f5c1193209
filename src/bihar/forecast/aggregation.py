"""The brief's 3-hour aggregation, the one definition used by experiments, training,
prediction and the API.

Rule: slots start at 00, 03, …, 21 UTC; the value stamped hh is the mean of the hours hh, hh+1
and hh+2 (00h = mean of 00h–02h, 03h = mean of 03h–05h, …). **Incomplete windows**: a slot with
fewer than three known hourly values is missing (NaN) — a partial mean would be biased towards
the hours present (e.g. a night-only mean), so none is made. Short gaps are interpolated before
aggregation (see `gaps.py`), so only long gaps and the edges of a period leave slots missing.
"""

from __future__ import annotations

import pandas as pd

SLOT_HOURS = 3
SLOTS_PER_DAY = 24 // SLOT_HOURS


def to_three_hourly(hourly: pd.DataFrame | pd.Series) -> pd.DataFrame | pd.Series:
    """Aggregate hourly values (naive-UTC DatetimeIndex) to 3-hour slots by the rule above.

    The output has one row per slot from the slot holding the first hour to the slot holding
    the last, aligned on 00 UTC whatever the first hour is.
    """
    if not isinstance(hourly.index, pd.DatetimeIndex):
        raise TypeError("hourly values need a DatetimeIndex")
    if hourly.index.tz is not None:
        raise ValueError("expected naive UTC timestamps, got a timezone-aware index")
    if len(hourly) == 0:
        return hourly.iloc[:0]
    if (hourly.index != hourly.index.floor("h")).any():
        raise ValueError("hourly values must be stamped on the hour")
    if hourly.index.has_duplicates:
        raise ValueError("hourly values have duplicate timestamps")
    windows = hourly.resample(f"{SLOT_HOURS}h", origin="epoch", label="left", closed="left")
    means = windows.mean()
    complete = windows.count() == SLOT_HOURS
    return means.where(complete)
