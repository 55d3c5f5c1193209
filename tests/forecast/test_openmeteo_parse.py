"""Parsing and validation of archive answers (`openmeteo.parse_archive`)."""

from __future__ import annotations

import copy
import math

import pytest

from bihar.forecast.openmeteo import (
    VARIABLES,
    ArchiveFormatError,
    OpenMeteoRequestError,
    parse_archive,
)
from tests.forecast.conftest import slice_payload


@pytest.fixture
def day(boston_payload):
    return slice_payload(boston_payload, "2024-01-10", "2024-01-11")


def test_parses_a_real_answer(day):
    weather = parse_archive(day)
    assert list(weather.frame.columns) == list(VARIABLES)
    assert len(weather.frame) == 48
    assert str(weather.start) == "2024-01-10 00:00:00"
    assert str(weather.end) == "2024-01-11 23:00:00"
    assert weather.frame["temperature_2m"].iloc[5] == day["hourly"]["temperature_2m"][5]
    assert (weather.latitude, weather.longitude, weather.elevation) == (42.355, -71.129, 9.0)


def test_null_stays_missing(day):
    day["hourly"]["surface_pressure"][3] = None
    weather = parse_archive(day)
    assert math.isnan(weather.frame["surface_pressure"].iloc[3])
    assert weather.frame["surface_pressure"].notna().sum() == 47


def test_error_answer_carries_the_reason():
    with pytest.raises(OpenMeteoRequestError, match="out of allowed range"):
        parse_archive({"error": True, "reason": "Parameter 'start_date' is out of allowed range"})


@pytest.mark.parametrize("key", ["hourly", "hourly_units", "latitude"])
def test_missing_top_level_key(day, key):
    del day[key]
    with pytest.raises(ArchiveFormatError, match=key):
        parse_archive(day)


def test_missing_variable(day):
    del day["hourly"]["wind_speed_10m"]
    with pytest.raises(ArchiveFormatError, match="wind_speed_10m"):
        parse_archive(day)


def test_unequal_arrays(day):
    day["hourly"]["precipitation"].pop()
    with pytest.raises(ArchiveFormatError, match="equal length"):
        parse_archive(day)


def test_wrong_unit(day):
    day["hourly_units"]["temperature_2m"] = "°F"
    with pytest.raises(ArchiveFormatError, match="°F"):
        parse_archive(day)


@pytest.mark.parametrize("position", [1, 30])
def test_non_hourly_times(day, position):
    del day["hourly"]["time"][position]
    for name in VARIABLES:
        del day["hourly"][name][position]
    with pytest.raises(ArchiveFormatError, match="consecutive hours"):
        parse_archive(day)


def test_decreasing_times(day):
    times = day["hourly"]["time"]
    times[2], times[3] = times[3], times[2]
    with pytest.raises(ArchiveFormatError, match="consecutive hours"):
        parse_archive(day)


def test_badly_formatted_time(day):
    day["hourly"]["time"][0] = "10/01/2024 00:00"
    with pytest.raises(ArchiveFormatError, match=r"hourly\.time"):
        parse_archive(day)


@pytest.mark.parametrize("bad", ["12.5", True, [1]])
def test_non_numeric_value(day, bad):
    day["hourly"]["temperature_2m"][7] = bad
    with pytest.raises(ArchiveFormatError, match=r"temperature_2m\[7\]"):
        parse_archive(day)


def test_local_time_answer_is_refused(day):
    day["utc_offset_seconds"] = -18000
    with pytest.raises(ArchiveFormatError, match="GMT"):
        parse_archive(day)


@pytest.mark.parametrize("payload", [[], "text", None])
def test_not_an_object(payload):
    with pytest.raises(ArchiveFormatError, match="JSON object"):
        parse_archive(payload)


def test_subset_of_variables(day):
    only = copy.deepcopy(day)
    weather = parse_archive(only, ["temperature_2m"])
    assert list(weather.frame.columns) == ["temperature_2m"]


def test_between_cuts_whole_days(day):
    from datetime import date

    weather = parse_archive(day).between(date(2024, 1, 11), date(2024, 1, 11))
    assert len(weather.frame) == 24
    assert str(weather.start) == "2024-01-11 00:00:00"
