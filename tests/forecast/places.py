"""The two places every new store holds (seeded by the migrations), as the store describes them."""

from bihar.forecast.locations import Location

BOSTON = Location("boston", 42.3601, -71.0588, "America/New_York", source="seed")
PARIS = Location("paris", 48.8566, 2.3522, "Europe/Paris", source="seed")
