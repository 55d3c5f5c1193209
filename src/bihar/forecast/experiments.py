"""What the time-series experiments notebook calls: data loading, the chronological split,
candidate models run through the pipeline's backtest (tracked in MLflow), error tables,
residual diagnostics, the shipped configuration's writer and the report.

Every candidate (baseline, statistical or machine-learning) is judged by the same
`backtest.rolling_origin` on the same issue days, so the comparison is the pipeline's own.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from bihar.atomic_write import write_text_atomic
from bihar.forecast.backtest import compare, evaluate, last_days, rolling_origin
from bihar.forecast.baselines import ClimatologyForecaster, Persistence, SeasonalNaive
from bihar.forecast.gaps import Gap, fill_short_gaps
from bihar.forecast.history import TARGET, three_hourly
from bihar.forecast.locations import Location, find_location
from bihar.forecast.models import DirectForecaster, Forecaster, ModelConfig
from bihar.forecast.sources import SourceKind, open_source
from bihar.forecast.statistical import SarimaxForecaster, SarimaxSpec
from bihar.reports import write_json_report
from bihar.settings import Settings, get_settings

log = logging.getLogger(__name__)

EXPERIMENT = "forecast-experiments"
SEASONS = {12: "DJF", 1: "DJF", 2: "DJF", 3: "MAM", 4: "MAM", 5: "MAM"}
SEASONS.update({6: "JJA", 7: "JJA", 8: "JJA", 9: "SON", 10: "SON", 11: "SON"})
SEASON_ORDER = ("DJF", "MAM", "JJA", "SON")


class ExperimentDataError(ValueError):
    """The data an experiment needs is missing or unusable (the message names what)."""


class ModelConfigError(ValueError):
    """A model configuration that the training pipeline could not read."""


# --- data -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedSeries:
    """A location's history: filled hourly values, their 3-hour aggregate, and provenance."""

    location: str
    timezone: str  # the clock of its days (`aggregation`); `hourly` is indexed in UTC
    source: str
    hourly: pd.DataFrame
    series: pd.DataFrame
    interpolated_hours: int
    gaps: list[Gap] = field(default_factory=list)

    @property
    def variables(self) -> list[str]:
        return [c for c in self.series.columns if self.series[c].notna().any()]


def load_series(
    location: str | Location, settings: Settings | None = None, kind: SourceKind | None = None
) -> LoadedSeries:
    """All hours the source has for `location` → short gaps interpolated → 3-hour slots of its
    local days (`aggregation`).

    A name is looked up in the configured store (`bihar locations`). The source is the offline
    snapshot under `settings.data_dir` when present, else the live Open-Meteo archive API
    (`kind` forces one); `open_source` logs which one is used.
    """
    settings = settings or get_settings()
    place = location if isinstance(location, Location) else _stored(settings, location)
    location = place.name
    source = open_source(settings, place, kind)
    span = source.coverage()
    weather = source.fetch(place, span.first, span.last)
    filled = fill_short_gaps(weather.frame)
    for gap in filled.long_gaps:
        log.warning("gap not filled: %s", gap.describe())
    series = three_hourly(filled.frame, place.timezone)
    if series.empty or series[TARGET].notna().sum() == 0:
        raise ExperimentDataError(f"{source.name}: no temperature values for {location}")
    # the source's UTC days cut the first and last local slots short: they are left out
    known = series[TARGET].dropna().index
    series = series.loc[known[0] : known[-1]]
    log.info(
        "%s: %d hours (%d interpolated) → %d 3-hour slots from %s",
        location,
        len(filled.frame),
        int(filled.interpolated.sum()),
        len(series),
        source.name,
    )
    return LoadedSeries(
        location=location,
        timezone=place.timezone,
        source=source.name,
        hourly=filled.frame,
        series=series,
        interpolated_hours=int(filled.interpolated.sum()),
        gaps=filled.gaps,
    )


def _stored(settings: Settings, name: str) -> Location:
    from bihar.forecast.db.store import open_store

    with open_store(settings.database_url) as engine, engine.connect() as conn:
        return find_location(conn, name)


