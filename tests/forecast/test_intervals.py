"""Split-conformal prediction intervals and their coverage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bihar.forecast.baselines import forecast_frame
from bihar.forecast.intervals import (
    ConformalIntervals,
    IntervalError,
    conformal_quantile,
    coverage,
)


def noisy_forecasts(days: int, seed: int, start: str = "2020-01-01") -> pd.DataFrame:
    """Forecasts of 0 with observed = Gaussian noise whose spread grows with the horizon."""
    rng = np.random.default_rng(seed)
    issues = pd.date_range(start, periods=days, freq="D", name="issue_time")
    frame = forecast_frame(issues, np.zeros((days, 8)))
    scale = frame.index.get_level_values("horizon").to_numpy(dtype=float) * 0.5
    return frame.assign(observed=rng.normal(0, 1, len(frame)) * scale)


def test_coverage_is_close_to_nominal_on_exchangeable_noise():
    intervals = ConformalIntervals.fit(noisy_forecasts(1500, seed=1), alpha=0.1)
    test = intervals.apply(noisy_forecasts(1500, seed=2, start="2025-01-01"))
    result = coverage(test, nominal=0.9)
    assert result.coverage == pytest.approx(0.9, abs=0.015)
    assert all(abs(v - 0.9) < 0.04 for v in result.by_horizon.values())
    # The per-horizon widths follow the noise: horizon 8 is ~8x wider than horizon 1.
    width = {h: intervals.upper[h, "all"] - intervals.lower[h, "all"] for h in (1, 8)}
    assert 6 < width[8] / width[1] < 10


def test_a_biased_model_gets_an_asymmetric_interval():
    calibration = noisy_forecasts(500, seed=3)
    calibration["observed"] += 2.0  # the model forecasts 2 °C too cold
    intervals = ConformalIntervals.fit(calibration, alpha=0.2)
    assert intervals.lower[1, "all"] > 0  # the whole horizon-1 interval lies above the forecast
    assert intervals.upper[1, "all"] > 2.0


def test_conformal_quantile_uses_the_finite_sample_rank():
    values = np.arange(1.0, 10.0)  # n = 9
    assert conformal_quantile(values, 0.9) == 9.0  # ceil(10 * 0.9) = 9th value
    assert conformal_quantile(values, 0.5) == 5.0
    with pytest.raises(IntervalError):
        conformal_quantile(np.array([]), 0.9)


def test_bad_input_is_refused():
    with pytest.raises(IntervalError, match="too few"):
        ConformalIntervals.fit(noisy_forecasts(5, seed=0), alpha=0.1)
    with pytest.raises(IntervalError, match="too few"):  # only 10 winter days, 20 needed
        ConformalIntervals.fit(
            noisy_forecasts(40, seed=0, start="2020-02-20"), alpha=0.05, by_season=True
        )
    with pytest.raises(IntervalError, match="no calibration"):
        winter = ConformalIntervals.fit(noisy_forecasts(60, seed=0), alpha=0.2, by_season=True)
        winter.apply(noisy_forecasts(5, seed=0, start="2021-07-01"))
    with pytest.raises(IntervalError, match="too few"):
        ConformalIntervals.fit(noisy_forecasts(5, seed=0), alpha=0.1)
    with pytest.raises(IntervalError, match="alpha"):
        ConformalIntervals.fit(noisy_forecasts(50, seed=0), alpha=1.5)
    with pytest.raises(IntervalError, match="observed"):
        ConformalIntervals.fit(noisy_forecasts(50, seed=0).drop(columns="observed"))
    with pytest.raises(IntervalError, match="lower"):
        coverage(noisy_forecasts(5, seed=0), nominal=0.9)


def test_seasonal_calibration_fixes_the_coverage_of_a_season_dependent_spread():
    def winter_is_noisier(days: int, seed: int, start: str) -> pd.DataFrame:
        frame = noisy_forecasts(days, seed, start)
        months = pd.DatetimeIndex(frame["target_time"]).month
        return frame.assign(observed=frame["observed"] * np.where(months.isin([12, 1, 2]), 3, 1))

    calibration = winter_is_noisier(1461, 1, "2016-01-01")  # four whole years
    test = winter_is_noisier(1461, 2, "2020-01-01")
    for by_season, winter_ok in ((False, False), (True, True)):
        bands = ConformalIntervals.fit(calibration, 0.1, by_season=by_season).apply(test)
        winter = pd.DatetimeIndex(bands["target_time"]).month.isin([12, 1, 2])
        result = coverage(bands[winter], nominal=0.9)
        assert (abs(result.coverage - 0.9) < 0.03) is winter_ok, (by_season, result.coverage)
