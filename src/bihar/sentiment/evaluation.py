"""Binary classification metrics on the untouched test set (positive class = 1)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

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
