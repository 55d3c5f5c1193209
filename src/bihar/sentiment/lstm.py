"""LSTM review classifiers in PyTorch (CPU): vocabulary, encoding, architectures, training with
early stopping on validation loss, learning curves, probabilities.

Architectures: one layer or stacked, uni- or bidirectional, read out by the last hidden state,
max-pooling over time or additive attention. Embeddings learned from scratch or initialised
from word2vec, frozen or fine-tuned. Optimizers: Adam, RMSprop, SGD with momentum.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Literal

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from bihar.device import torch_device
from bihar.settings import get_settings

log = logging.getLogger(__name__)

PAD, UNK = "<pad>", "<unk>"
Pooling = Literal["last", "max", "attention"]
Optimizer = Literal["adam", "rmsprop", "sgd"]


@dataclass(frozen=True)
class Vocabulary:
    itos: list[str]

    @classmethod
    def build(cls, docs: Sequence[Sequence[str]], min_count: int = 2, max_size: int = 30_000):
        counts = Counter(t for doc in docs for t in doc)
        words = [w for w, n in counts.most_common(max_size) if n >= min_count]
        return cls([PAD, UNK, *words])

    def __len__(self) -> int:
        return len(self.itos)

    @property
    def stoi(self) -> dict[str, int]:
        return {w: i for i, w in enumerate(self.itos)}

    def encode(self, docs: Sequence[Sequence[str]], max_len: int = 200) -> list[list[int]]:
        """Token ids, truncated to the first `max_len` tokens; an empty review becomes [UNK]."""
        stoi = self.stoi
        return [[stoi.get(t, 1) for t in doc[:max_len]] or [1] for doc in docs]


@dataclass(frozen=True)
class LSTMConfig:
    name: str
    hidden: int = 64
    layers: int = 1
    bidirectional: bool = False
    pooling: Pooling = "last"
    embeddings: Literal["scratch", "corpus", "train", "fasttext"] = "scratch"
    freeze: bool = False
    optimizer: Optimizer = "adam"
    lr: float = 2e-3
    dropout: float = 0.3
    batch_size: int = 32
    max_epochs: int = 10
    patience: int = 2
    embedding_dim: int = 100


class LSTMClassifier(nn.Module):
    def __init__(
        self,
        vocab_size: int,
        config: LSTMConfig,
        embeddings: np.ndarray | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        dim = embeddings.shape[1] if embeddings is not None else config.embedding_dim
        self.embedding = nn.Embedding(vocab_size, dim, padding_idx=0)
        if embeddings is not None:
            self.embedding.weight.data.copy_(torch.from_numpy(embeddings))
        self.embedding.weight.requires_grad = not config.freeze
        self.lstm = nn.LSTM(
            dim,
            config.hidden,
            num_layers=config.layers,
            batch_first=True,
            bidirectional=config.bidirectional,
            dropout=config.dropout if config.layers > 1 else 0.0,
        )
        out = config.hidden * (2 if config.bidirectional else 1)
        self.attention = nn.Linear(out, 1) if config.pooling == "attention" else None
        self.dropout = nn.Dropout(config.dropout)
        self.head = nn.Linear(out, 1)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        x = self.dropout(self.embedding(ids))
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        output, (h_n, _) = self.lstm(packed)
        if self.config.pooling == "last":
            if self.config.bidirectional:
                features = torch.cat([h_n[-2], h_n[-1]], dim=1)
            else:
                features = h_n[-1]
        else:
            seq, _ = pad_packed_sequence(output, batch_first=True, total_length=ids.shape[1])
            mask = (ids != 0).unsqueeze(-1)
            if self.config.pooling == "max":
                features = seq.masked_fill(~mask, -1e4).max(dim=1).values
            else:
                assert self.attention is not None
                weights = self.attention(seq).masked_fill(~mask, -1e4).softmax(dim=1)
                features = (weights * seq).sum(dim=1)
        return self.head(self.dropout(features)).squeeze(-1)


def _batches(
    encoded: list[list[int]], labels: np.ndarray, batch_size: int, rng: np.random.Generator | None
):
    order = rng.permutation(len(encoded)) if rng is not None else np.arange(len(encoded))
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        lengths = torch.tensor([len(encoded[i]) for i in idx])
        ids = torch.zeros(len(idx), int(lengths.max()), dtype=torch.long)
        for row, i in enumerate(idx):
            ids[row, : len(encoded[i])] = torch.tensor(encoded[i])
        yield ids, lengths, torch.tensor(labels[idx], dtype=torch.float32)


def make_optimizer(model: nn.Module, config: LSTMConfig) -> torch.optim.Optimizer:
    params = [p for p in model.parameters() if p.requires_grad]
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=config.lr)
    if config.optimizer == "rmsprop":
        return torch.optim.RMSprop(params, lr=config.lr)
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=config.lr, momentum=0.9, nesterov=True)
    raise ValueError(f"unknown optimizer {config.optimizer!r}")


@dataclass
class TrainResult:
    config: LSTMConfig
    history: list[dict[str, float]]
    best_epoch: int
    best_val_loss: float
    best_val_accuracy: float
    seconds: float
    n_parameters: int
    model: LSTMClassifier = field(repr=False)

    def summary(self) -> dict[str, object]:
        row: dict[str, object] = {k: v for k, v in asdict(self.config).items()}
        row.update(
            best_epoch=self.best_epoch, epochs_run=len(self.history),
            val_loss=round(self.best_val_loss, 4), val_accuracy=round(self.best_val_accuracy, 4),
            seconds=round(self.seconds, 1), parameters=self.n_parameters,
        )  # fmt: skip
        return row


def evaluate_loss(
    model: LSTMClassifier, encoded: list[list[int]], labels: np.ndarray, batch_size: int = 128
) -> tuple[float, np.ndarray]:
    """Mean BCE loss and P(positive) of each review."""
    model.eval()
    device = next(model.parameters()).device
    loss_fn = nn.BCEWithLogitsLoss(reduction="sum")
    total, probs = 0.0, []
    with torch.no_grad():
        for ids, lengths, y in _batches(encoded, labels, batch_size, None):
            logits = model(ids.to(device), lengths)
            total += float(loss_fn(logits, y.to(device)))
            probs.append(torch.sigmoid(logits).cpu().numpy())
    return total / max(len(encoded), 1), np.concatenate(probs) if probs else np.zeros(0)


def predict_proba(model: LSTMClassifier, encoded: list[list[int]]) -> np.ndarray:
    return evaluate_loss(model, encoded, np.zeros(len(encoded)))[1]


def train_lstm(
    config: LSTMConfig,
    vocab_size: int,
    train: tuple[list[list[int]], np.ndarray],
    validation: tuple[list[list[int]], np.ndarray],
    embeddings: np.ndarray | None = None,
    seed: int | None = None,
) -> TrainResult:
    """Train on `bihar.device.torch_device()` with early stopping on validation loss; the
    returned model has the best weights, on the CPU."""
    seed = get_settings().seed if seed is None else seed
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    device = torch_device()
    model = LSTMClassifier(vocab_size, config, embeddings).to(device)
    optimizer = make_optimizer(model, config)
    loss_fn = nn.BCEWithLogitsLoss()
    history: list[dict[str, float]] = []
    best_loss, best_state, best_epoch, bad = float("inf"), None, 0, 0
    start = time.perf_counter()
    for epoch in range(1, config.max_epochs + 1):
        model.train()
        total, seen, correct = 0.0, 0, 0
        for ids, lengths, y in _batches(train[0], train[1], config.batch_size, rng):
            ids, y = ids.to(device), y.to(device)
            optimizer.zero_grad()
            logits = model(ids, lengths)
            loss = loss_fn(logits, y)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            total += loss.item() * len(y)
            seen += len(y)
            correct += int(((logits > 0).float() == y).sum())
        val_loss, val_prob = evaluate_loss(model, validation[0], validation[1])
        val_acc = float(((val_prob > 0.5).astype(int) == validation[1]).mean())
        history.append(
            {"epoch": epoch, "train_loss": total / seen, "train_accuracy": correct / seen,
             "val_loss": val_loss, "val_accuracy": val_acc}
        )  # fmt: skip
        log.info("%s epoch %d: %s", config.name, epoch, history[-1])
        if val_loss < best_loss - 1e-4:
            best_loss, best_epoch, bad = val_loss, epoch, 0
            best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
        else:
            bad += 1
            if bad >= config.patience:
                break
    assert best_state is not None
    model = model.cpu()  # the returned model predicts on the CPU, where callers keep their data
    model.load_state_dict(best_state)
    n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return TrainResult(
        config, history, best_epoch, best_loss,
        history[best_epoch - 1]["val_accuracy"], time.perf_counter() - start, n_params, model,
    )  # fmt: skip
