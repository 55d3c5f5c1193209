"""Open-Meteo Historical Weather API (`GET /v1/archive`): parsing, validation and an HTTP client.

The same `parse_archive` reads a live answer and a saved snapshot of one, so both sources go
through one validation path. Times are requested in GMT and kept as naive UTC timestamps.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import numpy as np
import pandas as pd
from tqdm.auto import tqdm

log = logging.getLogger(__name__)

#: The hourly variables the service stores, with the unit the API must report for each.
VARIABLE_UNITS: dict[str, str] = {
    "temperature_2m": "°C",
    "relative_humidity_2m": "%",
    "surface_pressure": "hPa",
    "wind_speed_10m": "km/h",
    "precipitation": "mm",
}
VARIABLES: tuple[str, ...] = tuple(VARIABLE_UNITS)
TIME_FORMAT = "%Y-%m-%dT%H:%M"


class OpenMeteoError(RuntimeError):
    """Base class of every Open-Meteo failure."""


class ArchiveFormatError(OpenMeteoError):
    """An answer that does not have the archive API's shape (or violates its invariants)."""


class OpenMeteoRequestError(OpenMeteoError):
    """The API refused the request (HTTP 400 `{"error": true, "reason": ...}` or other 4xx)."""

    def __init__(self, reason: str, status_code: int = 400) -> None:
        super().__init__(f"Open-Meteo refused the request (HTTP {status_code}): {reason}")
        self.reason = reason
        self.status_code = status_code


class OpenMeteoUnavailableError(OpenMeteoError):
    """The API kept failing (timeouts, connection errors, 429, 5xx) after every retry."""


@dataclass(frozen=True)
class HourlyWeather:
    """A validated hourly answer: grid-cell metadata and one float column per variable.

    `frame` is indexed by consecutive naive-UTC hours (`time`); a `null` of the API is NaN.
    """

    latitude: float
    longitude: float
    elevation: float | None
    frame: pd.DataFrame

    @property
    def start(self) -> pd.Timestamp:
        return self.frame.index[0]

    @property
    def end(self) -> pd.Timestamp:
        return self.frame.index[-1]

    def between(self, start: date, end: date) -> HourlyWeather:
        """The hours of the days `start`…`end` (inclusive)."""
        lo = pd.Timestamp(start)
        hi = pd.Timestamp(end) + pd.Timedelta(hours=23)
        return HourlyWeather(
            self.latitude, self.longitude, self.elevation, self.frame.loc[lo:hi].copy()
        )


def parse_archive(payload: Any, variables: Sequence[str] = VARIABLES) -> HourlyWeather:
    """Validate an archive answer and turn it into `HourlyWeather`.

    Checks: an object with `hourly` and `hourly_units`; GMT times; every requested variable present
    with its expected unit; arrays as long as `time`; times strictly hourly; values numbers or null.
    """
    if not isinstance(payload, Mapping):
        raise ArchiveFormatError(f"expected a JSON object, got {type(payload).__name__}")
    if payload.get("error"):
        raise OpenMeteoRequestError(str(payload.get("reason", "no reason given")))
    for key in ("latitude", "longitude", "hourly", "hourly_units"):
        if key not in payload:
            raise ArchiveFormatError(f"answer lacks the key {key!r}")
    offset = payload.get("utc_offset_seconds", 0)
    if offset != 0:
        raise ArchiveFormatError(f"times must be GMT, answer has utc_offset_seconds={offset}")
    hourly, units = payload["hourly"], payload["hourly_units"]
    if not isinstance(hourly, Mapping) or not isinstance(units, Mapping):
        raise ArchiveFormatError("'hourly' and 'hourly_units' must be objects")
    if "time" not in hourly:
        raise ArchiveFormatError("'hourly' lacks 'time'")
    times = hourly["time"]
    if not isinstance(times, list) or not times:
        raise ArchiveFormatError("'hourly.time' must be a non-empty array")

    columns: dict[str, np.ndarray] = {}
    for name in variables:
        if name not in VARIABLE_UNITS:
            raise ArchiveFormatError(f"unknown variable {name!r}")
        if name not in hourly:
            raise ArchiveFormatError(f"'hourly' lacks the variable {name!r}")
        unit = units.get(name)
        if unit != VARIABLE_UNITS[name]:
            raise ArchiveFormatError(f"{name}: unit {unit!r}, expected {VARIABLE_UNITS[name]!r}")
        values = hourly[name]
        if not isinstance(values, list) or len(values) != len(times):
            length = len(values) if isinstance(values, list) else "not an array"
            raise ArchiveFormatError(
                f"{name}: {length} values for {len(times)} times (arrays must have equal length)"
            )
        columns[name] = _floats(name, values)

    index = _hourly_index(times)
    frame = pd.DataFrame(columns, index=index)
    return HourlyWeather(
        latitude=float(payload["latitude"]),
        longitude=float(payload["longitude"]),
        elevation=_optional_float(payload.get("elevation")),
        frame=frame,
    )


def _floats(name: str, values: list[Any]) -> np.ndarray:
    for i, value in enumerate(values):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise ArchiveFormatError(f"{name}[{i}] = {value!r} is neither a number nor null")
    return np.array(values, dtype=float)


