"""MLflow runs on the configured store, without changing the configuration of the process."""

from __future__ import annotations

import os

import mlflow

from bihar.settings import get_settings
from bihar.tracking import log_metrics, mlflow_run


def test_a_run_is_recorded_and_leaves_the_settings_alone(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    configured = f"sqlite:///{tmp_path / 'configured.db'}"
    monkeypatch.setenv("BIHAR_MLFLOW_TRACKING_URI", configured)
    elsewhere = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    get_settings.cache_clear()
    try:
        with mlflow_run("tracking-test", "r1", params={"long": "x" * 600}, tracking_uri=elsewhere):
            log_metrics({"mae": 1.5, "skipped": float("nan")})
        assert "MLFLOW_TRACKING_URI" not in os.environ
        get_settings.cache_clear()
        assert get_settings().mlflow_tracking_uri == configured
        run = mlflow.search_runs(experiment_names=["tracking-test"], output_format="list")[0]
        assert run.data.metrics == {"mae": 1.5}
        assert run.data.params["long"].endswith("...") and len(run.data.params["long"]) == 500
    finally:
        get_settings.cache_clear()
