from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from bihar.sentiment.lstm import (
    LSTMClassifier,
    LSTMConfig,
    Vocabulary,
    predict_proba,
    train_lstm,
)
from bihar.sentiment.preprocessing import PreprocessConfig, Preprocessor


@pytest.fixture(autouse=True)
def _one_thread():  # type: ignore[no-untyped-def]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def encoded(reviews: pd.DataFrame):  # type: ignore[no-untyped-def]
    tokens = Preprocessor(PreprocessConfig(tokenizer="regex")).batch(reviews["text"])
    vocab = Vocabulary.build(tokens, min_count=1)
    return vocab, vocab.encode(tokens, max_len=12), reviews["label"].to_numpy()


def test_vocabulary_encodes_unknown_truncates_and_handles_empty() -> None:
    vocab = Vocabulary.build([["bon", "film"], ["bon"]], min_count=1)
    assert vocab.itos[:3] == ["<pad>", "<unk>", "bon"]
    assert vocab.encode([["bon", "inconnu", "film"], []], max_len=2) == [[2, 1], [1]]


@pytest.mark.parametrize(
    "config",
    [
        LSTMConfig("one", hidden=8, embedding_dim=8),
        LSTMConfig("stacked-max", hidden=8, embedding_dim=8, layers=2, pooling="max"),
        LSTMConfig(
            "bi-attention",
            hidden=8,
            embedding_dim=8,
            bidirectional=True,
            pooling="attention",
            optimizer="rmsprop",
        ),
    ],
    ids=lambda c: c.name,
)
def test_a_few_training_steps_fit_a_handful_of_reviews(encoded, config: LSTMConfig) -> None:  # type: ignore[no-untyped-def]
    vocab, ids, y = encoded
    config = LSTMConfig(**{**config.__dict__, "max_epochs": 12, "patience": 12, "lr": 2e-2,
                           "batch_size": 4, "dropout": 0.0})  # fmt: skip
    result = train_lstm(config, len(vocab), (ids, y), (ids, y), seed=0)
    losses = [h["train_loss"] for h in result.history]
    assert losses[-1] < losses[0] * 0.5
    assert result.best_val_accuracy == 1.0
    probs = predict_proba(result.model, ids)
    assert probs.shape == (len(y),) and ((probs > 0.5) == y).all()


def test_frozen_pretrained_embeddings_do_not_move(encoded) -> None:  # type: ignore[no-untyped-def]
    vocab, ids, y = encoded
    matrix = np.random.default_rng(0).normal(size=(len(vocab), 6)).astype(np.float32)
    config = LSTMConfig("frozen", hidden=4, freeze=True, max_epochs=2, optimizer="sgd", lr=0.1)
    result = train_lstm(config, len(vocab), (ids, y), (ids, y), embeddings=matrix, seed=0)
    np.testing.assert_allclose(result.model.embedding.weight.detach().numpy(), matrix)
    assert result.n_parameters < sum(p.numel() for p in result.model.parameters())


def test_padding_does_not_change_the_prediction() -> None:
    torch.manual_seed(0)
    for pooling in ("last", "max", "attention"):
        model = LSTMClassifier(10, LSTMConfig("p", hidden=4, embedding_dim=4, pooling=pooling,
                                              bidirectional=True)).eval()  # fmt: skip
        short = model(torch.tensor([[3, 4, 5]]), torch.tensor([3]))
        padded = model(torch.tensor([[3, 4, 5, 0, 0]]), torch.tensor([3]))
        torch.testing.assert_close(short, padded)
