"""`bihar sentiment train`: fit the configured classifier on train + validation, score it once
on test, publish it.

1. read `model/review_sentiment.json` (the selection's choice, validated);
2. load Allociné: the hub's 160k / 20k / 20k split when reachable (used unchanged), else the
   offline subset (`allocine.load_allocine`);
3. fit the pipeline on train + validation (`pipeline.ReviewPipeline`), seeded;
4. score it once on the test reviews (accuracy with its Wilson interval, precision, recall, F1,
   ROC-AUC, confusion matrix);
5. publish an immutable version under `model/registry/review-sentiment/<version>/`, log the run
   to MLflow, and record the test figures in `reports/sentiment.json` (`shipped_model`).
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from bihar.file_registry import StoredVersion
from bihar.provenance import fingerprint
from bihar.sentiment import EXPERIMENT
from bihar.sentiment.allocine import Source, load_allocine
from bihar.sentiment.evaluation import scorecard
from bihar.sentiment.model_config import load_model_config
from bihar.sentiment.pipeline import ReviewPipeline
from bihar.sentiment.report import update_report
from bihar.sentiment.versions import MODEL_NAME, save_review_model
from bihar.settings import Settings
from bihar.tracking import log_metrics, mlflow_run

log = logging.getLogger(__name__)


def train_and_publish(
    settings: Settings, config_path: Path, source: Source = "auto"
) -> StoredVersion:
    """Train the model of `config_path`, score it on test and publish it (module docstring)."""
    config = load_model_config(config_path)
    splits = load_allocine(source)
    fit = pd.concat([splits.train, splits.validation], ignore_index=True)
    params = {
        "config": config.name,
        "features": config.features,
        "C": config.C,
        "preprocessing": config.preprocessing.config().name,
        "data_source": splits.source,
        "fit_reviews": len(fit),
        "test_reviews": len(splits.test),
    }
    with mlflow_run(EXPERIMENT, f"{MODEL_NAME} release", params) as run:
        start = time.perf_counter()
        pipeline = ReviewPipeline.fit(fit["text"].tolist(), fit["label"].to_numpy(), config)
        seconds = time.perf_counter() - start
        prob = pipeline.predict_proba(splits.test["text"].tolist())
        test = scorecard(splits.test["label"].to_numpy(), prob)
        stored = save_review_model(
            pipeline,
            settings.registry_dir,
            {
                "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "data": {
                    "source": splits.source,
                    "sizes": {**splits.sizes(), "fit (train + validation)": len(fit)},
                    "notes": splits.notes,
                    "fingerprint_fit": fingerprint(fit),
                    "fingerprint_test": fingerprint(splits.test),
                },
                "selection": config.selection,
                "test": test,
                "training_seconds": round(seconds, 2),
                "mlflow_run_id": run.info.run_id,
            },
        )
        log_metrics(
            {
                "test_accuracy": test["accuracy"],
                "test_f1": test["f1"],
                "test_roc_auc": test["roc_auc"],
                "training_seconds": seconds,
                "registry_version": stored.version,
            }
        )
    update_report(
        "shipped_model",
        {
            "model": config.name,
            "registry": f"{MODEL_NAME} v{stored.version}",
            "data_source": splits.source,
            "fit_reviews": len(fit),
            "training_seconds": round(seconds, 2),
            "test": test,
            "command": "make sentiment-model",
        },
        settings.reports_dir / "sentiment.json",
    )
    low, high = test["accuracy_interval_95"]
    log.info(
        "%s v%d: test accuracy %.3f [%.3f, %.3f] on %d reviews (fitted in %.1f s)",
        MODEL_NAME, stored.version, test["accuracy"], low, high, test["reviews"], seconds,
    )  # fmt: skip
    return stored
