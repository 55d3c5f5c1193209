"""Benchmark: backfill the whole Boston snapshot (51,384 hours) into a fresh SQLite file and a
fresh PostgreSQL database, through the real acquisition code. Writes reports/backfill.{json,md}.

    .venv/bin/python benchmarks/backfill.py [--postgres postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from report import machine, write_report

from bihar.forecast.acquisition import acquire
from bihar.forecast.db.engine import make_engine
from bihar.forecast.db.migrate import upgrade_head
from bihar.forecast.locations import find_location
from bihar.forecast.sources import open_source
from bihar.logs import configure_logging
from bihar.settings import get_settings


def backfill_seconds(url: str) -> tuple[float, int]:
    settings = get_settings()
    engine = make_engine(url)
    upgrade_head(engine)
    with engine.connect() as conn:
        location = find_location(conn, "boston")
    source = open_source(settings, location, "offline")
    coverage = source.coverage()
    began = time.perf_counter()
    result = acquire(engine, source, location, coverage.first, coverage.last)
    seconds = time.perf_counter() - began
    engine.dispose()
    return seconds, result.inserted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    configure_logging("WARNING")
    results: dict[str, dict[str, float | int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        seconds, rows = backfill_seconds(f"sqlite:///{Path(tmp) / 'bench.db'}")
        results["sqlite"] = {"seconds": round(seconds, 2), "rows": rows}
    name = f"bihar_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.postgres, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        base = args.postgres.rsplit("/", 1)[0]
        seconds, rows = backfill_seconds(f"{base}/{name}")
        results["postgresql"] = {"seconds": round(seconds, 2), "rows": rows}
    finally:
        with psycopg.connect(args.postgres, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    report = {
        "benchmark": "backfill of the Boston snapshot (fetch, gap check, upsert, run record)",
        "command": "make bench-backfill",
        **machine(),
        "results": results,
    }
    write_report(
        "backfill",
        report,
        [
            "# Backfill benchmark",
            "",
            f"`{report['command']}` on {report['measured_on']} ({report['machine']}; 1-minute "
            f"load average {report['load_average_1min_at_start']} at the start).",
            "",
            "| database | rows | seconds |",
            "|---|---:|---:|",
            *[f"| {db} | {r['rows']:,} | {r['seconds']} |" for db, r in results.items()],
        ],
    )
    for db, r in results.items():
        print(f"{db}: {r['rows']} rows in {r['seconds']} s")


if __name__ == "__main__":
    main()