@dataclass(frozen=True)
class Split:
    """Chronological split by issue day: train < validation < test (test = the pipeline's)."""

    train_start: pd.Timestamp
    validation: pd.DatetimeIndex
    test: pd.DatetimeIndex

    @property
    def train_end(self) -> pd.Timestamp:
        """First validation day: models judged on validation are fitted on data before it."""
        return self.validation[0]

    def describe(self) -> dict[str, str]:
        last_train_day = self.train_end - pd.Timedelta(days=1)
        return {
            "train": f"{self.train_start:%Y-%m-%d} to {last_train_day:%Y-%m-%d}",
            "validation": f"{self.validation[0]:%Y-%m-%d} to {self.validation[-1]:%Y-%m-%d}",
            "test": f"{self.test[0]:%Y-%m-%d} to {self.test[-1]:%Y-%m-%d}",
        }


def chronological_split(
    series: pd.DataFrame, test_days: int = 365, validation_days: int = 365
) -> Split:
    """Test = the last `test_days` complete days (as `training.train`), validation before it."""
    test = last_days(series, test_days)
    validation = pd.date_range(
        test[0] - pd.Timedelta(days=validation_days),
        test[0] - pd.Timedelta(days=1),
        freq="D",
        name="issue_time",
    )
    train_start = series.index.min()
    if validation[0] - train_start < pd.Timedelta(days=365):
        raise ExperimentDataError(
            f"only {(validation[0] - train_start).days} training days before the validation "
            "year; at least 365 are needed"
        )
    return Split(train_start, validation, test)


# --- candidates and the backtest ---------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A model under comparison: how to build it fresh, its family and its parameters."""

    name: str
    family: str  # baseline | statistical | ml
    make: Callable[[], Forecaster]
    params: dict[str, Any] = field(default_factory=dict)


def baseline_candidates() -> list[Candidate]:
    return [
        Candidate(Persistence.name, "baseline", Persistence),
        Candidate(SeasonalNaive.name, "baseline", SeasonalNaive),
        Candidate(ClimatologyForecaster.name, "baseline", ClimatologyForecaster),
    ]


def ml_candidate(config: ModelConfig) -> Candidate:
    params = {
        "algorithm": config.algorithm,
        "target": config.target,
        **{f"hp_{k}": v for k, v in config.hyperparameters.items()},
        **{f"feature_{k}": v for k, v in config.features.model_dump().items()},
    }
    return Candidate(config.name, "ml", lambda: DirectForecaster(config), params)


def statistical_candidate(spec: SarimaxSpec) -> Candidate:
    return Candidate(spec.name, "statistical", lambda: SarimaxForecaster(spec), spec.params())


def run_backtests(
    candidates: Iterable[Candidate],
    series: pd.DataFrame,
    days: pd.DatetimeIndex,
    stage: str,
    experiment: str = EXPERIMENT,
    tracking_uri: str | None = None,
    track: bool = True,
) -> tuple[dict[str, pd.DataFrame], dict[str, float]]:
    """Backtest each candidate on `days` (fitted once on data before `days[0]`).

    Returns the forecasts by name and the seconds each took. With `track`, each candidate is
    one MLflow run in `experiment` with its parameters, the stage and its metrics.
    """
    forecasts: dict[str, pd.DataFrame] = {}
    seconds: dict[str, float] = {}
    for candidate in candidates:
        began = time.perf_counter()
        result = rolling_origin(candidate.make, series, days)
        seconds[candidate.name] = time.perf_counter() - began
        forecasts[candidate.name] = result
        metrics = evaluate(result)
        log.info(
            "%s on %s: MAE %.3f (%.1f s)",
            candidate.name,
            stage,
            metrics.mae,
            seconds[candidate.name],
        )
        if track:
            _track(
                candidate, stage, days, metrics, seconds[candidate.name], experiment, tracking_uri
            )
    return forecasts, seconds


def _track(
    candidate: Candidate,
    stage: str,
    days: pd.DatetimeIndex,
    metrics: Any,
    seconds: float,
    experiment: str,
    tracking_uri: str | None,
) -> None:
    from bihar.tracking import log_metrics, mlflow_run

    params = {
        "family": candidate.family,
        "stage": stage,
        "first_day": f"{days[0]:%Y-%m-%d}",
        "last_day": f"{days[-1]:%Y-%m-%d}",
        **candidate.params,
    }
    with mlflow_run(experiment, f"{candidate.name}-{stage}", params, tracking_uri=tracking_uri):
        log_metrics(
            {
                "mae": metrics.mae,
                "rmse": metrics.rmse,
                "bias": metrics.bias,
                "seconds": seconds,
                **{f"mae_h{h}": v for h, v in metrics.mae_by_horizon.items()},
            }
        )


