"""The notebook's experiment loops, each run tracked in MLflow (experiment `sentiment`):
preprocessing ablation, BoW/TF-IDF × classifier grid, averaged word vectors, LSTM grid, the
stack of the chosen sparse model with averaged pre-trained word vectors, and the one scoring of
the chosen models on the test reviews (`score_on_test`). Every model is fitted on train and
chosen on validation; none of the loops reads the test reviews."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from gensim.models import KeyedVectors
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from bihar.sentiment.allocine import AllocineSplits
from bihar.sentiment.baselines import (
    FEATURES,
    NB_WEIGHTED,
    Features,
    TunedModel,
    build_features,
    classifiers_for,
    make_classifier,
    scores,
    tune,
)
from bihar.sentiment.corpus import W2V_CONFIG
from bihar.sentiment.evaluation import Metrics, evaluate, wilson_interval
from bihar.sentiment.lstm import LSTMConfig, TrainResult, Vocabulary, predict_proba, train_lstm
from bihar.sentiment.pipeline import ReviewPipeline
from bihar.sentiment.preprocessing import PreprocessConfig, Preprocessor, clean
from bihar.sentiment.report import track
from bihar.sentiment.stacking import BaseModel, StackResult, stack_fit_predict
from bihar.sentiment.word2vec import average_vectors
from bihar.settings import get_settings

log = logging.getLogger(__name__)
SPLITS = ("train", "validation", "test")


def tokenize_splits(splits: AllocineSplits, config: PreprocessConfig) -> dict[str, list[list[str]]]:
    pre = Preprocessor(config)
    return {s: pre.batch(getattr(splits, s)["text"]) for s in SPLITS}


def labels(splits: AllocineSplits) -> dict[str, np.ndarray]:
    return {s: getattr(splits, s)["label"].to_numpy() for s in SPLITS}


def cleaned(splits: AllocineSplits) -> dict[str, list[str]]:
    return {s: [clean(t).lower() for t in getattr(splits, s)["text"]] for s in SPLITS}


def preprocessing_ablation(
    splits: AllocineSplits, configs: Sequence[PreprocessConfig], classifier: str = "logreg"
) -> pd.DataFrame:
    """Validation accuracy of TF-IDF word n-grams + a tuned classifier for each pipeline."""
    y = labels(splits)
    rows = []
    for config in configs:
        toks = tokenize_splits(splits, config)
        joined = {s: [" ".join(t) for t in toks[s]] for s in SPLITS}
        feats = build_features("tfidf_word", joined, joined)
        tuned = tune(feats, classifier, y["train"], y["validation"])
        row = {"pipeline": config.name, "val_accuracy": tuned.val_accuracy,
               "features": feats.n_features,
               "tokens_per_review": float(np.mean([len(t) for t in toks["train"]]))}  # fmt: skip
        track(f"preprocessing/{config.name}", {**asdict(config), "classifier": classifier,
              "C": tuned.param}, {"val_accuracy": tuned.val_accuracy})  # fmt: skip
        rows.append(row)
    return pd.DataFrame(rows)


Predictor = Callable[[Sequence[str]], tuple[np.ndarray, np.ndarray]]
"""`predict(texts) -> (labels 0/1, scores)`: scores are P(positive), or a decision function for
models without probabilities (both rank reviews for ROC-AUC)."""


@dataclass
class ModelOutcome:
    """A model fitted on the training split: its validation accuracy (every choice is made on
    it) and `predict`, which scores new reviews: the test reviews, once, at the very end."""

    name: str
    family: str
    val_accuracy: float
    predict: Predictor
    params: dict = field(default_factory=dict)

    def row(self) -> dict[str, object]:
        return {"model": self.name, "family": self.family, "val_accuracy": self.val_accuracy}


def sparse_predictor(features: Features, model: Any, config: PreprocessConfig) -> Predictor:
    """Scores of new reviews by a sparse model fitted on `features`' training matrix."""
    pre = Preprocessor(config)

    def predict(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        X = features.transform(pre.joined(texts), [clean(t).lower() for t in texts])
        return model.predict(X), scores(model, X)

    return predict


def baseline_grid(
    splits: AllocineSplits, config: PreprocessConfig
) -> tuple[list[ModelOutcome], dict[str, TunedModel], dict[str, Features]]:
    """Every feature kind × classifier, fitted on train and tuned on validation (the test
    reviews are not read: pass splits without them)."""
    y = labels(splits)
    toks = tokenize_splits(splits, config)
    joined = {s: [" ".join(t) for t in toks[s]] for s in SPLITS}
    raw = cleaned(splits)
    outcomes, tuned_models, all_features = [], {}, {}
    for kind in FEATURES:
        feats = build_features(kind, joined, raw, y_train=y["train"])
        all_features[kind] = feats
        for classifier in classifiers_for(kind):
            tuned = tune(feats, classifier, y["train"], y["validation"])
            family = "bag of words" if kind == "bow_word" else "TF-IDF"
            params = {"features": kind, "classifier": classifier, "param": tuned.param,
                      "n_features": feats.n_features, "preprocessing": config.name}  # fmt: skip
            predictor = sparse_predictor(feats, tuned.model, config)
            outcomes.append(ModelOutcome(tuned.name, family, tuned.val_accuracy, predictor, params))
            tuned_models[tuned.name] = tuned
            track(f"baseline/{tuned.name}", params, {"val_accuracy": tuned.val_accuracy})
    return outcomes, tuned_models, all_features


def standardise(train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    """`train` and `others` centred and scaled with the statistics of `train` only."""
    mean, std = train.mean(axis=0), train.std(axis=0) + 1e-6
    return [(x - mean) / std for x in (train, *others)]


def averaged_vectors_model(
    name: str, kv: KeyedVectors, tokens: dict[str, list[list[str]]], y: dict[str, np.ndarray]
) -> ModelOutcome:
    """Mean word vector per review + logistic regression (C tuned on validation). `tokens` are
    the sequence tokens (`corpus.W2V_CONFIG`) of train and validation."""
    train = average_vectors(tokens["train"], kv)
    mean, std = train.mean(axis=0), train.std(axis=0) + 1e-6
    x_train = (train - mean) / std
    x_val = (average_vectors(tokens["validation"], kv) - mean) / std
    seed = get_settings().seed
    best = None
    for C in (0.01, 0.03, 0.1, 0.3, 1.0, 3.0):
        model = LogisticRegression(C=C, max_iter=3000, random_state=seed).fit(x_train, y["train"])
        acc = float((model.predict(x_val) == y["validation"]).mean())
        if best is None or acc > best[0]:
            best = (acc, C, model)
    assert best is not None
    acc, C, model = best
    pre = Preprocessor(W2V_CONFIG)

    def predict(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        x = (average_vectors(pre.batch(texts), kv) - mean) / std
        return model.predict(x), model.predict_proba(x)[:, 1]

    params = {"vectors": name, "classifier": "logreg", "C": C, "dimensions": kv.vector_size}
    track(f"avg-w2v/{name}", params, {"val_accuracy": acc})
    return ModelOutcome(f"averaged {name} + logreg", "averaged word2vec", acc, predict, params)


def lstm_encoder(vocab: Vocabulary, max_len: int) -> Callable[[Sequence[str]], list[list[int]]]:
    """Raw reviews → token ids as the LSTMs read them (`corpus.W2V_CONFIG` tokens)."""
    pre = Preprocessor(W2V_CONFIG)
    return lambda texts: vocab.encode(pre.batch(texts), max_len=max_len)


def lstm_grid(
    configs: Sequence[LSTMConfig],
    vocab_size: int,
    encoded: dict[str, list[list[int]]],
    y: dict[str, np.ndarray],
    matrices: dict[str, np.ndarray],
    encode: Callable[[Sequence[str]], list[list[int]]],
) -> tuple[list[ModelOutcome], list[TrainResult]]:
    """Train each configuration on train with early stopping on validation (best weights
    kept); `encode` turns new reviews into the ids of `encoded`."""
    outcomes, results = [], []
    for config in configs:
        matrix = matrices.get(config.embeddings) if config.embeddings != "scratch" else None
        result = train_lstm(
            config, vocab_size, (encoded["train"], y["train"]),
            (encoded["validation"], y["validation"]), embeddings=matrix,
        )  # fmt: skip

        def predict(texts: Sequence[str], model=result.model) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
            prob = predict_proba(model, encode(texts))
            return (prob > 0.5).astype(int), prob

        summary = result.summary()
        track(f"lstm/{config.name}", summary, {"val_accuracy": result.best_val_accuracy},
              curve=result.history)  # fmt: skip
        outcomes.append(ModelOutcome(config.name, "LSTM", result.best_val_accuracy, predict,
                                     summary))  # fmt: skip
        results.append(result)
        log.info("%s: val %.3f", config.name, result.best_val_accuracy)
    return outcomes, results


def pipeline_predictor(pipeline: ReviewPipeline) -> Predictor:
    """The shipped pipeline (`pipeline.ReviewPipeline`) as a predictor."""

    def predict(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        prob = pipeline.predict_proba(list(texts))
        return (prob > 0.5).astype(int), prob

    return predict


def score_on_test(
    models: dict[str, ModelOutcome], test: pd.DataFrame
) -> tuple[pd.DataFrame, dict[str, Metrics], dict[str, np.ndarray]]:
    """Each model scored once on the test reviews: metrics with the accuracy's 95 % Wilson
    interval (a table), the metrics, and each model's scores. Logged as MLflow runs."""
    y = test["label"].to_numpy()
    texts = test["text"].tolist()
    rows, metrics, scored = [], {}, {}
    for label, outcome in models.items():
        pred, score = outcome.predict(texts)
        m = evaluate(y, pred, score)
        low, high = wilson_interval(int((pred == y).sum()), len(y))
        rows.append({"family": label, "model": outcome.name, "val_accuracy": outcome.val_accuracy,
                     "test_accuracy": m.accuracy, "95 % low": low, "95 % high": high,
                     "precision": m.precision, "recall": m.recall, "f1": m.f1,
                     "roc_auc": m.roc_auc})  # fmt: skip
        metrics[label], scored[label] = m, score
        track(f"test/{label}", {"model": outcome.name, **outcome.params}, m.as_dict("test_"))
    return pd.DataFrame(rows).set_index("family"), metrics, scored


def paired_folds(
    splits: AllocineSplits, folds: int
) -> tuple[pd.DataFrame, np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """Train + validation, its labels, and the stratified folds (settings' seed) that every
    cross-validation here uses, so models are compared fold by fold."""
    data = pd.concat([splits.train, splits.validation], ignore_index=True)
    y = data["label"].to_numpy()
    splitter = StratifiedKFold(folds, shuffle=True, random_state=get_settings().seed)
    return data, y, list(splitter.split(data["text"].tolist(), y))


def fit_sparse(
    joined: np.ndarray,
    raw: np.ndarray,
    train: np.ndarray,
    rows: np.ndarray,
    y_train: np.ndarray,
    kind: str,
    classifier: str,
    param: float,
    seed: int,
) -> tuple[Any, Any]:
    """A sparse pipeline (vectorizers, NB ratios, classifier) fitted on the documents `train`
    of `joined`/`raw` (object arrays); returns the classifier and the features of `rows`."""
    tok = {"train": joined[train].tolist(), "validation": joined[rows].tolist(), "test": []}
    cln = {"train": raw[train].tolist(), "validation": raw[rows].tolist(), "test": []}
    feats = build_features(kind, tok, cln, y_train=y_train)
    return make_classifier(classifier, param, seed).fit(feats.train, y_train), feats.validation


def cross_validate_sparse(
    splits: AllocineSplits,
    config: PreprocessConfig,
    candidates: Sequence[tuple[str, str, float]],
    folds: int = 5,
) -> pd.DataFrame:
    """Accuracy of each (features, classifier, C/alpha) on the same stratified folds of
    train + validation (the test file is not touched). Paired folds give a less noisy comparison
    of a few finalists than one 400-review validation split; everything is refitted per fold."""
    data, y, folds_rows = paired_folds(splits, folds)
    texts = data["text"].tolist()
    joined = np.array(Preprocessor(config).joined(texts), dtype=object)  # per-document: no leakage
    raw = np.array([clean(t).lower() for t in texts], dtype=object)
    seed = get_settings().seed
    rows = []
    for fold, (tr, te) in enumerate(folds_rows):
        for kind, classifier, param in candidates:
            model, x_te = fit_sparse(joined, raw, tr, te, y[tr], kind, classifier, param, seed)
            acc = float((model.predict(x_te) == y[te]).mean())
            rows.append({"fold": fold, "model": f"{kind} + {classifier}", "param": param,
                         "accuracy": acc})  # fmt: skip
    table = pd.DataFrame(rows)
    for (name, param), group in table.groupby(["model", "param"]):
        track(f"cv/{name}", {"param": param, "folds": folds, "data": "train+validation"},
              {"cv_accuracy": float(group["accuracy"].mean())})  # fmt: skip
    return table


@dataclass(frozen=True)
class StackSpec:
    """The stacked model: the chosen sparse pipeline and a logistic regression on averaged word
    vectors (each with the hyper-parameter chosen on validation), combined by a logistic
    regression on their out-of-fold log-odds."""

    kind: str = NB_WEIGHTED
    classifier: str = "logreg"
    param: float = 100.0
    vectors_c: float = 0.1
    folds: int = 5

    @property
    def name(self) -> str:
        return f"stack: {self.kind} + {self.classifier} & averaged fastText + logreg"


def sparse_base(
    joined: Sequence[str], raw: Sequence[str], kind: str, classifier: str, param: float, seed: int
) -> BaseModel:
    """A sparse pipeline as a stacking base: vectorizers, NB ratios and classifier are fitted
    on the training rows only at every call."""
    joined_arr, raw_arr = np.array(joined, dtype=object), np.array(raw, dtype=object)

    def fit_predict(train: np.ndarray, rows: np.ndarray, y_train: np.ndarray) -> np.ndarray:
        model, x_rows = fit_sparse(
            joined_arr, raw_arr, train, rows, y_train, kind, classifier, param, seed
        )
        if hasattr(model, "predict_proba"):
            return model.predict_proba(x_rows)[:, 1]
        return 1.0 / (1.0 + np.exp(-model.decision_function(x_rows)))

    return fit_predict


def standardised_logreg(
    x_train: np.ndarray, y_train: np.ndarray, x_rows: np.ndarray, C: float, seed: int
) -> np.ndarray:
    """P(positive) of `x_rows` from a logistic regression fitted on `x_train`, both standardised
    with the statistics of `x_train` only."""
    a, b = standardise(x_train, x_rows)
    model = LogisticRegression(C=C, max_iter=3000, random_state=seed).fit(a, y_train)
    return model.predict_proba(b)[:, 1]


def vectors_base(X: np.ndarray, C: float, seed: int) -> BaseModel:
    """Averaged word vectors (one row per document) → standardised with the training rows'
    statistics → logistic regression, as in `averaged_vectors_model`."""

    def fit_predict(train: np.ndarray, rows: np.ndarray, y_train: np.ndarray) -> np.ndarray:
        return standardised_logreg(X[train], y_train, X[rows], C, seed)

    return fit_predict


def stacked_fit_predict(
    train: pd.DataFrame,
    evaluation: pd.DataFrame,
    config: PreprocessConfig,
    kv: KeyedVectors,
    spec: StackSpec,
    seed: int | None = None,
) -> StackResult:
    """Fit the stack on the `train` reviews and predict the `evaluation` reviews (their labels
    are not read). Every text representation is per document, so nothing leaks."""
    seed = get_settings().seed if seed is None else seed
    texts = [*train["text"], *evaluation["text"]]
    joined = Preprocessor(config).joined(texts)
    raw = [clean(t).lower() for t in texts]
    vectors = average_vectors(Preprocessor(W2V_CONFIG).batch(texts), kv)
    bases = {
        f"{spec.kind} + {spec.classifier}": sparse_base(
            joined, raw, spec.kind, spec.classifier, spec.param, seed
        ),
        "averaged fastText + logreg": vectors_base(vectors, spec.vectors_c, seed),
    }
    n = len(train)
    return stack_fit_predict(
        bases, np.arange(n), train["label"].to_numpy(), np.arange(n, len(texts)),
        folds=spec.folds, seed=seed,
    )  # fmt: skip
