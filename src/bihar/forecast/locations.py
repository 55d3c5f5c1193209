"""The places the service knows, by name."""

from __future__ import annotations

from dataclasses import dataclass


class UnknownLocationError(ValueError):
    """A location name the service does not know."""


@dataclass(frozen=True)
class Location:
    name: str
    latitude: float
    longitude: float
    timezone: str = "GMT"


LOCATIONS: dict[str, Location] = {
    loc.name: loc
    for loc in (
        Location("boston", 42.3601, -71.0588),
        Location("paris", 48.8566, 2.3522),
    )
}


def get_location(name: str) -> Location:
    """The known location called `name` (case-insensitive)."""
    try:
        return LOCATIONS[name.strip().lower()]
    except KeyError:
        known = ", ".join(sorted(LOCATIONS))
        raise UnknownLocationError(f"unknown location {name!r}; known: {known}") from None
