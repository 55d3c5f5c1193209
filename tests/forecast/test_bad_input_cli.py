"""Every kind of user error, through the real command line: the documented exit code, one
error line that says what is wrong and what to do, and never a traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.databases import fresh_postgres_database
from tests.forecast.commands import run

STORE_LAST_DAY = "2025-10-31"


@dataclass(frozen=True)
class Case:
    args: tuple[str, ...]
    code: int
    message: str
    env: dict[str, str] = field(default_factory=dict)
    store: str = "empty"  # empty | filled | read-only | postgres-missing | postgres-refused


CASES = {
    "since after date": Case(
        ("acquire", "--backfill", "--since", "2025-11-01", "--date", "2025-10-01"),
        2,
        "--since 2025-11-01 is after --date 2025-10-01",
    ),
    "since without backfill": Case(
        ("acquire", "--since", "2025-10-01", "--date", "2025-10-31"),
        2,
        "--since only goes with --backfill",
    ),
    "unknown weather source": Case(
        ("acquire", "--date", "2025-10-31"),
        2,
        "invalid configuration: BIHAR_WEATHER_SOURCE='bogus': Input should be 'auto', 'offline'",
        env={"BIHAR_WEATHER_SOURCE": "bogus"},
    ),
    "database URL that is not one": Case(
        ("acquire", "--date", "2025-10-31"),
        2,
        "DATABASE_URL='notaurl': not a SQLite or PostgreSQL URL",
        env={"DATABASE_URL": "notaurl"},
    ),
    "unsupported database": Case(
        ("migrate",), 2, "not a SQLite or PostgreSQL URL", env={"DATABASE_URL": "mysql://h/db"}
    ),
    "unreachable PostgreSQL server": Case(
        ("acquire", "--date", "2025-10-31"),
        2,
        "cannot open the database postgresql+psycopg://postgres@127.0.0.1:1/bihar",
        store="postgres-refused",
    ),
    "missing PostgreSQL database": Case(
        ("acquire", "--date", "2025-10-31"),
        2,
        "does not exist (check DATABASE_URL",
        store="postgres-missing",
    ),
    "read-only SQLite file": Case(
        ("acquire", "--date", "2025-10-31", "--days", "2"), 2, "is read-only", store="read-only"
    ),
    "training end after the newest stored hour": Case(
        ("train", "--end", "2030-01-01"),
        2,
        "--end 2030-01-01 is after the newest stored hour of boston (2025-10-31 23:00 UTC)",
        store="filled",
    ),
    "predictions for an unknown location": Case(
        ("predict", "--location", "atlantis", "--date", "2025-10-20"),
        2,
        "unknown location 'atlantis'; known: boston, paris",
    ),
    "training for an unknown location": Case(
        ("train", "--location", "atlantis"), 2, "unknown location 'atlantis'"
    ),
    "monitoring of an unknown location": Case(
        ("monitor", "--start", "2025-10-01", "--end", "2025-10-02", "--location", "atlantis"),
        2,
        "unknown location 'atlantis'",
    ),
    "predictions without a served model": Case(
        ("predict", "--date", "2025-10-20"),
        2,
        "no version of temperature-3h-boston is in production",
        store="filled",
    ),
    "refresh after the source's last day": Case(
        ("refresh", "--date", "2031-01-01"), 2, "2031-01-01 is outside what snapshot"
    ),
    "missing model configuration": Case(
        ("refresh", "--date", "2025-10-31"),
        2,
        "no model configuration at /nowhere/config.json; set BIHAR_FORECAST_CONFIG",
        env={"BIHAR_FORECAST_CONFIG": "/nowhere/config.json"},
    ),
    "invalid model configuration": Case(
        ("train",), 2, "is not a valid model configuration", env={"BIHAR_FORECAST_CONFIG": "{bad}"}
    ),
    "zero backtest days": Case(
        ("train", "--backtest-days", "0"), 2, "--backtest-days must be at least 1"
    ),
    "zero refresh days": Case(
        ("refresh", "--date", "2025-10-31", "--days", "0"), 2, "--days must be at least 1"
    ),
    "invalid log level": Case(
        ("acquire", "--date", "2025-10-31"), 2, "LOG_LEVEL='loud'", env={"LOG_LEVEL": "loud"}
    ),
    "negative cache lifetime": Case(
        ("migrate",),
        2,
        "BIHAR_API_CACHE_SECONDS='-1': Input should be greater than or equal to 0",
        env={"BIHAR_API_CACHE_SECONDS": "-1"},
    ),
    "malformed date": Case(("acquire", "--date", "31/10/2025"), 2, "is not a date (YYYY-MM-DD)"),
}


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite store holding the last three days of the snapshot, no model."""
    root = tmp_path_factory.mktemp("filled")
    done = run(root, "-m bihar.cli acquire", "--date", STORE_LAST_DAY, "--days", "3")
    assert done.returncode == 0, done.stderr
    return root


@pytest.fixture
def read_only(tmp_path: Path, filled: Path) -> Iterator[Path]:
    """A copy of the filled store whose database file cannot be written, even by root."""
    root = tmp_path / "read-only"
    shutil.copytree(filled, root)
    database = root / "data" / "weather.db"
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(database)], check=True)
    else:
        database.chmod(0o444)
    yield root
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(database)], check=True)


def _store(case: Case, request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, dict]:
    """The root folder and environment the case runs with."""
    if case.store == "filled":
        return request.getfixturevalue("filled"), {}
    if case.store == "read-only":
        return request.getfixturevalue("read_only"), {}
    if case.store == "postgres-refused":
        return tmp_path, {"DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/bihar"}
    if case.store == "postgres-missing":
        with fresh_postgres_database() as url:  # the server answers (else skip, or fail in CI)
            missing = f"{url.rsplit('/', 1)[0]}/bihar_missing_{uuid.uuid4().hex[:8]}"
        return tmp_path, {"DATABASE_URL": missing}
    return tmp_path, {}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_gets_its_exit_code_and_one_clear_line(name, request, tmp_path):
    case = CASES[name]
    root, env = _store(case, request, tmp_path)
    env = {**env, **case.env}
    if env.get("BIHAR_FORECAST_CONFIG") == "{bad}":
        config = tmp_path / "bad.json"
        config.write_text('{"name": "x", "algorithm": 3}')
        env["BIHAR_FORECAST_CONFIG"] = str(config)
    done = run(root, "-m bihar.cli", *case.args, **env)
    assert done.returncode == case.code, done.stderr
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if " ERROR " in line or "error:" in line]
    assert len(errors) == 1, done.stderr
    assert case.message in errors[0], done.stderr


def test_configuration_is_checked_before_the_store_is_touched(tmp_path):
    done = run(
        tmp_path,
        "-m bihar.cli refresh",
        "--date",
        "2025-10-31",
        BIHAR_FORECAST_CONFIG=str(tmp_path / "missing.json"),
    )
    assert done.returncode == 2 and "no model configuration" in done.stderr
    assert not (tmp_path / "data").exists()  # no database created, nothing acquired
