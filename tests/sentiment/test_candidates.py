from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bihar.sentiment import candidates as cand
from bihar.sentiment.preprocessing import PreprocessConfig, Preprocessor


def test_mark_negation_marks_a_window_and_stops_at_punctuation() -> None:
    tokens = ["film", "pas", "bon", "du", "tout", "vraiment", "ne", "rien", "!", "drole"]
    assert cand.mark_negation(tokens, window=3) == [
        "film", "pas", "NOT_bon", "NOT_du", "NOT_tout", "vraiment", "ne", "rien", "!", "drole"
    ]  # fmt: skip
    assert cand.mark_negation([]) == []


def test_tail_keeps_the_end_of_the_review() -> None:
    assert cand.tail(list("abcdefghij"), share=0.3) == ["h", "i", "j"]
    assert cand.tail(["a"], share=0.1) == ["a"] and cand.tail([]) == []


def test_pooled_and_weighted_vectors(tiny_kv) -> None:
    docs = [["excellent", "nul", "inconnu"], ["inconnu"]]
    pooled = cand.pooled_vectors(docs, tiny_kv)
    assert pooled.shape == (2, 9)
    np.testing.assert_allclose(pooled[0, :3], [0, 0, 0], atol=1e-6)  # mean of +x and -x
    assert pooled[0, 3] == 1 and pooled[0, 6] == -1  # max and min along x
    np.testing.assert_allclose(pooled[1], 0)
    weighted = cand.weighted_vectors(docs, tiny_kv, lambda t: 3.0 if t == "excellent" else 1.0)
    np.testing.assert_allclose(weighted[0], [0.5, 0, 0], atol=1e-6)


def test_idf_and_sif_weights_favour_rare_words() -> None:
    docs = [["film", "nul"], ["film", "bon"], ["film"]]
    for weight in (cand.idf_weight(docs), cand.sif_weight(docs)):
        assert weight("nul") > weight("film")
        assert weight("jamais vu") >= weight("nul")


def test_negation_split_vectors_separates_negated_words(tiny_kv) -> None:
    out = cand.negation_split_vectors([["film", "pas", "excellent"], ["excellent"]], tiny_kv)
    np.testing.assert_allclose(out[0, :3], [0, 1, 0])  # film outside the scope
    np.testing.assert_allclose(out[0, 3:], [1, 0, 0])  # excellent negated
    np.testing.assert_allclose(out[1, 3:], 0)


def test_cluster_docs_groups_similar_words(tiny_kv) -> None:
    docs = [["excellent", "magnifique", "nul", "film", "inconnu"], ["superbe", "mauvais"]]
    out = cand.cluster_docs(docs, tiny_kv, k=2, seed=0)
    assert len(out[0]) == 4 and all(t.startswith("c") for t in out[0])  # unknown word dropped
    assert out[0][0] == out[0][1] == out[1][0] != out[0][2] == out[1][1]
    with pytest.raises(ValueError, match="clusters"):
        cand.cluster_docs(docs, tiny_kv, k=50, seed=0)


def test_spacy_lemmas_mark_negation_up_to_punctuation() -> None:
    lemmas = cand.spacy_lemmas(["Ce film n'est pas bon. Très drôle !"])[0]
    assert "pas" in lemmas and "NOT_bon" in lemmas
    assert "drole" in lemmas and "!" in lemmas and "." not in lemmas


@pytest.fixture
def review_table(reviews: pd.DataFrame) -> tuple[list[list[str]], np.ndarray]:
    data = pd.concat([reviews] * 3, ignore_index=True)
    tokens = Preprocessor(PreprocessConfig(tokenizer="regex")).batch(data["text"])
    return tokens, data["label"].to_numpy()


def test_bases_fit_on_training_rows_and_score_others(review_table, tiny_kv) -> None:
    tokens, y = review_table
    train, rows = np.arange(24), np.arange(24, 36)
    X = cand.pooled_vectors(tokens, tiny_kv)
    bases = [
        cand.text_base(tokens, 10.0, 0),
        cand.text_base(tokens, 10.0, 0, char_texts=[" ".join(t) for t in tokens]),
        cand.dense_base(X, 1.0, 0),
        cand.dense_base(X, 1.0, 0, kernel="rbf"),
        cand.weighted_vectors_base(tokens, tiny_kv, "idf", 1.0, 0),
    ]
    for base in bases:
        prob = base(train, rows, y[train])
        assert prob.shape == (12,) and ((prob >= 0) & (prob <= 1)).all()
        assert ((prob > 0.5) == y[rows]).mean() >= 0.75
    # SIF removes the first singular direction, here the sentiment axis itself: shape only
    prob = cand.weighted_vectors_base(tokens, tiny_kv, "sif", 1.0, 0)(train, rows, y[train])
    assert prob.shape == (12,) and np.isfinite(prob).all()
    with pytest.raises(ValueError, match="weighting"):
        cand.weighted_vectors_base(tokens, tiny_kv, "tf", 1.0, 0)


