"""A city nobody configured, end to end over real HTTP: found by a fake Open-Meteo geocoding
API, refreshed from its fake archive API, and served by the API (a uvicorn process) on its own
local clock — the day the clock goes back included."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import numpy as np
import pytest

from tests.api_server import api_server
from tests.forecast.commands import environment, run
from tests.forecast.fake_openmeteo import clipped_archive_handler, search_handler


def test_a_new_city_is_geocoded_refreshed_and_served_on_its_clock(
    tmp_path: Path, httpserver, boston_payload
):
    searches: list[dict[str, str]] = []
    archive: list[dict[str, str]] = []
    httpserver.expect_request("/v1/search").respond_with_handler(search_handler(searches))
    httpserver.expect_request("/v1/archive").respond_with_handler(
        clipped_archive_handler(boston_payload, archive)
    )
    online = {
        "BIHAR_GEOCODING_BASE_URL": httpserver.url_for("/v1"),
        "OPENMETEO_BASE_URL": httpserver.url_for("/v1"),
        "BIHAR_WEATHER_SOURCE": "live",
        "BIHAR_DATA_DIR": str(tmp_path / "no-snapshots"),
    }

    added = run(
        tmp_path, "-m bihar.cli", "locations", "add", "brescia", "--country", "it", **online
    )
    assert added.returncode == 0, added.stderr
    assert searches and searches[0]["name"] == "brescia"

    refreshed = run(tmp_path, "-m bihar.cli", "refresh", "--location", "brescia",
                    "--date", "2025-10-30", **online)  # fmt: skip
    assert refreshed.returncode == 0, refreshed.stderr
    assert archive and {(c["latitude"], c["longitude"]) for c in archive} == {
        ("45.53558", "10.21472")
    }

    with api_server(environment(tmp_path, **online)) as url:
        day = httpx.get(f"{url}/predictions", params={"date": "2025-10-30", "location": "Brescia"})
        assert day.status_code == 200, day.text
        body = day.json()
        assert body["location"] == "brescia" and body["timezone"] == "Europe/Rome"
        assert [s["target_time"] for s in body["slots"]] == [
            f"2025-10-30T{h:02d}:00:00+01:00" for h in range(0, 24, 3)
        ]
        assert {s["issue_time"] for s in body["slots"]} == {"2025-10-30T00:00:00+01:00"}

        # the clock goes back at 03:00 CEST on 2025-10-26: 00h is the mean of four hours
        back = httpx.get(
            f"{url}/predictions/observed",
            params={"start": "2025-10-26", "end": "2025-10-26", "location": "brescia"},
        ).json()
        times = [s["target_time"] for s in back["slots"]]
        assert times[0] == "2025-10-26T00:00:00+02:00" and times[1] == "2025-10-26T03:00:00+01:00"
        hours = boston_payload["hourly"]["time"]
        first = hours.index("2025-10-25T22:00")  # 00:00 CEST
        four = boston_payload["hourly"]["temperature_2m"][first : first + 4]
        assert back["slots"][0]["observed_celsius"] == pytest.approx(np.mean(four), abs=1e-3)

        unknown = httpx.get(
            f"{url}/predictions", params={"date": "2025-10-30", "location": "turin"}
        )
        assert unknown.status_code == 404
        assert "known: boston, brescia, paris" in unknown.json()["detail"]
    assert os.path.exists(tmp_path / "model" / "registry" / "temperature-3h-brescia")
