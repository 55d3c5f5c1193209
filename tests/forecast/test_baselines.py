"""Baselines on hand-made series whose answers are known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bihar.forecast.baselines import (
    Climatology,
    ClimatologyForecaster,
    Persistence,
    SeasonalNaive,
)
from bihar.forecast.history import TARGET


def series(values, start="2024-01-01") -> pd.DataFrame:
    index = pd.date_range(start, periods=len(values), freq="3h")
    return pd.DataFrame({TARGET: np.asarray(values, dtype=float)}, index=index)


ISSUE = pd.DatetimeIndex(["2024-01-03"])


def test_persistence_repeats_the_last_known_value():
    data = series(np.arange(24))  # 3 days, 8 slots each; D-1 21:00 holds 15
    forecast = Persistence().fit(data, ISSUE[0]).predict(data, ISSUE)
    assert forecast["predicted"].tolist() == [15.0] * 8
    assert forecast["target_time"].iloc[0] == pd.Timestamp("2024-01-03 00:00")
    assert forecast["target_time"].iloc[-1] == pd.Timestamp("2024-01-03 21:00")


def test_seasonal_naive_repeats_yesterday_slot_by_slot():
    data = series(np.arange(24))
    forecast = SeasonalNaive().predict(data, ISSUE)
    assert forecast["predicted"].tolist() == [8.0, 9, 10, 11, 12, 13, 14, 15]
    assert forecast.index.get_level_values("horizon").tolist() == list(range(1, 9))


def test_climatology_learns_a_repeating_year():
    index = pd.date_range("2019-01-01", "2022-12-31 21:00", freq="3h")
    pattern = 10 * np.sin(2 * np.pi * index.day_of_year / 365.25) + index.hour / 3
    data = pd.DataFrame({TARGET: pattern}, index=index)
    model = ClimatologyForecaster().fit(data, pd.Timestamp("2023-01-01"))
    issue = pd.DatetimeIndex(["2023-06-15"])
    forecast = model.predict(data, issue)
    expected = 10 * np.sin(2 * np.pi * 166 / 365.25) + np.arange(0, 24, 3) / 3
    np.testing.assert_allclose(forecast["predicted"].to_numpy(), expected, atol=0.05)


def test_climatology_uses_training_years_only():
    index = pd.date_range("2020-01-01", "2021-12-31 21:00", freq="3h")
    values = np.where(index.year == 2020, 5.0, 100.0)
    data = pd.DataFrame({TARGET: values}, index=index)
    model = ClimatologyForecaster().fit(data, pd.Timestamp("2021-01-01"))
    forecast = model.predict(data, pd.DatetimeIndex(["2021-07-01"]))
    assert (forecast["predicted"] == 5.0).all()


def test_climatology_needs_data():
    with pytest.raises(ValueError, match="empty"):
        Climatology.fit(pd.Series([np.nan], index=pd.DatetimeIndex(["2024-01-01"])))
