"""The brief's workflow for a given date, in one call: acquire recent data → train a new model
→ predict a predefined period → store.

Predicted period: the `days` days ending at the date plus the next day. One refresh of a location
runs at a time (`refresh_lock`). The model is trained on
history up to the day before that period, so every stored prediction is out of sample: each day
is forecast from data before it by a model that never saw it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Engine

from bihar.forecast.acquisition import AcquisitionResult, acquire, period
from bihar.forecast.locations import UnknownLocationError, find_location
from bihar.forecast.observations import location_id, stored_range
from bihar.forecast.prediction import PredictionRun, predict_days
from bihar.forecast.refresh_lock import refresh_lock
from bihar.forecast.sources import SourceKind, WeatherSource, open_source
from bihar.forecast.training import TrainingResult, load_config, train
from bihar.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RefreshResult:
    acquisition: AcquisitionResult
    training: TrainingResult
    prediction: PredictionRun
    seconds: float


def refresh(
    engine: Engine,
    settings: Settings,
    day: date,
    location: str,
    days: int = 30,
    source: SourceKind | None = None,
    promote_mode: bool | None = None,
) -> RefreshResult:
    """The workflow for `day`, holding the location's refresh lock (`RefreshRunningError` when
    another refresh of it runs). The configuration is read before any data is."""
    began = time.perf_counter()
    with engine.connect() as conn:
        place = find_location(conn, location)
    config = load_config(settings.model_config_path)
    with refresh_lock(settings.registry_dir, place.name):
        weather = open_source(settings, place, source)
        start, end = _acquisition_period(engine, weather, day, place.name)
        acquired = acquire(engine, weather, place, start, end)
        first_predicted = day - timedelta(days=days - 1)
        trained = train(
            engine,
            settings,
            place.name,
            config,
            end=first_predicted - timedelta(days=1),
            promote_mode=promote_mode,
        )
        # The version just promoted, named explicitly: a promotion made meanwhile by another
        # process cannot change which version these predictions (and this log) name.
        predicted = predict_days(
            engine,
            settings.registry_dir,
            place.name,
            first_predicted,
            day + timedelta(days=1),
            version=trained.version if trained.promoted else None,
        )
    seconds = time.perf_counter() - began
    log.info(
        "refresh %s for %s: acquired %d h, trained v%d (%s), %d predictions by v%d, %.1f s",
        place.name,
        day,
        acquired.hours,
        trained.version.version,
        "promoted" if trained.promoted else "not promoted",
        predicted.rows,
        predicted.version.version,
        seconds,
    )
    return RefreshResult(acquired, trained, predicted, seconds)


def _acquisition_period(
    engine: Engine, weather: WeatherSource, day: date, location: str
) -> tuple[date, date]:
    """Everything the source has when the store is empty, else from a week before the last
    stored day (late revisions are picked up) to `day`."""
    with engine.connect() as conn:
        try:
            stored = stored_range(conn, location_id(conn, location))
        except UnknownLocationError:  # nothing stored yet for this location
            stored = None
    if stored is None:
        return period(weather, day, backfill=True)
    since = min(stored[1].date() - timedelta(days=7), day)
    return max(since, weather.coverage().first), day
