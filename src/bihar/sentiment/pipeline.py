"""The shipped review classifier: preprocessing, n-gram vectorizers, naive-Bayes ratios and the
logistic regression, fitted together and applied to raw review texts.

The same object is fitted inside every cross-validation fold of the selection and on train +
validation by `bihar sentiment train`, so the figures of the selection describe what ships.
Texts are cut to `MAX_CHARS` characters before anything else (bounded time and memory for any
input) and scored in chunks of `CHUNK` reviews (bounded memory for any number of reviews).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from bihar.sentiment.baselines import make_classifier, make_vectorizer, nb_log_ratio
from bihar.sentiment.model_config import ReviewModelConfig
from bihar.sentiment.preprocessing import Preprocessor, clean

log = logging.getLogger(__name__)

#: Longest text read, in characters (Allociné reviews are far shorter); the rest is ignored.
MAX_CHARS = 20_000
CHUNK = 1_000


@dataclass(frozen=True)
class Prepared:
    """Per-document representations: preprocessed space-joined tokens and cleaned lower text."""

    joined: list[str]
    raw: list[str]

    def take(self, rows: Sequence[int] | np.ndarray) -> Prepared:
        return Prepared([self.joined[i] for i in rows], [self.raw[i] for i in rows])


def prepare(texts: Sequence[str], config: ReviewModelConfig) -> Prepared:
    """The inputs of the vectorizers for `texts` (each cut to `MAX_CHARS`)."""
    cut = [t[:MAX_CHARS] for t in texts]
    joined = Preprocessor(config.preprocessing.config()).joined(cut)
    return Prepared(joined, [clean(t).lower() for t in cut])


def _word_kind(kind: str) -> str | None:
    words = {"bow_word": "bow_word", "tfidf_word": "tfidf_word", "tfidf_word+char": "tfidf_word"}
    return words.get(kind.removeprefix("nb-"))


def _char_kind(kind: str) -> str | None:
    return "tfidf_char" if kind.removeprefix("nb-") in ("tfidf_char", "tfidf_word+char") else None


@dataclass
class ReviewPipeline:
    """A fitted pipeline of `config`; `predict_proba(texts)` gives P(positive) per review."""

    config: ReviewModelConfig
    word: Any = None
    char: Any = None
    nb_ratio: np.ndarray | None = None
    classifier: Any = None

    @classmethod
    def fit(
        cls, texts: Sequence[str], labels: Sequence[int], config: ReviewModelConfig
    ) -> ReviewPipeline:
        return cls.fit_prepared(prepare(texts, config), np.asarray(labels), config)

    @classmethod
    def fit_prepared(
        cls, prepared: Prepared, y: np.ndarray, config: ReviewModelConfig
    ) -> ReviewPipeline:
        """Fit on already prepared documents (the selection prepares each review once)."""
        y = np.asarray(y)
        if len(set(y.tolist())) != 2:
            raise ValueError("training needs reviews of both classes")
        pipe = cls(config)
        blocks = []
        if (kind := _word_kind(config.features)) is not None:
            pipe.word = make_vectorizer(kind, config.min_df, config.max_features)
            blocks.append(pipe.word.fit_transform(prepared.joined))
        if (kind := _char_kind(config.features)) is not None:
            pipe.char = make_vectorizer(kind, config.min_df, config.max_features)
            blocks.append(pipe.char.fit_transform(prepared.raw))
        X = sp.hstack(blocks).tocsr()
        if config.features.startswith("nb-"):
            pipe.nb_ratio = nb_log_ratio(X, y)
            X = (X @ sp.diags(pipe.nb_ratio)).tocsr()
        pipe.classifier = make_classifier(config.classifier, config.C, config.seed).fit(X, y)
        return pipe

    def transform(self, prepared: Prepared) -> sp.csr_matrix:
        blocks = []
        if self.word is not None:
            blocks.append(self.word.transform(prepared.joined))
        if self.char is not None:
            blocks.append(self.char.transform(prepared.raw))
        X = sp.hstack(blocks).tocsr()
        if self.nb_ratio is not None:
            X = (X @ sp.diags(self.nb_ratio)).tocsr()
        return X

    def predict_proba_prepared(self, prepared: Prepared) -> np.ndarray:
        if not prepared.joined:
            return np.zeros(0)
        return self.classifier.predict_proba(self.transform(prepared))[:, 1]

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """P(positive) of each text, computed `CHUNK` reviews at a time."""
        out = [
            self.predict_proba_prepared(prepare(texts[i : i + CHUNK], self.config))
            for i in range(0, len(texts), CHUNK)
        ]
        return np.concatenate(out) if out else np.zeros(0)

    @property
    def n_features(self) -> int:
        return int(self.classifier.coef_.shape[1])
