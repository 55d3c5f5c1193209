"""Binary classification metrics on the untouched test set (positive class = 1), and the
Wilson interval of an accuracy."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)


@dataclass(frozen=True)
class Metrics:
    accuracy: float
    precision: float
    recall: float
    f1: float
    roc_auc: float
    confusion: tuple[tuple[int, int], tuple[int, int]]  # rows true 0/1, columns predicted 0/1

    def as_dict(self, prefix: str = "") -> dict[str, float]:
        data = asdict(self)
        data.pop("confusion")
        return {f"{prefix}{k}": round(float(v), 4) for k, v in data.items()}


def evaluate(y_true: np.ndarray, y_pred: np.ndarray, y_score: np.ndarray) -> Metrics:
    """Accuracy, precision, recall, F1 (of class 1), ROC-AUC of `y_score`, confusion matrix."""
    y_true, y_pred, y_score = np.asarray(y_true), np.asarray(y_pred), np.asarray(y_score)
    if not len(y_true) == len(y_pred) == len(y_score):
        raise ValueError("y_true, y_pred and y_score must have the same length")
    cm = confusion_matrix(y_true, y_pred, labels=[0, 1])
    auc = roc_auc_score(y_true, y_score) if len(set(y_true.tolist())) == 2 else float("nan")
    return Metrics(
        accuracy=float(accuracy_score(y_true, y_pred)),
        precision=float(precision_score(y_true, y_pred, zero_division=0)),
        recall=float(recall_score(y_true, y_pred, zero_division=0)),
        f1=float(f1_score(y_true, y_pred, zero_division=0)),
        roc_auc=float(auc),
        confusion=((int(cm[0, 0]), int(cm[0, 1])), (int(cm[1, 0]), int(cm[1, 1]))),
    )


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a proportion (95 % by default); (0, 1) when `n` is 0."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    denominator = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def scorecard(y_true: np.ndarray, y_score: np.ndarray, threshold: float = 0.5) -> dict[str, Any]:
    """JSON-ready figures of P(positive) `y_score` against labels: accuracy with its 95 % Wilson
    interval, precision, recall, F1 (positive class), ROC-AUC, the confusion matrix."""
    y_true, y_score = np.asarray(y_true), np.asarray(y_score)
    y_pred = (y_score > threshold).astype(int)
    metrics = evaluate(y_true, y_pred, y_score)
    correct = int((y_pred == y_true).sum())
    low, high = wilson_interval(correct, len(y_true))
    return {
        "reviews": len(y_true),
        "positives": int(y_true.sum()),
        "accuracy": round(metrics.accuracy, 4),
        "accuracy_interval_95": [round(low, 4), round(high, 4)],
        "interval": "Wilson score interval, 95 %",
        "precision": round(metrics.precision, 4),
        "recall": round(metrics.recall, 4),
        "f1": round(metrics.f1, 4),
        "roc_auc": None if math.isnan(metrics.roc_auc) else round(metrics.roc_auc, 4),
        "confusion": {
            "rows": "true negative, true positive",
            "columns": "predicted negative, predicted positive",
            "matrix": [list(row) for row in metrics.confusion],
        },
    }
