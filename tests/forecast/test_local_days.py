"""Days are the location's local days on its true local clock: the eight slots of a day are the
local day's hours (Boston in summer and in winter), and the days the clock changes (23 and 25
hours) keep eight slots whose means cover exactly the hours the local clock shows — for Boston
and for Sydney, whose clock changes in the other half of the year."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from bihar.forecast.aggregation import slot_hours, to_three_hourly
from bihar.forecast.history import three_hourly
from bihar.forecast.problem import day_hours, days_between, target_times, to_local, to_utc


def hours_of(first: str, last: str) -> pd.Series:
    """One value per UTC hour: the hour's number since `first` (so means are checkable)."""
    index = pd.date_range(first, last, freq="h")
    return pd.Series(np.arange(len(index), dtype=float), index=index)


@pytest.mark.parametrize(
    ("day", "offset"),
    [(date(2024, 7, 15), 4), (date(2024, 1, 15), 5)],  # EDT (UTC-4), EST (UTC-5)
    ids=["summer", "winter"],
)
def test_boston_slots_are_the_local_days_hours(boston_payload, day: date, offset: int):
    times = pd.DatetimeIndex(pd.to_datetime(boston_payload["hourly"]["time"]))
    hourly = pd.DataFrame(
        {"temperature_2m": boston_payload["hourly"]["temperature_2m"]}, index=times, dtype=float
    )
    series = three_hourly(hourly, "America/New_York")["temperature_2m"]
    slots = target_times(pd.Timestamp(day))
    assert list(slots.hour) == [0, 3, 6, 9, 12, 15, 18, 21]
    local_midnight_utc = pd.Timestamp(day) + pd.Timedelta(hours=offset)
    assert to_utc(slots, "America/New_York")[0] == local_midnight_utc
    for k, slot in enumerate(slots):
        first = local_midnight_utc + pd.Timedelta(hours=3 * k)
        expected = hourly["temperature_2m"].loc[first : first + pd.Timedelta(hours=2)].mean()
        assert series[slot] == pytest.approx(expected)
    # the local day is hours offset…offset+23 UTC: the slot 00h is not the UTC day's 00h
    utc_day = to_three_hourly(hourly.loc[str(day)], "UTC")["temperature_2m"]
    assert series[slots[0]] != pytest.approx(utc_day.iloc[0])
    assert day_hours(day, day, "America/New_York") == (
        local_midnight_utc.to_pydatetime(),
        (local_midnight_utc + pd.Timedelta(hours=23)).to_pydatetime(),
    )


# (zone, the day the clock goes forward, the day it goes back, the slot holding the change)
TRANSITIONS = [
    ("America/New_York", date(2024, 3, 10), date(2024, 11, 3), 0),  # at 02:00 local
    ("Australia/Sydney", date(2024, 10, 6), date(2024, 4, 7), 0),  # at 02:00 / 03:00 local
]


@pytest.mark.parametrize(("zone", "forward", "back", "slot"), TRANSITIONS)
def test_clock_changes_keep_eight_slots_over_the_days_real_hours(
    zone: str, forward: date, back: date, slot: int
):
    for day, hours_in_day, changed in ((forward, 23, 2), (back, 25, 4)):
        first, last = day_hours(day, day, zone)
        assert (last - first) / pd.Timedelta(hours=1) + 1 == hours_in_day
        values = hours_of(f"{day - pd.Timedelta(days=2):%Y-%m-%d}", f"{day + pd.Timedelta(days=2)}")
        series = to_three_hourly(values, zone)
        slots = target_times(pd.Timestamp(day))
        per_slot = slot_hours(slots, zone)
        assert per_slot.sum() == hours_in_day
        assert per_slot[slot] == changed and (np.delete(per_slot, slot) == 3).all()
        starts = to_utc(slots, zone)
        ends = to_utc(slots + pd.Timedelta(hours=3), zone)
        for k in range(8):
            inside = values[(values.index >= starts[k]) & (values.index < ends[k])]
            assert len(inside) == per_slot[k]
            assert series[slots[k]] == pytest.approx(inside.mean())
            # every hour of a slot reads hh, hh+1 or hh+2 on the local clock
            assert set(to_local(inside.index, zone).hour) <= {3 * k, 3 * k + 1, 3 * k + 2}
        # the days around the change are ordinary: 24 hours, 8 slots of 3
        for other in (day - pd.Timedelta(days=1), day + pd.Timedelta(days=1)):
            assert (slot_hours(target_times(pd.Timestamp(other)), zone) == 3).all()


def test_a_slot_missing_one_of_its_hours_is_missing():
    values = hours_of("2024-11-01", "2024-11-05")
    values[pd.Timestamp("2024-11-03 06:00")] = np.nan  # 01:00 EST, inside the 4-hour slot
    series = to_three_hourly(values, "America/New_York")
    assert np.isnan(series[pd.Timestamp("2024-11-03 00:00")])
    assert series.notna().sum() == len(series) - 1 - 2  # and the partial first/last slots


def test_a_zone_whose_clock_skips_midnight_starts_its_day_after_the_skip():
    # Santiago goes from 23:59:59 to 01:00 on 2024-09-08: that day starts at 01:00 local
    first, last = day_hours(date(2024, 9, 8), date(2024, 9, 8), "America/Santiago")
    assert pd.Timestamp(first) == pd.Timestamp("2024-09-08 04:00")
    assert (pd.Timestamp(last) - pd.Timestamp(first)) / pd.Timedelta(hours=1) + 1 == 23
    slots = target_times(pd.Timestamp("2024-09-08"))
    assert slot_hours(slots, "America/Santiago")[0] == 2


def test_issue_days_are_local_midnights_stored_in_utc():
    issues = days_between(date(2024, 3, 9), date(2024, 3, 11))
    assert list(to_utc(issues, "America/New_York")) == [
        pd.Timestamp("2024-03-09 05:00"),
        pd.Timestamp("2024-03-10 05:00"),
        pd.Timestamp("2024-03-11 04:00"),
    ]
    assert list(to_utc(issues, "UTC")) == list(issues)
