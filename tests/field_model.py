"""A field-image model with the shipped model's structure but no training: the ImageNet trunk
and seeded heads. The product, parity and edge tests run on it, so they need no trained version
(`make vision-model` trains one; `make bench-edge` measures that one).

Its structure covers every path of the runtime: a scratch CNN fed from Pillow-resized tiles with
views on its input, an EfficientNet-Lite0 with a cell head and views on the tile, an ensemble
and a cover vote.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from bihar.file_registry import StoredVersion
from bihar.vision.field_model import FieldModel, MemberNetwork, build_member_network
from bihar.vision.model_config import FieldModelConfig
from bihar.vision.pretrained import load_efficientnet_lite0
from bihar.vision.transforms import Normalizer
from bihar.vision.versions import save_field_model

SEED = 7

TEST_CONFIG = FieldModelConfig.model_validate(
    {
        "members": [
            {
                "kind": "scratch_cnn",
                "name": "scratch",
                "arch": "residual",
                "dropout": 0.0,
                "batchnorm": True,
                "stored_px": 96,
                "input_px": 64,
                "views": [0, 5],
                "weight": 0.3,
                "training": {"learning_rates": [0.001]},
            },
            {
                "kind": "efficientnet_lite0",
                "name": "effnet",
                "cell_loss_weight": 30.0,
                "training_views": [0, 2],
                "views": [0, 2, 4, 6],
                "weight": 0.5,
                "head_training": {"learning_rates": [0.001]},
                "training": {"learning_rates": [0.0003]},
            },
        ],
        "cover_vote": {"member": "effnet", "threshold": 0.03, "weight": 0.2},
    }
)


def _randomise_batch_norm(module: nn.Module, generator: torch.Generator) -> None:
    """Non-trivial running statistics, so that folding them into convolutions is tested."""
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=generator) * 0.1)  # type: ignore[union-attr]
            m.running_var.copy_(torch.rand(n, generator=generator) + 0.5)  # type: ignore[union-attr]
            m.weight.data.copy_(torch.rand(n, generator=generator) + 0.5)
            m.bias.data.copy_(torch.randn(n, generator=generator) * 0.1)


def seeded_field_model(config: FieldModelConfig = TEST_CONFIG) -> FieldModel:
    """Every member of `config` with seeded weights (EfficientNet: the ImageNet trunk and top,
    seeded class and cell heads)."""
    generator = torch.Generator().manual_seed(SEED)
    torch.manual_seed(SEED)
    members = {}
    for member in config.members:
        backbone = load_efficientnet_lite0() if member.kind == "efficientnet_lite0" else None
        network = build_member_network(member, backbone)
        if backbone is None:
            _randomise_batch_norm(network, generator)
            normalizer = Normalizer((0.42, 0.47, 0.39), (0.19, 0.2, 0.18))
        else:
            normalizer = Normalizer.imagenet()
            top = network.top
            with torch.no_grad():  # confident classes, and covers around the vote's threshold
                top.head.weight.mul_(5.0)
                top.cell_head.bias.fill_(-3.5)
        members[member.name] = MemberNetwork(member, network.eval(), normalizer)
    return FieldModel(config, members)


def publish_seeded_model(registry_dir: Path) -> tuple[FieldModel, StoredVersion]:
    model = seeded_field_model()
    stored = save_field_model(model, registry_dir, {"note": "ImageNet trunk and seeded heads"})
    return model, stored
