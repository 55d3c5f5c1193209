from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bihar.sentiment.experiments import StackSpec, stacked_fit_predict
from bihar.sentiment.preprocessing import PreprocessConfig
from bihar.sentiment.stacking import (
    base_log_odds,
    log_odds,
    meta_fit_predict,
    out_of_fold,
    stack_fit_predict,
)


def _informative(signal: np.ndarray):
    """A base whose P(positive) is a fixed, informative score per row."""

    def fit_predict(train: np.ndarray, rows: np.ndarray, y_train: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-signal[rows]))

    return fit_predict


def _memoriser(y_all: np.ndarray):
    """Perfect on the rows it was fitted on, a coin toss elsewhere: the over-fitting base that
    out-of-fold predictions must expose."""

    def fit_predict(train: np.ndarray, rows: np.ndarray, y_train: np.ndarray) -> np.ndarray:
        seen = dict(zip(train.tolist(), y_train.tolist(), strict=True))
        return np.array([0.99 if seen.get(r) == 1 else 0.01 if r in seen else 0.5 for r in rows])

    return fit_predict


@pytest.fixture
def problem() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    signal = (2 * y - 1) * 1.5 + rng.normal(0, 1.0, 400)
    return y, signal


def test_log_odds_is_finite_and_inverts_the_sigmoid() -> None:
    np.testing.assert_allclose(log_odds(np.array([0.5, 1 / (1 + np.e)])), [0.0, -1.0])
    assert np.isfinite(log_odds(np.array([0.0, 1.0]))).all()


def test_out_of_fold_hides_each_row_from_the_bases_that_score_it(problem) -> None:
    y, _ = problem
    oof = out_of_fold({"memo": _memoriser(y)}, np.arange(len(y)), y, folds=5, seed=0)
    # every row was held out when scored, so the memoriser only ever answers 0.5
    np.testing.assert_allclose(oof[:, 0], 0.0)


def test_stack_trusts_the_informative_base_not_the_memoriser(problem) -> None:
    y, signal = problem
    bases = {"signal": _informative(signal), "memo": _memoriser(y)}
    train, test = np.arange(300), np.arange(300, 400)
    result = stack_fit_predict(bases, train, y[train], test, seed=0)
    assert result.weights["signal"] > 0.5 and abs(result.weights["memo"]) < 0.1
    accuracy = ((result.prob > 0.5) == y[test]).mean()
    # the meta-model's intercept may move the threshold a little
    assert accuracy >= ((signal[test] > 0) == y[test]).mean() - 0.02


def test_stack_fit_predict_checks_its_inputs(problem) -> None:
    y, signal = problem
    with pytest.raises(ValueError, match="at least one"):
        stack_fit_predict({}, np.arange(10), y[:10], np.arange(10, 20))
    with pytest.raises(ValueError, match="labels"):
        stack_fit_predict({"s": _informative(signal)}, np.arange(10), y[:9], np.arange(10, 20))


def test_stacked_fit_predict_on_reviews(reviews: pd.DataFrame, tiny_kv) -> None:
    train = pd.concat([reviews] * 3, ignore_index=True)
    evaluation = pd.DataFrame(
        {
            "text": ["Un film excellent et magnifique.", "Un navet nul et ennuyeux."],
            "label": [-1, -1],
        }
    )  # the evaluation labels are never read
    spec = StackSpec(param=10.0, vectors_c=1.0, folds=3)
    result = stacked_fit_predict(
        train, evaluation, PreprocessConfig(tokenizer="regex"), tiny_kv, spec, seed=0
    )
    assert result.prob.shape == (2,)
    assert result.prob[0] > 0.5 > result.prob[1]
    assert set(result.weights) == {f"{spec.kind} + {spec.classifier}", "averaged fastText + logreg"}


def test_base_log_odds_and_meta_model_equal_stack_fit_predict(problem) -> None:
    y, signal = problem
    bases = {"signal": _informative(signal), "memo": _memoriser(y)}
    train, test = np.arange(300), np.arange(300, 400)
    whole = stack_fit_predict(bases, train, y[train], test, seed=0)
    parts = [base_log_odds(b, train, y[train], test, seed=0) for b in bases.values()]
    oof, full = np.column_stack([p[0] for p in parts]), np.column_stack([p[1] for p in parts])
    split = meta_fit_predict(oof, full, y[train], list(bases))
    np.testing.assert_allclose(split.prob, whole.prob)
    assert split.weights == whole.weights
    with pytest.raises(ValueError, match="columns"):
        meta_fit_predict(oof, full[:, :1], y[train], list(bases))
