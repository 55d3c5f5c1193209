"""Baselines every model is measured against: persistence, seasonal naive, climatology.

Each follows the forecasting problem of `problem.py`: issued at D 00:00 with values up to
D-1 21:00. A forecast is a frame indexed by (issue_time, horizon) with `target_time` and
`predicted` columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bihar.forecast.history import TARGET
from bihar.forecast.problem import HORIZONS, SLOT


def forecast_frame(issues: pd.DatetimeIndex, predicted: np.ndarray) -> pd.DataFrame:
    """Forecast rows for `issues` × horizons; `predicted` has shape (len(issues), 8)."""
    rows = []
    for horizon in HORIZONS:
        targets = issues + SLOT * (horizon - 1)
        rows.append(
            pd.DataFrame(
                {
                    "issue_time": issues,
                    "horizon": horizon,
                    "target_time": targets,
                    "predicted": predicted[:, horizon - 1],
                }
            )
        )
    return pd.concat(rows).set_index(["issue_time", "horizon"]).sort_index()


class Persistence:
    """Every slot of D gets the last known value (D-1 21:00)."""

    name = "persistence"

    def fit(self, series: pd.DataFrame, train_end: pd.Timestamp) -> Persistence:
        return self

    def predict(self, series: pd.DataFrame, issues: pd.DatetimeIndex) -> pd.DataFrame:
        last = series[TARGET].reindex(issues - SLOT).to_numpy()
        return forecast_frame(issues, np.repeat(last[:, None], len(HORIZONS), axis=1))


class SeasonalNaive:
    """Each slot of D gets the same slot of D-1."""

    name = "seasonal_naive"

    def fit(self, series: pd.DataFrame, train_end: pd.Timestamp) -> SeasonalNaive:
        return self

    def predict(self, series: pd.DataFrame, issues: pd.DatetimeIndex) -> pd.DataFrame:
        temp = series[TARGET]
        values = np.column_stack(
            [
                temp.reindex(issues + SLOT * (h - 1) - pd.Timedelta(days=1)).to_numpy()
                for h in HORIZONS
            ]
        )
        return forecast_frame(issues, values)


class ClimatologyForecaster:
    """Each slot gets its (day of year, slot) mean over the training years."""

    name = "climatology"

    def __init__(self) -> None:
        self.climatology: Climatology | None = None

    def fit(self, series: pd.DataFrame, train_end: pd.Timestamp) -> ClimatologyForecaster:
        self.climatology = Climatology.fit(series.loc[series.index < train_end, TARGET])
        return self

    def predict(self, series: pd.DataFrame, issues: pd.DatetimeIndex) -> pd.DataFrame:
        if self.climatology is None:
            raise RuntimeError("fit the climatology first")
        values = np.column_stack(
            [self.climatology.predict(issues + SLOT * (h - 1)) for h in HORIZONS]
        )
        return forecast_frame(issues, values)


@dataclass(frozen=True)
class Climatology:
    """Mean of each (day of year, slot) over the training years, smoothed over ±half_window days."""

    table: pd.DataFrame  # index: day of year 1…366, columns: slot hour 0, 3, …, 21

    @classmethod
    def fit(cls, temperature: pd.Series, half_window: int = 7) -> Climatology:
        known = temperature.dropna()
        if known.empty:
            raise ValueError("cannot fit a climatology on an empty series")
        grouped = known.groupby([known.index.day_of_year, known.index.hour]).mean().unstack()
        grouped = grouped.reindex(range(1, 367))
        size = 2 * half_window + 1
        wrapped = pd.concat([grouped.iloc[-half_window:], grouped, grouped.iloc[:half_window]])
        smooth = wrapped.rolling(size, center=True, min_periods=1).mean()
        table = smooth.iloc[half_window:-half_window].interpolate(limit_direction="both")
        return cls(table)

    def predict(self, times: pd.DatetimeIndex) -> np.ndarray:
        table = self.table.to_numpy()
        columns = {hour: i for i, hour in enumerate(self.table.columns)}
        cols = np.array([columns[h] for h in times.hour])
        return table[times.day_of_year.to_numpy() - 1, cols]
