"""Batch predictions: for each local day, the serving model's forecast issued at local 00:00
(`problem`) from the history stored before it, written to `predictions` (in UTC) with the
explanatory values used.

Idempotent: a (model version, location, target time, issue time) row is inserted once and
updated only when its value changes. The served days of the period are remade in the same
transaction (`served`).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from bihar.forecast.db.models import ModelVersion, Prediction, utcnow
from bihar.forecast.db.portable import upsert
from bihar.forecast.history import TARGET, load_history
from bihar.forecast.locations import find_location
from bihar.forecast.models import DirectForecaster
from bihar.forecast.observations import location_id
from bihar.forecast.problem import SLOT, days_between, to_utc
from bihar.forecast.registry import RegistryError, load_model, model_name, serving_version
from bihar.forecast.served import remake_served_days

log = logging.getLogger(__name__)

#: History read before the first issue day: enough for every lag and window of the features.
LOOKBACK_DAYS = 21


class MissingHistoryError(ValueError):
    """A day cannot be forecast because the history it needs is not stored."""


@dataclass(frozen=True)
class PredictionRun:
    version: ModelVersion
    days: int
    rows: int


def predict_days(
    engine: Engine,
    registry_dir: Path,
    location: str,
    start: date,
    end: date,
    version: ModelVersion | None = None,
) -> PredictionRun:
    """Forecast every day `start` … `end` with `version` (default: the serving one) and store."""
    version = version or serving_version(engine, model_name(location))
    issues = days_between(start, end)
    with engine.connect() as conn:
        place = find_location(conn, location)
        loc_id = location_id(conn, place.name)
        series = load_history(
            conn, place.name, start - timedelta(days=LOOKBACK_DAYS), end - timedelta(days=1)
        )
    if version.timezone != place.timezone:
        raise RegistryError(
            f"{version.name} v{version.version} was trained on {version.timezone} days and "
            f"{place.name} now keeps {place.timezone} days; train a new version first "
            f"(`bihar train --location {place.name}` or `make refresh`)"
        )
    model: DirectForecaster = load_model(registry_dir, version)
    _check_history(series, issues, location)
    frame = model.features(series, issues)
    forecasts = model.predict_frame(frame)
    created = utcnow()
    issue_utc = dict(zip(issues, to_utc(issues, place.timezone), strict=True))
    targets = pd.DatetimeIndex(forecasts["target_time"])
    target_utc = dict(zip(targets, to_utc(targets, place.timezone), strict=True))
    rows = [
        {
            "model_version_id": version.id,
            "location_id": loc_id,
            "issue_time": issue_utc[issue].to_pydatetime(),
            "target_time": target_utc[
                forecasts.at[(issue, horizon), "target_time"]
            ].to_pydatetime(),
            "horizon": int(horizon),
            "predicted": round(float(forecasts.at[(issue, horizon), "predicted"]), 3),
            "features": _json_values(frame.X.loc[(issue, horizon)]),
            "created_at": created,
        }
        for issue, horizon in forecasts.index
    ]
    _store(engine, location, start, end, rows)
    log.info(
        "stored %d predictions of %s v%d for %s, %s to %s",
        len(rows),
        version.name,
        version.version,
        location,
        start,
        end,
    )
    return PredictionRun(version, len(issues), len(rows))


def _check_history(series: pd.DataFrame, issues: pd.DatetimeIndex, location: str) -> None:
    """Each issue day needs the eight 3-hour values of the (local) day before it."""
    temp = series[TARGET] if not series.empty else pd.Series(dtype=float)
    needed = pd.DatetimeIndex(sorted({issue - SLOT * k for issue in issues for k in range(1, 9)}))
    missing = needed[temp.reindex(needed).isna().to_numpy()]
    if len(missing):
        days = sorted({t.normalize() for t in missing})
        raise MissingHistoryError(
            f"history missing for {location}: no complete 3-hour values between "
            f"{missing[0]:%Y-%m-%d %H:%M} and {missing[-1]:%Y-%m-%d %H:%M} local time "
            f"({len(days)} day(s), needed to forecast the day after each); run "
            f"`python data/acquire.py --date {days[-1]:%Y-%m-%d} --days "
            f"{(days[-1] - days[0]).days + 1} --location {location}`"
        )


def _json_values(row: pd.Series) -> dict[str, float | None]:
    return {k: (None if math.isnan(v) else round(float(v), 4)) for k, v in row.items()}


def _store(engine: Engine, location: str, start: date, end: date, rows: list[dict]) -> None:
    """Upsert the rows, and remake the served days they change, in one transaction."""
    if not rows:
        return
    table = Prediction.__table__
    statement = upsert(engine.dialect.name, table)
    statement = statement.on_conflict_do_update(
        index_elements=["model_version_id", "location_id", "target_time", "issue_time"],
        set_={
            "predicted": statement.excluded.predicted,
            "features": statement.excluded.features,
            "horizon": statement.excluded.horizon,
            "created_at": statement.excluded.created_at,
        },
        where=table.c.predicted != statement.excluded.predicted,
    )
    with engine.begin() as conn:
        conn.execute(statement, rows)
        remake_served_days(conn, location, start, end)
