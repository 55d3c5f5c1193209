"""Training pipeline: history from the database → rolling-origin backtest of the configured model
and the baselines → final fit → a new registry version (with its backtest tables and plots) →
promotion rule → MLflow.
"""

from __future__ import annotations

import io
import json
import logging
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError
from sqlalchemy import Engine

from bihar.atomic_write import write_text_atomic
from bihar.forecast.backtest import compare, evaluate, last_days, rolling_origin
from bihar.forecast.baselines import ClimatologyForecaster, Persistence, SeasonalNaive
from bihar.forecast.db.models import ModelVersion
from bihar.forecast.history import load_history
from bihar.forecast.locations import find_location
from bihar.forecast.models import DirectForecaster, ModelConfig
from bihar.forecast.observations import location_id, stored_range
from bihar.forecast.plots import backtest_figure, horizon_figure, png_bytes
from bihar.forecast.registry import (
    NewVersion,
    RegistryError,
    model_name,
    promote,
    register,
    serving_version,
)
from bihar.provenance import code_version, fingerprint, library_versions
from bihar.reports import write_json_report
from bihar.settings import Settings

log = logging.getLogger(__name__)

BASELINES = (Persistence, SeasonalNaive, ClimatologyForecaster)
REFERENCE = SeasonalNaive.name
#: Fewer training days than this make the backtest meaningless.
MIN_TRAINING_DAYS = 2 * 365


class TrainingError(ValueError):
    """Training cannot run on what the database holds (the message says what is missing)."""


def load_config(path: Path) -> ModelConfig:
    """The model configuration the experiments chose (`model/config.json`)."""
    try:
        return ModelConfig.model_validate_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TrainingError(
            f"no model configuration at {path}; set BIHAR_FORECAST_CONFIG to one (the checkout "
            "ships model/config.json)"
        ) from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the file"
        raise TrainingError(
            f"{path} is not a valid model configuration ({where}: {first['msg']})"
        ) from None


@dataclass(frozen=True)
class TrainingResult:
    version: ModelVersion
    promoted: bool
    comparison: pd.DataFrame
    seconds: float


def train(
    engine: Engine,
    settings: Settings,
    location: str,
    config: ModelConfig,
    end: date | None = None,
    promote_mode: bool | None = None,
    backtest_days: int = 365,
    refit_every_days: int | None = None,
) -> TrainingResult:
    """Train on the history up to the end of day `end` (default: the last stored day).

    `promote_mode`: True promotes, False never, None applies `registry.should_promote`.
    """
    began = time.perf_counter()
    with engine.connect() as conn:
        place = find_location(conn, location)
        loc_id = location_id(conn, place.name)
        stored = stored_range(conn, loc_id)
        if end is not None and stored is not None and end > stored[1].date():
            raise TrainingError(
                f"--end {end} is after the newest stored hour of {location} "
                f"({stored[1]:%Y-%m-%d %H:%M} UTC); give an earlier --end, or acquire up to it"
            )
        series = load_history(conn, place.name, last_day=end)
    if series.empty:
        raise TrainingError(f"no history stored for {location}; run data/acquire.py first")
    first, last = series.index.min(), series.index.max()
    if (last - first).days < MIN_TRAINING_DAYS + backtest_days:
        raise TrainingError(
            f"{location} has {(last - first).days} days of history ({first:%Y-%m-%d} to "
            f"{last:%Y-%m-%d}); training needs {MIN_TRAINING_DAYS + backtest_days} "
            "(run data/acquire.py --backfill)"
        )
    train_end = last.normalize() + pd.Timedelta(days=1)
    days = last_days(series, backtest_days, end=last)

    backtests = {b.name: rolling_origin(b, series, days) for b in BASELINES}
    backtests[config.name] = rolling_origin(
        lambda: DirectForecaster(config), series, days, refit_every_days
    )
    comparison = compare(backtests, reference=REFERENCE)
    served = evaluate(backtests[config.name])
    metrics: dict[str, Any] = {
        **served.as_dict(),
        "mae_ratio_vs_seasonal_naive": float(comparison.loc[config.name, "mae_ratio"]),
        "backtest_start": str(days[0].date()),
        "backtest_end": str(days[-1].date()),
        "baselines": {
            name: {"mae": float(row["mae"]), "rmse": float(row["rmse"]), "bias": float(row["bias"])}
            for name, row in comparison.iterrows()
            if name != config.name
        },
    }
    model = DirectForecaster(config).fit(series, train_end)

    name = model_name(location)
    title = f"{name}: backtest {days[0]:%Y-%m-%d} to {days[-1]:%Y-%m-%d}"
    files = {
        "backtest.csv": _csv(backtests[config.name]),
        "comparison.csv": comparison.to_csv().encode(),
        "backtest.png": png_bytes(backtest_figure(backtests[config.name], title)),
        "mae_by_horizon.png": png_bytes(horizon_figure(comparison, f"{title}: MAE by horizon")),
    }
    new = NewVersion(
        name=name,
        location_id=loc_id,
        algorithm=config.algorithm,
        hyperparameters=config.hyperparameters,
        features=model.feature_names,
        train_start=series.index.min().to_pydatetime(),
        train_end=train_end.to_pydatetime(),
        metrics=metrics,
        code_version=code_version(),
        metadata={
            "location": location,
            "timezone": place.timezone,
            "config": json.loads(config.model_dump_json()),
            "training_period": {"start": str(first), "end": str(train_end), "rows": len(series)},
            "metrics": metrics,
            "data_fingerprint": fingerprint(series),
            "libraries": library_versions("lightgbm", "scikit-learn", "pandas", "numpy"),
            "refit_every_days": refit_every_days,
        },
        files=files,
        timezone=place.timezone,
    )
    version = register(engine, settings.registry_dir, model, new)
    if promote_mode is False:
        serving = _serving(engine, name)
    else:
        serving = promote(engine, version, if_better=promote_mode is None)
    promoted = serving is not None and serving.id == version.id
    seconds = time.perf_counter() - began
    _log_to_mlflow(settings, version, config, metrics, files)
    log.info(
        "trained %s v%d: MAE %.3f °C, ratio to seasonal naive %.3f, %s, %.1f s",
        name,
        version.version,
        served.mae,
        metrics["mae_ratio_vs_seasonal_naive"],
        "promoted"
        if promoted
        else f"not promoted (serving v{serving.version})"
        if serving
        else "not promoted",
        seconds,
    )
    return TrainingResult(version, promoted, comparison, seconds)


