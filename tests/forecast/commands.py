"""The forecasting commands as a user runs them: separate processes on a store whose every
output (database, registry, MLflow, reports) lives under one root folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.pipeline import MLFLOW_URI, settings_under

ROOT = Path(__file__).resolve().parents[2]


def environment(root: Path, database_url: str | None = None, **env: str) -> dict[str, str]:
    """The environment of a command on the store under `root` (default: its SQLite file), with
    the fast model configuration and the offline snapshot; `env` adds to it, and an empty value
    removes a variable."""
    settings = settings_under(root, database_url or f"sqlite:///{root / 'data' / 'weather.db'}")
    merged = {
        **os.environ,
        "BIHAR_ROOT_DIR": str(root),
        "DATABASE_URL": settings.database_url,
        "MLFLOW_TRACKING_URI": MLFLOW_URI,
        "BIHAR_FORECAST_CONFIG": str(settings.model_config_path),
        "BIHAR_WEATHER_SOURCE": "offline",
        **env,
    }
    return {key: value for key, value in merged.items() if value}


def start(command: list[str], env: dict[str, str], cwd: Path = ROOT) -> subprocess.Popen[str]:
    """`python COMMAND…` started in the background, its output captured."""
    return subprocess.Popen(
        [sys.executable, *command],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run(
    root: Path, script: str, *args: str, cwd: Path = ROOT, **env: str
) -> subprocess.CompletedProcess[str]:
    """`python SCRIPT ARGS…` on the SQLite store under `root`, to the end."""
    return subprocess.run(
        [sys.executable, *script.split(), *args],
        cwd=cwd,
        env=environment(root, **env),
        capture_output=True,
        text=True,
        timeout=600,
    )
