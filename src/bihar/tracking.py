"""MLflow experiment tracking with the project's local store (settings.mlflow_tracking_uri).

Artifacts go under the root folder (`<root_dir>/mlruns`), never into whatever folder a command
runs from: an experiment is created with that artifact location the first time it is used.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bihar.settings import get_settings

log = logging.getLogger(__name__)


@contextmanager
def mlflow_run(
    experiment: str,
    run_name: str,
    params: Mapping[str, Any] | None = None,
    tags: Mapping[str, str] | None = None,
    tracking_uri: str | None = None,
    artifacts_dir: Path | None = None,
) -> Iterator[Any]:
    """Open an MLflow run in `experiment` on the local store and log `params`.

    Yields the active `mlflow.ActiveRun`; log metrics with `log_metrics` inside. The store is
    `tracking_uri`, by default the settings' MLFLOW_TRACKING_URI; a new experiment keeps its
    artifacts in `artifacts_dir`, by default the settings' `<root_dir>/mlruns`.
    """
    import mlflow

    exported = os.environ.get("MLFLOW_TRACKING_URI")
    mlflow.set_tracking_uri(tracking_uri or get_settings().mlflow_tracking_uri)
    # MLflow also exports the URI to the environment (for subprocesses); the settings read that
    # variable, so leaving it would make this run's store everyone's default in this process.
    if exported is None:
        os.environ.pop("MLFLOW_TRACKING_URI", None)
    else:
        os.environ["MLFLOW_TRACKING_URI"] = exported
    _create_experiment(experiment, artifacts_dir or get_settings().mlflow_artifacts_dir)
    mlflow.set_experiment(experiment)
    with mlflow.start_run(run_name=run_name, tags=dict(tags or {})) as run:
        if params:
            mlflow.log_params({k: _param(v) for k, v in params.items()})
        log.info("MLflow run %s (%s) in experiment %s", run.info.run_id, run_name, experiment)
        yield run


def _create_experiment(name: str, artifacts_dir: Path) -> None:
    """Create `name` with its artifacts under `artifacts_dir` unless it exists."""
    import mlflow
    from mlflow.exceptions import MlflowException

    if mlflow.get_experiment_by_name(name) is not None:
        return
    try:
        mlflow.create_experiment(name, artifact_location=artifacts_dir.resolve().as_uri())
    except MlflowException:  # created meanwhile by another process
        if mlflow.get_experiment_by_name(name) is None:
            raise


def log_metrics(metrics: Mapping[str, float], step: int | None = None) -> None:
    """Log finite numeric metrics to the active run (NaN and None are skipped)."""
    import math

    import mlflow

    clean = {k: float(v) for k, v in metrics.items() if v is not None and math.isfinite(float(v))}
    mlflow.log_metrics(clean, step=step)


def _param(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 500 else text[:497] + "..."
