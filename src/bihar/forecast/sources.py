"""Where hourly weather comes from: a saved archive answer (offline) or the live archive API.

Both return `HourlyWeather` parsed by `openmeteo.parse_archive`. `open_source` picks one
according to the settings and logs which it used.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Literal, Protocol

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


class WeatherSource(Protocol):
    name: str

    def coverage(self) -> Coverage: ...

    def fetch(self, location: Location, start: date, end: date) -> HourlyWeather: ...


class SnapshotSource:
    """A saved `GET /v1/archive` answer (`<data_dir>/weather/<location>_archive_*.json`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = f"snapshot:{path.name}"
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ArchiveFormatError(f"cannot read snapshot {path}: {exc}") from exc
        present = tuple(v for v in VARIABLES if v in payload.get("hourly", {}))
        self._weather = parse_archive(payload, present)
        self.variables = present

    @classmethod
    def find(cls, data_dir: Path | None, location: Location) -> SnapshotSource | None:
        if data_dir is None:
            return None
        files = sorted((data_dir / "weather").glob(f"{location.name}_archive_*.json"))
        return cls(files[-1]) if files else None

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
            raise SourceUnavailableError(
                f"no offline snapshot for {location.name} under {settings.data_dir}/weather"
            )
    if source is None:
        client = OpenMeteoClient(settings.openmeteo_base_url, progress=progress)
        source = LiveSource(client)
    log.info("weather source for %s: %s", location.name, source.name)
    return source
