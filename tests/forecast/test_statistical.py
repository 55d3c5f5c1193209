"""ARIMA / SARIMA / SARIMAX forecasters on small synthetic 3-hour series."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from bihar.forecast.backtest import evaluate, rolling_origin
from bihar.forecast.baselines import Persistence
from bihar.forecast.history import TARGET
from bihar.forecast.statistical import (
    SarimaxForecaster,
    SarimaxSpec,
    StatisticalModelError,
    regressors,
    select_order,
)


def synthetic(days: int = 90, seed: int = 0) -> pd.DataFrame:
    """A daily cycle of amplitude 6 °C plus AR(1) noise, and a humidity column."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2023-01-01", periods=days * 8, freq="3h", name="time")
    noise = np.zeros(len(index))
    for t in range(1, len(index)):
        noise[t] = 0.7 * noise[t - 1] + rng.normal(0, 0.8)
    daily = 6 * np.sin(2 * np.pi * (index.hour.to_numpy() - 9) / 24)
    return pd.DataFrame(
        {
            TARGET: 10 + daily + noise,
            "relative_humidity_2m": 70 + rng.normal(0, 5, len(index)),
        },
        index=index,
    )


SARIMA = SarimaxSpec("sarima", (1, 0, 0), (1, 0, 0), fourier_k=0, window_days=60)


def test_sarima_learns_the_daily_cycle_better_than_persistence():
    series = synthetic()
    days = pd.date_range("2023-03-12", periods=20, freq="D", name="issue_time")
    sarima = rolling_origin(lambda: SarimaxForecaster(SARIMA), series, days)
    persistence = rolling_origin(Persistence, series, days)
    assert evaluate(sarima).mae < 0.6 * evaluate(persistence).mae


def test_multi_step_forecast_equals_statsmodels_forecast_from_the_same_origin():
    spec = SarimaxSpec(
        "sarimax", (1, 1, 1), (0, 1, 1), fourier_k=1, exogenous=("relative_humidity_2m",),
        window_days=40,
    )  # fmt: skip
    series = synthetic(60)
    model = SarimaxForecaster(spec).fit(series, pd.Timestamp("2023-02-20"))
    issue = pd.Timestamp("2023-02-25")
    ours = model.predict(series, pd.DatetimeIndex([issue])).loc[issue, "predicted"].to_numpy()

    times = pd.date_range(model._train_start, issue + pd.Timedelta(hours=21), freq="3h")
    exog = regressors(series, times, spec).to_numpy()
    endog = series[TARGET].reindex(times).to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        applied = model.results.apply(endog[:-8], exog=exog[:-8], refit=False)
        expected = np.asarray(applied.forecast(8, exog=exog[-8:]))
    np.testing.assert_allclose(ours, expected, rtol=1e-6, atol=1e-6)


def test_forecasts_ignore_everything_after_the_issue_time():
    series = synthetic()
    model = SarimaxForecaster(SARIMA).fit(series, pd.Timestamp("2023-03-12"))
    issues = pd.date_range("2023-03-15", periods=3, freq="D", name="issue_time")
    before = model.predict(series, issues)
    tampered = series.copy()
    tampered.loc[tampered.index >= issues[-1], TARGET] = 99.0
    after = model.predict(tampered, issues)
    pd.testing.assert_frame_equal(before, after)


def test_exogenous_regressors_are_lagged_by_one_day():
    series = synthetic(20)
    spec = SarimaxSpec("x", exogenous=("relative_humidity_2m",), fourier_k=1, window_days=30)
    times = series.index[16:40]
    frame = regressors(series, times, spec)
    lagged = series["relative_humidity_2m"].reindex(times - pd.Timedelta(days=1)).to_numpy()
    np.testing.assert_allclose(frame["relative_humidity_2m_lag1d"].to_numpy(), lagged)
    assert {"const", "year_sin_1", "year_cos_1"} <= set(frame.columns)


def test_differenced_models_have_no_constant():
    spec = SarimaxSpec("d", (1, 1, 0), fourier_k=1)
    frame = regressors(synthetic(5), synthetic(5).index, spec)
    assert "const" not in frame.columns


def test_invalid_specifications_are_refused():
    with pytest.raises(StatisticalModelError, match="unknown exogenous"):
        SarimaxSpec("bad", exogenous=("cloud_cover",))
    with pytest.raises(StatisticalModelError, match="window_days"):
        SarimaxSpec("bad", window_days=5)
    with pytest.raises(RuntimeError, match="fit the model first"):
        SarimaxForecaster(SARIMA).predict(synthetic(5), pd.DatetimeIndex(["2023-01-03"]))


def test_too_little_history_is_refused():
    with pytest.raises(StatisticalModelError, match="fewer than 30 days"):
        SarimaxForecaster(SARIMA).fit(synthetic(10), pd.Timestamp("2023-01-08"))


def test_order_selection_prefers_the_seasonal_model_by_bic():
    series = synthetic(70)
    table = select_order(
        series,
        pd.Timestamp("2023-03-10"),
        [SarimaxSpec("ar1", (1, 0, 0), fourier_k=0, window_days=40), SARIMA],
    )
    assert table.index[0] == "sarima"
    assert table.loc["sarima", "bic"] < table.loc["ar1", "bic"]
