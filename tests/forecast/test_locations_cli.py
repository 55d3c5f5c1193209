"""`bihar locations add/list/remove` as a user runs them: offline by coordinates, online through
a fake geocoding API over HTTP; every command accepts any stored place and names the stored
ones for an unknown one. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from bihar.forecast.db.engine import make_engine
from bihar.forecast.db.models import LocationRow
from tests.forecast.commands import run
from tests.forecast.conftest import slice_payload
from tests.forecast.fake_openmeteo import clipped_archive_handler, search_handler


def bihar(tmp_path: Path, url: str, *args: str, **env: str):
    return run(tmp_path, "-m bihar.cli", *args, DATABASE_URL=url, **env)


def rows(url: str) -> dict[str, tuple]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            found = conn.execute(
                select(
                    LocationRow.name,
                    LocationRow.latitude,
                    LocationRow.longitude,
                    LocationRow.elevation,
                    LocationRow.timezone,
                    LocationRow.source,
                )
            ).all()
    finally:
        engine.dispose()
    return {row[0]: tuple(row[1:]) for row in found}


def test_offline_add_list_and_remove(tmp_path: Path, database_url: str):
    added = bihar(
        tmp_path, database_url, "locations", "add", "Turin",
        "--latitude", "45.07", "--longitude", "7.69", "--timezone", "Europe/Rome",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    stored = rows(database_url)
    assert stored["turin"] == (45.07, 7.69, None, "Europe/Rome", "manual")
    assert stored["boston"][3:] == ("America/New_York", "seed")
    assert stored["paris"][3:] == ("Europe/Paris", "seed")

    listing = bihar(tmp_path, database_url, "locations", "list")
    assert listing.returncode == 0
    assert [line.split()[0] for line in listing.stdout.splitlines()[1:]] == [
        "boston",
        "paris",
        "turin",
    ]
    assert "Europe/Rome" in listing.stdout

    again = bihar(
        tmp_path, database_url, "locations", "add", "turin",
        "--latitude", "45", "--longitude", "7",
    )  # fmt: skip
    assert again.returncode == 2 and "already stored" in again.stderr

    removed = bihar(tmp_path, database_url, "locations", "remove", "turin")
    assert removed.returncode == 0, removed.stderr
    assert "turin" not in rows(database_url)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--latitude", "95", "--longitude", "7"], "latitude 95.0 is outside"),
        (["--latitude", "45"], "both --latitude and --longitude"),
        (["--latitude", "45", "--longitude", "7", "--timezone", "Mars/Olympus"], "time zone"),
        (["--latitude", "45", "--longitude", "7", "--pick", "1"], "go with geocoding"),
    ],
)
def test_bad_offline_additions_exit_2(tmp_path: Path, args: list[str], message: str):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    done = bihar(tmp_path, url, "locations", "add", "turin", *args)
    assert done.returncode == 2 and message in done.stderr
    assert "Traceback" not in done.stderr


def test_no_time_zone_offline_keeps_the_standard_time_of_the_longitude(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    done = bihar(tmp_path, url, "locations", "add", "hobart", "--latitude", "-42.88",
                 "--longitude", "147.33")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert rows(url)["hobart"][3] == "Etc/GMT-10"
    assert "give --timezone" in done.stderr


def test_geocoding_shows_candidates_and_takes_pick_or_country(tmp_path: Path, httpserver):
    calls: list[dict[str, str]] = []
    httpserver.expect_request("/v1/search").respond_with_handler(search_handler(calls))
    url = f"sqlite:///{tmp_path / 'w.db'}"
    env = {"BIHAR_GEOCODING_BASE_URL": httpserver.url_for("/v1")}
    assert bihar(tmp_path, url, "migrate").returncode == 0

    ambiguous = bihar(tmp_path, url, "locations", "add", "brescia", **env)
    assert ambiguous.returncode == 2 and "--pick N or --country" in ambiguous.stderr
    assert "1. Brescia (Lombardy, Italy)" in ambiguous.stdout
    assert "2. Brescia (Pichincha, Ecuador)" in ambiguous.stdout
    assert "brescia" not in rows(url)

    by_country = bihar(tmp_path, url, "locations", "add", "brescia", "--country", "IT", **env)
    assert by_country.returncode == 0, by_country.stderr
    assert rows(url)["brescia"] == (45.53558, 10.21472, 149.0, "Europe/Rome", "geocoded")

    picked = bihar(tmp_path, url, "locations", "add", "quito-brescia", "--search", "brescia",
                   "--pick", "2", **env)  # fmt: skip
    assert picked.returncode == 0, picked.stderr
    assert rows(url)["quito-brescia"][3:] == ("America/Guayaquil", "geocoded")

    nowhere = bihar(tmp_path, url, "locations", "add", "atlantis", **env)
    assert nowhere.returncode == 2 and "knows no place called 'atlantis'" in nowhere.stderr
    assert calls[0]["name"] == "brescia" and calls[-1]["name"] == "atlantis"


def test_unknown_location_exits_2_listing_the_stored_ones(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    for command in (
        ["acquire", "--date", "2025-10-30"],
        ["train"],
        ["predict", "--date", "2025-10-30"],
        ["refresh", "--date", "2025-10-30"],
        ["monitor"],
        ["snapshot", "--start", "2025-10-01", "--end", "2025-10-02"],
        ["locations", "remove", "brescia"],
    ):
        done = (
            bihar(tmp_path, url, *command, "--location", "brescia")
            if command[0] != ("locations")
            else bihar(tmp_path, url, *command)
        )
        assert done.returncode == 2, (command, done.stderr)
        assert "unknown location 'brescia'; known: boston, paris" in done.stderr, command
        assert "Traceback" not in done.stderr


def test_remove_is_refused_while_the_location_has_data(
    tmp_path: Path, database_url: str, boston_payload
):
    weather = tmp_path / "datasets" / "weather"
    weather.mkdir(parents=True)
    answer = slice_payload(boston_payload, "2024-03-01", "2024-03-10")
    (weather / "turin_archive_2024-03-01_2024-03-10.json").write_text(json.dumps(answer))
    env = {"BIHAR_DATA_DIR": str(tmp_path / "datasets")}
    bihar(tmp_path, database_url, "locations", "add", "turin", "--latitude", "45.07",
          "--longitude", "7.69", "--timezone", "Europe/Rome")  # fmt: skip
    acquired = bihar(tmp_path, database_url, "acquire", "--location", "turin", **env)
    assert acquired.returncode == 0, acquired.stderr
    assert "date: 2024-03-10" in acquired.stderr  # the last full local day of the snapshot

    refused = bihar(tmp_path, database_url, "locations", "remove", "turin")
    assert refused.returncode == 2
    assert "holds data (" in refused.stderr and "--purge" in refused.stderr
    assert "turin" in rows(database_url)

    purged = bihar(tmp_path, database_url, "locations", "remove", "turin", "--purge")
    assert purged.returncode == 0, purged.stderr
    assert "turin" not in rows(database_url)


def test_snapshot_of_an_added_location_is_picked_up_offline(
    tmp_path: Path, httpserver, boston_payload
):
    calls: list[dict[str, str]] = []
    httpserver.expect_request("/v1/archive").respond_with_handler(
        clipped_archive_handler(boston_payload, calls)
    )
    url = f"sqlite:///{tmp_path / 'w.db'}"
    bihar(tmp_path, url, "locations", "add", "turin", "--latitude", "45.07",
          "--longitude", "7.69", "--timezone", "Europe/Rome")  # fmt: skip
    saved = bihar(
        tmp_path, url, "snapshot", "--location", "turin", "--start", "2024-03-01",
        "--end", "2024-03-05", "--data-dir", str(tmp_path / "datasets"),
        OPENMETEO_BASE_URL=httpserver.url_for("/v1"),
    )  # fmt: skip
    assert saved.returncode == 0, saved.stderr
    assert [(c["latitude"], c["longitude"]) for c in calls] == [("45.07", "7.69")]
    assert (
        tmp_path / "datasets" / "weather" / "turin_archive_2024-03-01_2024-03-05.json"
    ).is_file()
    acquired = bihar(tmp_path, url, "acquire", "--location", "turin", "--days", "2",
                     BIHAR_DATA_DIR=str(tmp_path / "datasets"))  # fmt: skip
    assert acquired.returncode == 0, acquired.stderr
    assert "snapshot:turin_archive_2024-03-01_2024-03-05.json" in acquired.stderr
    # local days 2024-03-04 … 05 in Rome (CET): 23:00 UTC on Mar 3 to 22:00 UTC on Mar 5
    assert "turin 2024-03-04..2024-03-05" in acquired.stderr and "48 h stored" in acquired.stderr
