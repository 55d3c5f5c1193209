"""Backtest metrics and the rolling-origin schedule."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from bihar.forecast.backtest import compare, evaluate, last_days, rolling_origin
from bihar.forecast.baselines import SeasonalNaive, forecast_frame
from bihar.forecast.history import TARGET


def forecasts(predicted, observed) -> pd.DataFrame:
    issues = pd.DatetimeIndex(["2024-01-01", "2024-01-02"], name="issue_time")
    frame = forecast_frame(issues, np.asarray(predicted, dtype=float).reshape(2, 8))
    frame["observed"] = np.asarray(observed, dtype=float)
    return frame


def test_metrics_on_known_errors():
    observed = np.zeros(16)
    predicted = np.array([1, -1] * 8, dtype=float)  # frame is sorted by issue then horizon
    predicted[0] = 3
    metrics = evaluate(forecasts(predicted, observed))
    assert metrics.n == 16
    assert metrics.mae == pytest.approx((3 + 15) / 16)
    assert metrics.rmse == pytest.approx(np.sqrt((9 + 15) / 16))
    assert metrics.bias == pytest.approx(2 / 16)
    assert metrics.mae_by_horizon[1] == pytest.approx((3 + 1) / 2)
    assert metrics.mae_by_horizon[2] == pytest.approx(1.0)


def test_missing_observations_are_left_out():
    observed = np.zeros(16)
    observed[:8] = np.nan
    metrics = evaluate(forecasts(np.ones(16), observed))
    assert metrics.n == 8 and metrics.mae == 1.0
    with pytest.raises(ValueError, match="no forecast"):
        evaluate(forecasts(np.ones(16), np.full(16, np.nan)))


def test_compare_scores_every_model_on_the_same_rows():
    observed = np.zeros(16)
    a = forecasts(np.full(16, 2.0), observed)
    b = forecasts(np.full(16, 1.0), observed)
    b.iloc[0, b.columns.get_loc("predicted")] = np.nan  # b cannot forecast one slot
    table = compare({"seasonal_naive": a, "model": b})
    assert table.loc["model", "n"] == table.loc["seasonal_naive", "n"] == 15
    assert table.loc["model", "mae_ratio"] == pytest.approx(0.5)
    assert table.index[0] == "model"
    with pytest.raises(ValueError, match="reference"):
        compare({"model": b})


def test_test_days_are_the_last_complete_days():
    index = pd.date_range("2024-01-01", "2024-03-01 09:00", freq="3h")
    data = pd.DataFrame({TARGET: np.arange(len(index), dtype=float)}, index=index)
    days = last_days(data, 10)
    assert days[-1] == pd.Timestamp("2024-02-29") and len(days) == 10


class Recorder(SeasonalNaive):
    fits: ClassVar[list[pd.Timestamp]] = []

    def fit(self, series, train_end):
        Recorder.fits.append(train_end)
        return self


def test_refit_schedule():
    index = pd.date_range("2024-01-01", "2024-02-29 21:00", freq="3h")
    data = pd.DataFrame({TARGET: np.arange(len(index), dtype=float)}, index=index)
    days = pd.date_range("2024-02-01", "2024-02-25", freq="D", name="issue_time")
    Recorder.fits = []
    result = rolling_origin(Recorder, data, days, refit_every_days=10)
    assert Recorder.fits == [pd.Timestamp(d) for d in ("2024-02-01", "2024-02-11", "2024-02-21")]
    assert len(result) == 25 * 8
    assert (result["observed"] - result["predicted"] == 8).all()  # yesterday's slot is 8 back
