"""Stacking of heterogeneous sentiment models with out-of-fold predictions.

Each base model is a function `fit_predict(train_rows, eval_rows, y_train) -> P(positive)` over
one shared table of documents (rows are indices into it), so a sparse n-gram model and a dense
word-vector model can be combined although they read different representations of the text.

The meta-model is a logistic regression on the bases' log-odds. Its training inputs are
**out-of-fold** predictions: each training review is scored by base models fitted on the other
folds only, so the meta-model learns how much to trust each base on reviews that base has not
seen (a base's in-sample predictions are over-confident and would get all the weight). For the
evaluation rows, each base is refitted on all training rows. Nothing outside `train_rows` (and
its labels) is used to fit anything.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from bihar.settings import get_settings

log = logging.getLogger(__name__)

BaseModel = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
"""`fit_predict(train_rows, eval_rows, y_train)`: fit on `train_rows`, return P(positive) of
`eval_rows`."""


def log_odds(prob: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """log(p / (1 - p)), clipped so that probabilities of exactly 0 or 1 stay finite."""
    p = np.clip(np.asarray(prob, dtype=float), eps, 1 - eps)
    return np.log(p / (1 - p))


def out_of_fold(
    bases: Mapping[str, BaseModel], rows: np.ndarray, y: np.ndarray, folds: int, seed: int
) -> np.ndarray:
    """(len(rows), len(bases)) log-odds, each row scored by bases fitted without its fold."""
    rows, y = np.asarray(rows), np.asarray(y)
    out = np.zeros((len(rows), len(bases)))
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for fit_idx, held_idx in splitter.split(np.zeros(len(rows)), y):
        for j, base in enumerate(bases.values()):
            out[held_idx, j] = log_odds(base(rows[fit_idx], rows[held_idx], y[fit_idx]))
    return out


@dataclass
class StackResult:
    """P(positive) of the evaluation rows and the meta-model's weight of each base."""

    prob: np.ndarray
    weights: dict[str, float]
    intercept: float


def stack_fit_predict(
    bases: Mapping[str, BaseModel],
    train_rows: np.ndarray,
    y_train: np.ndarray,
    eval_rows: np.ndarray,
    folds: int = 5,
    C: float = 1.0,
    seed: int | None = None,
) -> StackResult:
    """Fit the bases and the meta-model on `train_rows`; predict `eval_rows`."""
    if not bases:
        raise ValueError("stacking needs at least one base model")
    seed = get_settings().seed if seed is None else seed
    train_rows, eval_rows, y_train = map(np.asarray, (train_rows, eval_rows, y_train))
    if len(train_rows) != len(y_train):
        raise ValueError(f"{len(train_rows)} training rows but {len(y_train)} labels")
    scored = [base_log_odds(b, train_rows, y_train, eval_rows, folds, seed) for b in bases.values()]
    oof, full = (np.column_stack(columns) for columns in zip(*scored, strict=True))
    return meta_fit_predict(oof, full, y_train, list(bases), C)


def meta_fit_predict(
    oof: np.ndarray, full: np.ndarray, y_train: np.ndarray, names: list[str], C: float = 1.0
) -> StackResult:
    """The meta-model alone: a logistic regression fitted on the training rows' out-of-fold
    log-odds `oof` (one column per base, in the order of `names`), applied to `full`, the
    evaluation rows' log-odds from bases refitted on all training rows."""
    oof, full = np.atleast_2d(oof), np.atleast_2d(full)
    if oof.shape[1] != len(names) or full.shape[1] != len(names):
        raise ValueError(f"{len(names)} bases but {oof.shape[1]} / {full.shape[1]} columns")
    meta = LogisticRegression(C=C, max_iter=1000).fit(oof, y_train)
    weights = dict(zip(names, meta.coef_[0].round(4).tolist(), strict=True))
    log.info("stacking weights %s", weights)
    return StackResult(meta.predict_proba(full)[:, 1], weights, float(meta.intercept_[0]))


def base_log_odds(
    base: BaseModel,
    train_rows: np.ndarray,
    y_train: np.ndarray,
    eval_rows: np.ndarray,
    folds: int = 5,
    seed: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """One base's inputs to the meta-model: out-of-fold log-odds of `train_rows` (the same
    stratified folds as `stack_fit_predict`) and log-odds of `eval_rows` from the base refitted
    on all training rows. Computed once per base, they let many sets of bases be stacked with
    `meta_fit_predict` without refitting any base (`stack_fit_predict` is exactly that)."""
    seed = get_settings().seed if seed is None else seed
    train_rows, eval_rows, y_train = map(np.asarray, (train_rows, eval_rows, y_train))
    oof = out_of_fold({"base": base}, train_rows, y_train, folds, seed)[:, 0]
    return oof, log_odds(base(train_rows, eval_rows, y_train))