def test_in_domain_vectors_base_runs(review_table) -> None:
    tokens, y = review_table
    prob = cand.in_domain_vectors_base(tokens, 1.0, 0)(np.arange(24), np.arange(24, 36), y[:24])
    assert prob.shape == (12,) and np.isfinite(prob).all()


def test_evaluation_settings_and_tuning() -> None:
    folds = [(np.array([0, 1]), np.array([2])), (np.array([1, 2]), np.array([0]))]
    settings = cand.evaluation_settings(2, 3, folds)
    assert list(settings) == ["validation", "fold 0", "fold 1"]
    np.testing.assert_array_equal(settings["validation"][1], [2])
    y = np.array([0, 1, 1])

    def make(value: float):
        return lambda train, rows, y_train: np.full(len(rows), value)

    best, accuracy = cand.tune_base(make, [0.2, 0.9, 0.8], y, settings)
    assert best == 0.9 and accuracy == {0.2: 0.0, 0.9: 1.0, 0.8: 1.0}


def test_compare_stacks_and_rule() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    settings = {"validation": (np.arange(100), np.arange(100, 200)),
                "fold 0": (np.arange(100, 200), np.arange(100))}  # fmt: skip
    signal = (2 * y - 1) * 2.0
    noisy = signal + rng.normal(0, 3, 200)
    predictions = {
        "good": {s: (signal[tr], signal[te]) for s, (tr, te) in settings.items()},
        "noisy": {s: (noisy[tr], noisy[te]) for s, (tr, te) in settings.items()},
    }
    cands = {"noisy": ["noisy"], "both": ["good", "noisy"]}
    table = cand.compare_stacks(predictions, cands, y, settings)
    assert set(table["setting"]) == {"validation", "fold 0"} and len(table) == 4
    summary = cand.apply_rule(table, "noisy")
    assert summary.loc["both", "validation"] == 1.0 and summary.loc["both", "passes rule"]
    assert not summary.loc["noisy", "passes rule"] and summary.loc["both", "folds better"] == 1


def test_candidate_sets_name_every_comparison() -> None:
    sets = cand.candidate_sets([cand.SPARSE, cand.VECTORS, "tail, NB-LR", "pooled"])
    assert sets["reference stack"] == [cand.SPARSE, cand.VECTORS]
    assert sets["pooled alone"] == ["pooled"]
    assert sets["reference + pooled"] == [cand.SPARSE, cand.VECTORS, "pooled"]
    assert sets[f"tail, NB-LR + {cand.VECTORS}"] == ["tail, NB-LR", cand.VECTORS]
    assert f"pooled + {cand.VECTORS}" not in sets
    assert sets["all bases"] == [cand.SPARSE, cand.VECTORS, "tail, NB-LR", "pooled"]


def test_track_study_records_every_candidate_and_the_final_test_metrics() -> None:
    import mlflow

    from bihar.sentiment import EXPERIMENT

    summary = pd.DataFrame(
        {"validation": [0.9, 0.8], "fold mean": [0.89, 0.88], "paired difference": [0.01, 0.0],
         "folds better": [3, 0], "passes rule": [True, False]},
        index=["all bases", "reference stack"],
    )  # fmt: skip
    sets = {"all bases": ["a", "b", "c"], "reference stack": ["a", "b"]}
    cand.track_study(summary, sets, "all bases", {"test_accuracy": 0.91}, {"test_accuracy": 0.92})
    runs = mlflow.search_runs(experiment_names=[EXPERIMENT]).set_index("tags.mlflow.runName")
    assert set(runs.index) == {
        "candidate-stack/all bases",
        "candidate-stack/reference stack",
        "candidate-stack-refit/all bases",
    }
    final = runs.loc["candidate-stack/all bases"]
    assert final["metrics.val_accuracy"] == 0.9 and final["metrics.test_accuracy"] == 0.91
    assert final["params.bases"] == "a, b, c" and final["params.passes_rule"] == "True"
    reference = runs.loc["candidate-stack/reference stack"]
    assert np.isnan(reference["metrics.test_accuracy"])  # no test figure for a candidate
    assert runs.loc["candidate-stack-refit/all bases", "metrics.test_accuracy"] == 0.92
