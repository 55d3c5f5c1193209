"""Headline figures of the project, written to `reports/sentiment.json`, and MLflow runs."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bihar.reports import write_json_report
from bihar.sentiment import EXPERIMENT
from bihar.settings import get_settings
from bihar.tracking import log_metrics, mlflow_run

log = logging.getLogger(__name__)


def report_path() -> Path:
    return get_settings().reports_dir / "sentiment.json"


def write_report(figures: Mapping[str, Any], path: Path | None = None) -> Path:
    return write_json_report("sentiment", figures, path or report_path(), ensure_ascii=False)


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


def update_report(section: str, figures: Any, path: Path | None = None) -> Path:
    """Replace one section of `reports/sentiment.json`, keeping the others (atomic write)."""
    import json

    path = path or report_path()
    current = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    current[section] = figures
    return write_report(current, path)
