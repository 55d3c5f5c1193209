"""Bag-of-words and TF-IDF baselines (word and character n-grams) × linear classifiers, tuned on
the validation split. Everything stays sparse, so the same code runs on the 200k reviews.

`nb-tfidf_word+char` is the TF-IDF word+char matrix with each column scaled by its naive-Bayes
log-count ratio (Wang & Manning 2012, "NBSVM"), estimated on the training labels only."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import ComplementNB
from sklearn.svm import LinearSVC

from bihar.settings import get_settings

log = logging.getLogger(__name__)

FEATURES = ("bow_word", "tfidf_word", "tfidf_char", "tfidf_word+char", "nb-tfidf_word+char")
CLASSIFIERS = ("logreg", "linear_svm", "naive_bayes")
NB_WEIGHTED = "nb-tfidf_word+char"
GRIDS: dict[str, Sequence[float]] = {
    "logreg": (0.3, 1.0, 3.0, 10.0, 30.0, 100.0),
    "linear_svm": (0.03, 0.1, 0.3, 1.0),
    "naive_bayes": (0.1, 0.3, 1.0),
}


def _identity(text: str) -> list[str]:
    return text.split()


def make_vectorizer(kind: str, min_df: int = 2, max_features: int | None = 200_000):
    """Word features read already preprocessed, space-joined tokens; char features read the
    cleaned, lower-cased text (char_wb n-grams 2-5 inside word boundaries)."""
    if kind == "bow_word":
        return CountVectorizer(
            tokenizer=_identity, token_pattern=None, lowercase=False, ngram_range=(1, 2),
            min_df=min_df, max_features=max_features,
        )  # fmt: skip
    if kind == "tfidf_word":
        return TfidfVectorizer(
            tokenizer=_identity, token_pattern=None, lowercase=False, ngram_range=(1, 2),
            min_df=min_df, max_features=max_features, sublinear_tf=True,
        )  # fmt: skip
    if kind == "tfidf_char":
        return TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 5), min_df=min_df, max_features=max_features,
            sublinear_tf=True, lowercase=True,
        )  # fmt: skip
    raise ValueError(f"unknown feature kind {kind!r}; expected one of {FEATURES}")


def make_classifier(kind: str, value: float, seed: int):
    if kind == "logreg":
        return LogisticRegression(C=value, max_iter=2000, solver="liblinear", random_state=seed)
    if kind == "linear_svm":
        return LinearSVC(C=value, random_state=seed)
    if kind == "naive_bayes":
        return ComplementNB(alpha=value)
    raise ValueError(f"unknown classifier {kind!r}; expected one of {CLASSIFIERS}")


def classifiers_for(kind: str) -> tuple[str, ...]:
    """Complement naive Bayes needs non-negative features; NB-weighted columns can be negative."""
    return ("logreg", "linear_svm") if kind == NB_WEIGHTED else CLASSIFIERS


def nb_log_ratio(X: sp.spmatrix, y: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """Naive-Bayes log-count ratio r = log((p/|p|1) / (q/|q|1)) per feature, with p (q) = alpha +
    the number of positive (negative) training documents containing the feature."""
    y = np.asarray(y)
    if X.shape[0] != len(y):
        raise ValueError(f"{X.shape[0]} rows but {len(y)} labels")
    present = (X > 0).astype(np.float64)
    p = alpha + np.asarray(present[y == 1].sum(axis=0)).ravel()
    q = alpha + np.asarray(present[y == 0].sum(axis=0)).ravel()
    return np.log(p / p.sum()) - np.log(q / q.sum())


def scores(model, X) -> np.ndarray:  # type: ignore[no-untyped-def]
    """A ranking score for ROC-AUC: P(positive) when available, else the decision function."""
    if hasattr(model, "predict_proba"):
        return model.predict_proba(X)[:, 1]
    return model.decision_function(X)


@dataclass
class Features:
    """Fitted vectorizer(s) and the train / validation / test matrices of one feature kind."""

    kind: str
    train: sp.csr_matrix
    validation: sp.csr_matrix
    test: sp.csr_matrix
    vectorizers: list = field(default_factory=list)
    nb_ratio: np.ndarray | None = None

    @property
    def n_features(self) -> int:
        return int(self.train.shape[1])

    def transform(self, joined: list[str], raw: list[str]) -> sp.csr_matrix:
        """Features of new reviews (space-joined tokens `joined`, cleaned texts `raw`) from the
        vectorizers and NB ratios fitted on train."""
        blocks = [v.transform(raw if v.analyzer == "char_wb" else joined) for v in self.vectorizers]
        X = sp.hstack(blocks).tocsr()
        return (X @ sp.diags(self.nb_ratio)).tocsr() if self.nb_ratio is not None else X


def build_features(
    kind: str,
    tokens: dict[str, list[str]],
    raw: dict[str, list[str]],
    min_df: int = 2,
    y_train: np.ndarray | None = None,
) -> Features:
    """Fit on train only, transform validation and test (no leakage).

    `tokens` maps split → preprocessed space-joined texts, `raw` split → cleaned texts;
    `y_train` (training labels) is needed only by the NB-weighted kind.
    """
    if kind.startswith("nb-"):  # NB_WEIGHTED, or "nb-" + any other kind
        if y_train is None:
            raise ValueError(f"{kind!r} features need the training labels (y_train)")
        base = build_features(kind.removeprefix("nb-"), tokens, raw, min_df)
        ratio = nb_log_ratio(base.train, y_train)
        r = sp.diags(ratio)
        scaled = {s: (getattr(base, s) @ r).tocsr() for s in _SPLITS}
        return Features(kind, **scaled, vectorizers=base.vectorizers, nb_ratio=ratio)
    if kind == "tfidf_word+char":
        word = build_features("tfidf_word", tokens, raw, min_df)
        char = build_features("tfidf_char", tokens, raw, min_df)
        stack = {s: sp.hstack([getattr(word, s), getattr(char, s)]).tocsr() for s in _SPLITS}
        return Features(kind, **stack, vectorizers=word.vectorizers + char.vectorizers)
    source = raw if kind == "tfidf_char" else tokens
    vec = make_vectorizer(kind, min_df=min_df)
    train = vec.fit_transform(source["train"]).tocsr()

    def transform(texts: list[str]) -> sp.csr_matrix:
        if not len(texts):  # e.g. no validation split once train and validation are merged
            return sp.csr_matrix((0, train.shape[1]))
        return vec.transform(texts).tocsr()

    return Features(kind, train, transform(source["validation"]), transform(source["test"]), [vec])


_SPLITS = ("train", "validation", "test")


@dataclass
class TunedModel:
    features: str
    classifier: str
    param: float
    val_accuracy: float
    model: object
    fit_seconds: float
    grid: dict[float, float]

    @property
    def name(self) -> str:
        return f"{self.features} + {self.classifier}"


def tune(
    features: Features, classifier: str, y_train: np.ndarray, y_val: np.ndarray,
    seed: int | None = None,
) -> TunedModel:  # fmt: skip
    """Fit each value of the classifier's grid on train; keep the best validation accuracy."""
    seed = get_settings().seed if seed is None else seed
    best: TunedModel | None = None
    grid: dict[float, float] = {}
    for value in GRIDS[classifier]:
        start = time.perf_counter()
        model = make_classifier(classifier, value, seed).fit(features.train, y_train)
        seconds = time.perf_counter() - start
        acc = float((model.predict(features.validation) == y_val).mean())
        grid[value] = acc
        if best is None or acc > best.val_accuracy:
            best = TunedModel(features.kind, classifier, value, acc, model, seconds, grid)
    assert best is not None
    best.grid = grid
    log.info("%s: best %s=%s val acc %.4f", best.name, classifier, best.param, best.val_accuracy)
    return best
