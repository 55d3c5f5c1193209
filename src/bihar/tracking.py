"""MLflow experiment tracking with the project's local store (settings.mlflow_tracking_uri)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
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
) -> Iterator[Any]:
    """Open an MLflow run in `experiment` on the local store and log `params`.

    Yields the active `mlflow.ActiveRun`; log metrics with `log_metrics` inside. The store is
    `tracking_uri`, by default the settings' MLFLOW_TRACKING_URI.
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
    mlflow.set_experiment(experiment)
    with mlflow.start_run(run_name=run_name, tags=dict(tags or {})) as run:
        if params:
            mlflow.log_params({k: _param(v) for k, v in params.items()})
        log.info("MLflow run %s (%s) in experiment %s", run.info.run_id, run_name, experiment)
        yield run


def log_metrics(metrics: Mapping[str, float], step: int | None = None) -> None:
    """Log finite numeric metrics to the active run (NaN and None are skipped)."""
    import math

    import mlflow

    clean = {k: float(v) for k, v in metrics.items() if v is not None and math.isfinite(float(v))}
    mlflow.log_metrics(clean, step=step)


def _param(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 500 else text[:497] + "..."
