"""`bihar vision train`: train the configured model, score it once on the test photos, publish it.

1. read `model/field_images.json` (notebook 01's choice, validated);
2. tile CWFID (the local copy, or the original release when online) at the photo size;
3. train every member on the training + validation photos (`fit.fit_field_model`), seeded;
4. score the model once on the 21 test photos, with photo-bootstrap intervals;
5. publish an immutable version under `model/registry/field-images/<version>/` and log the run
   (parameters, test metrics, version) to MLflow.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from bihar.device import torch_device
from bihar.file_registry import StoredVersion
from bihar.settings import Settings
from bihar.tracking import log_metrics, mlflow_run
from bihar.vision.classes import FOUR_CLASSES
from bihar.vision.cwfid import build_tile_dataset, locate_cwfid
from bihar.vision.evaluation import evaluate, photo_bootstrap
from bihar.vision.field_model import FieldModel
from bihar.vision.fit import FitData, fit_field_model
from bihar.vision.model_config import FieldModelConfig, load_model_config
from bihar.vision.training import EXPERIMENT
from bihar.vision.versions import MODEL_NAME, save_field_model

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TestScore:
    """The model's figures on the test photos (scored once, after training)."""

    metrics: dict[str, Any]

    @classmethod
    def of(cls, model: FieldModel, data: FitData) -> TestScore:
        proba = model.predict(data.test.images).proba
        point = evaluate(data.test.labels, proba, FOUR_CLASSES)
        intervals = photo_bootstrap(data.test.labels, proba, data.test.image_ids, FOUR_CLASSES)
        return cls(
            {
                "tiles": len(data.test),
                "photos": len(set(data.test.image_ids.tolist())),
                "accuracy": intervals["accuracy"].as_dict(),
                "macro_f1": intervals["macro_f1"].as_dict(),
                "interval": "95 % photo bootstrap (1,000 resamples)",
                "per_class": point.per_class,
                "confusion": point.confusion.tolist(),
            }
        )


def train_and_publish(
    settings: Settings,
    config_path: Path,
    source: Literal["auto", "local", "online"] = "auto",
    image_ids: Sequence[int] | None = None,
) -> StoredVersion:
    """Train the model of `config_path`, score it on test and publish it (see module docstring).

    `image_ids` restricts the photos (tests use a few); by default all 60 are used.
    """
    config = load_model_config(config_path)
    root = locate_cwfid(settings.data_dir, settings.cache_dir, source)
    tile_config = config.tiles.tile_config(out_size=config.tiles.tile)
    tiles = build_tile_dataset(
        root, tile_config, settings.cache_dir, config.val_fraction, config.seed, image_ids
    )
    data = FitData.split(tiles, config)
    params = _run_params(config, data)
    with mlflow_run(EXPERIMENT, f"{MODEL_NAME} release", params) as run:
        start = time.perf_counter()
        model = fit_field_model(config, data, root, settings.cache_dir)
        seconds = time.perf_counter() - start
        score = TestScore.of(model, data)
        stored = save_field_model(
            model,
            settings.registry_dir,
            {
                "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "data": {"source": str(root), "photos": data.photos(), "fit_tiles": len(data.fit)},
                "test": score.metrics,
                "training_seconds": round(seconds, 1),
                "device": str(torch_device()),
                "mlflow_run_id": run.info.run_id,
            },
        )
        log_metrics(
            {
                "test_accuracy": score.metrics["accuracy"]["value"],
                "test_macro_f1": score.metrics["macro_f1"]["value"],
                "training_seconds": seconds,
                "registry_version": stored.version,
            }
        )
    f1 = score.metrics["macro_f1"]
    log.info(
        "%s v%d: test macro-F1 %.3f [%.3f, %.3f] on %d tiles of %d photos",
        MODEL_NAME,
        stored.version,
        f1["value"],
        f1["low"],
        f1["high"],
        score.metrics["tiles"],
        score.metrics["photos"],
    )
    return stored


def _run_params(config: FieldModelConfig, data: FitData) -> dict[str, Any]:
    params: dict[str, Any] = {
        "tile": config.tiles.tile,
        "stride": config.tiles.stride,
        "fit_tiles": len(data.fit),
        "members": ",".join(m.name for m in config.members),
    }
    for m in config.members:
        params[f"{m.name}.weight"] = m.weight
        params[f"{m.name}.views"] = ",".join(map(str, m.views))
        params[f"{m.name}.epochs"] = len(m.training.learning_rates) if m.training else 0
    if config.cover_vote is not None:
        params["cover_vote.threshold"] = config.cover_vote.threshold
        params["cover_vote.weight"] = config.cover_vote.weight
    return params
