"""Where hourly weather comes from: a saved archive answer (offline) or the live archive API.

Both return `HourlyWeather` parsed by `openmeteo.parse_archive`. `open_source` picks one
according to the settings and logs which it used.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Literal, Protocol

import pandas as pd

from bihar.forecast.locations import Location
from bihar.forecast.openmeteo import (
    VARIABLE_UNITS,
    VARIABLES,
    ArchiveFormatError,
    HourlyWeather,
    OpenMeteoClient,
    parse_archive,
)
from bihar.settings import Settings

log = logging.getLogger(__name__)

SourceKind = Literal["auto", "offline", "live"]
#: The archive API's first day (ERA5 back-extension).
ARCHIVE_FIRST_DAY = date(1940, 1, 1)


class OutOfRangeError(ValueError):
    """A requested period the source has no data for."""


class SourceUnavailableError(RuntimeError):
    """The asked-for source cannot be used (e.g. no snapshot for that location)."""


@dataclass(frozen=True)
class Coverage:
    first: date
    last: date

    def check(self, start: date, end: date, what: str) -> tuple[date, date]:
        """Clip `start`…`end` to the coverage; raise when `end` is outside it."""
        if end < self.first or end > self.last:
            raise OutOfRangeError(f"{end} is outside what {what} has ({self.first} to {self.last})")
        if start < self.first:
            log.warning("%s starts on %s; clipping the request to it", what, self.first)
            start = self.first
        return start, end


def last_local_day(coverage: Coverage, timezone: str) -> date:
    """The last local day of `timezone` whose every hour lies in `coverage` (UTC days)."""
    from bihar.forecast.problem import to_local

    after = pd.Timestamp(coverage.last) + pd.Timedelta(days=1)  # the first hour not covered
    return (
        to_local(pd.DatetimeIndex([after]), timezone)[0].normalize() - pd.Timedelta(days=1)
    ).date()


class WeatherSource(Protocol):
    name: str

    def coverage(self) -> Coverage: ...

    def fetch(self, location: Location, start: date, end: date) -> HourlyWeather: ...


class SnapshotSource:
    """Saved `GET /v1/archive` answers of one location (`<data_dir>/weather/<location>_archive_
    *.json`), merged by time.

    Files may overlap: an hour two files both hold must have the same values in both (else
    `SnapshotConflictError` names the files and the hour); hours no file holds between the
    first and the last are missing (NaN) and the gap filling reports them.
    """

    def __init__(self, paths: Path | Sequence[Path]) -> None:
        self.paths = [paths] if isinstance(paths, Path) else sorted(paths)
        if not self.paths:
            raise SourceUnavailableError("no snapshot file given")
        self.path = self.paths[-1]
        if len(self.paths) == 1:
            self.name = f"snapshot:{self.path.name}"
        else:  # stored with each row (128 characters at most): the files are logged below
            self.name = f"snapshot:{len(self.paths)} files {self.path.name.split('_archive_')[0]}"
            log.info("snapshot files merged: %s", ", ".join(p.name for p in self.paths))
        parts = [(path, _read_snapshot(path)) for path in self.paths]
        self.variables = tuple(v for v in VARIABLES if any(v in w.frame for _, w in parts))
        self._weather = _merge(parts, self.variables)

    @classmethod
    def find(cls, data_dir: Path | None, location: Location) -> SnapshotSource | None:
        if data_dir is None:
            return None
        files = sorted((data_dir / "weather").glob(f"{location.name}_archive_*.json"))
        return cls(files) if files else None

    def coverage(self) -> Coverage:
        return Coverage(self._weather.start.date(), self._weather.end.date())

    def fetch(self, location: Location, start: date, end: date) -> HourlyWeather:
        start, end = self.coverage().check(start, end, self.name)
        weather = self._weather.between(start, end)
        for missing in set(VARIABLE_UNITS) - set(self.variables):
            weather.frame[missing] = float("nan")
        return HourlyWeather(
            weather.latitude, weather.longitude, weather.elevation, weather.frame[list(VARIABLES)]
        )


class SnapshotConflictError(ArchiveFormatError):
    """Two snapshot files of one location disagree about an hour."""


def _read_snapshot(path: Path) -> HourlyWeather:
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ArchiveFormatError(f"cannot read snapshot {path}: {exc}") from exc
    present = tuple(v for v in VARIABLES if v in payload.get("hourly", {}))
    try:
        return parse_archive(payload, present)
    except ArchiveFormatError as exc:
        raise ArchiveFormatError(f"snapshot {path}: {exc}") from exc


def _merge(parts: list[tuple[Path, HourlyWeather]], variables: tuple[str, ...]) -> HourlyWeather:
    """One hourly frame from every file, on consecutive hours; a disagreement is an error."""
    merged: pd.DataFrame | None = None
    owner: pd.Series | None = None  # which file each merged hour came from
    for path, weather in parts:
        frame = weather.frame.reindex(columns=list(variables))
        if merged is None:
            merged, owner = frame, pd.Series(path.name, index=frame.index)
            continue
        common = merged.index.intersection(frame.index)
        if len(common):
            ours, theirs = merged.loc[common], frame.loc[common]
            both = ours.notna() & theirs.notna()
            differ = (both & (ours != theirs)).any(axis=1)
            if differ.any():
                hour = differ[differ].index[0]
                raise SnapshotConflictError(
                    f"snapshots {owner[hour]} and {path.name} disagree at {hour:%Y-%m-%d %H:%M} "
                    f"UTC ({int(differ.sum())} hour(s) differ); remove or correct one of them"
                )
        fresh = frame.index.difference(merged.index)
        merged = pd.concat([merged.combine_first(frame.loc[common]), frame.loc[fresh]])
        merged = merged.sort_index()
        owner = pd.concat([owner, pd.Series(path.name, index=fresh)]).sort_index()
    assert merged is not None
    hours = pd.date_range(merged.index[0], merged.index[-1], freq="h", name=merged.index.name)
    first = parts[0][1]
    return HourlyWeather(first.latitude, first.longitude, first.elevation, merged.reindex(hours))


class LiveSource:
    """The live archive API through `OpenMeteoClient`."""

    name = "live:open-meteo archive API"

    def __init__(self, client: OpenMeteoClient) -> None:
        self.client = client

    def coverage(self) -> Coverage:
        # The archive lags real time by a few days; the API itself names its exact bound
        # (an HTTP 400 with a reason) and trailing hours it lacks come back as null.
        return Coverage(ARCHIVE_FIRST_DAY, datetime.now(UTC).date() - timedelta(days=1))

    def fetch(self, location: Location, start: date, end: date) -> HourlyWeather:
        start, end = self.coverage().check(start, end, self.name)
        return self.client.archive(location.latitude, location.longitude, start, end)


def open_source(
    settings: Settings, location: Location, kind: SourceKind | None = None, progress: bool = False
) -> WeatherSource:
    """The offline snapshot when present (`auto`, `offline`), else the live API (`auto`, `live`)."""
    kind = kind or settings.weather_source
    source: WeatherSource | None = None
    if kind in ("auto", "offline"):
        source = SnapshotSource.find(settings.data_dir, location)
        if source is None and kind == "offline":
            where = (
                f"under {settings.data_dir}/weather"
                if settings.data_dir is not None
                else "(no data folder: ../shared/datasets is missing; set BIHAR_DATA_DIR)"
            )
            raise SourceUnavailableError(f"no offline snapshot for {location.name} {where}")
    if source is None:
        client = OpenMeteoClient(settings.openmeteo_base_url, progress=progress)
        source = LiveSource(client)
    log.info("weather source for %s: %s", location.name, source.name)
    return source
