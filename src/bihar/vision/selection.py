"""Choosing the model to ship on validation, and saying how sure the choice is.

The validation set is 8 photos: a difference in macro-F1 between two models can come from which
photos happen to be there. `paired_bootstrap` resamples whole photos (with replacement) and
scores both models on each resample, which gives an interval for their difference.
`simplest_within_noise` applies the project's rule: among the candidates whose interval of
"best minus candidate" contains 0 (not worse than the best beyond the noise), ship the
simplest one — fewer networks, views and rules cost time on the camera and are easier to trust.
The test photos play no part.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Candidate:
    """A model that could be shipped: its validation probabilities and its cost rank."""

    name: str
    complexity: int
    """Lower is simpler (e.g. the number of network passes a tile costs, then rules)."""
    val_proba: np.ndarray


@dataclass(frozen=True)
class Difference:
    """Macro-F1 of model a minus model b, with a 95 % interval."""

    value: float
    low: float
    high: float


def _macro_f1(y: np.ndarray, pred: np.ndarray, labels: list[int]) -> float:
    """scikit-learn's macro-F1 (zero_division=0), from one confusion count: thousands of
    bootstrap resamples call it."""
    k = len(labels)
    confusion = np.bincount(y * k + pred, minlength=k * k).reshape(k, k)
    tp = np.diag(confusion).astype(float)
    denominator = confusion.sum(0) + confusion.sum(1)
    f1 = np.divide(2 * tp, denominator, out=np.zeros(k), where=denominator > 0)
    return float(f1.mean())


def paired_bootstrap(
    y: np.ndarray,
    proba_a: np.ndarray,
    proba_b: np.ndarray,
    photos: np.ndarray,
    n_resamples: int = 2000,
    seed: int = 42,
) -> Difference:
    """Macro-F1(a) − macro-F1(b) and its 95 % interval from resampling whole photos."""
    labels = list(range(proba_a.shape[1]))
    pred_a, pred_b = proba_a.argmax(1), proba_b.argmax(1)
    ids = np.unique(photos)
    rows = [np.flatnonzero(photos == p) for p in ids]
    rng = np.random.default_rng(seed)
    diffs = np.empty(n_resamples)
    for i in range(n_resamples):
        idx = np.concatenate([rows[j] for j in rng.integers(0, len(ids), len(ids))])
        diffs[i] = _macro_f1(y[idx], pred_a[idx], labels) - _macro_f1(y[idx], pred_b[idx], labels)
    low, high = np.percentile(diffs, [2.5, 97.5])
    value = _macro_f1(y, pred_a, labels) - _macro_f1(y, pred_b, labels)
    return Difference(value, float(low), float(high))


@dataclass(frozen=True)
class Choice:
    """The outcome of `simplest_within_noise`: the best candidate, the one to ship, the table."""

    best: str
    chosen: str
    table: pd.DataFrame


def simplest_within_noise(
    candidates: Sequence[Candidate], y: np.ndarray, photos: np.ndarray, seed: int = 42
) -> Choice:
    """The simplest candidate not worse than the best on validation beyond the noise."""
    if not candidates:
        raise ValueError("no candidate to choose from")
    labels = list(range(candidates[0].val_proba.shape[1]))
    scores = {c.name: _macro_f1(y, c.val_proba.argmax(1), labels) for c in candidates}
    best = max(candidates, key=lambda c: (scores[c.name], -c.complexity))
    rows = []
    for c in candidates:
        d = paired_bootstrap(y, best.val_proba, c.val_proba, photos, seed=seed)
        rows.append(
            {
                "model": c.name,
                "complexity": c.complexity,
                "val_macro_f1": round(scores[c.name], 4),
                "best_minus_this": round(d.value, 4),
                "interval_low": round(d.low, 4),
                "interval_high": round(d.high, 4),
                "within_noise": bool(d.low <= 0.0),
            }
        )
    table = pd.DataFrame(rows).set_index("model")
    eligible = table[table["within_noise"]].sort_values(
        ["complexity", "val_macro_f1"], ascending=[True, False]
    )
    return Choice(best.name, str(eligible.index[0]), table)
