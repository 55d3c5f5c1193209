"""Saved versions of the review classifier: `model/registry/review-sentiment/<version>/`.

A version holds `pipeline.joblib` (the fitted `ReviewPipeline`: preprocessing settings,
vectorizers with their vocabularies and idf weights, naive-Bayes ratios, logistic regression),
`config.json` (the `ReviewModelConfig` it was trained from) and `metadata.json` (data source and
sizes, validation evidence, test metrics, library versions, git commit, SHA-256 of each file;
see `bihar.file_registry`). Loading checks every SHA-256 before unpickling anything.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import joblib

from bihar.file_registry import RegistryError, StoredVersion, open_version, publish
from bihar.provenance import code_version, library_versions
from bihar.sentiment.model_config import ReviewModelConfig
from bihar.sentiment.pipeline import ReviewPipeline

log = logging.getLogger(__name__)

MODEL_NAME = "review-sentiment"
PIPELINE_FILE = "pipeline.joblib"
CONFIG_FILE = "config.json"
LIBRARIES = ("scikit-learn", "scipy", "numpy", "spacy", "joblib")


def save_review_model(
    pipeline: ReviewPipeline, registry_dir: Path, metadata: Mapping[str, Any]
) -> StoredVersion:
    """Publish `pipeline` as the next version; `metadata` adds what the trainer knows."""

    def write(folder: Path) -> dict[str, Any]:
        joblib.dump(pipeline, folder / PIPELINE_FILE, compress=3)
        (folder / CONFIG_FILE).write_text(pipeline.config.model_dump_json(indent=2) + "\n")
        return {
            "config": pipeline.config.name,
            "features": pipeline.n_features,
            "code_version": code_version(),
            "libraries": library_versions(*LIBRARIES),
            **metadata,
        }

    return publish(registry_dir, MODEL_NAME, write)


def load_review_model(
    registry_dir: Path, version: int | None = None
) -> tuple[ReviewPipeline, StoredVersion]:
    """The pipeline of `version` (default: the newest) and its registry record.

    `RegistryError` when there is none, when a file fails its checksum, or when the file does
    not hold a review pipeline.
    """
    try:
        stored = open_version(registry_dir, MODEL_NAME, version)
    except RegistryError as exc:
        if version is None and str(exc).startswith("no version"):
            raise RegistryError(
                f"no {MODEL_NAME} model in {registry_dir}; train one with `make sentiment-model`"
            ) from None
        raise
    config = ReviewModelConfig.model_validate_json(stored.file(CONFIG_FILE).read_text())
    pipeline = joblib.load(stored.file(PIPELINE_FILE))
    if not isinstance(pipeline, ReviewPipeline) or pipeline.config != config:
        raise RegistryError(f"{MODEL_NAME} v{stored.version}: {PIPELINE_FILE} is not its pipeline")
    saved = stored.metadata.get("libraries", {}).get("scikit-learn")
    running = library_versions("scikit-learn")["scikit-learn"]
    if saved and saved != running:
        log.warning("%s v%d was saved with scikit-learn %s, running %s", MODEL_NAME,
                    stored.version, saved, running)  # fmt: skip
    return pipeline, stored
