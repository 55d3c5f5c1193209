"""The forecasting problem, stated once.

A forecast for day D is the location's **local day D** (`aggregation`: its true local clock,
clock changes included). It is **issued at local D 00:00** with only what was known then:
3-hour values up to the one stamped D-1 21:00 local. It predicts the eight 3-hour values of D
(00h, 03h, …, 21h local), horizons 1…8: horizon h targets the slot D 00:00 + 3·(h-1) hours on
the local clock. Exogenous variables enter only as values known at the issue time (lagged);
same-time exogenous values would be an oracle.

The modelling code works on naive **local** slot times (a regular grid: every day has eight
slots whatever the clock does); the store keeps UTC instants, converted by `utc_instants` /
`local_clock` of `aggregation` at the boundary (`to_utc`, `day_hours`).
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from bihar.forecast.aggregation import SLOT_HOURS, SLOTS_PER_DAY, local_clock, utc_instants

HORIZONS: tuple[int, ...] = tuple(range(1, SLOTS_PER_DAY + 1))
SLOT = pd.Timedelta(hours=SLOT_HOURS)
DAY = pd.Timedelta(days=1)


def issue_time(day: date | pd.Timestamp) -> pd.Timestamp:
    """When the forecast of `day` is issued: its local 00:00."""
    return pd.Timestamp(day).normalize()


def last_known_slot(issue: pd.Timestamp) -> pd.Timestamp:
    """The newest 3-hour value a forecast issued at `issue` may use."""
    return issue - SLOT


def target_times(issue: pd.Timestamp) -> pd.DatetimeIndex:
    """The eight local slots of the issue day, horizon 1 first."""
    return pd.DatetimeIndex([issue + SLOT * (h - 1) for h in HORIZONS], name="target_time")


def days_between(start: date, end: date) -> pd.DatetimeIndex:
    """The issue days `start` … `end` inclusive (local midnights)."""
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    return pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq="D", name="issue_time")


def to_utc(local: pd.DatetimeIndex | pd.Timestamp, timezone: str) -> pd.DatetimeIndex:
    """Local slot or issue times as the naive-UTC instants the store keeps."""
    index = pd.DatetimeIndex([local]) if isinstance(local, pd.Timestamp) else local
    return utc_instants(index, timezone)


def to_local(utc: pd.DatetimeIndex | pd.Series, timezone: str) -> pd.DatetimeIndex:
    """Stored naive-UTC instants on the local clock (naive)."""
    return local_clock(pd.DatetimeIndex(utc), timezone)


def day_hours(start: date, end: date, timezone: str) -> tuple[datetime, datetime]:
    """The first and last UTC hour of the local days `start` … `end`."""
    first, after = to_utc(
        pd.DatetimeIndex([pd.Timestamp(start), pd.Timestamp(end) + DAY]), timezone
    )
    return first.to_pydatetime(), (after - pd.Timedelta(hours=1)).to_pydatetime()


def slot_bounds(start: date, end: date, timezone: str) -> tuple[datetime, datetime]:
    """The UTC start of the first and of the last slot of the local days `start` … `end`."""
    lo, hi = to_utc(
        pd.DatetimeIndex([pd.Timestamp(start), pd.Timestamp(end) + SLOT * (SLOTS_PER_DAY - 1)]),
        timezone,
    )
    return lo.to_pydatetime(), hi.to_pydatetime()
