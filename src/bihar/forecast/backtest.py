"""Rolling-origin backtest of day-ahead forecasts, and the metrics every model is judged by.

Every test day D is forecast as in production: issued at D 00:00 with values up to D-1 21:00,
horizons 1…8. The model is trained on data before the first test day and, with
`refit_every_days`, refitted on all data before each block of that many days.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from bihar.forecast.history import TARGET
from bihar.forecast.models import Forecaster
from bihar.forecast.problem import HORIZONS


def last_days(
    series: pd.DataFrame, days: int = 365, end: pd.Timestamp | None = None
) -> pd.DatetimeIndex:
    """The last `days` complete days of `series` (ending at `end` when given)."""
    last = (end or series.index.max()).normalize()
    if (series.index.max() - last) < pd.Timedelta(hours=21):
        last -= pd.Timedelta(days=1)  # the last day is incomplete
    return pd.date_range(last - pd.Timedelta(days=days - 1), last, freq="D", name="issue_time")


def rolling_origin(
    make_forecaster: Callable[[], Forecaster],
    series: pd.DataFrame,
    days: pd.DatetimeIndex,
    refit_every_days: int | None = None,
) -> pd.DataFrame:
    """Forecasts of every day in `days` with `observed` values; index (issue_time, horizon)."""
    if len(days) == 0:
        raise ValueError("no test days")
    step = refit_every_days or len(days)
    parts = []
    for start in range(0, len(days), step):
        block = days[start : start + step]
        forecaster = make_forecaster().fit(series, block[0])
        parts.append(forecaster.predict(series, block))
    forecasts = pd.concat(parts)
    forecasts["observed"] = series[TARGET].reindex(forecasts["target_time"]).to_numpy()
    return forecasts


@dataclass(frozen=True)
class Metrics:
    mae: float
    rmse: float
    bias: float
    n: int
    mae_by_horizon: dict[int, float]

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def evaluate(forecasts: pd.DataFrame) -> Metrics:
    """MAE, RMSE, bias (mean of predicted - observed) and MAE per horizon on known targets."""
    known = forecasts.dropna(subset=["predicted", "observed"])
    if known.empty:
        raise ValueError("no forecast has an observed value to compare with")
    error = known["predicted"] - known["observed"]
    by_horizon = error.abs().groupby(level="horizon").mean()
    return Metrics(
        mae=float(error.abs().mean()),
        rmse=float(np.sqrt((error**2).mean())),
        bias=float(error.mean()),
        n=len(known),
        mae_by_horizon={int(h): float(by_horizon.get(h, np.nan)) for h in HORIZONS},
    )


def compare(
    backtests: Mapping[str, pd.DataFrame], reference: str = "seasonal_naive"
) -> pd.DataFrame:
    """One row per model, scored on the rows every model could forecast (a fair comparison).

    Columns: mae, rmse, bias, n, mae_ratio (MAE / the reference's MAE), mae_h1 … mae_h8.
    """
    if reference not in backtests:
        raise ValueError(f"the reference {reference!r} is not among the backtests")
    common = None
    for forecasts in backtests.values():
        ok = forecasts.dropna(subset=["predicted", "observed"]).index
        common = ok if common is None else common.intersection(ok)
    rows = {}
    for name, forecasts in backtests.items():
        metrics = evaluate(forecasts.loc[common])
        rows[name] = {
            "mae": metrics.mae,
            "rmse": metrics.rmse,
            "bias": metrics.bias,
            "n": metrics.n,
            **{f"mae_h{h}": v for h, v in metrics.mae_by_horizon.items()},
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.insert(3, "mae_ratio", table["mae"] / table.loc[reference, "mae"])
    return table.sort_values("mae")
