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


def test_artifacts_go_under_the_root_folder_not_the_working_folder(tmp_path, monkeypatch):
    root, elsewhere = tmp_path / "root", tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("BIHAR_ROOT_DIR", str(root))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("BIHAR_MLFLOW_TRACKING_URI", raising=False)
    get_settings.cache_clear()
    try:
        with mlflow_run("artifacts-test", "r1") as run:
            (tmp_path / "note.txt").write_text("kept")
            mlflow.log_artifact(str(tmp_path / "note.txt"))
        assert get_settings().mlflow_tracking_uri == f"sqlite:///{root / 'mlflow.db'}"
        stored = root / "mlruns" / run.info.run_id / "artifacts" / "note.txt"
        assert stored.read_text() == "kept"
        assert list(elsewhere.iterdir()) == []
    finally:
        get_settings.cache_clear()
