"""The notebook's experiments: one function per kind of run, each tracked in MLflow.

A `Task` holds the tensors of one classification task (three or four classes) built from the
tile dataset: training tiles capped per class (balance and CPU time) and every validation tile.
It holds no test tile: every choice is made on validation, and the test photos are read once,
at the end, for the chosen models (`fit.fit_field_model`, then `evaluation.photo_bootstrap`).
Each `run_*` function trains or combines models, evaluates on validation, logs params and
metrics to the MLflow experiment `vision-field-images`, and returns a `RunResult`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from bihar.tracking import log_metrics, mlflow_run
from bihar.vision.cells import cover_votes
from bihar.vision.classes import CLASS_NAMES, FOUR_CLASSES
from bihar.vision.cnn import Architecture, build_cnn, count_parameters
from bihar.vision.cwfid import TileDataset
from bihar.vision.evaluation import Evaluation, evaluate
from bihar.vision.model_config import EfficientNetMember, Schedule, ScratchMember
from bihar.vision.native import DEFAULT_SPLIT, EfficientNetTop, trunk_activations
from bihar.vision.photos import check_tiles
from bihar.vision.pretrained import EfficientNetClassifier, array_digest, extract_features
from bihar.vision.training import (
    EXPERIMENT,
    CellTargets,
    History,
    TrainConfig,
    predict_proba,
    train_classifier,
)
from bihar.vision.transforms import Normalizer, to_tensor

log = logging.getLogger(__name__)


@dataclass
class Task:
    """Tensors of one task; labels are re-indexed 0..K-1 in the order of `classes`."""

    name: str
    classes: tuple[int, ...]
    size: int
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    val_tiles: TileDataset
    stored_px: int = 0
    """The size the tiles were stored at (the photo's tile size when not resized)."""

    @property
    def class_names(self) -> tuple[str, ...]:
        return tuple(CLASS_NAMES[c] for c in self.classes)


@dataclass
class RunResult:
    name: str
    task: str
    family: str  # "scratch" | "pretrained" | "ensemble"
    params: dict[str, Any]
    history: History
    val: Evaluation
    seconds: float
    n_parameters: int
    val_proba: np.ndarray | None = None

    def row(self) -> dict[str, Any]:
        """One line of the results table (validation only: the table that drives choices)."""
        return {
            "run": self.name,
            "task": self.task,
            "family": self.family,
            "epochs": len(self.history.val_loss),
            "best_epoch": self.history.best_epoch + 1,
            "train_acc": round(self.history.train_acc[self.history.best_epoch], 3),
            "val_acc": round(self.val.accuracy, 3),
            "val_macro_f1": round(self.val.macro_f1, 3),
            "seconds": round(self.seconds, 1),
        }


def cap_per_class(labels: np.ndarray, cap: int, seed: int) -> np.ndarray:
    """Boolean mask keeping at most `cap` tiles of each class (seeded random choice)."""
    rng = np.random.default_rng(seed)
    keep = np.zeros(len(labels), dtype=bool)
    for label in np.unique(labels):
        idx = np.flatnonzero(labels == label)
        keep[rng.choice(idx, size=min(cap, len(idx)), replace=False)] = True
    return keep


def split_tiles(
    data: TileDataset, classes: Sequence[int], cap: int, seed: int
) -> dict[str, TileDataset]:
    """{"train", "val": tiles of `classes`}, the training tiles capped at `cap` per class
    (seeded). The test tiles are not part of an experiment (see the module docstring)."""
    parts = {}
    for split in ("train", "val"):
        sub = data.subset(split, classes)
        if split == "train":
            keep = cap_per_class(sub.labels, cap, seed)
            sub = TileDataset(
                sub.images[keep],
                sub.labels[keep],
                sub.image_ids[keep],
                sub.splits[keep],
                sub.boxes[keep],
                sub.fractions[keep],
                sub.config,
            )
        parts[split] = sub
    return parts


def _labels(tiles: TileDataset, classes: tuple[int, ...]) -> torch.Tensor:
    index = {c: k for k, c in enumerate(classes)}
    return torch.tensor([index[int(v)] for v in tiles.labels], dtype=torch.long)


def build_task(
    name: str,
    data: TileDataset,
    classes: Sequence[int],
    size: int,
    cap: int,
    seed: int,
) -> Task:
    """Tensors of the tiles of `classes`, training tiles capped at `cap` per class."""
    classes = tuple(classes)
    tiles = split_tiles(data, classes, cap, seed)
    x = {split: to_tensor(sub.images, size) for split, sub in tiles.items()}
    return _task(name, classes, size, tiles, x)


def _task(
    name: str,
    classes: tuple[int, ...],
    size: int,
    tiles: dict[str, TileDataset],
    x: dict[str, torch.Tensor],
) -> Task:
    """The task of `tiles` split by `split_tiles`, with `x` the model inputs of each split."""
    y = {split: _labels(sub, classes) for split, sub in tiles.items()}
    stored = int(tiles["train"].images.shape[1]) if len(tiles["train"]) else 0
    task = Task(
        name, classes, size, x["train"], y["train"], x["val"], y["val"], tiles["val"], stored
    )
    log.info(
        "task %s: %d train, %d val inputs of %d-px tiles",
        name,
        len(task.y_train),
        len(task.y_val),
        size,
    )
    return task


def build_native_task(
    name: str,
    data: TileDataset,
    classes: Sequence[int],
    size: int,
    cap: int,
    seed: int,
    backbone: nn.Module,
    cache_dir: Path | None,
    split: int = DEFAULT_SPLIT,
) -> Task:
    """The task with EfficientNet-Lite0 trunk activations of `size`-px inputs as its `x_*`.

    Same tiles, labels and order as `build_task` with the same classes, cap and seed (give it
    the tiles stored at their native 160 px); the activations (ImageNet normalisation, blocks
    0…split-1) are computed once and cached in `cache_dir`.
    """
    classes = tuple(classes)
    tiles = split_tiles(data, classes, cap, seed)
    imagenet = Normalizer.imagenet()
    start = time.perf_counter()
    x = {
        part: trunk_activations(backbone, sub.images, size, imagenet, split, cache_dir=cache_dir)
        for part, sub in tiles.items()
    }
    log.info("trunk activations at %d px in %.0f s", size, time.perf_counter() - start)
    return _task(name, classes, size, tiles, x)


def _finish(
    name: str,
    task: Task,
    family: str,
    params: dict[str, Any],
    history: History,
    val_proba: np.ndarray,
    seconds: float,
    n_parameters: int,
) -> RunResult:
    labels = list(range(len(task.classes)))
    val = evaluate(task.y_val.numpy(), val_proba, labels)
    # evaluate() names columns by the global class ids: re-label for the task's classes
    val.class_names = task.class_names
    val.per_class = dict(zip(task.class_names, val.per_class.values(), strict=True))
    log_metrics(
        {
            "val_accuracy": val.accuracy,
            "val_macro_f1": val.macro_f1,
            "val_log_loss": val.log_loss,
            "n_parameters": n_parameters,
            "seconds": seconds,
        }
    )
    result = RunResult(
        name, task.name, family, params, history, val, seconds, n_parameters, val_proba
    )
    log.info("%s: %s", name, result.row())
    return result


def _run_params(task: Task, family: str, cfg: TrainConfig, **specific: Any) -> dict[str, Any]:
    """What an MLflow run records: the task, the model family and its own settings, the data
    size and the training configuration."""
    return {
        "task": task.name,
        "family": family,
        **specific,
        "stored_px": task.stored_px,
        "input_px": task.size,
        "n_train": len(task.y_train),
        **asdict(cfg),
        "learning_rate": cfg.learning_rate,
    }


def _train_and_evaluate(
    task: Task,
    name: str,
    model: nn.Module,
    params: dict[str, Any],
    cfg: TrainConfig,
    normalizer: Normalizer | None,
    batch_size: int = 256,
    cells: CellTargets | None = None,
) -> RunResult:
    """Train `model` on `task` with early stopping on validation, then score validation (one
    MLflow run holding `params`, the learning curves and the metrics)."""
    with mlflow_run(EXPERIMENT, name, params):
        start = time.perf_counter()
        history = train_classifier(
            model,
            task.x_train,
            task.y_train,
            task.x_val,
            task.y_val,
            cfg,
            normalizer,
            log_to_mlflow=True,
            cells=cells,
        )
        val_p = predict_proba(model, task.x_val, normalizer, batch_size=batch_size)
        return _finish(
            name,
            task,
            params["family"],
            params,
            history,
            val_p,
            time.perf_counter() - start,
            count_parameters(model),
        )


def run_scratch(
    task: Task,
    name: str,
    arch: Architecture,
    dropout: float,
    batchnorm: bool,
    cfg: TrainConfig,
    normalizer: Normalizer,
) -> tuple[nn.Module, RunResult]:
    """Train a scratch CNN on `task` and evaluate it (one MLflow run)."""
    torch.manual_seed(cfg.seed)
    model = build_cnn(arch, len(task.classes), dropout, batchnorm)
    params = _run_params(task, "scratch", cfg, arch=arch, dropout=dropout, batchnorm=batchnorm)
    result = _train_and_evaluate(task, name, model, params, cfg, normalizer)
    return model, result


@dataclass
class Features:
    train: torch.Tensor
    val: torch.Tensor


def task_features(
    task: Task, backbone: nn.Module, normalizer: Normalizer, cache_dir: Path | None
) -> Features:
    """Frozen-backbone pooled features of the task's tiles, cached by content hash."""
    out = []
    for x in (task.x_train, task.x_val):
        cache = None
        if cache_dir is not None:
            cache = cache_dir / "vision" / f"effnet_lite0_{array_digest(x)}.npy"
        out.append(torch.from_numpy(extract_features(backbone, x, normalizer, cache=cache)))
    return Features(*out)


def run_feature_extraction(
    task: Task,
    name: str,
    head: nn.Module,
    features: Features,
    cfg: TrainConfig,
    backbone: str = "efficientnet-lite0 (ImageNet, frozen)",
) -> RunResult:
    """Train a linear `head` on a frozen backbone's pooled features (one MLflow run)."""
    torch.manual_seed(cfg.seed)
    params = _run_params(task, "pretrained", cfg, backbone=backbone, mode="feature extraction")
    on_features = replace(task, x_train=features.train, x_val=features.val)
    return _train_and_evaluate(on_features, name, head, params, cfg, None)


def run_fine_tuning(
    task: Task,
    name: str,
    classifier: EfficientNetClassifier | EfficientNetTop,
    trainable_blocks: int,
    cfg: TrainConfig,
    normalizer: Normalizer | None,
    cells: CellTargets | None = None,
    training_views: Sequence[int] = (0,),
) -> RunResult:
    """Fine-tune the last `trainable_blocks` blocks + head of `classifier` (one MLflow run).

    An `EfficientNetTop` trains on a task built by `build_native_task` (trunk activations,
    `normalizer` None, `cfg.augment` off: flips and jitter are for images, not activations).
    With `cells` (a `native.CellSupervisedTop` and its training tiles' `cells.cell_fractions`),
    the auxiliary per-cell crop/weed loss is added; the run records its weight, and the
    dihedral `training_views` the task's training inputs hold (`with_training_views`).
    """
    torch.manual_seed(cfg.seed)
    classifier.freeze(trainable_blocks)
    params = _run_params(
        task,
        "pretrained",
        cfg,
        backbone="efficientnet-lite0 (ImageNet)",
        mode="fine-tuning",
        trainable_blocks=trainable_blocks,
        cell_loss_weight=cells.weight if cells is not None else 0.0,
        training_views=",".join(map(str, training_views)),
    )
    return _train_and_evaluate(
        task, name, classifier, params, cfg, normalizer, batch_size=128, cells=cells
    )


def _best_on_validation(
    task: Task, options: Sequence[float], val_proba: Callable[[float], np.ndarray]
) -> tuple[float, dict[float, float]]:
    """The option whose validation probabilities `val_proba(option)` have the best macro-F1
    (the first one on a tie), and every option's score; the test tiles play no part."""
    labels = list(range(len(task.classes)))
    y_val = task.y_val.numpy()
    scores = {o: evaluate(y_val, val_proba(o), labels).macro_f1 for o in options}
    return max(options, key=lambda o: scores[o]), scores


def run_ensemble(
    task: Task,
    name: str,
    first: RunResult,
    second: RunResult,
    weights: Sequence[float] = (0.3, 0.5, 0.7),
) -> tuple[float, RunResult]:
    """Average the probabilities of two finished runs; the weight is chosen on validation.

    The weight `w` of `first` (and 1 - w of `second`) is the one of `weights` with the best
    validation macro-F1. The result reuses the history of `first` for its table row (an
    ensemble has no epochs of its own).
    """
    if first.val_proba is None or second.val_proba is None:
        raise ValueError("both runs must carry their probabilities (run them with run_*)")
    a, b = first.val_proba, second.val_proba
    weight, scores = _best_on_validation(task, weights, lambda w: w * a + (1 - w) * b)
    params = {
        "task": task.name,
        "family": "ensemble",
        "members": f"{first.name} + {second.name}",
        "weight_first": weight,
        "weights_tried": ",".join(str(w) for w in weights),
    }
    with mlflow_run(EXPERIMENT, name, params):
        result = _finish(
            name,
            task,
            "ensemble",
            params,
            first.history,
            weight * a + (1 - weight) * b,
            first.seconds + second.seconds,
            first.n_parameters + second.n_parameters,
        )
    log.info("ensemble weight %.2f (validation macro-F1 by weight: %s)", weight, scores)
    return weight, result


def run_tta(
    task: Task, name: str, base: RunResult, val_proba: np.ndarray, transforms: Sequence[int]
) -> RunResult:
    """A trained run scored again with test-time augmentation (one MLflow run).

    `val_proba` is `base`'s model's probabilities averaged over the dihedral views
    `transforms` of the validation tiles (`transforms.tta_proba` or
    `native.tta_proba_from_views`); nothing is trained or chosen here. The history, training
    time and size are `base`'s.
    """
    if val_proba.shape != (len(task.y_val), len(task.classes)):
        raise ValueError(f"val_proba has shape {val_proba.shape}, not one row per val tile")
    params = {**base.params, "tta_of": base.name, "tta_transforms": ",".join(map(str, transforms))}
    with mlflow_run(EXPERIMENT, name, params):
        return _finish(
            name, task, base.family, params, base.history, val_proba, base.seconds,
            base.n_parameters,
        )  # fmt: skip


def run_cover_rule(
    task: Task,
    name: str,
    base: RunResult,
    val_cover: np.ndarray,
    thresholds: Sequence[float],
) -> tuple[float, RunResult]:
    """The tile-labelling rule applied to a cell-loss network's predicted cover (one MLflow run).

    `val_cover` holds the N×2 crop and weed covers of the validation tiles
    (`native.predicted_cover` of `base`'s network); each tile gets the one-hot vote of
    `cells.cover_votes`. The presence threshold is the one of `thresholds` whose votes have the
    best validation macro-F1. The votes are probabilities of 0 or 1, so the result is meant to
    enter an ensemble (`run_ensemble`) rather than to stand alone. History and size are
    `base`'s; its time is the rule's own (it trains nothing).
    """
    if task.classes != FOUR_CLASSES:
        raise ValueError(f"the cover rule gives the four classes, not {task.class_names}")
    if len(val_cover) != len(task.y_val):
        raise ValueError("val_cover must hold one (crop, weed) row per validation tile")
    if not thresholds:
        raise ValueError("at least one threshold is needed")
    start = time.perf_counter()
    threshold, scores = _best_on_validation(task, thresholds, lambda t: cover_votes(val_cover, t))
    params = {
        **base.params,
        "cover_rule_of": base.name,
        "cover_threshold": threshold,
        "cover_thresholds_tried": ",".join(str(t) for t in thresholds),
    }
    with mlflow_run(EXPERIMENT, name, params):
        result = _finish(
            name,
            task,
            base.family,
            params,
            base.history,
            cover_votes(val_cover, threshold),
            time.perf_counter() - start,
            base.n_parameters,
        )
    log.info("cover threshold %.3f (validation macro-F1 by threshold: %s)", threshold, scores)
    return threshold, result


def with_training_views(task: Task, views: Mapping[int, torch.Tensor]) -> Task:
    """The task trained on the union of `views` of its training inputs (labels repeated).

    Each view must hold one row per training tile in the task's order (e.g. the
    `native.dihedral_activations` of the training tiles, view 0 being the task's own inputs);
    validation is unchanged, so early stopping still sees the plain validation tiles.
    """
    if not views:
        raise ValueError("at least one view is needed")
    for k, x in views.items():
        if len(x) != len(task.y_train):
            raise ValueError(f"view {k} has {len(x)} rows for {len(task.y_train)} training tiles")
    x_train = torch.cat(list(views.values()))
    return replace(task, x_train=x_train, y_train=task.y_train.repeat(len(views)))


def tile_predictor(
    model: nn.Module, size: int, normalizer: Normalizer, tile_px: int
) -> Callable[[np.ndarray], np.ndarray]:
    """uint8 tiles N×tile_px×tile_px×3 → class probabilities, for display and LIME.

    Refuses anything but tiles of the size the model was trained on (a whole photo would be
    squashed into one tile and still get a class).
    """

    def predict(images: np.ndarray) -> np.ndarray:
        check_tiles(images, tile_px)
        return predict_proba(model, to_tensor(images, size), normalizer, batch_size=64)

    return predict


def restrict(task: Task, classes: Sequence[int], features: Features) -> tuple[Task, Features]:
    """The task (and its features) limited to `classes`, relabelled 0..K-1.

    Lets the three-class pretrained run reuse the four-class features: `cap_per_class` draws
    the classes in order, so the three-class training tiles are exactly these.
    """
    classes = tuple(classes)
    index = {task.classes.index(c): k for k, c in enumerate(classes)}
    parts = []
    for y, f in ((task.y_train, features.train), (task.y_val, features.val)):
        keep = torch.tensor([int(v) in index for v in y], dtype=torch.bool)
        parts.append((keep, torch.tensor([index[int(v)] for v in y[keep]], dtype=torch.long), f))
    (k_tr, y_tr, f_tr), (k_va, y_va, f_va) = parts
    tiles = task.val_tiles
    keep = k_va.numpy()
    val_tiles = TileDataset(
        tiles.images[keep], tiles.labels[keep], tiles.image_ids[keep], tiles.splits[keep],
        tiles.boxes[keep], tiles.fractions[keep], tiles.config,
    )  # fmt: skip
    small = Task(
        f"{len(classes)}-class", classes, task.size, task.x_train[k_tr], y_tr, task.x_val[k_va],
        y_va, val_tiles, task.stored_px,
    )  # fmt: skip
    return small, Features(f_tr[k_tr], f_va[k_va])


def schedule_of(run: RunResult) -> Schedule:
    """The training schedule `run` would be replayed with (its settings, its kept epochs)."""
    fields = TrainConfig.__dataclass_fields__
    return Schedule.replaying(TrainConfig(**{k: run.params[k] for k in fields}), run.history)


def _views_of(run: RunResult) -> list[int]:
    return [int(k) for k in str(run.params.get("tta_transforms", "0")).split(",")]


def scratch_member(run: RunResult, name: str, weight: float) -> ScratchMember:
    """What a scratch run (or its TTA run) ships as: architecture, inputs, views, schedule."""
    p = run.params
    return ScratchMember(
        name=name, arch=p["arch"], dropout=p["dropout"], batchnorm=p["batchnorm"],
        stored_px=p["stored_px"], input_px=p["input_px"], views=_views_of(run), weight=weight,
        training=schedule_of(run),
    )  # fmt: skip


def efficientnet_member(
    run: RunResult, head_run: RunResult, name: str, weight: float
) -> EfficientNetMember:
    """What an EfficientNet run ships as. `head_run` is the feature-extraction run its head
    started from (the run itself when it is one); views and training views from the params."""
    p = run.params
    fine_tuned = p["mode"] == "fine-tuning"
    cells = float(p.get("cell_loss_weight", 0.0))
    training_views = str(p.get("training_views", "0")).split(",")
    return EfficientNetMember(
        name=name,
        input_px=p["input_px"],
        trainable_blocks=p.get("trainable_blocks", 0),
        cell_loss_weight=cells or None,
        training_views=[int(k) for k in training_views],
        views=_views_of(run),
        weight=weight,
        head_training=schedule_of(head_run),
        training=schedule_of(run) if fine_tuned else None,
    )
