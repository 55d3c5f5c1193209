"""One training loop for every model: optimizer choice, LR schedule, early stopping, MLflow.

`train_classifier` trains on in-memory tensors (images N×3×S×S in [0, 1], or feature vectors),
evaluates on the validation set after each epoch, keeps the weights of the epoch with the lowest
validation loss, stops after `patience` epochs without improvement, and returns the per-epoch
history for the learning curves (also logged to the active MLflow run when asked).
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import torch
from torch import nn
from torch.nn import functional

from bihar.device import torch_device
from bihar.tracking import log_metrics
from bihar.vision.transforms import Normalizer, augment

log = logging.getLogger(__name__)

EXPERIMENT = "vision-field-images"
OptimizerName = Literal["adam", "rmsprop", "adagrad", "sgd"]

DEFAULT_LR: dict[str, float] = {"adam": 1e-3, "rmsprop": 1e-3, "adagrad": 1e-2, "sgd": 3e-2}


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings of one run (lr None → the optimizer's usual default)."""

    optimizer: OptimizerName = "adam"
    lr: float | None = None
    weight_decay: float = 1e-4
    epochs: int = 15
    batch_size: int = 64
    patience: int = 4
    schedule: Literal["plateau", "cosine", "none"] = "plateau"
    augment: bool = True
    class_weighted: bool = True
    seed: int = 42

    @property
    def learning_rate(self) -> float:
        return self.lr if self.lr is not None else DEFAULT_LR[self.optimizer]


@dataclass(frozen=True)
class CellTargets:
    """An auxiliary per-cell loss: `weight` × binary cross-entropy of the model's cell logits
    against `train` (N×C×H×W fractions in [0, 1], one map per training input, in its order).

    The model must have `forward_with_cells(x) -> (class logits, cell logits)` (e.g.
    `native.CellSupervisedTop`). Validation loss, early stopping and the learning curves stay
    on the class loss alone, so runs with and without cells are chosen the same way.
    """

    train: torch.Tensor
    weight: float = 10.0


@dataclass
class History:
    """Per-epoch curves; `best_epoch` (0-based) is the epoch whose weights were kept."""

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    best_epoch: int = 0
    seconds: float = 0.0

    @property
    def best_val_loss(self) -> float:
        return self.val_loss[self.best_epoch]

    @property
    def best_val_acc(self) -> float:
        return self.val_acc[self.best_epoch]


def make_optimizer(
    name: OptimizerName, params: Any, lr: float, weight_decay: float
) -> torch.optim.Optimizer:
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, weight_decay=weight_decay)
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, weight_decay=weight_decay)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=weight_decay)
    raise ValueError(f"unknown optimizer {name!r}")


def class_weights(labels: torch.Tensor, n_classes: int) -> torch.Tensor:
    """Inverse-frequency weights (mean 1 over the samples): every class weighs the same."""
    counts = torch.bincount(labels, minlength=n_classes).float().clamp_min(1)
    return counts.sum() / (n_classes * counts)


def _prepare(x: torch.Tensor, normalizer: Normalizer | None, device: torch.device) -> torch.Tensor:
    """Normalised inputs on `device`; image batches (and trunk activations) in channels-last
    layout, in which a CPU training step runs 1.5–1.6× faster than in the default layout (with
    the allocator tuned by `bihar.cpu`; `make bench-vision-training`)."""
    x = x.to(device)
    x = normalizer(x) if normalizer is not None else x
    return x.contiguous(memory_format=torch.channels_last) if x.ndim == 4 else x


@torch.no_grad()
def predict_logits(
    model: nn.Module,
    x: torch.Tensor,
    normalizer: Normalizer | None = None,
    batch_size: int = 256,
) -> torch.Tensor:
    device = torch_device()
    model.to(device).eval()
    out = [
        model(_prepare(x[i : i + batch_size], normalizer, device)).cpu()
        for i in range(0, len(x), batch_size)
    ]
    return torch.cat(out) if out else torch.empty(0)


def predict_proba(
    model: nn.Module,
    x: torch.Tensor,
    normalizer: Normalizer | None = None,
    batch_size: int = 256,
) -> np.ndarray:
    """Class probabilities N×K of [0, 1] images (or features) `x`."""
    return torch.softmax(predict_logits(model, x, normalizer, batch_size), dim=1).numpy()


