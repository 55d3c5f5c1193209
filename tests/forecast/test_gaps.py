"""Short gaps filled linearly and flagged; long and edge gaps reported, not invented."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bihar.forecast.gaps import fill_short_gaps


def frame(values, start="2024-01-01 00:00", **other) -> pd.DataFrame:
    index = pd.date_range(start, periods=len(values), freq="h", name="time")
    return pd.DataFrame({"t": np.asarray(values, dtype=float), **other}, index=index)


def test_short_gap_is_interpolated_linearly_and_flagged():
    filled = fill_short_gaps(frame([0, np.nan, np.nan, 3, 4]))
    assert filled.frame["t"].tolist() == [0, 1, 2, 3, 4]
    assert filled.interpolated.tolist() == [False, True, True, False, False]
    assert [(g.hours, g.filled) for g in filled.gaps] == [(2, True)]


def test_six_hours_are_filled_seven_are_not():
    six = fill_short_gaps(frame([0, *[np.nan] * 6, 7]))
    assert six.frame["t"].tolist() == list(range(8))
    seven = fill_short_gaps(frame([0, *[np.nan] * 7, 8]))
    assert seven.frame["t"].isna().sum() == 7
    assert not seven.interpolated.any()
    (gap,) = seven.long_gaps
    assert gap.hours == 7
    assert str(gap.start) == "2024-01-01 01:00:00" and str(gap.end) == "2024-01-01 07:00:00"
    assert "left missing" in gap.describe()


def test_edge_gaps_are_never_invented():
    filled = fill_short_gaps(frame([np.nan, 1, 2, np.nan]))
    assert filled.frame["t"].isna().tolist() == [True, False, False, True]
    assert len(filled.long_gaps) == 2


def test_absent_hours_are_reindexed_then_filled():
    data = frame([0, 1, 2, 3]).drop(pd.Timestamp("2024-01-01 02:00"))
    filled = fill_short_gaps(data)
    assert len(filled.frame) == 4
    assert filled.frame["t"].tolist() == [0, 1, 2, 3]
    assert filled.interpolated.tolist() == [False, False, True, False]


def test_period_bounds_extend_the_index():
    filled = fill_short_gaps(
        frame([5, 6]), start=pd.Timestamp("2023-12-31 23:00"), end=pd.Timestamp("2024-01-01 02:00")
    )
    assert len(filled.frame) == 4
    assert filled.frame["t"].isna().tolist() == [True, False, False, True]


def test_variable_a_location_lacks_is_not_a_gap():
    filled = fill_short_gaps(frame([1, np.nan, 3], h=[np.nan] * 3))
    assert filled.frame["t"].tolist() == [1, 2, 3]
    assert [g.variable for g in filled.gaps] == ["t"]


def test_row_flag_covers_any_filled_variable():
    filled = fill_short_gaps(frame([1, 2, 3], h=[10, np.nan, 30]))
    assert filled.frame["h"].tolist() == [10, 20, 30]
    assert filled.interpolated.tolist() == [False, True, False]
