"""Two small CNN architectures trained from scratch, with dropout and batch-norm switches.

- `SimpleCNN`: three conv-(BN)-ReLU-maxpool blocks (16-32-64 channels), global average pooling,
  dropout, linear — a plain VGG-style baseline (~24 k parameters).
- `ResidualCNN`: a stem and three residual stages (16-32-64 channels, stride 2), each with two
  3×3 convolutions and a shortcut, then pooling, dropout, linear (~78 k parameters).

Both take N×3×S×S tensors of any S ≥ 16 (global pooling) and return class logits.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

Architecture = Literal["simple", "residual"]


def _norm(channels: int, batchnorm: bool) -> nn.Module:
    return nn.BatchNorm2d(channels) if batchnorm else nn.Identity()


def _head(channels: int, n_classes: int, dropout: float) -> nn.Sequential:
    """Global average pooling → dropout → linear classifier."""
    return nn.Sequential(
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Dropout(dropout),
        nn.Linear(channels, n_classes),
    )


class SimpleCNN(nn.Module):
    def __init__(
        self,
        n_classes: int,
        dropout: float = 0.3,
        batchnorm: bool = True,
        widths: tuple[int, ...] = (16, 32, 64),
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = 3
        for width in widths:
            layers += [
                nn.Conv2d(channels, width, 3, padding=1, bias=not batchnorm),
                _norm(width, batchnorm),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(2),
            ]
            channels = width
        self.features = nn.Sequential(*layers)
        self.head = _head(channels, n_classes, dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


class _ResidualBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, batchnorm: bool) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=not batchnorm),
            _norm(cout, batchnorm),
            nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, 3, padding=1, bias=not batchnorm),
            _norm(cout, batchnorm),
        )
        self.shortcut: nn.Module = (
            nn.Identity()
            if stride == 1 and cin == cout
            else nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride=stride, bias=not batchnorm), _norm(cout, batchnorm)
            )
        )
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.body(x) + self.shortcut(x))


class ResidualCNN(nn.Module):
    def __init__(
        self,
        n_classes: int,
        dropout: float = 0.3,
        batchnorm: bool = True,
        widths: tuple[int, ...] = (16, 32, 64),
    ) -> None:
        super().__init__()
        stem = widths[0]
        layers: list[nn.Module] = [
            nn.Conv2d(3, stem, 3, padding=1, bias=not batchnorm),
            _norm(stem, batchnorm),
            nn.ReLU(inplace=True),
        ]
        channels = stem
        for width in widths:
            layers.append(_ResidualBlock(channels, width, 2, batchnorm))
            channels = width
        self.features = nn.Sequential(*layers)
        self.head = _head(channels, n_classes, dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def build_cnn(
    arch: Architecture, n_classes: int, dropout: float = 0.3, batchnorm: bool = True
) -> nn.Module:
    """A fresh scratch CNN of architecture `arch`."""
    if arch == "simple":
        return SimpleCNN(n_classes, dropout, batchnorm)
    if arch == "residual":
        return ResidualCNN(n_classes, dropout, batchnorm)
    raise ValueError(f"unknown architecture {arch!r}; expected 'simple' or 'residual'")


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
