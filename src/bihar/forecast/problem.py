"""The forecasting problem, stated once.

A forecast for day D is **issued at D 00:00 UTC** with only what was known then: 3-hour values
up to the one stamped D-1 21:00. It predicts the eight 3-hour values of D (00h, 03h, …, 21h),
horizons 1…8: horizon h targets D + 3·(h-1) hours. Exogenous variables enter only as values
known at the issue time (lagged); same-time exogenous values would be an oracle.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from bihar.forecast.aggregation import SLOT_HOURS, SLOTS_PER_DAY

HORIZONS: tuple[int, ...] = tuple(range(1, SLOTS_PER_DAY + 1))
SLOT = pd.Timedelta(hours=SLOT_HOURS)


def issue_time(day: date | pd.Timestamp) -> pd.Timestamp:
    """When the forecast of `day` is issued: its 00:00 UTC."""
    return pd.Timestamp(day).normalize()


def last_known_slot(issue: pd.Timestamp) -> pd.Timestamp:
    """The newest 3-hour value a forecast issued at `issue` may use."""
    return issue - SLOT


def target_times(issue: pd.Timestamp) -> pd.DatetimeIndex:
    """The eight slots of the issue day, horizon 1 first."""
    return pd.DatetimeIndex([issue + SLOT * (h - 1) for h in HORIZONS], name="target_time")


def days_between(start: date, end: date) -> pd.DatetimeIndex:
    """The issue days `start` … `end` inclusive."""
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    return pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq="D", name="issue_time")
