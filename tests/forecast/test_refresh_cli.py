"""The brief's workflow as a user runs it: refresh → monitor → predict, through the scripts."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.pipeline import MLFLOW_URI, settings_under

ROOT = Path(__file__).resolve().parents[2]


def run(root: Path, script: str, *args: str) -> subprocess.CompletedProcess[str]:
    settings = settings_under(root, f"sqlite:///{root / 'data' / 'weather.db'}")
    env = {
        **os.environ,
        "BIHAR_ROOT_DIR": str(root),
        "DATABASE_URL": settings.database_url,
        "MLFLOW_TRACKING_URI": MLFLOW_URI,
        "BIHAR_FORECAST_CONFIG": str(settings.model_config_path),
        "BIHAR_WEATHER_SOURCE": "offline",
    }
    return subprocess.run(
        [sys.executable, *script.split(), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_refresh_then_monitor_on_a_fresh_database(tmp_path):
    done = run(tmp_path, "-m bihar.cli refresh", "--date", "2025-10-31")
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(tmp_path / "data" / "weather.db") as conn:
        hours = conn.execute("select count(*) from weather_observations").fetchone()[0]
        stage = conn.execute("select version, stage from model_versions").fetchall()
        predictions = conn.execute("select count(*) from predictions").fetchone()[0]
    assert hours == 51_384
    assert stage == [(1, "production")]
    assert predictions == 31 * 8
    report = json.loads((tmp_path / "reports" / "forecast_backtest.json").read_text())
    assert set(report["models"]) >= {"persistence", "seasonal_naive", "climatology"}
    assert 0 < report["mae_ratio_vs_seasonal_naive"] < 1
    assert (
        tmp_path / "model" / "registry" / "temperature-3h-boston" / "1" / "model.joblib"
    ).is_file()

    plot = run(tmp_path, "monitoring/plot.py", "--start", "2025-10-02", "--end", "2025-11-01")
    assert plot.returncode == 0, plot.stderr
    assert (tmp_path / "monitoring" / "output" / "boston_2025-10-02_2025-11-01.png").is_file()

    again = run(tmp_path, "model/predict.py", "--date", "2025-10-20")
    assert again.returncode == 0, again.stderr
    with sqlite3.connect(tmp_path / "data" / "weather.db") as conn:
        assert conn.execute("select count(*) from predictions").fetchone()[0] == 31 * 8

    missing = run(tmp_path, "model/predict.py", "--date", "2026-03-01")
    assert missing.returncode == 2
    assert "history missing for boston" in missing.stderr and "Traceback" not in missing.stderr
    both = run(tmp_path, "model/predict.py", "--date", "2025-10-20", "--start", "2025-10-01")
    assert both.returncode == 2 and "not both" in both.stderr


def test_commands_without_a_model_or_data_fail_clearly(tmp_path):
    predict = run(tmp_path, "model/predict.py", "--date", "2025-10-20")
    assert predict.returncode == 2
    assert "no version of temperature-3h-boston is in production" in predict.stderr
    train = run(tmp_path, "model/train.py")
    assert train.returncode == 2 and "Traceback" not in train.stderr
    monitor = run(tmp_path, "monitoring/plot.py", "--start", "2025-10-05", "--end", "2025-10-01")
    assert monitor.returncode == 2 and "before --start" in monitor.stderr
