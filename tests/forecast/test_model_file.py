"""The model file a training writes depends on the data and the configuration only: two
trainings in processes with different string hashing (PYTHONHASHSEED) write the same bytes."""

from __future__ import annotations

import sqlite3

from tests.forecast.commands import run


def test_the_model_file_does_not_depend_on_the_hash_seed(tmp_path):
    acquired = run(
        tmp_path,
        "-m bihar.cli acquire",
        *("--backfill", "--since", "2022-05-01", "--date", "2025-06-30"),
    )
    assert acquired.returncode == 0, acquired.stderr
    for seed in ("1", "2"):
        trained = run(
            tmp_path,
            "-m bihar.cli train",
            *("--end", "2025-06-30", "--no-promote"),
            PYTHONHASHSEED=seed,
        )
        assert trained.returncode == 0, trained.stderr
    with sqlite3.connect(tmp_path / "data" / "weather.db") as conn:
        versions = conn.execute(
            "SELECT version, artifact_sha256 FROM model_versions ORDER BY version"
        ).fetchall()
    assert [v for v, _ in versions] == [1, 2]
    assert versions[0][1] == versions[1][1]
