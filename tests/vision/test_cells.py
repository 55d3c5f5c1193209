"""Per-cell crop/weed targets from the annotations, and the cell loss they feed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from bihar.vision.cells import cell_edges, cell_fractions, cell_views, cover_votes, mask_cells
from bihar.vision.classes import CROP, CROP_AND_WEEDS, GROUND, WEEDS
from bihar.vision.cwfid import TileConfig, build_tile_dataset
from bihar.vision.training import CellTargets, TrainConfig, train_classifier
from bihar.vision.transforms import dihedral


def test_mask_cells_averages_each_cell_of_a_synthetic_mask() -> None:
    mask = np.zeros((10, 10), dtype=bool)
    mask[:5, :5] = True  # the top-left quarter
    mask[9, 9] = True  # one pixel of the bottom-right cell
    cells = mask_cells(mask, 2)
    np.testing.assert_allclose(cells, [[1.0, 0.0], [0.0, 1 / 25]])
    # uneven cells (7 px in 3): edges 0, 2, 5, 7; the mean over pixels is kept per cell
    edges = cell_edges(7, 3)
    assert edges.tolist() == [0, 2, 5, 7]
    full = mask_cells(np.ones((7, 7), dtype=bool), 3)
    np.testing.assert_allclose(full, np.ones((3, 3)))


def test_bad_grids_and_masks_are_refused() -> None:
    with pytest.raises(ValueError, match="grid"):
        cell_edges(10, 0)
    with pytest.raises(ValueError, match="square"):
        mask_cells(np.zeros((4, 6), dtype=bool), 2)


def test_cell_fractions_locate_the_annotated_plants(fake_cwfid: Path) -> None:
    # 20-px tiles, stride 20: the crop square (rows 2–11, cols 2–11) lies in the tile at (0, 0),
    # the weed square (rows 2–11, cols 48–57) in the tile at (0, 40)
    cfg = TileConfig(tile=20, stride=20, out_size=20)
    data = build_tile_dataset(fake_cwfid, cfg, image_ids=[1])
    cells = cell_fractions(fake_cwfid, data, grid=2)
    assert cells.shape == (len(data), 2, 2, 2)
    by_box = {tuple(int(v) for v in b): cells[i] for i, b in enumerate(data.boxes)}
    crop_tile, weed_tile = by_box[(0, 0)], by_box[(0, 40)]
    # crop cells of the crop tile: rows 2–9 × cols 2–9 of the top-left 10×10 cell = 64 px …
    assert crop_tile[0, 0, 0] == pytest.approx(64 / 100)
    assert crop_tile[0, 1, 1] == pytest.approx(4 / 100)  # … and rows 10–11 × cols 10–11
    assert float(crop_tile[1].sum()) == 0.0  # no weed in it
    assert weed_tile[1, 0, 0] == pytest.approx(16 / 100)  # cols 48–49 × rows 2–9
    assert float(weed_tile[0].sum()) == 0.0
    # the cells' mean is the tile's crop / weed fraction (equal cells)
    np.testing.assert_allclose(cells.mean(dim=(2, 3)).numpy(), data.fractions[:, 1:], atol=1e-6)


def test_cell_views_follow_the_dihedral_views_of_the_tiles() -> None:
    cells = torch.rand(3, 2, 4, 4)
    stacked = cell_views(cells, (0, 2, 5))
    assert stacked.shape == (9, 2, 4, 4)
    assert torch.equal(stacked[:3], cells)
    assert torch.equal(stacked[6:], dihedral(cells, 5))
    with pytest.raises(ValueError):
        cell_views(cells, ())


class _TinyCellNet(nn.Module):
    """Class logits from pooled features, cell logits from the same 4×4 map."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Conv2d(3, 8, 3, padding=1)
        self.head = nn.Linear(8, 2)
        self.cell_head = nn.Conv2d(8, 1, 1)

    def forward_with_cells(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        fmap = torch.relu(self.body(x))
        return self.head(fmap.mean(dim=(2, 3))), self.cell_head(fmap)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_with_cells(x)[0]


def _cell_data(n: int = 64) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    x = torch.rand(n, 3, 4, 4, generator=g)
    cells = (x[:, :1] > 0.5).float()  # a per-cell target the class alone does not give
    y = (x.mean(dim=(1, 2, 3)) > 0.5).long()
    return x, y, cells


def test_the_cell_loss_trains_the_cell_head() -> None:
    x, y, cells = _cell_data()
    cfg = TrainConfig(epochs=30, patience=30, batch_size=8, augment=False, lr=1e-2, schedule="none")

    def cell_error(model: _TinyCellNet) -> float:
        with torch.no_grad():
            return float((torch.sigmoid(model.forward_with_cells(x)[1]) - cells).abs().mean())

    torch.manual_seed(0)
    plain = _TinyCellNet()
    train_classifier(plain, x, y, x, y, cfg)
    torch.manual_seed(0)
    supervised = _TinyCellNet()
    history = train_classifier(supervised, x, y, x, y, cfg, cells=CellTargets(cells, weight=1.0))
    assert len(history.val_loss) == 30  # the curves are the class loss, as without cells
    assert cell_error(supervised) < 0.5 * cell_error(plain)


def test_cell_targets_must_match_the_model_and_the_inputs() -> None:
    x, y, cells = _cell_data()
    cfg = TrainConfig(epochs=1, augment=False)
    with pytest.raises(ValueError, match="cell maps"):
        train_classifier(_TinyCellNet(), x, y, x, y, cfg, cells=CellTargets(cells[:10]))
    with pytest.raises(TypeError, match="forward_with_cells"):
        train_classifier(
            nn.Sequential(nn.Flatten(), nn.Linear(48, 2)), x, y, x, y, cfg, cells=CellTargets(cells)
        )
    with pytest.raises(ValueError, match="augment"):
        train_classifier(
            _TinyCellNet(), x, y, x, y, TrainConfig(epochs=1), cells=CellTargets(cells)
        )


def test_cover_votes_apply_the_labelling_rule_to_the_cover() -> None:
    cover = np.array(
        [
            [0.0, 0.0],  # nothing → ground
            [0.05, 0.01],  # crop only
            [0.01, 0.30],  # weeds only
            [0.03, 0.03],  # both at the threshold → crop and weeds
            [0.0299, 0.5],  # crop just under it → weeds
        ]
    )
    votes = cover_votes(cover, 0.03)
    assert votes.shape == (5, 4) and (votes.sum(axis=1) == 1).all()
    assert votes.argmax(axis=1).tolist() == [GROUND, CROP, WEEDS, CROP_AND_WEEDS, WEEDS]
    # a lower threshold turns the traces into presences
    lower = cover_votes(cover, 0.005).argmax(axis=1).tolist()
    assert lower == [GROUND] + [CROP_AND_WEEDS] * 4
    with pytest.raises(ValueError, match="N×2"):
        cover_votes(np.zeros((3, 3)), 0.03)
    with pytest.raises(ValueError, match="threshold"):
        cover_votes(cover, 0.0)
