"""The places the service knows: rows of the `locations` table (name, coordinates, elevation,
IANA time zone, source), added by `bihar locations add` and read by every command and the API.

Names are stored lower-case; a command or a request naming a place not in the table gets
`UnknownLocationError`, whose message lists the stored ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import Connection, Row, delete, func, insert, select

from bihar.forecast.db.models import (
    IngestionRun,
    LocationRow,
    ModelVersion,
    Observation,
    Prediction,
    ServedDay,
)

_TABLE = LocationRow.__table__
NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")


class UnknownLocationError(ValueError):
    """A location name the store does not hold."""


class LocationError(ValueError):
    """A location that cannot be added or removed as asked (the message says why)."""


@dataclass(frozen=True)
class Location:
    name: str
    latitude: float
    longitude: float
    timezone: str
    elevation: float | None = None
    source: str = "manual"


def normalise_name(name: str) -> str:
    """The stored form of a location name: trimmed, lower-case, spaces as hyphens."""
    text = "-".join(name.strip().lower().split())
    if not NAME.match(text):
        raise LocationError(
            f"{name!r} is not a usable location name (letters, digits, '-' or '_', starting with "
            "a letter, at most 64 characters)"
        )
    return text


def check_timezone(name: str) -> str:
    """`name` when it is an IANA time zone this machine knows, else `LocationError`."""
    if name in ("", "localtime") or name not in available_timezones():
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise LocationError(
                f"unknown time zone {name!r}; give an IANA name such as Europe/Rome"
            ) from None
    return name


def check_coordinates(latitude: float, longitude: float) -> None:
    if not -90 <= latitude <= 90:
        raise LocationError(f"latitude {latitude} is outside -90…90")
    if not -180 <= longitude <= 180:
        raise LocationError(f"longitude {longitude} is outside -180…180")


def stored_locations(conn: Connection) -> list[Location]:
    """Every stored location, by name."""
    rows = conn.execute(select(_TABLE).order_by(_TABLE.c.name)).all()
    return [_location(row) for row in rows]


def find_location(conn: Connection, name: str) -> Location:
    """The stored location called `name` (case-insensitive), or `UnknownLocationError`."""
    key = " ".join(name.strip().lower().split()).replace(" ", "-")
    row = conn.execute(select(_TABLE).where(_TABLE.c.name == key)).first()
    if row is None:
        names = conn.execute(select(LocationRow.name).order_by(LocationRow.name)).scalars().all()
        raise UnknownLocationError(
            f"unknown location {name!r}; known: {', '.join(names) or 'none'} "
            "(add one with `bihar locations add NAME`)"
        )
    return _location(row)


def add_location(conn: Connection, location: Location) -> Location:
    """Store `location` (its name normalised, coordinates and time zone checked)."""
    name = normalise_name(location.name)
    check_coordinates(location.latitude, location.longitude)
    check_timezone(location.timezone)
    taken = conn.execute(select(LocationRow.id).where(LocationRow.name == name)).scalar()
    if taken is not None:
        raise LocationError(f"a location called {name!r} is already stored")
    conn.execute(
        insert(LocationRow).values(
            name=name,
            latitude=location.latitude,
            longitude=location.longitude,
            elevation=location.elevation,
            timezone=location.timezone,
            source=location.source,
        )
    )
    return find_location(conn, name)


def remove_location(conn: Connection, name: str, purge: bool = False) -> dict[str, int]:
    """Delete a stored location; refused while it holds observations, predictions or model
    versions, unless `purge` (which deletes them with it). The rows deleted, per table."""
    location = find_location(conn, name)
    loc_id = conn.execute(select(LocationRow.id).where(LocationRow.name == location.name)).scalar()
    tables = {
        "weather_observations": Observation,
        "predictions": Prediction,
        "served_days": ServedDay,
        "model_versions": ModelVersion,
        "ingestion_runs": IngestionRun,
    }
    counts = {
        table: conn.execute(
            select(func.count()).select_from(model).where(model.location_id == loc_id)
        ).scalar_one()
        for table, model in tables.items()
    }
    held = {table: n for table, n in counts.items() if n and table != "ingestion_runs"}
    if held and not purge:
        what = ", ".join(f"{n} {table.replace('_', ' ')}" for table, n in held.items())
        raise LocationError(
            f"{location.name} holds data ({what}); give --purge to delete it with the location"
        )
    for model in (Prediction, ServedDay, Observation, IngestionRun, ModelVersion):
        conn.execute(delete(model).where(model.location_id == loc_id))
    conn.execute(delete(LocationRow).where(LocationRow.id == loc_id))
    return counts


def _location(row: Row) -> Location:
    return Location(
        name=row.name,
        latitude=row.latitude,
        longitude=row.longitude,
        timezone=row.timezone,
        elevation=row.elevation,
        source=row.source,
    )
