"""Test-set metrics: accuracy, log loss, macro-F1, per-class precision/recall/F1, confusion."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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
        log_loss=float(log_loss(y_true, np.clip(proba, 1e-7, 1), labels=classes)),
        per_class=per_class,
        confusion=confusion_matrix(y_true, y_pred, labels=classes),
        class_names=names,
    )
