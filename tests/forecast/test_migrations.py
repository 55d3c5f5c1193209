"""The first migration of a new store, killed at any point, leaves a store the next command
migrates and uses; first migrations started at once queue instead of failing. Real processes,
a SQLite file and the PostgreSQL server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from bihar.forecast.db.engine import make_engine
from bihar.forecast.db.migrate import alembic_config

ROOT = Path(__file__).resolve().parents[2]
HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()
TABLES = {
    "locations",
    "weather_observations",
    "model_versions",
    "predictions",
    "ingestion_runs",
    "served_days",
}

# The child runs the real CLI; a listener stops it for good just after the first statement that
# starts with the given text (inside the migration's transaction) and announces it.
CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    marker, prefix = Path(sys.argv[1]), sys.argv[2]

    def pause(conn, cursor, statement, *args):
        if " ".join(statement.split()).upper().startswith(prefix):
            marker.write_text(statement)
            time.sleep(600)

    event.listen(Engine, "after_cursor_execute", pause)

    from bihar.cli import main
    sys.exit(main(sys.argv[3:]))
    """
)


def cli(url: str, *args: str, stop_after: str = "", marker: Path | None = None) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "BIHAR_WEATHER_SOURCE": "offline"}
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(marker or os.devnull), stop_after or "(never)", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(process: subprocess.Popen, timeout: float = 300) -> tuple[int, str]:
    _, err = process.communicate(timeout=timeout)
    return process.returncode, err


def revision_and_tables(url: str) -> tuple[str | None, set[str]]:
    engine = make_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
        revision = None
        if "alembic_version" in tables:
            with engine.connect() as conn:
                revision = conn.execute(text("select version_num from alembic_version")).scalar()
        return revision, tables - {"alembic_version"}
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "stop_after",
    [
        "CREATE TABLE LOCATIONS",
        "CREATE TABLE PREDICTIONS",
        "INSERT INTO ALEMBIC_VERSION",
        "CREATE UNIQUE INDEX UQ_MODEL_VERSIONS_ONE_PRODUCTION",
        "UPDATE ALEMBIC_VERSION",
    ],
)
def test_a_killed_first_migration_leaves_a_usable_store(database_url, tmp_path, stop_after):
    marker = tmp_path / "stopped"
    child = cli(database_url, "migrate", stop_after=stop_after, marker=marker)
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert child.poll() is None, child.communicate()[1]
        assert time.monotonic() < deadline, f"the migration never ran {stop_after}"
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)

    # Nothing of the killed transaction is left: no half-made schema for the next command.
    assert revision_and_tables(database_url) == (None, set())
    if database_url.startswith("sqlite"):
        engine = make_engine(database_url)
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        engine.dispose()

    code, err = finished(cli(database_url, "acquire", "--date", "2025-10-31", "--days", "2"))
    assert code == 0, err
    assert revision_and_tables(database_url) == (HEAD, TABLES)


def test_first_migrations_started_at_once_queue(database_url):
    children = [cli(database_url, "migrate") for _ in range(3)]
    results = [finished(child) for child in children]
    assert [code for code, _ in results] == [0, 0, 0], [err for _, err in results]
    assert not [err for _, err in results if "Traceback" in err]
    assert revision_and_tables(database_url) == (HEAD, TABLES)
