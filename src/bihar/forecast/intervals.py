"""Prediction intervals by split conformal prediction, per horizon, and their measured coverage.

The calibration residuals come from a backtest on days the model was not trained on (the
validation year), never from the test days. For each horizon the interval is
`[predicted + q_lo, predicted + q_hi]` where `q_lo`, `q_hi` are finite-sample-corrected
empirical quantiles of the signed calibration errors (observed - predicted). Coverage holds
under exchangeability of calibration and test errors; a season-dependent error spread or a
drift between the validation and test years breaks it, which the measured coverage shows.
With `by_season`, offsets are calibrated per (horizon, meteorological season of the target),
so winter forecasts get wider intervals than summer ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bihar.forecast.problem import HORIZONS


class IntervalError(ValueError):
    """Calibration or application of intervals with unusable input."""


def _errors(forecasts: pd.DataFrame) -> pd.DataFrame:
    missing = {"predicted", "observed"} - set(forecasts.columns)
    if missing:
        raise IntervalError(f"forecasts lack columns {sorted(missing)}")
    known = forecasts.dropna(subset=["predicted", "observed"])
    if known.empty:
        raise IntervalError("no forecast with an observed value to calibrate on")
    return known.assign(error=known["observed"] - known["predicted"])


def conformal_quantile(values: np.ndarray, level: float) -> float:
    """The ceil((n+1)·level)/n empirical quantile (the split-conformal correction)."""
    n = len(values)
    if n == 0:
        raise IntervalError("no calibration values")
    rank = min(max(math.ceil((n + 1) * level), 1), n)
    return float(np.sort(values)[rank - 1])


SEASON_OF_MONTH = {m: ("DJF", "MAM", "JJA", "SON")[(m % 12) // 3] for m in range(1, 13)}
ALL = "all"


def _group_keys(forecasts: pd.DataFrame, by_season: bool) -> list[tuple[int, str]]:
    horizons = forecasts.index.get_level_values("horizon").astype(int)
    if not by_season:
        return [(h, ALL) for h in horizons]
    if "target_time" not in forecasts.columns:
        raise IntervalError("seasonal intervals need the forecasts' target_time column")
    months = pd.DatetimeIndex(forecasts["target_time"]).month
    return [(h, SEASON_OF_MONTH[m]) for h, m in zip(horizons, months, strict=True)]


@dataclass(frozen=True)
class ConformalIntervals:
    """Offsets of a central interval of nominal coverage 1 - alpha, per (horizon, group): the
    group is the target's season with `by_season`, else one group `"all"`."""

    alpha: float
    lower: dict[tuple[int, str], float]
    upper: dict[tuple[int, str], float]
    n_calibration: int
    by_season: bool = False

    @classmethod
    def fit(
        cls, calibration: pd.DataFrame, alpha: float = 0.1, by_season: bool = False
    ) -> ConformalIntervals:
        """Calibrate on a backtest frame (index level `horizon`, `predicted`, `observed`,
        and `target_time` with `by_season`)."""
        if not 0 < alpha < 1:
            raise IntervalError(f"alpha must be in (0, 1), got {alpha}")
        known = _errors(calibration)
        groups = pd.Series(_group_keys(known, by_season), index=known.index)
        lower, upper = {}, {}
        for key, errors in known["error"].groupby(groups.to_numpy()):
            values = errors.to_numpy()
            if len(values) < math.ceil(1 / alpha):
                raise IntervalError(
                    f"group {key}: {len(values)} calibration errors are too few for alpha={alpha}"
                )
            # Lower tail: the (alpha/2) quantile is minus the upper quantile of -errors.
            lower[key] = -conformal_quantile(-values, 1 - alpha / 2)
            upper[key] = conformal_quantile(values, 1 - alpha / 2)
        missing = {h for h in HORIZONS if not any(k[0] == h for k in lower)}
        if missing:
            raise IntervalError(f"no calibration errors for horizons {sorted(missing)}")
        return cls(alpha, lower, upper, len(known), by_season)

    def apply(self, forecasts: pd.DataFrame) -> pd.DataFrame:
        """`forecasts` with `lower` and `upper` columns."""
        keys = _group_keys(forecasts, self.by_season)
        unknown = sorted(set(keys) - set(self.lower))
        if unknown:
            raise IntervalError(f"no calibration for {unknown[:3]}")
        lo = np.array([self.lower[k] for k in keys])
        hi = np.array([self.upper[k] for k in keys])
        return forecasts.assign(
            lower=forecasts["predicted"].to_numpy() + lo,
            upper=forecasts["predicted"].to_numpy() + hi,
        )


@dataclass(frozen=True)
class Coverage:
    nominal: float
    coverage: float
    mean_width: float
    n: int
    by_horizon: dict[int, float]

    def as_dict(self) -> dict[str, object]:
        return {
            "nominal": self.nominal,
            "coverage": self.coverage,
            "mean_width": self.mean_width,
            "n": self.n,
            "coverage_by_horizon": self.by_horizon,
        }


def coverage(intervals: pd.DataFrame, nominal: float) -> Coverage:
    """Share of observed values inside [lower, upper], overall and per horizon."""
    missing = {"lower", "upper", "observed"} - set(intervals.columns)
    if missing:
        raise IntervalError(f"intervals lack columns {sorted(missing)}")
    known = intervals.dropna(subset=["lower", "upper", "observed"])
    if known.empty:
        raise IntervalError("no interval with an observed value")
    inside = (known["observed"] >= known["lower"]) & (known["observed"] <= known["upper"])
    by_horizon = inside.groupby(level="horizon").mean()
    return Coverage(
        nominal=nominal,
        coverage=float(inside.mean()),
        mean_width=float((known["upper"] - known["lower"]).mean()),
        n=len(known),
        by_horizon={int(h): float(v) for h, v in by_horizon.items()},
    )