def _check_cells(
    model: nn.Module, cells: CellTargets | None, n_train: int, cfg: TrainConfig, images: bool
) -> None:
    if cells is None:
        return
    if len(cells.train) != n_train:
        raise ValueError(f"{len(cells.train)} cell maps for {n_train} training inputs")
    if not hasattr(model, "forward_with_cells"):
        raise TypeError(f"{type(model).__name__} has no forward_with_cells for cell targets")
    if cfg.augment and images:
        raise ValueError("cell targets need cfg.augment off: random flips would not move them")


def train_classifier(
    model: nn.Module,
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    x_val: torch.Tensor,
    y_val: torch.Tensor,
    cfg: TrainConfig,
    normalizer: Normalizer | None = None,
    log_to_mlflow: bool = False,
    cells: CellTargets | None = None,
) -> History:
    """Train `model` in place (best-validation weights restored) and return its history.

    With `log_to_mlflow`, per-epoch metrics and the best epoch go to the active MLflow run
    (open one with `bihar.tracking.mlflow_run`). With `cells`, the auxiliary cell loss is added
    to the training loss (see `CellTargets`).
    """
    _check_cells(model, cells, len(y_train), cfg, x_train.ndim == 4)
    history = _train(model, x_train, y_train, x_val, y_val, cfg, normalizer, log_to_mlflow, cells)
    if log_to_mlflow:
        log_metrics(
            {
                "best_epoch": history.best_epoch,
                "best_val_loss": history.best_val_loss,
                "best_val_acc": history.best_val_acc,
                "train_seconds": history.seconds,
            }
        )
    return history


def refit_classifier(
    model: nn.Module,
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    learning_rates: Sequence[float],
    cfg: TrainConfig,
    normalizer: Normalizer | None = None,
    log_to_mlflow: bool = False,
    cells: CellTargets | None = None,
    n_classes: int | None = None,
) -> History:
    """Train `model` in place for one epoch per entry of `learning_rates`, at that rate.

    The refit of a run chosen on validation on more data (training + validation photos):
    `learning_rates` is that run's `History.lr` up to its kept epoch, so the refit replays its
    schedule (plateau reductions included) without looking at any held-out tile — there is
    none left to stop on. The history has no validation curve (NaN) and keeps the last epoch.
    """
    if not learning_rates:
        raise ValueError("at least one epoch (learning rate) is needed")
    _check_cells(model, cells, len(y_train), cfg, x_train.ndim == 4)
    torch.manual_seed(cfg.seed)
    generator = torch.Generator().manual_seed(cfg.seed)
    # the model's class count (a class may have no training tile when few photos are used)
    weights = _class_weights(y_train, n_classes or int(y_train.max()) + 1, cfg)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = make_optimizer(cfg.optimizer, trainable, learning_rates[0], cfg.weight_decay)
    history, start = History(), time.perf_counter()
    for epoch, lr in enumerate(learning_rates):
        for group in optimizer.param_groups:
            group["lr"] = lr
        loss, acc = _epoch(
            model, x_train, y_train, cfg, normalizer, weights, optimizer, generator, cells
        )
        history.train_loss.append(loss)
        history.train_acc.append(acc)
        history.val_loss.append(float("nan"))
        history.val_acc.append(float("nan"))
        history.lr.append(lr)
        if log_to_mlflow:
            log_metrics({"train_loss": loss, "train_acc": acc, "lr": lr}, step=epoch)
        log.info("refit epoch %d (lr %.2g): train loss %.3f acc %.3f", epoch, lr, loss, acc)
    history.best_epoch = len(learning_rates) - 1
    history.seconds = time.perf_counter() - start
    return history


def _class_weights(y_train: torch.Tensor, n_classes: int, cfg: TrainConfig) -> torch.Tensor | None:
    if not cfg.class_weighted:
        return None
    return class_weights(y_train, n_classes).to(torch_device())


