"""Headline figures of the project, written to `reports/sentiment.json`, and MLflow runs."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bihar.sentiment import EXPERIMENT
from bihar.settings import get_settings
from bihar.tracking import log_metrics, mlflow_run

log = logging.getLogger(__name__)


def report_path() -> Path:
    return get_settings().reports_dir / "sentiment.json"


def write_report(figures: Mapping[str, Any], path: Path | None = None) -> Path:
    path = path or report_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    log.info("wrote %s", path)
    return path


def track(
    run_name: str,
    params: Mapping[str, Any],
    metrics: Mapping[str, float],
    curve: list[Mapping[str, float]] | None = None,
) -> str:
    """One MLflow run of the `sentiment` experiment: params, final metrics, per-epoch curve."""
    with mlflow_run(EXPERIMENT, run_name, params=params) as run:
        for row in curve or []:
            log_metrics({k: v for k, v in row.items() if k != "epoch"}, step=int(row["epoch"]))
        log_metrics(metrics)
        return str(run.info.run_id)