def comparison_table(
    backtests: Mapping[str, pd.DataFrame], families: Mapping[str, str]
) -> pd.DataFrame:
    """`backtest.compare` (common rows, ratio to seasonal naive) with family and season MAE."""
    table = compare(backtests)
    seasons = mae_by_season(backtests)
    table = table.join(seasons.add_prefix("mae_"))
    table.insert(0, "family", [families.get(name, "?") for name in table.index])
    return table


# --- errors and residuals ----------------------------------------------------------------------


def errors(forecasts: pd.DataFrame) -> pd.DataFrame:
    """Known rows with error = predicted - observed, target hour, month and season."""
    known = forecasts.dropna(subset=["predicted", "observed"])
    target = pd.DatetimeIndex(known["target_time"])
    return known.assign(
        error=known["predicted"] - known["observed"],
        hour=target.hour,
        month=target.month,
        season=pd.Categorical(
            [SEASONS[m] for m in target.month], categories=SEASON_ORDER, ordered=True
        ),
    )


def error_by(forecasts: pd.DataFrame, by: str) -> pd.DataFrame:
    """MAE, RMSE, bias and count grouped by `horizon`, `hour`, `month` or `season`."""
    frame = errors(forecasts)
    if by == "horizon":
        keys = frame.index.get_level_values("horizon")
    elif by in {"hour", "month", "season"}:
        keys = frame[by]
    else:
        raise ValueError(f"cannot group errors by {by!r}")
    grouped = frame["error"].groupby(keys, observed=True)
    return pd.DataFrame(
        {
            "mae": grouped.apply(lambda e: e.abs().mean()),
            "rmse": grouped.apply(lambda e: float(np.sqrt((e**2).mean()))),
            "bias": grouped.mean(),
            "n": grouped.size(),
        }
    )


def mae_by_season(backtests: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """MAE of each model (rows) in each season (columns), on the rows all models forecast."""
    common = None
    for forecasts in backtests.values():
        ok = forecasts.dropna(subset=["predicted", "observed"]).index
        common = ok if common is None else common.intersection(ok)
    return pd.DataFrame(
        {name: error_by(f.loc[common], "season")["mae"] for name, f in backtests.items()}
    ).T.reindex(columns=list(SEASON_ORDER))


@dataclass(frozen=True)
class ResidualDiagnostics:
    mean: float
    std: float
    skew: float
    kurtosis: float
    ljung_box: pd.DataFrame  # index: lag; columns lb_stat, lb_pvalue
    acf: np.ndarray

    def as_dict(self) -> dict[str, object]:
        return {
            "mean": self.mean,
            "std": self.std,
            "skew": self.skew,
            "excess_kurtosis": self.kurtosis,
            "ljung_box_pvalue": {int(k): float(v) for k, v in self.ljung_box["lb_pvalue"].items()},
        }


def residual_series(forecasts: pd.DataFrame) -> pd.Series:
    """Observed - predicted on the 3-hour grid of target times (each target has one issue)."""
    frame = forecasts.dropna(subset=["predicted", "observed"])
    residual = pd.Series(
        (frame["observed"] - frame["predicted"]).to_numpy(),
        index=pd.DatetimeIndex(frame["target_time"]),
        name="residual",
    ).sort_index()
    if residual.index.has_duplicates:
        raise ValueError("forecasts hold several issues per target time")
    return residual


def residual_diagnostics(
    forecasts: pd.DataFrame, lags: tuple[int, ...] = (1, 8, 16, 56), nlags: int = 56
) -> ResidualDiagnostics:
    """Moments, Ljung-Box test at `lags` and the ACF of the residual series."""
    from scipy import stats
    from statsmodels.stats.diagnostic import acorr_ljungbox
    from statsmodels.tsa.stattools import acf

    residual = residual_series(forecasts)
    values = residual.to_numpy()
    return ResidualDiagnostics(
        mean=float(values.mean()),
        std=float(values.std(ddof=1)),
        skew=float(stats.skew(values)),
        kurtosis=float(stats.kurtosis(values)),
        ljung_box=acorr_ljungbox(values, lags=list(lags)),
        acf=np.asarray(acf(values, nlags=nlags, missing="drop")),
    )


def largest_misses(forecasts: pd.DataFrame, n: int = 5) -> pd.DataFrame:
    """The `n` issue days with the largest mean absolute error, with their mean bias."""
    frame = errors(forecasts)
    by_day = frame.groupby(level="issue_time")["error"]
    table = pd.DataFrame({"mae": by_day.apply(lambda e: e.abs().mean()), "bias": by_day.mean()})
    return table.nlargest(n, "mae")


@dataclass(frozen=True)
class PairedDifference:
    """MAE(a) - MAE(b) on common rows with a day-block bootstrap interval (negative: a better)."""

    difference: float
    low: float
    high: float
    days: int

    @property
    def significant(self) -> bool:
        return self.low > 0 or self.high < 0


def paired_difference(
    a: pd.DataFrame, b: pd.DataFrame, n_boot: int = 2000, level: float = 0.95, seed: int = 42
) -> PairedDifference:
    """Compare two backtests day by day: errors within a day are correlated, so whole issue
    days are resampled."""
    common = a.dropna(subset=["predicted", "observed"]).index.intersection(
        b.dropna(subset=["predicted", "observed"]).index
    )
    if common.empty:
        raise ValueError("the two backtests share no forecast with an observed value")
    gap = (a.loc[common, "predicted"] - a.loc[common, "observed"]).abs() - (
        b.loc[common, "predicted"] - b.loc[common, "observed"]
    ).abs()
    by_day = gap.groupby(level="issue_time")
    sums, counts = by_day.sum().to_numpy(), by_day.size().to_numpy()
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(sums), size=(n_boot, len(sums)))
    boot = sums[picks].sum(axis=1) / counts[picks].sum(axis=1)
    tail = (1 - level) / 2
    return PairedDifference(
        difference=float(gap.mean()),
        low=float(np.quantile(boot, tail)),
        high=float(np.quantile(boot, 1 - tail)),
        days=len(sums),
    )


