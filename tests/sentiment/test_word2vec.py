from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gensim.models import KeyedVectors

from bihar.sentiment.word2vec import (
    WordVectorsError,
    average_vectors,
    coverage,
    embedding_matrix,
    load_fauconnier,
    train_word2vec,
)


@pytest.fixture
def tiny_bin(tmp_path: Path) -> Path:
    """A 4-word, 3-dimension model in Fauconnier's format: word2vec binary."""
    kv = KeyedVectors(vector_size=3)
    kv.add_vectors(
        ["film", "bon", "mauvais", "émouvant"], np.arange(12, dtype=np.float32).reshape(4, 3)
    )
    path = tmp_path / "frWac_tiny.bin"
    kv.save_word2vec_format(str(path), binary=True)
    return path


def test_load_fauconnier_reads_word2vec_binary(tiny_bin: Path) -> None:
    kv = load_fauconnier(tiny_bin)
    assert kv.vector_size == 3 and len(kv) == 4
    np.testing.assert_allclose(kv["émouvant"], [9, 10, 11])
    assert len(load_fauconnier(tiny_bin, limit=2)) == 2


def test_load_fauconnier_errors(tmp_path: Path) -> None:
    with pytest.raises(WordVectorsError, match="does not exist"):
        load_fauconnier(tmp_path / "frWac.bin")
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"not a header\x00\x01")
    with pytest.raises(WordVectorsError, match="not a word2vec binary"):
        load_fauconnier(bad)


def test_coverage_average_and_embedding_matrix(tiny_bin: Path) -> None:
    kv = load_fauconnier(tiny_bin)
    docs = [["film", "bon", "zzz"], ["zzz"], []]
    cov = coverage(docs, kv)
    assert (cov.types, cov.oov_types, cov.tokens, cov.oov_tokens) == (3, 1, 4, 2)
    assert cov.oov_token_rate == 0.5
    avg = average_vectors(docs, kv)
    np.testing.assert_allclose(avg[0], [1.5, 2.5, 3.5])
    assert not avg[1].any() and not avg[2].any()
    matrix, found = embedding_matrix(["<pad>", "<unk>", "bon", "zzz"], kv, seed=0)
    assert matrix.shape == (4, 3) and not matrix[0].any()
    np.testing.assert_allclose(matrix[2], kv["bon"])
    assert found == 0.5


def test_train_word2vec_learns_cooccurrences() -> None:
    from bihar.sentiment.word2vec import Word2VecParams

    sentences = [["le", "film", "est", "bon"], ["le", "film", "est", "mauvais"]] * 50
    kv = train_word2vec(sentences, Word2VecParams(vector_size=8, min_count=1, epochs=2, workers=1))
    assert {"film", "bon", "mauvais"} <= set(kv.key_to_index) and kv.vector_size == 8


def test_single_worker_training_is_reproducible() -> None:
    from bihar.sentiment.word2vec import Word2VecParams

    sentences = [["le", "film", "est", "bon"], ["le", "jeu", "est", "mauvais"]] * 20
    params = Word2VecParams(vector_size=8, min_count=1, epochs=2, workers=1)
    a = train_word2vec(sentences, params, seed=3)
    b = train_word2vec(sentences, params, seed=3)
    np.testing.assert_array_equal(a["film"], b["film"])


def test_load_spacy_vectors_reads_a_saved_pipeline(tmp_path: Path) -> None:
    import spacy

    from bihar.sentiment.word2vec import load_spacy_vectors

    nlp = spacy.blank("fr")
    nlp.vocab.set_vector("bon", np.array([1.0, 2.0], dtype=np.float32))
    nlp.vocab.set_vector("nul", np.array([-1.0, 0.5], dtype=np.float32))
    nlp.to_disk(tmp_path / "pipe")
    kv = load_spacy_vectors(["bon", "nul", "inconnu", "bon"], tmp_path / "pipe")
    assert sorted(kv.key_to_index) == ["bon", "nul"] and kv.vector_size == 2
    np.testing.assert_allclose(kv["nul"], [-1.0, 0.5])
    assert len(load_spacy_vectors([], tmp_path / "pipe")) == 0


def test_load_spacy_vectors_errors(tmp_path: Path) -> None:
    from bihar.sentiment.word2vec import load_spacy_vectors

    with pytest.raises(WordVectorsError, match="not installed"):
        load_spacy_vectors(["bon"], "fr_no_such_pipeline_xyz")
    (tmp_path / "empty").mkdir()
    with pytest.raises(WordVectorsError, match="no spaCy vectors"):
        load_spacy_vectors(["bon"], tmp_path / "empty")
