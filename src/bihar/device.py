"""Where PyTorch trains and predicts, chosen in this one place.

`BIHAR_TORCH_DEVICE` (settings.torch_device): `auto` (the default) takes CUDA when
`torch.cuda.is_available()`, else the CPU; `cpu` or `cuda` force one. Data stays in host memory;
the training and prediction loops move each batch to this device and bring results back, so
notebooks and commands run unchanged on either.
"""

from __future__ import annotations

import logging

import torch

from bihar.settings import get_settings

log = logging.getLogger(__name__)


def torch_device() -> torch.device:
    """The device of every PyTorch computation of the project."""
    choice = get_settings().torch_device
    if choice == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if choice == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("BIHAR_TORCH_DEVICE=cuda, but PyTorch sees no CUDA device")
    return torch.device(choice)