def feature_importances(model: DirectForecaster, top: int = 15) -> pd.Series:
    """Gain importances (LightGBM), impurity importances (forests) or |standardised coef|."""
    if model.regressor is None:
        raise RuntimeError("fit the model first")
    estimator = model.regressor
    if hasattr(estimator, "steps"):
        estimator = estimator.steps[-1][1]
    if model.config.algorithm == "lightgbm":
        values = estimator.booster_.feature_importance(importance_type="gain")
    elif hasattr(estimator, "feature_importances_"):
        values = estimator.feature_importances_
    elif hasattr(estimator, "coef_"):
        values = np.abs(np.ravel(estimator.coef_))
    else:
        raise ValueError(f"{model.config.algorithm} has no importances")
    series = pd.Series(np.asarray(values, dtype=float), index=model.feature_names)
    return (series / series.sum()).nlargest(top)


# --- the shipped configuration and the report --------------------------------------------------


def save_model_config(config: ModelConfig | Mapping[str, Any], path: Path) -> Path:
    """Validate `config` and write it to `path` atomically (the training pipeline reads it).

    An invalid configuration raises `ModelConfigError` and leaves any existing file untouched.
    """
    try:
        data = config.model_dump() if isinstance(config, ModelConfig) else dict(config)
        checked = ModelConfig.model_validate(data)
        text = checked.model_dump_json(indent=2) + "\n"
        if ModelConfig.model_validate_json(text) != checked:
            raise ModelConfigError(f"the configuration does not round-trip through {path.name}")
    except (ValidationError, ValueError, TypeError) as exc:
        if isinstance(exc, ModelConfigError):
            raise
        raise ModelConfigError(f"invalid model configuration for {path}: {exc}") from exc
    write_text_atomic(path, text)
    log.info("wrote the model configuration %s to %s", checked.name, path)
    return path


def _json_ready(value: Any) -> Any:
    if isinstance(value, pd.DataFrame):
        return json.loads(value.round(4).to_json(orient="index"))
    if isinstance(value, pd.Series):
        return json.loads(value.round(4).to_json())
    if isinstance(value, Mapping):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, float | np.floating):
        return None if not np.isfinite(value) else round(float(value), 4)
    if isinstance(value, np.integer):
        return int(value)
    return value


def write_report(report: Mapping[str, Any], path: Path | None = None) -> Path:
    """Write the experiments' headline figures to `reports/forecast_experiments.json`."""
    return write_json_report("forecast_experiments", _json_ready(report), path)
