"""Monitoring: predicted vs observed 3-hour temperatures over a period, against the
seasonal-naive baseline, as a saved figure and as the API's baseline answer (which runs
without matplotlib, so the figure's modules are imported by `plot_monitoring` only)."""

from __future__ import annotations

import logging
import shutil
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from bihar.forecast.locations import find_location
from bihar.forecast.queries import ErrorSummary, observed_three_hourly, predictions_with_observed

log = logging.getLogger(__name__)


class NothingToMonitorError(ValueError):
    """No stored prediction in the asked period."""


def monitoring_frame(engine: Engine, location: str, start: date, end: date) -> pd.DataFrame:
    """Per slot: target_time (the location's clock, with its UTC offset), predicted, observed,
    and the seasonal-naive forecast."""
    with engine.connect() as conn:
        frame = predictions_with_observed(conn, location, start, end)
        previous = observed_three_hourly(conn, location, start - timedelta(days=1), end)
    if frame.empty:
        raise NothingToMonitorError(f"no predictions stored for {location} from {start} to {end}")
    # the same local slot a day before (eight slots back, whatever the clock did)
    local = pd.DatetimeIndex([t.replace(tzinfo=None) for t in frame["target_time"]])
    frame["seasonal_naive"] = previous.reindex(local - pd.Timedelta(days=1)).to_numpy()
    return frame


def error_summary(errors: pd.Series) -> ErrorSummary:
    """Count, MAE, RMSE and bias (°C, 3 decimals) of the known `errors` (predicted - observed)."""
    known = errors.dropna()
    if known.empty:
        return ErrorSummary(0, None, None, None)
    return ErrorSummary(
        count=len(known),
        mae=round(float(known.abs().mean()), 3),
        rmse=round(float((known**2).mean() ** 0.5), 3),
        bias=round(float(known.mean()), 3),
    )


def seasonal_naive_period(
    engine: Engine, location: str, start: date, end: date
) -> tuple[pd.DataFrame, ErrorSummary]:
    """The seasonal-naive forecast (the same slot one day earlier) of every slot that has a
    stored prediction from `start` to `end`: target_time, predicted, observed, error; and the
    error summary on the slots where both are known, the slots the model's summary counts."""
    frame = monitoring_frame(engine, location, start, end)
    naive = pd.DataFrame(
        {
            "target_time": frame["target_time"],
            "predicted": frame["seasonal_naive"],
            "observed": frame["observed"],
        }
    )
    naive["error"] = naive["predicted"] - naive["observed"]
    return naive, error_summary(naive["error"])


def plot_monitoring(
    engine: Engine, output_dir: Path, location: str, start: date, end: date
) -> Path:
    """Save the figure as `<location>_<start>_<end>.png` and `<location>_latest.png`."""
    from bihar.forecast.plots import monitoring_figure, png_bytes

    frame = monitoring_frame(engine, location, start, end)
    frame["target_time"] = pd.DatetimeIndex([t.replace(tzinfo=None) for t in frame["target_time"]])
    versions = ", ".join(
        f"{m} v{v}" for m, v in frame[["model", "model_version"]].drop_duplicates().to_numpy()
    )
    with engine.connect() as conn:
        timezone = find_location(conn, location).timezone
    title = (
        f"{location}: day-ahead 3-hour temperature forecasts, {start} to {end} ({versions}), "
        f"local days ({timezone})"
    )
    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / f"{location}_{start}_{end}.png"
    path.write_bytes(png_bytes(monitoring_figure(frame, title)))
    shutil.copyfile(path, output_dir / f"{location}_latest.png")
    log.info("monitoring plot written to %s", path)
    return path
