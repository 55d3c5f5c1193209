from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bihar.sentiment.baselines import build_features, make_vectorizer, nb_log_ratio, tune
from bihar.sentiment.error_analysis import flag_reviews, hypothesis_table
from bihar.sentiment.evaluation import evaluate
from bihar.sentiment.preprocessing import PreprocessConfig, Preprocessor, clean
from bihar.sentiment.report import track, write_report


def test_metrics_match_a_hand_computed_case() -> None:
    m = evaluate(np.array([1, 1, 0, 0]), np.array([1, 0, 0, 0]), np.array([0.9, 0.4, 0.3, 0.1]))
    assert m.accuracy == 0.75 and m.precision == 1.0 and m.recall == 0.5
    assert m.f1 == pytest.approx(2 / 3) and m.roc_auc == 1.0
    assert m.confusion == ((2, 0), (1, 1))
    assert m.as_dict("test_")["test_accuracy"] == 0.75
    with pytest.raises(ValueError, match="same length"):
        evaluate(np.array([1]), np.array([1, 0]), np.array([0.5]))


@pytest.mark.parametrize("kind", ["bow_word", "tfidf_word", "tfidf_char", "tfidf_word+char"])
def test_features_are_fitted_on_train_only(reviews: pd.DataFrame, kind: str) -> None:
    pre = Preprocessor(PreprocessConfig(tokenizer="regex"))
    texts = reviews["text"].tolist()
    splits = {"train": texts[:8], "validation": texts[8:10], "test": ["zorglub zorglub"]}
    tokens = {k: pre.joined(v) for k, v in splits.items()}
    raw = {k: [clean(t).lower() for t in v] for k, v in splits.items()}
    feats = build_features(kind, tokens, raw, min_df=1)
    assert feats.train.shape[0] == 8 and feats.test.shape[1] == feats.n_features
    if kind in {"bow_word", "tfidf_word"}:
        assert feats.test.nnz == 0  # a test-only word has no column: no leakage
    with pytest.raises(ValueError, match="unknown feature kind"):
        make_vectorizer("glove")


@pytest.mark.parametrize("classifier", ["logreg", "linear_svm", "naive_bayes"])
def test_tuned_classifiers_separate_obvious_reviews(reviews: pd.DataFrame, classifier: str) -> None:
    pre = Preprocessor(PreprocessConfig(tokenizer="regex"))
    tokens = {s: pre.joined(reviews["text"]) for s in ("train", "validation", "test")}
    feats = build_features("tfidf_word", tokens, tokens, min_df=1)
    y = reviews["label"].to_numpy()
    tuned = tune(feats, classifier, y, y, seed=0)
    assert tuned.val_accuracy == 1.0 and tuned.param in tuned.grid


def test_error_flags_and_hypothesis_table() -> None:
    texts = ["Pas mal mais trop long...", "Excellent film", "Nul"]
    tokens = [["pas", "mal", "mais", "trop", "long"], ["excellent", "film"], ["nul"]]
    flags = flag_reviews(texts, tokens, train_vocab={"excellent", "film", "nul"})
    assert flags["negation"].tolist() == [True, False, False]
    assert flags["contrast (mixed review)"].tolist() == [True, False, False]
    assert flags["irony markers"].tolist() == [True, False, False]
    assert flags["rare words (> 10 % unseen)"].tolist() == [True, False, False]
    table = hypothesis_table(flags, np.array([True, False, False])).set_index("hypothesis")
    assert table.loc["negation", "share among errors"] == 1.0
    assert table.loc["negation", "error rate without flag"] == 0.0


def test_report_and_mlflow_run(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    import mlflow

    path = write_report({"best": {"test_accuracy": 0.9}}, tmp_path / "r" / "sentiment.json")
    assert json.loads(path.read_text())["best"]["test_accuracy"] == 0.9
    run_id = track("unit", {"model": "x"}, {"acc": 0.5}, curve=[{"epoch": 1, "val_loss": 0.7}])
    run = mlflow.get_run(run_id)
    assert run.data.params["model"] == "x" and run.data.metrics["acc"] == 0.5


def test_models_are_chosen_without_the_test_reviews_and_scored_on_them_once(allocine_dir) -> None:  # type: ignore[no-untyped-def]
    from bihar.sentiment.allocine import load_offline
    from bihar.sentiment.experiments import baseline_grid, score_on_test

    splits = load_offline(allocine_dir, seed=0)
    dev = splits.without_test()
    assert dev.test.empty and list(dev.test.columns) == ["text", "label"]
    config = PreprocessConfig(tokenizer="regex")
    outcomes, _, _ = baseline_grid(dev, config)
    best = {o.family: o for o in outcomes}
    table, metrics, scored = score_on_test(best, splits.test)
    assert set(table.index) == {"bag of words", "TF-IDF"}
    for family, row in table.iterrows():
        assert row["95 % low"] <= row["test_accuracy"] <= row["95 % high"]
        assert metrics[family].accuracy == row["test_accuracy"]
        assert scored[family].shape == (3,)
    # the predictor of a sparse model scores a review as its own feature matrix does
    nb = next(o for o in outcomes if o.params["features"] == "nb-tfidf_word+char")
    pred, _ = nb.predict(dev.validation["text"].tolist())
    assert float((pred == dev.validation["label"].to_numpy()).mean()) == nb.val_accuracy


def test_nb_log_ratio_signs_and_nb_weighted_features(reviews: pd.DataFrame) -> None:
    import scipy.sparse as sp

    X = sp.csr_matrix(np.array([[1, 0, 1], [2, 0, 1], [0, 3, 1], [0, 1, 1]]))
    r = nb_log_ratio(X, np.array([1, 1, 0, 0]))
    assert r[0] > 0 > r[1] and r[2] == pytest.approx(0.0)  # positive-only, negative-only, both
    with pytest.raises(ValueError, match="labels"):
        nb_log_ratio(X, np.array([1, 0]))

    pre = Preprocessor(PreprocessConfig(tokenizer="regex"))
    tokens = {s: pre.joined(reviews["text"]) for s in ("train", "validation", "test")}
    y = reviews["label"].to_numpy()
    with pytest.raises(ValueError, match="training labels"):
        build_features("nb-tfidf_word+char", tokens, tokens, min_df=1)
    nb = build_features("nb-tfidf_word+char", tokens, tokens, min_df=1, y_train=y)
    plain = build_features("tfidf_word+char", tokens, tokens, min_df=1)
    assert nb.train.shape == plain.train.shape
    column = plain.vectorizers[0].vocabulary_["nul"]  # a word of negative reviews only
    assert (nb.train[:, column].toarray() <= 0).all() and nb.train[:, column].min() < 0
    tuned = tune(nb, "logreg", y, y, seed=0)
    assert tuned.val_accuracy == 1.0


def test_cross_validation_uses_train_and_validation_only(allocine_dir) -> None:  # type: ignore[no-untyped-def]
    from bihar.sentiment.allocine import load_offline
    from bihar.sentiment.experiments import cross_validate_sparse

    splits = load_offline(allocine_dir, seed=0)
    config = PreprocessConfig(tokenizer="regex")
    cv = cross_validate_sparse(
        splits, config, [("nb-tfidf_word+char", "logreg", 10.0), ("tfidf_word", "linear_svm", 1.0)],
        folds=3,
    )  # fmt: skip
    assert len(cv) == 6 and set(cv["fold"]) == {0, 1, 2}
    assert cv["accuracy"].between(0, 1).all()
