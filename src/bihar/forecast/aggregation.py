"""The brief's 3-hour aggregation on the location's local clock, the one definition used by
experiments, training, prediction, monitoring and the API.

Rule: a location's day is its **local calendar day on its true local clock** (its IANA time
zone, daylight saving time included). Slots start at local 00, 03, …, 21; the value stamped hh
is the mean of the hours whose local clock reads hh, hh+1 or hh+2 (00h = mean of 00h–02h).
Hours are stored in UTC; `local_clock` reads them on the local clock.

**Clock changes.** On the day the clock goes forward (a 23-hour day) the slot holding the
skipped hour is the mean of its two real hours; on the day it goes back (a 25-hour day) the slot
holding the repeated hour is the mean of its four. Every day still has eight slots stamped
00h … 21h local, so a day is always eight slots and "the same slot yesterday" is always eight
slots back. A slot start the clock skips (a zone that changes at midnight) is the first instant
after the skip; a repeated one is its first occurrence.

**Incomplete windows**: a slot with fewer known hours than it has is missing (NaN): a partial
mean would be biased towards the hours present (e.g. a night-only mean), so none is made.
Short gaps are interpolated before aggregation (see `gaps.py`), so only long gaps and the
edges of a period leave slots missing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SLOT_HOURS = 3
SLOTS_PER_DAY = 24 // SLOT_HOURS
SLOT_FREQ = f"{SLOT_HOURS}h"


def local_clock(utc: pd.DatetimeIndex, timezone: str) -> pd.DatetimeIndex:
    """Naive-UTC instants as the local clock reads them (naive local wall-clock times)."""
    return utc.tz_localize("UTC").tz_convert(timezone).tz_localize(None)


def utc_instants(local: pd.DatetimeIndex, timezone: str) -> pd.DatetimeIndex:
    """Naive local wall-clock times as naive-UTC instants: a time the clock skips becomes the
    first instant after the skip, a time it repeats its first occurrence."""
    if len(local) == 0:
        return pd.DatetimeIndex([], name=local.name)
    aware = local.tz_localize(
        timezone, ambiguous=np.ones(len(local), dtype=bool), nonexistent="shift_forward"
    )
    return pd.DatetimeIndex(aware.tz_convert("UTC").tz_localize(None), name=local.name)


def to_three_hourly(
    hourly: pd.DataFrame | pd.Series, timezone: str = "UTC"
) -> pd.DataFrame | pd.Series:
    """Aggregate hourly values (naive-UTC DatetimeIndex) to the local 3-hour slots of
    `timezone` by the rule above, indexed by the slots' naive local start times.

    The output has one row per slot from the slot holding the first hour to the slot holding
    the last, on the regular local grid 00h, 03h, …, 21h.
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
    if not hourly.index.is_monotonic_increasing:
        hourly = hourly.sort_index()
    slot = local_clock(hourly.index, timezone).floor(SLOT_FREQ)
    windows = hourly.groupby(slot)
    means = windows.mean()
    known = windows.count()
    grid = pd.date_range(slot.min(), slot.max(), freq=SLOT_FREQ, name=hourly.index.name)
    hours = slot_hours(grid, timezone)
    means, known = means.reindex(grid), known.reindex(grid, fill_value=0)
    complete = known.eq(hours, axis=0) if isinstance(known, pd.DataFrame) else known == hours
    return means.where(complete)


def slot_hours(slots: pd.DatetimeIndex, timezone: str) -> np.ndarray:
    """How many real hours each local slot holds: 3, or 2 / 4 where the clock changes."""
    starts = utc_instants(slots, timezone)
    ends = utc_instants(slots + pd.Timedelta(hours=SLOT_HOURS), timezone)
    return ((ends - starts) / pd.Timedelta(hours=1)).to_numpy().astype(int)
