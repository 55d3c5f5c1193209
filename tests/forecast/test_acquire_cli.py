"""`data/acquire.py` as a user runs it: exit codes, messages, the live source over HTTP."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.forecast.fake_openmeteo import archive_handler

ROOT = Path(__file__).resolve().parents[2]


def acquire(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}", **env}
    return subprocess.run(
        [sys.executable, "data/acquire.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def stored(tmp_path: Path) -> int:
    with sqlite3.connect(tmp_path / "w.db") as conn:
        return conn.execute("select count(*) from weather_observations").fetchone()[0]


def test_readme_command_fills_the_database_offline(tmp_path):
    # Boston's local days 2025-10-01 … 10-30 (EDT): 04:00 UTC on Oct 1 to 03:00 UTC on Oct 31
    done = acquire(tmp_path, "--date", "2025-10-30", "--days", "30")
    assert done.returncode == 0, done.stderr
    assert stored(tmp_path) == 30 * 24
    with sqlite3.connect(tmp_path / "w.db") as conn:
        first, last = conn.execute(
            "select min(time), max(time) from weather_observations"
        ).fetchone()
    assert (first[:16], last[:16]) == ("2025-10-01 04:00", "2025-10-31 03:00")
    summary = [line for line in done.stderr.splitlines() if "acquired boston" in line]
    assert len(summary) == 1 and "720 inserted" in summary[0]
    assert "snapshot:boston_archive" in done.stderr  # says which source it used


def test_date_outside_the_source_is_a_clear_error(tmp_path):
    done = acquire(tmp_path, "--date", "2031-01-01")
    assert done.returncode == 2
    assert "outside what snapshot" in done.stderr and "2025-10-31" in done.stderr
    assert "Traceback" not in done.stderr


def test_bad_arguments(tmp_path):
    assert acquire(tmp_path, "--date", "31/10/2025").returncode == 2
    unknown = acquire(tmp_path, "--date", "2025-10-31", "--location", "atlantis")
    assert unknown.returncode == 2 and "known: boston, paris" in unknown.stderr
    zero = acquire(tmp_path, "--date", "2025-10-31", "--days", "0")
    assert zero.returncode == 2 and "at least 1" in zero.stderr


def test_live_source_over_http(tmp_path, httpserver, boston_payload):
    calls: list[dict[str, str]] = []
    httpserver.expect_request("/v1/archive").respond_with_handler(
        archive_handler(boston_payload, calls)
    )
    done = acquire(
        tmp_path,
        "--date",
        "2024-05-03",
        "--days",
        "3",
        "--source",
        "live",
        OPENMETEO_BASE_URL=httpserver.url_for("/v1"),
    )
    assert done.returncode == 0, done.stderr
    assert "live:open-meteo" in done.stderr
    # Boston's local days May 1-3 (EDT) end at 03:00 UTC on May 4: the UTC day is asked too
    assert [(c["start_date"], c["end_date"]) for c in calls] == [("2024-05-01", "2024-05-04")]
    assert stored(tmp_path) == 72


def test_api_refusal_exits_3_with_the_reason(tmp_path, httpserver):
    httpserver.expect_request("/v1/archive").respond_with_json(
        {"error": True, "reason": "Latitude must be in range of -90 to 90°."}, status=400
    )
    done = acquire(
        tmp_path,
        "--date",
        "2024-05-03",
        "--source",
        "live",
        OPENMETEO_BASE_URL=httpserver.url_for("/v1"),
    )
    assert done.returncode == 3
    assert "Latitude must be in range" in done.stderr and "Traceback" not in done.stderr


def test_snapshot_saves_a_live_answer_the_offline_source_reads(
    tmp_path, httpserver, boston_payload
):
    from datetime import date

    from bihar.forecast.sources import SnapshotSource
    from tests.forecast.places import BOSTON

    calls: list[dict[str, str]] = []
    httpserver.expect_request("/v1/archive").respond_with_handler(
        archive_handler(boston_payload, calls)
    )
    done = subprocess.run(
        [sys.executable, "-m", "bihar.cli", "snapshot", "--start", "2023-12-20",
         "--end", "2024-01-10", "--data-dir", str(tmp_path / "datasets")],
        cwd=ROOT,
        env={
            **os.environ,
            "OPENMETEO_BASE_URL": httpserver.url_for("/v1"),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert len(calls) == 1
    source = SnapshotSource.find(tmp_path / "datasets", BOSTON)
    assert source is not None and source.path.name == "boston_archive_2023-12-20_2024-01-10.json"
    weather = source.fetch(BOSTON, date(2023, 12, 20), date(2024, 1, 10))
    assert len(weather.frame) == 22 * 24
    assert weather.frame["temperature_2m"].tolist()[:3] == slice_temperatures(boston_payload)


def slice_temperatures(payload):
    times = payload["hourly"]["time"]
    first = times.index("2023-12-20T00:00")
    return payload["hourly"]["temperature_2m"][first : first + 3]
