"""A writer killed in the middle of an acquisition leaves the database as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from sqlalchemy import text

from bihar.forecast.db.engine import make_engine

ROOT = Path(__file__).resolve().parents[2]

# The child runs the real CLI; a listener pauses it after its second INSERT batch of
# observations, i.e. inside the open transaction, and announces it with a marker file.
CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    marker = Path(sys.argv[1]) if sys.argv[1] != "-" else None
    inserts = 0

    def pause(conn, cursor, statement, *args):
        global inserts
        if statement.lstrip().upper().startswith("INSERT INTO WEATHER_OBSERVATIONS"):
            inserts += 1
            if inserts == 2:
                marker.touch()
                time.sleep(600)

    if marker is not None:
        event.listen(Engine, "after_cursor_execute", pause)

    from bihar.cli import main
    sys.exit(main(sys.argv[2:]))
    """
)


def run_cli(url: str, *args: str, marker: Path | None = None) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "BIHAR_WEATHER_SOURCE": "offline"}
    command = [sys.executable, "-c", CHILD, str(marker or "-"), "acquire", *args]
    return subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def counts(url: str) -> tuple[int, int]:
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("select count(*) from weather_observations")).scalar()
        runs = conn.execute(text("select count(*) from ingestion_runs")).scalar()
    engine.dispose()
    return rows, runs


def test_killed_writer_leaves_the_database_as_it_was(database_url, tmp_path):
    first = run_cli(database_url, "--date", "2025-10-30", "--days", "10")
    assert first.wait(timeout=120) == 0, first.stderr.read().decode()
    assert counts(database_url) == (240, 1)

    marker = tmp_path / "paused"
    writer = run_cli(database_url, "--date", "2025-10-30", "--backfill", marker=marker)
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert writer.poll() is None, writer.stderr.read().decode()
        assert time.monotonic() < deadline, "the writer never reached its second batch"
        time.sleep(0.05)
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=30)

    assert counts(database_url) == (240, 1)
    if database_url.startswith("sqlite"):
        engine = make_engine(database_url)
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        engine.dispose()

    again = run_cli(database_url, "--date", "2025-10-30", "--backfill")
    assert again.wait(timeout=300) == 0, again.stderr.read().decode()
    # Boston's local days of the snapshot: its UTC hours less 5 at the start and 20 at the end
    assert counts(database_url) == (51_384 - 5 - 20, 2)
