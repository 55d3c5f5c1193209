"""Features of a day-ahead forecast, computed only from values known at the issue time.

One row per (issue time, horizon). Issue-level features (lags, rolling windows, lagged
exogenous values) are read at the issue time from series shifted by at least one slot, so the
newest value any of them sees is the slot stamped D-1 21:00. Horizon-level features look at the
same slot one or more days before the target (always before the issue time) and at the calendar.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from bihar.forecast.aggregation import SLOTS_PER_DAY
from bihar.forecast.baselines import Climatology
from bihar.forecast.history import TARGET
from bihar.forecast.problem import HORIZONS, SLOT

EXOGENOUS = ("relative_humidity_2m", "surface_pressure", "wind_speed_10m", "precipitation")


class FeatureConfig(BaseModel):
    """Which features a model uses (all known at the issue time)."""

    lags: int = Field(16, ge=1, description="last N 3-hour values before the issue time")
    seasonal_lag_days: list[int] = Field(
        default_factory=lambda: [1, 2, 7],
        description="the target slot's value k days earlier",
    )
    windows: list[int] = Field(
        default_factory=lambda: [8, 56],
        description="rolling mean/min/max over N slots ending at the last known slot",
    )
    calendar: bool = True
    exogenous: list[str] = Field(default_factory=lambda: list(EXOGENOUS))
    climatology: bool = True

    def model_post_init(self, _context: object) -> None:
        unknown = set(self.exogenous) - set(EXOGENOUS)
        if unknown:
            raise ValueError(f"unknown exogenous variables {sorted(unknown)}")
        if any(k < 1 for k in self.seasonal_lag_days):
            raise ValueError("seasonal lags must be at least one day (older than the issue time)")


@dataclass(frozen=True)
class FeatureFrame:
    """Feature rows indexed by (issue_time, horizon), with target times and observed targets."""

    X: pd.DataFrame
    target_time: pd.Series
    y: pd.Series


def build_features(
    series: pd.DataFrame,
    issues: pd.DatetimeIndex,
    config: FeatureConfig,
    climatology: Climatology | None = None,
) -> FeatureFrame:
    """Feature rows for every issue time in `issues` and every horizon."""
    if len(issues) == 0:
        raise ValueError("no issue times to build features for")
    last_target = issues.max() + SLOT * (len(HORIZONS) - 1)
    grid = pd.date_range(
        min(series.index.min(), issues.min()), max(series.index.max(), last_target), freq=SLOT
    )
    data = series.reindex(grid)
    temp = data[TARGET]
    known = temp.shift(1)  # at time t: the value of the slot before t

    issue_cols: dict[str, pd.Series] = {}
    for lag in range(1, config.lags + 1):
        issue_cols[f"lag_{lag}"] = temp.shift(lag)
    for window in config.windows:
        rolling = known.rolling(window, min_periods=max(1, window // 2))
        issue_cols[f"mean_{window}"] = rolling.mean()
        issue_cols[f"min_{window}"] = rolling.min()
        issue_cols[f"max_{window}"] = rolling.max()
    if len(config.windows) and len(grid) >= SLOTS_PER_DAY * 2:
        day_mean = known.rolling(SLOTS_PER_DAY, min_periods=SLOTS_PER_DAY // 2).mean()
        issue_cols["trend_24h"] = day_mean - day_mean.shift(SLOTS_PER_DAY)
    for name in config.exogenous:
        values = data[name].shift(1)
        issue_cols[f"{name}_last"] = values
        if name == "precipitation":
            issue_cols[f"{name}_sum_24h"] = values.rolling(SLOTS_PER_DAY, min_periods=1).sum()
        else:
            issue_cols[f"{name}_mean_24h"] = values.rolling(
                SLOTS_PER_DAY, min_periods=SLOTS_PER_DAY // 2
            ).mean()
        if name == "surface_pressure":
            issue_cols["pressure_tendency_24h"] = values - values.shift(SLOTS_PER_DAY)
    per_issue = pd.DataFrame(issue_cols, index=grid).reindex(issues)

    blocks = []
    for horizon in HORIZONS:
        targets = issues + SLOT * (horizon - 1)
        block = per_issue.copy()
        block.insert(0, "horizon", horizon)
        for days in config.seasonal_lag_days:
            block[f"same_slot_{days}d"] = temp.reindex(targets - pd.Timedelta(days=days)).to_numpy()
        if config.calendar:
            block = block.assign(**_calendar(targets))
        if config.climatology:
            if climatology is None:
                raise ValueError("the climatology feature needs a fitted Climatology")
            block["climatology"] = climatology.predict(targets)
        block["_target_time"] = targets
        block["_y"] = temp.reindex(targets).to_numpy()
        block.index = pd.MultiIndex.from_arrays(
            [issues, np.full(len(issues), horizon)], names=["issue_time", "horizon"]
        )
        blocks.append(block)
    stacked = pd.concat(blocks).sort_index()
    target_time = stacked.pop("_target_time")
    y = stacked.pop("_y").rename(TARGET)
    return FeatureFrame(stacked.astype(float), target_time, y)


def _calendar(targets: pd.DatetimeIndex) -> dict[str, np.ndarray]:
    hour = targets.hour.to_numpy()
    doy = targets.day_of_year.to_numpy()
    out = {
        "hour_sin": np.sin(2 * np.pi * hour / 24),
        "hour_cos": np.cos(2 * np.pi * hour / 24),
    }
    for k in (1, 2):
        out[f"doy_sin_{k}"] = np.sin(2 * np.pi * k * doy / 365.25)
        out[f"doy_cos_{k}"] = np.cos(2 * np.pi * k * doy / 365.25)
    return out
