"""Test-set metrics: accuracy, log loss, macro-F1, per-class precision/recall/F1, confusion."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    log_loss,
    precision_recall_fscore_support,
)

from bihar.vision.classes import CLASS_NAMES


@dataclass
class Evaluation:
    accuracy: float
    macro_f1: float
    log_loss: float
    per_class: dict[str, dict[str, float]]
    confusion: np.ndarray
    class_names: tuple[str, ...]

    def headline(self) -> dict[str, float]:
        return {
            "accuracy": round(self.accuracy, 4),
            "macro_f1": round(self.macro_f1, 4),
            "log_loss": round(self.log_loss, 4),
        }


def _clip(proba: np.ndarray) -> np.ndarray:
    """Probabilities kept away from 0 (finite log loss), rows summing to 1 again."""
    clipped = np.clip(proba, 1e-7, 1)
    return clipped / clipped.sum(axis=1, keepdims=True)


def evaluate(y_true: np.ndarray, proba: np.ndarray, classes: Sequence[int]) -> Evaluation:
    """Metrics of probabilities N×K (column k = class `classes[k]`) against labels y_true."""
    classes = list(classes)
    y_true = np.asarray(y_true)
    if proba.shape[1] != len(classes):
        raise ValueError(f"{proba.shape[1]} probability columns for {len(classes)} classes")
    y_pred = np.asarray(classes)[proba.argmax(1)]
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=classes, zero_division=0
    )
    names = tuple(CLASS_NAMES[c] for c in classes)
    per_class = {
        name: {
            "precision": round(float(p), 4),
            "recall": round(float(r), 4),
            "f1": round(float(f), 4),
            "support": int(s),
        }
        for name, p, r, f, s in zip(names, precision, recall, f1, support, strict=True)
    }
    return Evaluation(
        accuracy=float(accuracy_score(y_true, y_pred)),
        macro_f1=float(np.mean(f1)),
        log_loss=float(log_loss(y_true, _clip(proba), labels=classes)),
        per_class=per_class,
        confusion=confusion_matrix(y_true, y_pred, labels=classes),
        class_names=names,
    )


@dataclass(frozen=True)
class Interval:
    """A metric with its 95 % bootstrap interval."""

    value: float
    low: float
    high: float

    def as_dict(self) -> dict[str, float]:
        return {k: round(v, 4) for k, v in asdict(self).items()}


def photo_bootstrap(
    y_true: np.ndarray,
    proba: np.ndarray,
    photos: np.ndarray,
    classes: Sequence[int],
    n_resamples: int = 1000,
    seed: int = 42,
) -> dict[str, Interval]:
    """Accuracy and macro-F1 with 95 % intervals from resampling whole photos with replacement.

    Tiles of one photo share light, soil and plants, so they are not independent draws: the
    photo is the unit resampled (a cluster bootstrap), which gives honest, wider intervals
    than resampling tiles.
    """
    classes = list(classes)
    y_true, photos = np.asarray(y_true), np.asarray(photos)
    y_pred = np.asarray(classes)[proba.argmax(1)]
    ids = np.unique(photos)
    rows = [np.flatnonzero(photos == p) for p in ids]
    rng = np.random.default_rng(seed)
    scores = []
    for _ in range(n_resamples):
        idx = np.concatenate([rows[i] for i in rng.integers(0, len(ids), len(ids))])
        _, _, f1, _ = precision_recall_fscore_support(
            y_true[idx], y_pred[idx], labels=classes, zero_division=0
        )
        scores.append((float((y_true[idx] == y_pred[idx]).mean()), float(np.mean(f1))))
    low, high = np.percentile(np.array(scores), [2.5, 97.5], axis=0)
    point = evaluate(y_true, proba, classes)
    return {
        "accuracy": Interval(point.accuracy, float(low[0]), float(high[0])),
        "macro_f1": Interval(point.macro_f1, float(low[1]), float(high[1])),
    }
