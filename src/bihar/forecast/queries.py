"""Read-side queries over stored predictions, used by the API and the monitoring plot.

When several model versions forecast the same slot, the newest version's value is the one
shown (predictions are only ever made by the version in production at the time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

import numpy as np
import pandas as pd
from sqlalchemy import Connection, bindparam, func, select
from sqlalchemy.orm import aliased

from bihar.forecast.db.models import LocationRow, ModelVersion, Prediction
from bihar.forecast.history import TARGET, three_hourly
from bihar.forecast.observations import location_id, read_hourly

COLUMNS = ["target_time", "predicted", "horizon", "issue_time", "model", "model_version"]


class StoredPrediction(NamedTuple):
    target_time: datetime
    predicted: float
    horizon: int
    issue_time: datetime
    model: str
    model_version: int


def _day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return datetime.combine(start, datetime.min.time()), datetime.combine(
        end, datetime.min.time()
    ) + timedelta(hours=23)


_newer = aliased(Prediction)
#: Built once: the API's hot path only binds parameters to an already compiled statement.
_STORED = (
    select(
        Prediction.target_time,
        Prediction.predicted,
        Prediction.horizon,
        Prediction.issue_time,
        ModelVersion.name,
        ModelVersion.version,
    )
    .join(LocationRow, LocationRow.id == Prediction.location_id)
    .join(ModelVersion, ModelVersion.id == Prediction.model_version_id)
    .where(
        LocationRow.name == bindparam("location"),
        Prediction.target_time >= bindparam("lo"),
        Prediction.target_time <= bindparam("hi"),
        Prediction.model_version_id
        == select(func.max(_newer.model_version_id))
        .where(
            _newer.location_id == Prediction.location_id,
            _newer.target_time == Prediction.target_time,
        )
        .scalar_subquery(),
    )
    .order_by(Prediction.target_time, Prediction.issue_time.desc())
)


def stored_predictions(
    conn: Connection, location: str, start: date, end: date
) -> list[StoredPrediction]:
    """The predictions of every slot of the days `start` … `end` (newest version per slot,
    latest issue first), empty when none — or when the location has no data at all."""
    lo, hi = _day_bounds(start, end)
    rows = conn.execute(_STORED, {"location": location, "lo": lo, "hi": hi}).all()
    seen: set[datetime] = set()
    out = []
    for row in rows:
        if row[0] not in seen:
            seen.add(row[0])
            out.append(StoredPrediction(*row))
    return out


def predicted_days(conn: Connection, location: str) -> tuple[date, date] | None:
    """First and last day that has stored predictions, or None."""
    loc_id = location_id(conn, location)
    first, last = conn.execute(
        select(func.min(Prediction.target_time), func.max(Prediction.target_time)).where(
            Prediction.location_id == loc_id
        )
    ).one()
    return None if first is None else (pd.Timestamp(first).date(), pd.Timestamp(last).date())


def observed_three_hourly(conn: Connection, location: str, start: date, end: date) -> pd.Series:
    """Observed 3-hour temperatures of the days `start` … `end` (same aggregation as training)."""
    lo, hi = _day_bounds(start, end)
    hourly = read_hourly(conn, location_id(conn, location), lo, hi, variables=[TARGET])
    if hourly.empty:
        return pd.Series(dtype=float, name=TARGET)
    full = hourly.reindex(pd.date_range(lo, hi, freq="h", name="time"))
    return three_hourly(full)[TARGET]


def predictions_with_observed(
    conn: Connection, location: str, start: date, end: date
) -> pd.DataFrame:
    """Stored predictions joined with observed values; `error` = predicted - observed."""
    frame = pd.DataFrame(stored_predictions(conn, location, start, end), columns=COLUMNS)
    if frame.empty:
        return frame.assign(observed=[], error=[])
    observed = observed_three_hourly(conn, location, start, end)
    frame["observed"] = observed.reindex(pd.DatetimeIndex(frame["target_time"])).to_numpy()
    frame["error"] = frame["predicted"] - frame["observed"]
    return frame


@dataclass(frozen=True)
class ErrorSummary:
    count: int
    mae: float | None
    rmse: float | None
    bias: float | None


def summarise(errors: pd.Series) -> ErrorSummary:
    """Count, MAE, RMSE and bias of the known errors (None when there are none)."""
    known = errors.dropna().to_numpy(dtype=float)
    if known.size == 0:
        return ErrorSummary(0, None, None, None)
    return ErrorSummary(
        count=int(known.size),
        mae=round(float(np.abs(known).mean()), 3),
        rmse=round(float(np.sqrt((known**2).mean())), 3),
        bias=round(float(known.mean()), 3),
    )


def registered_models(conn: Connection) -> list[dict[str, object]]:
    """Every registered model version with its location name, newest first."""
    query = (
        select(ModelVersion, LocationRow.name.label("location"))
        .outerjoin(LocationRow, LocationRow.id == ModelVersion.location_id)
        .order_by(ModelVersion.name, ModelVersion.version.desc())
    )
    rows = []
    for row in conn.execute(query).mappings():
        rows.append(
            {**{k: v for k, v in row.items() if k != "location"}, "location": row["location"]}
        )
    return rows
