"""Train the configured field-image model on the training + validation photos.

`fit_field_model` is the refit that ends notebook 01 and what `bihar vision train` runs: every
choice (architectures, inputs, views, weights, threshold, number of epochs and their learning
rates) was made on validation and is read from the `FieldModelConfig`; here each member is
trained on the training and validation tiles together, replaying its schedule epoch by epoch
(`training.refit_classifier`), so no held-out tile is needed and the test photos are not read.

- scratch member: a fresh CNN (seeded) on its inputs, normalised with the statistics of these
  tiles;
- EfficientNet member: the ImageNet trunk's activations of the training views (cached), the
  linear head replayed on the pooled features of view 0, then the top (and the cell head,
  fitted to the tiles' per-cell crop/weed fractions) fine-tuned on the training views.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from bihar.vision.cells import cell_fractions, cell_views
from bihar.vision.classes import FOUR_CLASSES
from bihar.vision.cwfid import CwfidError, TileDataset
from bihar.vision.experiments import split_tiles
from bihar.vision.field_model import (
    EfficientNetTiles,
    FieldModel,
    MemberNetwork,
    build_member_network,
    member_inputs,
)
from bihar.vision.model_config import EfficientNetMember, FieldModelConfig, ScratchMember
from bihar.vision.native import (
    CellSupervisedTop,
    EfficientNetTop,
    Trunk,
    dihedral_activations,
    pooled_features,
)
from bihar.vision.pretrained import load_efficientnet_lite0
from bihar.vision.training import CellTargets, refit_classifier
from bihar.vision.transforms import Normalizer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FitData:
    """The tiles a model is fitted on (training + validation photos) and scored on (test)."""

    fit: TileDataset
    test: TileDataset

    @classmethod
    def split(cls, data: TileDataset, config: FieldModelConfig) -> FitData:
        """Training tiles capped per class as in the notebook, all validation and test tiles.

        `data` holds the tiles at their photo size (`cwfid.TileConfig.out_size` = tile).
        """
        if data.images.shape[1] != config.tiles.tile:
            raise ValueError(f"tiles must be stored at {config.tiles.tile} px, not resized")
        parts = split_tiles(data, FOUR_CLASSES, config.cap_per_class, config.seed)
        parts["test"] = data.subset("test", FOUR_CLASSES)
        for split in ("train", "val", "test"):
            if len(parts[split]) == 0:
                raise CwfidError(f"the photos chosen hold no {split} tile; include {split} photos")
        return cls(_concat(parts["train"], parts["val"]), parts["test"])

    def photos(self) -> dict[str, list[int]]:
        """The photo ids of each part (the metadata's record of what the model saw)."""
        return {
            "train_and_validation": sorted({int(i) for i in self.fit.image_ids}),
            "test": sorted({int(i) for i in self.test.image_ids}),
        }


def _concat(a: TileDataset, b: TileDataset) -> TileDataset:
    return TileDataset(
        np.concatenate([a.images, b.images]),
        np.concatenate([a.labels, b.labels]),
        np.concatenate([a.image_ids, b.image_ids]),
        np.concatenate([a.splits, b.splits]),
        np.concatenate([a.boxes, b.boxes]),
        np.concatenate([a.fractions, b.fractions]),
        a.config,
    )


def fit_field_model(
    config: FieldModelConfig, data: FitData, cwfid_root: Path, cache_dir: Path | None
) -> FieldModel:
    """Train every member of `config` on `data.fit` (see the module docstring)."""
    return fit_field_models({"model": config}, data, cwfid_root, cache_dir)["model"]


def fit_field_models(
    configs: Mapping[str, FieldModelConfig],
    data: FitData,
    cwfid_root: Path,
    cache_dir: Path | None,
) -> dict[str, FieldModel]:
    """Several models at once: a member they share (the same configuration but for its
    ensemble weight) is trained once and used by each of them."""
    labels = torch.as_tensor(data.fit.labels, dtype=torch.long)  # FOUR_CLASSES = 0…3
    trained: dict[str, MemberNetwork] = {}
    models = {}
    for key, config in configs.items():
        members = {}
        for member in config.members:
            identity = member.model_dump_json(exclude={"weight"})
            if identity not in trained:
                if isinstance(member, ScratchMember):
                    trained[identity] = _fit_scratch(member, data.fit.images, labels)
                else:
                    trained[identity] = _fit_efficientnet(
                        member, data.fit, labels, cwfid_root, cache_dir
                    )
            shared = trained[identity]
            members[member.name] = MemberNetwork(member, shared.network, shared.normalizer)
        models[key] = FieldModel(config, members)
    return models


def _fit_scratch(member: ScratchMember, tiles: np.ndarray, labels: torch.Tensor) -> MemberNetwork:
    x = member_inputs(member, tiles)
    normalizer = Normalizer.fit(x)
    torch.manual_seed(member.training.seed)
    network = build_member_network(member)
    schedule = member.training
    log.info("%s: %d epochs on %d tiles", member.name, len(schedule.learning_rates), len(x))
    refit_classifier(
        network, x, labels, schedule.learning_rates, schedule.train_config(), normalizer,
        n_classes=len(FOUR_CLASSES),
    )  # fmt: skip
    return MemberNetwork(member, network.eval(), normalizer)


def _fit_efficientnet(
    member: EfficientNetMember,
    tiles: TileDataset,
    labels: torch.Tensor,
    cwfid_root: Path,
    cache_dir: Path | None,
) -> MemberNetwork:
    imagenet = Normalizer.imagenet()
    backbone = load_efficientnet_lite0()
    views = _activations_by_split(member, backbone, tiles, imagenet, cache_dir)
    torch.manual_seed(member.head_training.seed)
    top = EfficientNetTop(backbone, len(FOUR_CLASSES), member.split, member.dropout)
    features = torch.from_numpy(pooled_features(top, views[0]))
    head = member.head_training
    refit_classifier(
        top.head, features, labels, head.learning_rates, head.train_config(),
        n_classes=len(FOUR_CLASSES),
    )  # fmt: skip
    if member.training is None:  # frozen features and the linear head only
        network = EfficientNetTiles(Trunk(backbone, member.split), top)
        return MemberNetwork(member, network.eval(), imagenet)
    cells = None
    if member.cell_loss_weight is not None:
        torch.manual_seed(member.training.seed)
        top = CellSupervisedTop.from_top(backbone, top)
        grid = cell_fractions(cwfid_root, tiles, member.cell_grid)
        cells = CellTargets(cell_views(grid, member.training_views), member.cell_loss_weight)
    else:
        top = copy.deepcopy(top)
    top.freeze(member.trainable_blocks)
    x = torch.cat([views[k] for k in member.training_views])
    y = labels.repeat(len(member.training_views))
    schedule = member.training
    log.info(
        "%s: head %d epochs, top %d epochs on %d inputs (%d views)",
        member.name,
        len(head.learning_rates),
        len(schedule.learning_rates),
        len(x),
        len(member.training_views),
    )
    cfg = schedule.train_config()
    refit_classifier(
        top, x, y, schedule.learning_rates, cfg, None, cells=cells, n_classes=len(FOUR_CLASSES)
    )
    network = EfficientNetTiles(Trunk(backbone, member.split), top)
    return MemberNetwork(member, network.eval(), imagenet)


def _activations_by_split(
    member: EfficientNetMember,
    backbone: torch.nn.Module,
    tiles: TileDataset,
    imagenet: Normalizer,
    cache_dir: Path | None,
) -> dict[int, torch.Tensor]:
    """Trunk activations of view 0 and every training view, computed (and cached) photo split
    by photo split, so the notebook's caches of the training and validation tiles are reused."""
    needed = sorted({0, *member.training_views})  # view 0 for the head's features
    splits = list(dict.fromkeys(tiles.splits.tolist()))
    order = np.concatenate([np.flatnonzero(tiles.splits == s) for s in splits])
    if not np.array_equal(order, np.arange(len(tiles))):
        raise ValueError("the tiles must be grouped by split (train first, then val)")
    parts = [
        dihedral_activations(
            backbone,
            tiles.images[tiles.splits == split],
            needed,
            member.input_px,
            imagenet,
            member.split,
            cache_dir,
        )
        for split in splits
    ]
    return {k: torch.cat([p[k] for p in parts]) for k in needed}