def _serving(engine: Engine, name: str) -> ModelVersion | None:
    try:
        return serving_version(engine, name)
    except RegistryError:
        return None


def _csv(forecasts: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    forecasts.to_csv(buffer)
    return buffer.getvalue().encode()


def _log_to_mlflow(
    settings: Settings,
    version: ModelVersion,
    config: ModelConfig,
    metrics: dict[str, Any],
    files: dict[str, bytes],
) -> None:
    import tempfile

    import mlflow

    from bihar.tracking import log_metrics, mlflow_run

    params = {
        "algorithm": config.algorithm,
        "target": config.target,
        **{f"hp_{k}": v for k, v in config.hyperparameters.items()},
        **{f"feature_{k}": v for k, v in config.features.model_dump().items()},
        "registry_version": version.version,
    }
    run_name = f"{version.name}-v{version.version}"
    with mlflow_run(
        "forecast-training",
        run_name,
        params,
        tracking_uri=settings.mlflow_tracking_uri,
        artifacts_dir=settings.mlflow_artifacts_dir,
    ):
        flat = {k: v for k, v in metrics.items() if isinstance(v, int | float)}
        flat.update({f"mae_h{h}": v for h, v in metrics["mae_by_horizon"].items()})
        flat.update({f"{b}_mae": m["mae"] for b, m in metrics["baselines"].items()})
        log_metrics(flat)
        with tempfile.TemporaryDirectory() as tmp:
            for name, content in files.items():
                (Path(tmp) / name).write_bytes(content)
            mlflow.log_artifacts(tmp, artifact_path="registry-version")


def write_backtest_report(
    reports_dir: Path,
    comparison: pd.DataFrame,
    served: str,
    version: ModelVersion,
    promoted: bool,
) -> None:
    """`forecast_backtest.json` and `.md` in `reports_dir`: every model's backtest metrics.

    Written by the refresh benchmark (`make bench-refresh`), not by each training: a command
    that users run on their own data never rewrites the committed reports."""
    reports_dir.mkdir(parents=True, exist_ok=True)
    report = {
        "command": "make bench-refresh (the refresh's training of the shipped configuration)",
        "model": version.name,
        "version": version.version,
        "promoted": promoted,
        "served_model": served,
        "backtest": {
            "start": version.metrics["backtest_start"],
            "end": version.metrics["backtest_end"],
            "issued": "local D 00:00 with 3-hour values up to local D-1 21:00, horizons 1-8",
            "timezone": version.timezone,
        },
        "mae_ratio_vs_seasonal_naive": round(float(comparison.loc[served, "mae_ratio"]), 4),
        "models": json.loads(comparison.round(4).to_json(orient="index")),
    }
    write_json_report("forecast_backtest", report, reports_dir / "forecast_backtest.json")
    cols = ["mae", "rmse", "bias", "mae_ratio", "mae_h1", "mae_h4", "mae_h8"]
    lines = [
        f"# Forecast backtest — {version.name} v{version.version}",
        "",
        f"Rolling-origin backtest {report['backtest']['start']} to {report['backtest']['end']}: "
        f"every local day ({version.timezone}) issued at its 00:00 from values up to 21:00 the day "
        "before. Served model: "
        f"`{served}`, MAE ratio to seasonal naive **{report['mae_ratio_vs_seasonal_naive']}**.",
        "",
        "| model | " + " | ".join(cols) + " |",
        "|---|" + "---:|" * len(cols),
        *[
            f"| {name} | " + " | ".join(f"{row[c]:.3f}" for c in cols) + " |"
            for name, row in comparison.iterrows()
        ],
        "",
    ]
    write_text_atomic(reports_dir / "forecast_backtest.md", "\n".join(lines))
