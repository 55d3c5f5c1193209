"""Tile preprocessing: resize, scale to [0, 1], normalise, label-preserving augmentation.

The photos are taken straight down on a field, so a tile flipped or turned by 90° is still a
valid tile of the same class: flips and 90° rotations (the dihedral group of the square, eight
elements) are the augmentation, at training time and at test time (`dihedral`, `tta_proba`).
A mild brightness and contrast jitter (±10 %) mimics the changing sunlight without changing
green to brown; no crops or zooms, which could cut a plant out of a tile and falsify its label.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class Normalizer:
    """Per-channel (x - mean) / std on N×3×H×W tensors in [0, 1]."""

    mean: tuple[float, float, float]
    std: tuple[float, float, float]

    @classmethod
    def fit(cls, images: torch.Tensor) -> Normalizer:
        """Channel statistics of (training) images N×3×H×W in [0, 1]."""
        mean = images.mean(dim=(0, 2, 3)).tolist()
        std = images.std(dim=(0, 2, 3)).clamp_min(1e-6).tolist()
        return cls(tuple(mean), tuple(std))  # type: ignore[arg-type]

    @classmethod
    def imagenet(cls) -> Normalizer:
        return cls(IMAGENET_MEAN, IMAGENET_STD)

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        mean = torch.tensor(self.mean, dtype=images.dtype, device=images.device).view(1, 3, 1, 1)
        std = torch.tensor(self.std, dtype=images.dtype, device=images.device).view(1, 3, 1, 1)
        return (images - mean) / std


def to_tensor(images: np.ndarray, size: int | None = None) -> torch.Tensor:
    """uint8 N×H×W×3 → float32 N×3×size×size in [0, 1] (antialiased bilinear resize)."""
    if images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f"expected N×H×W×3 images, got shape {images.shape}")
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float() / 255.0
    if size is not None and x.shape[-1] != size:
        x = functional.interpolate(x, size=(size, size), mode="bilinear", antialias=True)
    return x.clamp_(0.0, 1.0)


def augment(images: torch.Tensor, generator: torch.Generator, jitter: float = 0.1) -> torch.Tensor:
    """Random flips, 90° rotations and ±`jitter` brightness/contrast of a [0, 1] batch."""
    n = images.shape[0]
    out = images.clone()
    flip = torch.rand(n, generator=generator) < 0.5
    out[flip] = out[flip].flip(-1)
    turns = torch.randint(0, 4, (n,), generator=generator)
    for k in (1, 2, 3):
        sel = turns == k
        if sel.any():
            out[sel] = torch.rot90(out[sel], k, dims=(-2, -1))
    if jitter > 0:
        brightness = 1 + (torch.rand(n, 1, 1, 1, generator=generator) * 2 - 1) * jitter
        contrast = 1 + (torch.rand(n, 1, 1, 1, generator=generator) * 2 - 1) * jitter
        mean = out.mean(dim=(1, 2, 3), keepdim=True)
        out = ((out - mean) * contrast + mean) * brightness
    return out.clamp_(0.0, 1.0)


DIHEDRAL = tuple(range(8))
"""The eight symmetries of the square: k = 0…3 turn by k × 90°, k = 4…7 mirror first, then turn."""


def dihedral(
    images: np.ndarray | torch.Tensor, k: int, channels_last: bool | None = None
) -> np.ndarray | torch.Tensor:
    """Element `k` (0…7) of the dihedral group applied to a batch of square tiles.

    k % 4 quarter turns (counter-clockwise), preceded by a left-right mirror when k >= 4; k = 0
    is the identity. Works on uint8 N×H×W×3 arrays (channels last, the stored tiles) and on
    N×C×H×W tensors (channels first, model inputs); `channels_last` None means arrays are
    channels-last and tensors channels-first. A top-down field tile keeps its class under all
    eight: no plant leaves the tile and nothing is resampled.
    """
    if k not in DIHEDRAL:
        raise ValueError(f"k must be in 0…7, got {k}")
    if channels_last is None:
        channels_last = isinstance(images, np.ndarray)
    h, w = (1, 2) if channels_last else (images.ndim - 2, images.ndim - 1)
    if isinstance(images, np.ndarray):
        out = np.flip(images, axis=w) if k >= 4 else images
        return np.ascontiguousarray(np.rot90(out, k % 4, axes=(h, w)))
    out = images.flip(w) if k >= 4 else images
    return torch.rot90(out, k % 4, dims=(h, w)).contiguous()


def tta_proba(
    predict: Callable[[np.ndarray | torch.Tensor], np.ndarray],
    images: np.ndarray | torch.Tensor,
    transforms: Sequence[int] = DIHEDRAL,
) -> np.ndarray:
    """Test-time augmentation: class probabilities averaged over `dihedral` views of `images`."""
    if not transforms:
        raise ValueError("at least one transform is needed")
    return np.mean([predict(dihedral(images, k)) for k in transforms], axis=0)
