"""Saved versions of the field-image model: `model/registry/field-images/<version>/`.

A version holds `weights.pt` (every member's state dict and input normalisation),
`config.json` (the `FieldModelConfig` it was trained from) and `metadata.json` (classes, tile
geometry, photos used, test metrics, library versions, git commit, SHA-256 of each file; see
`bihar.file_registry`). Loading checks every SHA-256 before reading the weights.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from bihar.file_registry import StoredVersion, open_version, publish
from bihar.provenance import code_version, library_versions
from bihar.vision.field_model import FieldModel, MemberNetwork, build_member_network
from bihar.vision.model_config import EfficientNetMember, FieldModelConfig
from bihar.vision.pretrained import efficientnet_lite0_architecture
from bihar.vision.transforms import Normalizer

log = logging.getLogger(__name__)

MODEL_NAME = "field-images"
WEIGHTS_FILE = "weights.pt"
CONFIG_FILE = "config.json"
LIBRARIES = ("torch", "numpy", "pillow", "efficientnet-lite-pytorch", "scikit-learn")


def save_field_model(
    model: FieldModel, registry_dir: Path, metadata: Mapping[str, Any]
) -> StoredVersion:
    """Publish `model` as the next version; `metadata` adds what the trainer knows (photos used,
    test metrics, timings)."""

    def write(folder: Path) -> dict[str, Any]:
        state = {
            name: {
                "state_dict": m.network.state_dict(),
                "mean": list(m.normalizer.mean),
                "std": list(m.normalizer.std),
            }
            for name, m in model.members.items()
        }
        torch.save(state, folder / WEIGHTS_FILE)
        (folder / CONFIG_FILE).write_text(model.config.model_dump_json(indent=2) + "\n")
        return {
            "classes": list(model.config.classes),
            "tile": {"size": model.config.tiles.tile, "stride": model.config.tiles.stride},
            "code_version": code_version(),
            "libraries": library_versions(*LIBRARIES),
            **metadata,
        }

    return publish(registry_dir, MODEL_NAME, write)


def load_field_model(
    registry_dir: Path, version: int | None = None
) -> tuple[FieldModel, StoredVersion]:
    """The model of `version` (default: the newest) and its registry record.

    Raises `file_registry.RegistryError` when there is none or a file fails its checksum.
    """
    stored = open_version(registry_dir, MODEL_NAME, version)
    config = FieldModelConfig.model_validate_json(stored.file(CONFIG_FILE).read_text())
    state = torch.load(stored.file(WEIGHTS_FILE), map_location="cpu", weights_only=True)
    members = {}
    for member in config.members:
        saved = state[member.name]
        backbone = (
            efficientnet_lite0_architecture() if isinstance(member, EfficientNetMember) else None
        )
        network = build_member_network(member, backbone)
        network.load_state_dict(saved["state_dict"])
        normalizer = Normalizer(tuple(saved["mean"]), tuple(saved["std"]))  # type: ignore[arg-type]
        members[member.name] = MemberNetwork(member, network.eval(), normalizer)
    log.info("loaded %s version %d from %s", MODEL_NAME, stored.version, stored.path)
    return FieldModel(config, members), stored
