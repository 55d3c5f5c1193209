"""Per-cell crop and weed fractions of tiles: dense targets from CWFID's pixel annotations.

A tile's class says only *whether* crop and weeds are present; CWFID's annotation says *where*.
`cell_fractions` cuts each tile into a grid (7×7 by default: the final feature map of
EfficientNet-Lite0 at 224 px, so one cell ≈ 23 photo pixels) and returns the fraction of each
cell covered by crop and by weed pixels. A network trained to predict these maps next to the
class (`native.CellSupervisedTop`, `training.CellTargets`) must learn what crop and weed look
like *locally*, from 31 training photos' worth of pixels instead of ~1,900 tile labels; the
crop-and-weeds class, which needs both seen in one tile, gains most.

Only the training tiles' targets are ever used for fitting; the grid of a dihedral view of a
tile is the same view of its grid (`cell_views`), so the targets follow the training views.

The trained cell head also predicts each tile's crop and weed *cover* (`native.predicted_cover`),
the quantities the tile labels are defined from; `cover_votes` applies the labelling rule to
them, a second opinion on the class that the notebook adds to its ensemble.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from bihar.vision.classes import CROP, CROP_AND_WEEDS, FOUR_CLASSES, GROUND, WEEDS
from bihar.vision.cwfid import TileDataset, read_sample
from bihar.vision.transforms import dihedral

log = logging.getLogger(__name__)

CELL_TYPES = ("crop", "weed")
"""Channel order of the cell maps."""


def cell_edges(size: int, grid: int) -> np.ndarray:
    """Pixel boundaries (grid + 1 values, 0 … size) of `grid` near-equal cells."""
    if not 0 < grid <= size:
        raise ValueError(f"grid must be in 1…{size}, got {grid}")
    return np.round(np.arange(grid + 1) * size / grid).astype(int)


def mask_cells(mask: np.ndarray, grid: int) -> np.ndarray:
    """Mean of a square boolean mask S×S over each cell of a grid×grid partition."""
    if mask.ndim != 2 or mask.shape[0] != mask.shape[1]:
        raise ValueError(f"expected a square mask, got shape {mask.shape}")
    edges = cell_edges(mask.shape[0], grid)
    sums = np.add.reduceat(np.add.reduceat(mask.astype(np.float64), edges[:-1], 0), edges[:-1], 1)
    return (sums / np.outer(np.diff(edges), np.diff(edges))).astype(np.float32)


def cell_fractions(root: Path, tiles: TileDataset, grid: int = 7) -> torch.Tensor:
    """N×2×grid×grid crop and weed fractions of each tile's cells, read from the annotations.

    Each source photo is read once; the tile windows are `tiles.boxes` with the tile size of
    `tiles.config` (the photo pixels, whatever size the tiles are stored at).
    """
    size = tiles.config.tile
    out = np.zeros((len(tiles), len(CELL_TYPES), grid, grid), np.float32)
    for image_id in np.unique(tiles.image_ids):
        sample = read_sample(root, int(image_id))
        for i in np.flatnonzero(tiles.image_ids == image_id):
            top, left = (int(v) for v in tiles.boxes[i])
            window = np.s_[top : top + size, left : left + size]
            for c, mask in enumerate((sample.crop, sample.weed)):
                out[i, c] = mask_cells(mask[window], grid)
    n_photos = len(np.unique(tiles.image_ids))
    log.info("cell fractions %s of %d tiles from %d photos", out.shape[1:], len(tiles), n_photos)
    return torch.from_numpy(out)


def cell_views(cells: torch.Tensor, transforms: Sequence[int]) -> torch.Tensor:
    """The cell maps of the dihedral views `transforms`, stacked view after view.

    Matches `experiments.with_training_views` (the same views of the inputs, in the same order).
    """
    if not transforms:
        raise ValueError("at least one view is needed")
    views = []
    for k in transforms:
        view = dihedral(cells, k)
        assert isinstance(view, torch.Tensor)
        views.append(view)
    return torch.cat(views)


def cover_votes(cover: np.ndarray, threshold: float) -> np.ndarray:
    """One-hot N×4 classes (`classes.FOUR_CLASSES` order) of tiles from their crop and weed cover.

    `cover` is N×2 (crop, weed fractions of each tile, e.g. `native.predicted_cover`); a type is
    present when its cover reaches `threshold`: both → crop and weeds, one → crop or weeds,
    none → ground. It is `cwfid.label_tile`'s rule with a single presence threshold and no
    ambiguous band, since every tile needs a vote.
    """
    if cover.ndim != 2 or cover.shape[1] != len(CELL_TYPES):
        raise ValueError(f"cover must be N×{len(CELL_TYPES)} (crop, weed), got {cover.shape}")
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must be a fraction in (0, 1), got {threshold}")
    crop, weed = cover[:, 0] >= threshold, cover[:, 1] >= threshold
    labels = np.select([crop & weed, crop, weed], [CROP_AND_WEEDS, CROP, WEEDS], GROUND)
    return np.eye(len(FOUR_CLASSES), dtype=np.float32)[labels]
