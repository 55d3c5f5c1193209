"""EfficientNet-Lite0 at its native input size, with the frozen trunk computed once.

ImageNet networks see a 96-px tile badly: the plants are small and the final feature map is
3×3. Here the tiles are taken at their full 160-px photo resolution and resized to the
network's own input size (224 px by default, a 7×7 final map). On two CPU threads a 224-px
forward pass costs ~80–140 ms a tile, so the frozen part of the network is run **once**:

- `trunk_activations` runs the stem and the first `split` MBConv blocks (frozen, ImageNet
  batch-norm statistics) on uint8 tiles, batch by batch (no N×3×224×224 tensor in memory), and
  returns the block-`split` activations (N×192×7×7 for split=12, stored as float16, cached as
  .npy under the cache dir, keyed by the tiles' content, the size and the split);
- `EfficientNetTop` is the rest of the network (blocks `split`…15, head convolution, pooling,
  dropout, linear head) applied to those activations. Frozen, its pooled output is exactly the
  network's pooled 1280-d feature vector (`pooled_features`); partly trainable (`freeze`), it
  fine-tunes the last blocks at 224 px for the cost of a 7×7 map — seconds an epoch, not
  minutes.

Flips and 90° turns keep a top-down tile's label, but the trunk is not equivariant to them (its
filters have orientations), so augmented views need their own activations:
`dihedral_activations` runs the trunk on each `transforms.dihedral` view (each cached like any
other tiles), for training on the union of views and for test-time augmentation
(`tta_proba_from_views`).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from bihar.device import torch_device
from bihar.vision.photos import check_tiles
from bihar.vision.pretrained import FEATURE_DIM, PartlyFrozen, array_digest
from bihar.vision.training import predict_proba
from bihar.vision.transforms import Normalizer, dihedral, to_tensor

log = logging.getLogger(__name__)

DEFAULT_SPLIT = 12
"""Blocks 0–11 are the frozen trunk; blocks 12–15 (the 7×7 stage) can be fine-tuned."""


class Trunk(nn.Module):
    """Stem + blocks[:split] of an `efficientnet_lite_pytorch.EfficientNet`: the frozen part.

    Holds the backbone's own layers (not copies), so it computes exactly what the backbone
    computes up to block `split`; always used in eval mode (ImageNet batch-norm statistics).
    """

    def __init__(self, backbone: nn.Module, split: int = DEFAULT_SPLIT) -> None:
        super().__init__()
        blocks = list(backbone._blocks)
        if not 0 <= split < len(blocks):
            raise ValueError(f"split must be in [0, {len(blocks)}), got {split}")
        self.split = split
        self.conv_stem = backbone._conv_stem
        self.bn0 = backbone._bn0
        self.act = backbone._swish
        self.blocks = nn.ModuleList(blocks[:split])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act(self.bn0(self.conv_stem(x)))
        for block in self.blocks:
            x = block(x)  # no drop-connect: the trunk is frozen and in eval mode
        return x


@torch.inference_mode()
def trunk_activations(
    backbone: nn.Module,
    images: np.ndarray,
    size: int,
    normalizer: Normalizer,
    split: int = DEFAULT_SPLIT,
    batch_size: int = 32,
    cache_dir: Path | None = None,
) -> torch.Tensor:
    """float32 activations after block `split` of uint8 tiles N×H×W×3 resized to `size`.

    Stored (and cached in `cache_dir` when given) as float16: the activations are ReLU6-bounded
    batch-norm outputs, so half precision loses nothing that matters to a classifier.
    """
    cache = None
    if cache_dir is not None:
        cache = cache_dir / "vision" / f"effnet_trunk_{array_digest(images)}_{size}px_b{split}.npy"
        if cache.is_file():
            log.info("trunk activations from cache %s", cache)
            return torch.from_numpy(np.load(cache).astype(np.float32))
    device = torch_device()
    trunk = Trunk(backbone, split).eval().to(device)
    trunk.to(memory_format=torch.channels_last)  # ~1.7× faster on CPU
    out = []
    for i in range(0, len(images), batch_size):
        x = normalizer(to_tensor(images[i : i + batch_size], size).to(device))
        out.append(trunk(x.contiguous(memory_format=torch.channels_last)).cpu())
    trunk.to(memory_format=torch.contiguous_format)
    acts = torch.cat(out).contiguous().half().numpy() if out else np.empty((0,), np.float16)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.save(cache, acts)
        log.info("trunk activations cached in %s", cache)
    return torch.from_numpy(acts.astype(np.float32))


def dihedral_activations(
    backbone: nn.Module,
    images: np.ndarray,
    transforms: Sequence[int],
    size: int,
    normalizer: Normalizer,
    split: int = DEFAULT_SPLIT,
    cache_dir: Path | None = None,
) -> dict[int, torch.Tensor]:
    """{k: trunk activations of `dihedral(images, k)`} for each k of `transforms`.

    Row i of every entry is a view of tile i, so the labels of `images` hold for all of them.
    Each view is cached under its own content hash (a cold view costs one trunk pass).
    """
    out = {}
    for k in transforms:
        view = dihedral(images, k)
        assert isinstance(view, np.ndarray)
        out[k] = trunk_activations(backbone, view, size, normalizer, split, cache_dir=cache_dir)
    return out


def tta_proba_from_views(
    model: nn.Module, views: Mapping[int, torch.Tensor], batch_size: int = 256
) -> np.ndarray:
    """Test-time augmentation on precomputed inputs: `model`'s probabilities averaged over
    the views (e.g. the `dihedral_activations` of the validation or test tiles)."""
    if not views:
        raise ValueError("at least one view is needed")
    return np.mean([predict_proba(model, x, None, batch_size) for x in views.values()], axis=0)


class EfficientNetTop(PartlyFrozen):
    """Blocks `split`…end + head convolution + pooling → dropout → linear, on trunk activations.

    A deep copy of the backbone's layers: training it leaves the original backbone untouched.
    """

    def __init__(
        self,
        backbone: nn.Module,
        n_classes: int,
        split: int = DEFAULT_SPLIT,
        dropout: float = 0.2,
    ) -> None:
        super().__init__()
        blocks = list(backbone._blocks)
        if not 0 <= split < len(blocks):
            raise ValueError(f"split must be in [0, {len(blocks)}), got {split}")
        self.split = split
        self.n_blocks = len(blocks)
        self.drop_connect_rate = float(backbone._global_params.drop_connect_rate or 0.0)
        self.blocks = nn.ModuleList(copy.deepcopy(blocks[split:]))
        self.conv_head = copy.deepcopy(backbone._conv_head)
        self.bn_head = copy.deepcopy(backbone._bn1)
        self.act = copy.deepcopy(backbone._swish)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(FEATURE_DIM, n_classes)

    def feature_map(self, x: torch.Tensor) -> torch.Tensor:
        """The 1280-channel map after the head convolution (7×7 for 224-px inputs)."""
        for k, block in enumerate(self.blocks):
            rate = self.drop_connect_rate * (self.split + k) / self.n_blocks
            x = block(x, drop_connect_rate=rate if self.training else None)
        return self.act(self.bn_head(self.conv_head(x)))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Pooled 1280-d features of trunk activations (the network's own pooled output)."""
        return self.feature_map(x).mean(dim=(2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.features(x)))

    def freeze(self, trainable_blocks: int) -> None:
        """Freeze all but the last `trainable_blocks` blocks (the head conv and linear train).

        Frozen blocks keep their ImageNet batch-norm statistics (eval mode even in training).
        """
        if not 0 <= trainable_blocks <= len(self.blocks):
            raise ValueError(f"trainable_blocks must be in [0, {len(self.blocks)}]")
        self._freeze(list(self.blocks[: len(self.blocks) - trainable_blocks]))


