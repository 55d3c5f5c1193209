"""The 3-hour aggregation rule, including incomplete windows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bihar.forecast.aggregation import to_three_hourly


def hours(start: str, values) -> pd.Series:
    index = pd.date_range(start, periods=len(values), freq="h")
    return pd.Series(np.asarray(values, dtype=float), index=index)


def test_slot_is_the_mean_of_its_three_hours():
    out = to_three_hourly(hours("2024-01-01 00:00", range(24)))
    assert list(out.index.hour) == [0, 3, 6, 9, 12, 15, 18, 21]
    assert list(out) == [1.0, 4.0, 7.0, 10.0, 13.0, 16.0, 19.0, 22.0]


def test_incomplete_window_is_missing_not_a_partial_mean():
    values = list(range(24))
    values[4] = np.nan  # slot 03h has only 03h and 05h
    out = to_three_hourly(hours("2024-01-01 00:00", values))
    assert np.isnan(out.loc["2024-01-01 03:00"])
    assert out.loc["2024-01-01 06:00"] == 7.0


def test_slots_align_on_midnight_whatever_the_first_hour():
    out = to_three_hourly(hours("2024-01-01 01:00", range(1, 8)))  # 01h … 07h
    assert [str(t) for t in out.index] == [
        "2024-01-01 00:00:00",
        "2024-01-01 03:00:00",
        "2024-01-01 06:00:00",
    ]
    assert np.isnan(out.iloc[0])  # 00h window lacks 00h
    assert out.iloc[1] == 4.0
    assert np.isnan(out.iloc[2])  # 06h window lacks 08h


def test_frames_aggregate_column_by_column():
    frame = pd.DataFrame(
        {"a": range(6), "b": [0, 0, 3, np.nan, 6, 6]},
        index=pd.date_range("2024-01-01", periods=6, freq="h"),
    )
    out = to_three_hourly(frame)
    assert out["a"].tolist() == [1.0, 4.0]
    assert out["b"].iloc[0] == 1.0
    assert np.isnan(out["b"].iloc[1])


def test_absent_hours_count_as_missing():
    series = hours("2024-01-01 00:00", range(6)).drop(pd.Timestamp("2024-01-01 01:00"))
    out = to_three_hourly(series)
    assert np.isnan(out.iloc[0]) and out.iloc[1] == 4.0


def test_refuses_aware_or_off_hour_or_duplicate_stamps():
    aware = hours("2024-01-01", range(3)).tz_localize("UTC")
    with pytest.raises(ValueError, match="naive UTC"):
        to_three_hourly(aware)
    off = pd.Series([1.0], index=pd.DatetimeIndex(["2024-01-01 00:30"]))
    with pytest.raises(ValueError, match="on the hour"):
        to_three_hourly(off)
    dup = pd.Series([1.0, 2.0], index=pd.DatetimeIndex(["2024-01-01", "2024-01-01"]))
    with pytest.raises(ValueError, match="duplicate"):
        to_three_hourly(dup)
    with pytest.raises(TypeError):
        to_three_hourly(pd.Series([1.0, 2.0]))


@given(st.lists(st.floats(-40, 45, allow_nan=False), min_size=24, max_size=24 * 3))
def test_complete_days_match_a_reshaped_mean(values):
    n = len(values) - len(values) % 3
    out = to_three_hourly(hours("2023-06-01", values[:n]))
    expected = np.asarray(values[:n]).reshape(-1, 3).mean(axis=1)
    np.testing.assert_allclose(out.to_numpy(), expected)
