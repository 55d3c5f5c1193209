"""Refreshes that overlap, as separate processes on one store (a SQLite file, then PostgreSQL):
both end cleanly, one version is served, every registered version has its files, and the stored
predictions carry the version the refresh's log names."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from sqlalchemy import func, select

from bihar.forecast.db.engine import make_engine
from bihar.forecast.db.models import ModelVersion, Prediction
from bihar.forecast.registry import list_versions, sha256_of
from tests.forecast.commands import environment, start

REFRESH = ["-m", "bihar.cli", "refresh", "--date", "2025-10-30"]
LOGGED = re.compile(r"trained v(\d+) \((?:not )?promoted\), (\d+) predictions by v(\d+)")


def finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    _, err = process.communicate(timeout=600)
    assert "Traceback" not in err, err
    return process.returncode, err


def check_store(url: str, root: Path, refresh_log: str) -> None:
    """One production version, files for every version, predictions by the logged version."""
    trained, rows, predicted_by = map(int, LOGGED.search(refresh_log).groups())
    engine = make_engine(url)
    try:
        versions = list_versions(engine)
        assert [v.stage for v in versions].count("production") == 1
        registry = root / "model" / "registry"
        for version in versions:
            assert sha256_of(registry / version.artifact_path) == version.artifact_sha256
        assert trained in {v.version for v in versions}
        with engine.connect() as conn:
            by_version = dict(
                conn.execute(
                    select(ModelVersion.version, func.count())
                    .join(Prediction, Prediction.model_version_id == ModelVersion.id)
                    .group_by(ModelVersion.version)
                ).all()
            )
        assert by_version.get(predicted_by) == rows == 31 * 8
    finally:
        engine.dispose()


def test_overlapping_refreshes_end_cleanly(database_url, tmp_path):
    root = tmp_path / "root"
    env = environment(root, database_url)

    # Two refreshes of an empty store: the second says which one runs, and changes nothing.
    first, second = start(REFRESH, env), start(REFRESH, env)
    ends = {process.pid: finish(process) for process in (first, second)}
    assert sorted(code for code, _ in ends.values()) == [0, 2], ends
    (winner, (_, log)), (_, (_, refused)) = sorted(ends.items(), key=lambda end: end[1][0])
    assert f"another refresh of boston is running (pid {winner})" in refused
    check_store(database_url, root, log)

    # A refresh and a training that promotes, at once (training takes no refresh lock): both
    # register a version, one version is served, and the refresh's predictions carry the
    # version its log names, whichever promotion came last.
    refresh = start(REFRESH, env)
    train = start(["-m", "bihar.cli", "train", "--end", "2025-09-30", "--promote"], env)
    (code_r, err_r), (code_t, err_t) = finish(refresh), finish(train)
    assert (code_r, code_t) == (0, 0), (err_r, err_t)
    check_store(database_url, root, err_r)
    engine = make_engine(database_url)
    assert [v.version for v in list_versions(engine)] == [1, 2, 3]
    engine.dispose()