class CellSupervisedTop(EfficientNetTop):
    """`EfficientNetTop` with a second head: crop and weed logits for each cell of its map.

    The class head is unchanged (pooling → dropout → linear), so `forward` gives class logits
    and the network predicts, explains and ensembles like any other. The cell head is a 1×1
    convolution of the same 1280-channel map to one logit per `cells.CELL_TYPES` and cell;
    trained against `cells.cell_fractions` (`training.CellTargets`), it makes the shared layers
    learn where crop and weeds are, not only whether the tile has them.
    """

    def __init__(
        self,
        backbone: nn.Module,
        n_classes: int,
        split: int = DEFAULT_SPLIT,
        dropout: float = 0.2,
        n_cell_types: int = 2,
    ) -> None:
        super().__init__(backbone, n_classes, split, dropout)
        self.cell_head = nn.Conv2d(FEATURE_DIM, n_cell_types, 1)

    @classmethod
    def from_top(cls, backbone: nn.Module, top: EfficientNetTop) -> CellSupervisedTop:
        """A network with `top`'s weights (e.g. a head already trained on frozen features) and
        a fresh cell head; `backbone` (the one `top` was built from) gives the architecture,
        `top` is left untouched."""
        out = cls(backbone, top.head.out_features, top.split, float(top.dropout.p))
        missing, unexpected = out.load_state_dict(top.state_dict(), strict=False)
        if unexpected or sorted(missing) != ["cell_head.bias", "cell_head.weight"]:
            raise ValueError(f"not a matching top: missing {missing}, unexpected {unexpected}")
        return out

    def forward_with_cells(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(class logits N×K, cell logits N×n_cell_types×H×W) of one pass."""
        fmap = self.feature_map(x)
        return self.head(self.dropout(fmap.mean(dim=(2, 3)))), self.cell_head(fmap)


@torch.no_grad()
def predicted_cover(
    model: CellSupervisedTop, views: Mapping[int, torch.Tensor], batch_size: int = 256
) -> np.ndarray:
    """N×2 crop and weed cover of each tile as `model`'s cell head predicts it.

    A cell's sigmoid is its predicted crop (or weed) fraction (the head is fitted to the cells'
    fractions), so the mean of a tile's map is the predicted fraction of the tile; it is
    averaged over the `views` of the tiles (the mean of a map is the same for every dihedral
    view, so the views only average out the network's errors).
    """
    if not views:
        raise ValueError("at least one view is needed")
    device = torch_device()
    model.to(device).eval()
    per_view = []
    for x in views.values():
        parts = [
            torch.sigmoid(model.forward_with_cells(x[i : i + batch_size].to(device))[1])
            .mean(dim=(2, 3))
            .cpu()
            for i in range(0, len(x), batch_size)
        ]
        per_view.append(torch.cat(parts).numpy() if parts else np.empty((0, 2), np.float32))
    return np.mean(per_view, axis=0)


@torch.no_grad()
def pooled_features(top: EfficientNetTop, acts: torch.Tensor, batch_size: int = 256) -> np.ndarray:
    """The frozen network's pooled features N×1280 of trunk activations N×C×H×W."""
    device = torch_device()
    top.to(device).eval()
    out = [
        top.features(acts[i : i + batch_size].to(device)).cpu()
        for i in range(0, len(acts), batch_size)
    ]
    return torch.cat(out).numpy() if out else np.empty((0, FEATURE_DIM), np.float32)


def native_predictor(
    backbone: nn.Module,
    top: EfficientNetTop,
    size: int,
    normalizer: Normalizer,
    tile_px: int,
    batch_size: int = 32,
) -> Callable[[np.ndarray], np.ndarray]:
    """uint8 tiles N×tile_px×tile_px×3 → class probabilities through trunk + top (for display
    and LIME); anything but tiles of that size is refused."""

    def predict(images: np.ndarray) -> np.ndarray:
        check_tiles(images, tile_px)
        acts = trunk_activations(backbone, images, size, normalizer, top.split, batch_size)
        return predict_proba(top, acts, None, batch_size=256)

    return predict
