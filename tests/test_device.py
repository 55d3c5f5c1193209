"""One place picks PyTorch's device: CUDA when present, else the CPU, or what the setting forces."""

from __future__ import annotations

import pytest
import torch

from bihar.device import torch_device
from bihar.settings import get_settings


def test_auto_takes_cuda_only_when_pytorch_sees_it(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert torch_device().type == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert torch_device().type == "cpu"


def test_the_setting_forces_a_device(monkeypatch):
    monkeypatch.setenv("BIHAR_TORCH_DEVICE", "cpu")
    get_settings.cache_clear()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert torch_device().type == "cpu"
    monkeypatch.setenv("BIHAR_TORCH_DEVICE", "cuda")
    get_settings.cache_clear()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="sees no CUDA device"):
        torch_device()