def _hourly_index(times: list[Any]) -> pd.DatetimeIndex:
    try:
        index = pd.DatetimeIndex(pd.to_datetime(times, format=TIME_FORMAT), name="time")
    except (ValueError, TypeError) as exc:
        raise ArchiveFormatError(f"'hourly.time' has a value not in {TIME_FORMAT}: {exc}") from exc
    bad = np.flatnonzero((index[1:] - index[:-1]) != pd.Timedelta(hours=1))
    if bad.size:
        i = int(bad[0])
        raise ArchiveFormatError(
            f"times are not consecutive hours: {times[i]!r} is followed by {times[i + 1]!r}"
        )
    return index


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True)
class Place:
    """One candidate of the geocoding API for a searched name."""

    name: str
    latitude: float
    longitude: float
    elevation: float | None
    timezone: str
    country: str
    country_code: str
    admin1: str

    def describe(self) -> str:
        where = ", ".join(part for part in (self.admin1, self.country) if part)
        return (
            f"{self.name} ({where}) {self.latitude:.4f}, {self.longitude:.4f}, "
            f"{self.timezone}" + ("" if self.elevation is None else f", {self.elevation:.0f} m")
        )


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with exponential backoff and jitter."""

    attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 30.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before try number `attempt + 1` (attempt counts from 0)."""
        if retry_after is not None:
            return min(self.max_delay, retry_after)
        ceiling = min(self.max_delay, self.base_delay * 2**attempt)
        return ceiling / 2 + random.uniform(0, ceiling / 2)


def date_chunks(start: date, end: date, days: int) -> Iterator[tuple[date, date]]:
    """Consecutive inclusive ranges of at most `days` days covering `start`…`end`."""
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    if days < 1:
        raise ValueError("chunks must hold at least one day")
    lo = start
    while lo <= end:
        hi = min(end, lo + timedelta(days=days - 1))
        yield lo, hi
        lo = hi + timedelta(days=1)


class OpenMeteoClient:
    """Client of the archive endpoint: timeouts, retries, chunking of long ranges."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        chunk_days: int = 366,
        progress: bool = False,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=httpx.Timeout(timeout),
            transport=transport,
            headers={"User-Agent": "bihar-forecast/0.0.0"},
        )
        self.retry = retry or RetryPolicy()
        self.chunk_days = chunk_days
        self.progress = progress
        self._sleep = sleep

    def __enter__(self) -> OpenMeteoClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def archive(
        self,
        latitude: float,
        longitude: float,
        start: date,
        end: date,
        variables: Sequence[str] = VARIABLES,
    ) -> HourlyWeather:
        """Hourly values of `variables` for the days `start`…`end`, fetched chunk by chunk."""
        return parse_archive(
            self.archive_payload(latitude, longitude, start, end, variables), variables
        )

    def archive_payload(
        self,
        latitude: float,
        longitude: float,
        start: date,
        end: date,
        variables: Sequence[str] = VARIABLES,
    ) -> dict[str, Any]:
        """The archive answer for `start`…`end` in the API's own JSON shape: the chunks'
        hourly arrays joined (each chunk validated first)."""
        chunks = list(date_chunks(start, end, self.chunk_days))
        merged: dict[str, Any] | None = None
        for lo, hi in tqdm(chunks, desc="open-meteo", unit="chunk", disable=not self.progress):
            payload = self._get_json(
                "/archive",
                {
                    "latitude": latitude,
                    "longitude": longitude,
                    "start_date": lo.isoformat(),
                    "end_date": hi.isoformat(),
                    "hourly": ",".join(variables),
                    "timezone": "GMT",
                },
            )
            parse_archive(payload, variables)
            if merged is None:
                merged = {**payload, "hourly": {k: list(v) for k, v in payload["hourly"].items()}}
            else:
                for key in merged["hourly"]:
                    merged["hourly"][key].extend(payload["hourly"][key])
        assert merged is not None  # date_chunks yields at least one chunk
        return merged

    def search(self, name: str, count: int = 10) -> list[Place]:
        """The places the geocoding API (`GET /v1/search`) finds for `name`, best first."""
        payload = self._get_json(
            "/search", {"name": name, "count": count, "language": "en", "format": "json"}
        )
        if not isinstance(payload, Mapping):
            raise ArchiveFormatError("geocoding answer is not a JSON object")
        try:
            return [
                Place(
                    name=str(item["name"]),
                    latitude=float(item["latitude"]),
                    longitude=float(item["longitude"]),
                    elevation=_optional_float(item.get("elevation")),
                    timezone=str(item["timezone"]),
                    country=str(item.get("country", "")),
                    country_code=str(item.get("country_code", "")),
                    admin1=str(item.get("admin1", "")),
                )
                for item in payload.get("results", [])
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise ArchiveFormatError(f"geocoding answer lacks a field: {exc}") from exc

    def _get_json(self, path: str, params: Mapping[str, Any]) -> Any:
        last_error = "no attempt made"
        for attempt in range(self.retry.attempts):
            retry_after: float | None = None
            try:
                response = self._http.get(path, params=params)
            except httpx.TransportError as exc:  # timeouts and connection errors
                last_error = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code == 200:
                    try:
                        return response.json()
                    except ValueError as exc:
                        raise ArchiveFormatError(f"answer is not valid JSON: {exc}") from exc
                if response.status_code == 429 or response.status_code >= 500:
                    last_error = f"HTTP {response.status_code}"
                    retry_after = _retry_after(response)
                else:
                    raise OpenMeteoRequestError(_reason(response), response.status_code)
            if attempt + 1 < self.retry.attempts:
                wait = self.retry.delay(attempt, retry_after)
                log.warning(
                    "Open-Meteo attempt %d/%d failed (%s); retrying in %.1f s",
                    attempt + 1,
                    self.retry.attempts,
                    last_error,
                    wait,
                )
                self._sleep(wait)
        raise OpenMeteoUnavailableError(
            f"Open-Meteo failed {self.retry.attempts} times; last error: {last_error}"
        )


def _reason(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if isinstance(body, Mapping) and "reason" in body:
        return str(body["reason"])
    return response.text[:200]


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
