"""Monitoring: predicted vs observed 3-hour temperatures over a period, as a saved figure."""

from __future__ import annotations

import logging
import shutil
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from bihar.forecast.locations import find_location
from bihar.forecast.plots import monitoring_figure, png_bytes
from bihar.forecast.queries import observed_three_hourly, predictions_with_observed

log = logging.getLogger(__name__)


class NothingToMonitorError(ValueError):
    """No stored prediction in the asked period."""


def monitoring_frame(engine: Engine, location: str, start: date, end: date) -> pd.DataFrame:
    """Per slot: target_time (local clock), predicted, observed, and the seasonal-naive
    forecast."""
    with engine.connect() as conn:
        frame = predictions_with_observed(conn, location, start, end)
        previous = observed_three_hourly(conn, location, start - timedelta(days=1), end)
    if frame.empty:
        raise NothingToMonitorError(f"no predictions stored for {location} from {start} to {end}")
    # the same local slot a day before (eight slots back, whatever the clock did)
    local = pd.DatetimeIndex([t.replace(tzinfo=None) for t in frame["target_time"]])
    frame["target_time"] = local
    frame["seasonal_naive"] = previous.reindex(local - pd.Timedelta(days=1)).to_numpy()
    return frame


def plot_monitoring(
    engine: Engine, output_dir: Path, location: str, start: date, end: date
) -> Path:
    """Save the figure as `<location>_<start>_<end>.png` and `<location>_latest.png`."""
    frame = monitoring_frame(engine, location, start, end)
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
