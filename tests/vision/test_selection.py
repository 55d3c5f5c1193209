"""The choice on validation: photo-bootstrap intervals, and the simplest model within the noise."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import f1_score

from bihar.vision.selection import (
    Candidate,
    _macro_f1,
    paired_bootstrap,
    simplest_within_noise,
)


def _labels(n_photos: int, per_photo: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, n_photos * per_photo)
    return y, np.repeat(np.arange(n_photos), per_photo)


def _with_errors(y: np.ndarray, share: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    pred = y.copy()
    wrong = rng.random(len(y)) < share
    pred[wrong] = (y[wrong] + 1) % 4
    return np.eye(4)[pred]


def test_the_interval_brackets_the_difference_and_shrinks_with_more_photos():
    y, photos = _labels(8, 50)
    a, b = _with_errors(y, 0.05, 1), _with_errors(y, 0.10, 2)
    d = paired_bootstrap(y, a, b, photos)
    assert d.low < d.value < d.high and d.value > 0
    y_many, photos_many = _labels(200, 50)
    wide = d.high - d.low
    many = paired_bootstrap(y_many, _with_errors(y_many, 0.05, 1), _with_errors(y_many, 0.10, 2),
                            photos_many)  # fmt: skip
    assert many.high - many.low < wide / 2 and many.low > 0  # clearly better with 200 photos


def test_the_simplest_model_within_the_noise_is_chosen():
    y, photos = _labels(8, 40)
    candidates = [
        Candidate("small", 1, _with_errors(y, 0.06, 3)),
        Candidate("big", 4, _with_errors(y, 0.05, 4)),  # best, by a hair
        Candidate("bad", 2, _with_errors(y, 0.60, 5)),
    ]
    choice = simplest_within_noise(candidates, y, photos)
    assert choice.best == "big" and choice.chosen == "small"
    assert choice.table.loc["small", "within_noise"] and not choice.table.loc["bad", "within_noise"]
    assert choice.table.loc["big", "best_minus_this"] == 0.0


def test_the_fast_macro_f1_is_scikit_learns():
    rng = np.random.default_rng(3)
    for _ in range(20):
        y, pred = rng.integers(0, 4, 60), rng.integers(0, 4, 60)
        pred[:5] = 3  # classes missing from y or pred included
        y[y == 2] = 1
        want = f1_score(y, pred, labels=[0, 1, 2, 3], average="macro", zero_division=0)
        assert abs(_macro_f1(y, pred, [0, 1, 2, 3]) - want) < 1e-12
