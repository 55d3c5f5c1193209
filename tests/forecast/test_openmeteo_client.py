"""The archive client over real HTTP against a local fake server."""

from __future__ import annotations

import itertools
import json
import time
from datetime import date

import pytest
from pytest_httpserver import HTTPServer

from bihar.forecast.openmeteo import (
    ArchiveFormatError,
    OpenMeteoClient,
    OpenMeteoRequestError,
    OpenMeteoUnavailableError,
    RetryPolicy,
    date_chunks,
)
from tests.forecast.conftest import slice_payload
from tests.forecast.fake_openmeteo import archive_handler

BOSTON = (42.3601, -71.0588)


class Sleeps(list):
    """Records the backoff waits instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def client(server: HTTPServer, sleeps: Sleeps, **kwargs) -> OpenMeteoClient:
    kwargs.setdefault("retry", RetryPolicy(attempts=4, base_delay=0.5, max_delay=4))
    return OpenMeteoClient(server.url_for("/v1"), sleep=sleeps, **kwargs)


def test_success_returns_the_served_values(httpserver, sleeps, boston_payload):
    calls: list[dict[str, str]] = []
    httpserver.expect_request("/v1/archive").respond_with_handler(
        archive_handler(boston_payload, calls)
    )
    with client(httpserver, sleeps) as api:
        weather = api.archive(*BOSTON, date(2024, 7, 1), date(2024, 7, 3))
    assert len(weather.frame) == 72
    expected = slice_payload(boston_payload, "2024-07-01", "2024-07-03")["hourly"]
    assert weather.frame["temperature_2m"].tolist() == expected["temperature_2m"]
    (query,) = calls
    assert query["timezone"] == "GMT"
    assert query["start_date"] == "2024-07-01" and query["end_date"] == "2024-07-03"
    assert query["hourly"].split(",")[0] == "temperature_2m"
    assert sleeps == []


def test_long_ranges_are_split_into_chunks(httpserver, sleeps, boston_payload):
    calls: list[dict[str, str]] = []
    httpserver.expect_request("/v1/archive").respond_with_handler(
        archive_handler(boston_payload, calls)
    )
    with client(httpserver, sleeps, chunk_days=10) as api:
        weather = api.archive(*BOSTON, date(2024, 1, 1), date(2024, 1, 25))
    assert [(c["start_date"], c["end_date"]) for c in calls] == [
        ("2024-01-01", "2024-01-10"),
        ("2024-01-11", "2024-01-20"),
        ("2024-01-21", "2024-01-25"),
    ]
    assert len(weather.frame) == 25 * 24
    assert weather.frame.index.is_monotonic_increasing


def test_date_chunks_cover_the_range_exactly():
    chunks = list(date_chunks(date(2024, 1, 1), date(2024, 12, 31), 100))
    assert chunks[0][0] == date(2024, 1, 1) and chunks[-1][1] == date(2024, 12, 31)
    assert all((b - a).days == 1 for (_, a), (b, _) in itertools.pairwise(chunks))
    with pytest.raises(ValueError, match="before start"):
        list(date_chunks(date(2024, 1, 2), date(2024, 1, 1), 10))


def test_400_raises_its_reason_without_retry(httpserver, sleeps):
    reason = "Parameter 'start_date' is out of allowed range from 1940-01-01 to 2026-11-22"
    httpserver.expect_request("/v1/archive").respond_with_json(
        {"error": True, "reason": reason}, status=400
    )
    with client(httpserver, sleeps) as api, pytest.raises(OpenMeteoRequestError) as info:
        api.archive(*BOSTON, date(2030, 1, 1), date(2030, 1, 2))
    assert info.value.reason == reason
    assert reason in str(info.value)
    assert len(httpserver.log) == 1 and sleeps == []


def test_429_then_success_waits_and_retries(httpserver, sleeps, boston_payload):
    httpserver.expect_ordered_request("/v1/archive").respond_with_json(
        {"error": True, "reason": "Too many requests"}, status=429, headers={"Retry-After": "2"}
    )
    httpserver.expect_ordered_request("/v1/archive").respond_with_json(
        slice_payload(boston_payload, "2024-02-01", "2024-02-01")
    )
    with client(httpserver, sleeps) as api:
        weather = api.archive(*BOSTON, date(2024, 2, 1), date(2024, 2, 1))
    assert len(weather.frame) == 24
    assert sleeps == [2.0]  # Retry-After honoured


def test_500s_until_giving_up(httpserver, sleeps):
    httpserver.expect_request("/v1/archive").respond_with_data("oops", status=503)
    with client(httpserver, sleeps) as api, pytest.raises(OpenMeteoUnavailableError) as info:
        api.archive(*BOSTON, date(2024, 2, 1), date(2024, 2, 1))
    assert "4 times" in str(info.value) and "HTTP 503" in str(info.value)
    assert len(httpserver.log) == 4
    assert len(sleeps) == 3
    # exponential backoff with jitter: each wait within [ceiling/2, ceiling], ceilings 0.5, 1, 2
    for wait, ceiling in zip(sleeps, [0.5, 1.0, 2.0], strict=True):
        assert ceiling / 2 <= wait <= ceiling


def test_timeout_is_retried_then_reported(httpserver, sleeps):
    def slow(_request):
        time.sleep(0.5)
        from werkzeug import Response

        return Response("{}", content_type="application/json")

    httpserver.expect_request("/v1/archive").respond_with_handler(slow)
    api = client(httpserver, sleeps, timeout=0.1, retry=RetryPolicy(attempts=2, base_delay=0.1))
    with api, pytest.raises(OpenMeteoUnavailableError, match="Timeout"):
        api.archive(*BOSTON, date(2024, 2, 1), date(2024, 2, 1))
    assert len(sleeps) == 1


def test_connection_refused_is_retried_then_reported(sleeps):
    api = OpenMeteoClient(
        "http://127.0.0.1:9/v1", retry=RetryPolicy(attempts=3, base_delay=0.1), sleep=sleeps
    )
    with api, pytest.raises(OpenMeteoUnavailableError, match="ConnectError"):
        api.archive(*BOSTON, date(2024, 2, 1), date(2024, 2, 1))
    assert len(sleeps) == 2


def test_malformed_json(httpserver, sleeps):
    httpserver.expect_request("/v1/archive").respond_with_data(
        '{"latitude": 42.3, "hourly": [', content_type="application/json"
    )
    with client(httpserver, sleeps) as api, pytest.raises(ArchiveFormatError, match="not valid"):
        api.archive(*BOSTON, date(2024, 2, 1), date(2024, 2, 1))


def test_missing_keys(httpserver, sleeps, boston_payload):
    answer = slice_payload(boston_payload, "2024-02-01", "2024-02-01")
    del answer["hourly"]["relative_humidity_2m"]
    httpserver.expect_request("/v1/archive").respond_with_json(answer)
    with client(httpserver, sleeps) as api, pytest.raises(ArchiveFormatError, match="humidity"):
        api.archive(*BOSTON, date(2024, 2, 1), date(2024, 2, 1))


def test_non_hourly_times(httpserver, sleeps, boston_payload):
    answer = slice_payload(boston_payload, "2024-02-01", "2024-02-01")
    answer["hourly"]["time"][10] = "2024-02-01T10:30"
    httpserver.expect_request("/v1/archive").respond_with_data(
        json.dumps(answer), content_type="application/json"
    )
    with client(httpserver, sleeps) as api, pytest.raises(ArchiveFormatError, match="hours"):
        api.archive(*BOSTON, date(2024, 2, 1), date(2024, 2, 1))
