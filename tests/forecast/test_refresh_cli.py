"""The brief's workflow as a user runs it: refresh → monitor → predict, through the scripts."""

from __future__ import annotations

import sqlite3
import subprocess

from tests.forecast.commands import ROOT, run


def git_head() -> str:
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_refresh_then_monitor_on_a_fresh_database(tmp_path):
    root, elsewhere = tmp_path / "root", tmp_path / "elsewhere"
    elsewhere.mkdir()
    # Run from another folder, with MLflow's default store: everything lands under the root.
    # No --date: the last full local day of the snapshot (it ends at 19:00 in Boston on Oct 31)
    done = run(root, "-m bihar.cli refresh", cwd=elsewhere, MLFLOW_TRACKING_URI="")
    assert done.returncode == 0, done.stderr
    assert "date: 2025-10-30, the last full local day" in done.stderr
    assert "trained v1 (promoted), 248 predictions by v1" in done.stderr
    with sqlite3.connect(root / "data" / "weather.db") as conn:
        hours = conn.execute("select count(*) from weather_observations").fetchone()[0]
        stage = conn.execute("select version, stage from model_versions").fetchall()
        commit = conn.execute("select code_version from model_versions").fetchone()[0]
        predictions = conn.execute("select count(*) from predictions").fetchone()[0]
    # the snapshot's 51,384 UTC hours less those outside Boston's local days 2019-12-22 …
    # 2025-10-30: 00-04 UTC of the first day (19:00-23:00 EST the day before) and the last 20
    assert hours == 51_384 - 5 - 20
    assert stage == [(1, "production")]
    assert commit.removesuffix("+dirty") == git_head()  # the code's commit, not "0.0.0"
    assert predictions == 31 * 8
    version = root / "model" / "registry" / "temperature-3h-boston" / "1"
    assert (version / "model.joblib").is_file()
    comparison = (version / "comparison.csv").read_text()
    assert {"persistence", "seasonal_naive", "climatology"} <= {
        line.split(",")[0] for line in comparison.splitlines()
    }
    # Only benchmark commands write reports; MLflow keeps its store and artifacts under the root.
    assert not (root / "reports").exists()
    assert (root / "mlflow.db").is_file()
    logged = (root / "mlruns").glob("*/artifacts/registry-version/comparison.csv")
    assert [path.read_text() for path in logged] == [comparison]
    assert list(elsewhere.iterdir()) == []

    plot = run(root, "monitoring/plot.py")  # the last 30 predicted days
    assert plot.returncode == 0, plot.stderr
    assert (root / "monitoring" / "output" / "boston_2025-10-02_2025-10-31.png").is_file()

    again = run(root, "model/predict.py", "--date", "2025-10-20")
    assert again.returncode == 0, again.stderr
    with sqlite3.connect(root / "data" / "weather.db") as conn:
        assert conn.execute("select count(*) from predictions").fetchone()[0] == 31 * 8

    missing = run(root, "model/predict.py", "--date", "2026-03-01")
    assert missing.returncode == 2
    assert "history missing for boston" in missing.stderr and "Traceback" not in missing.stderr
    both = run(root, "model/predict.py", "--date", "2025-10-20", "--start", "2025-10-01")
    assert both.returncode == 2 and "not both" in both.stderr


def test_commands_without_a_model_or_data_fail_clearly(tmp_path):
    predict = run(tmp_path, "model/predict.py", "--date", "2025-10-20")
    assert predict.returncode == 2
    assert "no version of temperature-3h-boston is in production" in predict.stderr
    train = run(tmp_path, "model/train.py")
    assert train.returncode == 2 and "Traceback" not in train.stderr
    monitor = run(tmp_path, "monitoring/plot.py", "--start", "2025-10-05", "--end", "2025-10-01")
    assert monitor.returncode == 2 and "before --start" in monitor.stderr