def _epoch(
    model: nn.Module,
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    cfg: TrainConfig,
    normalizer: Normalizer | None,
    weights: torch.Tensor | None,
    optimizer: torch.optim.Optimizer,
    generator: torch.Generator,
    cells: CellTargets | None,
) -> tuple[float, float]:
    """One pass over the shuffled training set: (mean training loss, training accuracy)."""
    device = torch_device()
    model.to(device)
    if x_train.ndim == 4:  # convolution weights in the layout of the batches (`_prepare`)
        model.to(memory_format=torch.channels_last)
    model.train()
    order = torch.randperm(len(y_train), generator=generator)
    total_loss, correct = 0.0, 0
    for i in range(0, len(order), cfg.batch_size):
        idx = order[i : i + cfg.batch_size]
        xb, yb = x_train[idx], y_train[idx].to(device)
        if cfg.augment and x_train.ndim == 4:
            xb = augment(xb, generator)  # on the host, with the seeded host generator
        if cells is None:
            logits = model(_prepare(xb, normalizer, device))
            loss = functional.cross_entropy(logits, yb, weight=weights)
        else:
            logits, cell_logits = model.forward_with_cells(_prepare(xb, normalizer, device))
            loss = functional.cross_entropy(logits, yb, weight=weights)
            loss = loss + cells.weight * functional.binary_cross_entropy_with_logits(
                cell_logits, cells.train[idx].to(device)
            )
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total_loss += float(loss.detach()) * len(idx)
        correct += int((logits.argmax(1) == yb).sum())
    return total_loss / len(y_train), correct / len(y_train)


def _train(
    model: nn.Module,
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    x_val: torch.Tensor,
    y_val: torch.Tensor,
    cfg: TrainConfig,
    normalizer: Normalizer | None,
    log_epochs: bool,
    cells: CellTargets | None = None,
) -> History:
    torch.manual_seed(cfg.seed)
    generator = torch.Generator().manual_seed(cfg.seed)
    n_classes = int(max(y_train.max(), y_val.max())) + 1
    weights = _class_weights(y_train, n_classes, cfg)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = make_optimizer(cfg.optimizer, trainable, cfg.learning_rate, cfg.weight_decay)
    scheduler: Any = None
    if cfg.schedule == "plateau":
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.3, patience=1)
    elif cfg.schedule == "cosine":
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=cfg.epochs)
    history = History()
    best_state = copy.deepcopy(model.state_dict())
    best_loss, stale, start = float("inf"), 0, time.perf_counter()
    for epoch in range(cfg.epochs):
        lr = optimizer.param_groups[0]["lr"]
        train_loss, train_acc = _epoch(
            model, x_train, y_train, cfg, normalizer, weights, optimizer, generator, cells
        )
        val_logits = predict_logits(model, x_val, normalizer)
        val_weights = weights.cpu() if weights is not None else None
        val_loss = float(functional.cross_entropy(val_logits, y_val, weight=val_weights))
        val_acc = float((val_logits.argmax(1) == y_val).float().mean())
        history.train_loss.append(train_loss)
        history.train_acc.append(train_acc)
        history.val_loss.append(val_loss)
        history.val_acc.append(val_acc)
        history.lr.append(lr)
        if log_epochs:
            log_metrics(
                {
                    "train_loss": history.train_loss[-1],
                    "train_acc": history.train_acc[-1],
                    "val_loss": val_loss,
                    "val_acc": val_acc,
                    "lr": history.lr[-1],
                },
                step=epoch,
            )
        log.info(
            "epoch %d: train loss %.3f acc %.3f | val loss %.3f acc %.3f",
            epoch,
            history.train_loss[-1],
            history.train_acc[-1],
            val_loss,
            val_acc,
        )
        if val_loss < best_loss - 1e-4:
            best_loss, stale, history.best_epoch = val_loss, 0, epoch
            best_state = copy.deepcopy(model.state_dict())
        else:
            stale += 1
        if scheduler is not None:
            scheduler.step(val_loss) if cfg.schedule == "plateau" else scheduler.step()
        if stale >= cfg.patience:
            log.info("early stop after epoch %d (best %d)", epoch, history.best_epoch)
            break
    model.load_state_dict(best_state)
    history.seconds = time.perf_counter() - start
    return history
