"""Acquisition: fetch a period from a weather source and store it, all or nothing.

Fetch → fill short gaps (flagged) → upsert in one transaction, with an `ingestion_runs` row
recording what changed and the served days whose observed values changed remade. A failure
records a failed run (in its own transaction) and re-raises.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import Engine, insert

from bihar.forecast.db.models import IngestionRun, utcnow
from bihar.forecast.gaps import Gap, fill_short_gaps
from bihar.forecast.locations import Location
from bihar.forecast.observations import ensure_location, upsert_observations
from bihar.forecast.problem import day_hours
from bihar.forecast.served import remake_served_days
from bihar.forecast.sources import OutOfRangeError, SnapshotSource, WeatherSource

log = logging.getLogger(__name__)

#: How far back a backfill from the live API goes when no start is given (snapshots: all).
LIVE_BACKFILL_DAYS = 6 * 365


@dataclass(frozen=True)
class AcquisitionResult:
    location: str
    source: str
    start: date
    end: date
    hours: int
    inserted: int
    updated: int
    unchanged: int
    interpolated: int
    long_gaps: list[Gap] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"{self.location} {self.start}..{self.end} from {self.source}: {self.hours} h stored "
            f"({self.inserted} inserted, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.interpolated} interpolated), {len(self.long_gaps)} long gaps, "
            f"{self.seconds:.1f} s"
        )


def period(
    source: WeatherSource,
    end: date,
    days: int | None = 30,
    backfill: bool = False,
    since: date | None = None,
) -> tuple[date, date]:
    """The days to acquire: `days` ending at `end`, or from `since` / the source's start (all
    that saved snapshots hold; at most `LIVE_BACKFILL_DAYS` from the live API)."""
    if backfill:
        first = source.coverage().first
        if not isinstance(source, SnapshotSource):
            first = max(first, end - timedelta(days=LIVE_BACKFILL_DAYS))
        return since or first, end
    if days is None or days < 1:
        raise ValueError("--days must be at least 1")
    return end - timedelta(days=days - 1), end


def acquire(
    engine: Engine, source: WeatherSource, location: Location, start: date, end: date
) -> AcquisitionResult:
    """Fetch the local days `start`…`end` from `source` and upsert them in one transaction.

    The source answers UTC days, so a day either side is fetched too (within what the source
    has), and the hours of the local days kept: a local day starts and ends up to 14 hours
    away from UTC's."""
    began = time.perf_counter()
    try:
        span = source.coverage()
        start, end = span.check(start, end, source.name)
        lo, hi = (pd.Timestamp(t) for t in day_hours(start, end, location.timezone))
        weather = source.fetch(location, max(lo.date(), span.first), min(hi.date(), span.last))
        # the local days' hours, as far as the source's UTC days reach
        first_hour = max(lo, weather.frame.index[0].normalize())
        last_hour = min(hi, weather.frame.index[-1].normalize() + pd.Timedelta(hours=23))
        frame = weather.frame.loc[first_hour:last_hour]
        filled = fill_short_gaps(frame, first_hour, last_hour)
        rows = filled.frame.assign(interpolated=filled.interpolated)
        rows = rows[rows["temperature_2m"].notna()]
        for gap in filled.long_gaps:
            log.warning("gap not filled: %s", gap.describe())
        with engine.begin() as conn:
            loc_id = ensure_location(conn, location, weather.elevation)
            counts = upsert_observations(conn, loc_id, rows, source.name, utcnow())
            if counts.inserted or counts.updated:
                remake_served_days(conn, location.name, start, end)
            interpolated = int(rows["interpolated"].sum())
            conn.execute(
                insert(IngestionRun).values(
                    location_id=loc_id,
                    source=source.name,
                    requested_start=start,
                    requested_end=end,
                    started_at=utcnow(),
                    finished_at=utcnow(),
                    rows_inserted=counts.inserted,
                    rows_updated=counts.updated,
                    rows_unchanged=counts.unchanged,
                    rows_interpolated=interpolated,
                    long_gaps=[g.describe() for g in filled.long_gaps],
                    status="success",
                )
            )
    except OutOfRangeError:
        raise  # a bad request, not a failed run
    except Exception as exc:
        _record_failure(engine, source, start, end, exc)
        raise
    result = AcquisitionResult(
        location=location.name,
        source=source.name,
        start=start,
        end=end,
        hours=len(rows),
        inserted=counts.inserted,
        updated=counts.updated,
        unchanged=counts.unchanged,
        interpolated=interpolated,
        long_gaps=filled.long_gaps,
        seconds=time.perf_counter() - began,
    )
    log.info("acquired %s", result.summary())
    return result


def _record_failure(
    engine: Engine, source: WeatherSource, start: date, end: date, exc: Exception
) -> None:
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(IngestionRun).values(
                    source=source.name,
                    requested_start=start,
                    requested_end=end,
                    finished_at=utcnow(),
                    rows_inserted=0,
                    rows_updated=0,
                    rows_unchanged=0,
                    rows_interpolated=0,
                    long_gaps=[],
                    status="failed",
                    error=f"{type(exc).__name__}: {exc}"[:2000],
                )
            )
    except Exception:  # the database itself may be what failed
        log.exception("could not record the failed ingestion run")
