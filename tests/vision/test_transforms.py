"""The dihedral symmetries and test-time augmentation of `bihar.vision.transforms`."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from bihar.vision.transforms import DIHEDRAL, dihedral, tta_proba


def _tiles(n: int = 2, size: int = 5) -> np.ndarray:
    """uint8 N×H×W×3 tiles with every pixel distinct (no accidental symmetry)."""
    return np.arange(n * size * size * 3, dtype=np.int64).reshape(n, size, size, 3).astype(np.uint8)


def test_eight_distinct_symmetries_starting_with_the_identity() -> None:
    tiles = _tiles()
    views = [dihedral(tiles, k) for k in DIHEDRAL]
    np.testing.assert_array_equal(views[0], tiles)
    for a, b in itertools.combinations(range(8), 2):
        assert not np.array_equal(views[a], views[b]), (a, b)
    for v in views:  # a permutation of each tile's pixels: nothing lost or resampled
        assert v.shape == tiles.shape and v.flags.c_contiguous
        np.testing.assert_array_equal(np.sort(v, axis=None), np.sort(tiles, axis=None))


def test_known_elements() -> None:
    tile = np.array([[1, 2], [3, 4]], dtype=np.uint8)[None, :, :, None].repeat(3, axis=3)
    # k=1: a quarter turn counter-clockwise; k=4: a left-right mirror
    np.testing.assert_array_equal(dihedral(tile, 1)[0, :, :, 0], [[2, 4], [1, 3]])
    np.testing.assert_array_equal(dihedral(tile, 4)[0, :, :, 0], [[2, 1], [4, 3]])
    np.testing.assert_array_equal(dihedral(tile, 2)[0, :, :, 0], [[4, 3], [2, 1]])


def test_channels_first_tensors_match_channels_last_arrays() -> None:
    tiles = _tiles(3, 6)
    x = torch.from_numpy(tiles).permute(0, 3, 1, 2)
    for k in DIHEDRAL:
        y = dihedral(x, k)
        assert isinstance(y, torch.Tensor) and y.shape == x.shape
        np.testing.assert_array_equal(y.permute(0, 2, 3, 1).numpy(), dihedral(tiles, k))


def test_each_element_has_an_inverse_in_the_group() -> None:
    tiles = _tiles()
    for k in DIHEDRAL:
        once = dihedral(tiles, k)
        assert any(np.array_equal(dihedral(once, j), tiles) for j in DIHEDRAL)
        if k >= 4:  # mirrors are their own inverse
            np.testing.assert_array_equal(dihedral(once, k), tiles)


def test_bad_element_is_refused() -> None:
    with pytest.raises(ValueError, match="0…7"):
        dihedral(_tiles(), 8)


def test_tta_averages_the_views() -> None:
    tiles = _tiles(4, 4)

    def predict(images: np.ndarray) -> np.ndarray:  # "probability" = top-left pixel's share
        p = images[:, 0, 0, 0].astype(float) / 255
        return np.stack([p, 1 - p], axis=1)

    expected = np.mean([predict(dihedral(tiles, k)) for k in (0, 2, 4)], axis=0)
    np.testing.assert_allclose(tta_proba(predict, tiles, (0, 2, 4)), expected)
    np.testing.assert_allclose(tta_proba(predict, tiles, (0,)), predict(tiles))
    assert not np.allclose(tta_proba(predict, tiles), predict(tiles))
    with pytest.raises(ValueError):
        tta_proba(predict, tiles, ())
