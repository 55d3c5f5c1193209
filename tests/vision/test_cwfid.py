from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bihar.vision.classes import AMBIGUOUS, CROP, CROP_AND_WEEDS, GROUND, WEEDS
from bihar.vision.cwfid import (
    CwfidError,
    CwfidSample,
    TileConfig,
    assign_splits,
    build_tile_dataset,
    label_tile,
    locate_cwfid,
    read_sample,
    read_split,
    tile_sample,
)

CFG = TileConfig()


@pytest.mark.parametrize(
    ("vegetation", "crop", "weed", "expected"),
    [
        (0.0, 0.0, 0.0, GROUND),
        (0.004, 0.004, 0.0, GROUND),  # a speck under 0.5 % is still bare ground
        (0.30, 0.30, 0.0, CROP),
        (0.05, 0.049, 0.001, CROP),  # a trace of weed under 0.2 % is absent
        (0.20, 0.0, 0.20, WEEDS),
        (0.20, 0.05, 0.15, CROP_AND_WEEDS),
        (0.04, 0.02, 0.02, CROP_AND_WEEDS),
        (0.01, 0.01, 0.0, AMBIGUOUS),  # some plant, but under the 2 % presence threshold
        (0.10, 0.095, 0.005, AMBIGUOUS),  # weed between absent and present
        (0.10, 0.05, 0.0, AMBIGUOUS),  # half the vegetation is not annotated
    ],
)
def test_label_tile_rules(vegetation: float, crop: float, weed: float, expected: int) -> None:
    assert label_tile(vegetation, crop, weed, CFG) == expected


def _sample(crop_box: tuple[int, int, int, int] | None, weed_box=None) -> CwfidSample:
    veg = np.zeros((20, 40), dtype=bool)
    crop = np.zeros_like(veg)
    weed = np.zeros_like(veg)
    for box, mask in ((crop_box, crop), (weed_box, weed)):
        if box is not None:
            r0, r1, c0, c1 = box
            mask[r0:r1, c0:c1] = True
            veg[r0:r1, c0:c1] = True
    image = np.zeros((20, 40, 3), dtype=np.uint8)
    image[veg] = 200
    return CwfidSample(1, image, veg, crop, weed)


def test_tile_sample_labels_synthetic_masks() -> None:
    # tiles of 20 px, stride 20: [0:20, 0:20] holds the crop, [0:20, 20:40] the weed
    cfg = TileConfig(tile=20, stride=20, out_size=10)
    tiles, labels, boxes, fractions = tile_sample(_sample((5, 10, 5, 10), (5, 10, 25, 30)), cfg)
    assert labels.tolist() == [CROP, WEEDS]
    assert boxes.tolist() == [[0, 0], [0, 20]]
    assert tiles.shape == (2, 10, 10, 3)
    np.testing.assert_allclose(fractions[0], [25 / 400, 25 / 400, 0])
    # one 20×40 tile (stride 20 → single position in a 20×40 photo) holds both
    both = TileConfig(tile=20, stride=20, out_size=20)
    _, labels, _, _ = tile_sample(_sample((5, 10, 5, 10), (5, 10, 12, 17)), both)
    assert labels.tolist() == [CROP_AND_WEEDS, GROUND]


def test_tile_sample_drops_ambiguous_tiles() -> None:
    cfg = TileConfig(tile=20, stride=20, out_size=20)
    # 2 px of crop in a 400 px tile = 0.5 %: above "ground", below "present"
    _, labels, _, _ = tile_sample(_sample((0, 1, 0, 2)), cfg)
    assert labels.tolist() == [GROUND]  # the first tile is dropped, the empty second kept


def test_read_sample_masks(fake_cwfid: Path) -> None:
    sample = read_sample(fake_cwfid, 1)
    assert sample.image.shape == (40, 60, 3)
    assert sample.crop[5, 5] and not sample.weed[5, 5]
    assert sample.weed[5, 50] and not sample.crop[5, 50]
    assert sample.vegetation.sum() == 200
    assert not sample.vegetation[30, 30]


def test_read_sample_names_the_missing_file(fake_cwfid: Path) -> None:
    (fake_cwfid / "masks" / "002_mask.png").unlink()
    with pytest.raises(CwfidError, match=r"002_mask\.png"):
        read_sample(fake_cwfid, 2)


def test_read_split_removes_photos_listed_twice(fake_cwfid: Path) -> None:
    train, test = read_split(fake_cwfid)
    assert 5 in test and 5 not in train
    assert not set(train) & set(test)


def test_bad_split_file_is_a_clear_error(fake_cwfid: Path) -> None:
    (fake_cwfid / "train_test_split.yaml").write_text("train: [1, 2]\n")
    with pytest.raises(CwfidError, match=r"train_test_split\.yaml"):
        read_split(fake_cwfid)


def test_assign_splits_carves_validation_from_training_photos() -> None:
    splits = assign_splits(list(range(1, 41)), [41, 42], val_fraction=0.2, seed=0)
    assert sum(v == "val" for v in splits.values()) == 8
    assert splits[41] == splits[42] == "test"
    assert assign_splits(list(range(1, 41)), [41], 0.2, seed=0) == assign_splits(
        list(range(1, 41)), [41], 0.2, seed=0
    )
    with pytest.raises(CwfidError):
        assign_splits([1, 2], [2, 3], 0.5, seed=0)


def test_tile_dataset_shares_no_source_photo_between_splits(fake_cwfid: Path, tmp_path: Path):
    cfg = TileConfig(tile=20, stride=10, out_size=8)
    data = build_tile_dataset(fake_cwfid, cfg, cache_dir=tmp_path / "cache", val_fraction=0.25)
    owners = {
        split: set(data.image_ids[data.splits == split].tolist())
        for split in ("train", "val", "test")
    }
    assert owners["train"] and owners["val"] and owners["test"]
    assert not owners["train"] & owners["val"]
    assert not owners["train"] & owners["test"]
    assert not owners["val"] & owners["test"]
    assert owners["test"] == {5, 6}
    # the cache gives back the same dataset
    again = build_tile_dataset(fake_cwfid, cfg, cache_dir=tmp_path / "cache", val_fraction=0.25)
    np.testing.assert_array_equal(again.images, data.images)
    np.testing.assert_array_equal(again.splits, data.splits)
    assert list(tmp_path.glob("cache/vision/*.npz"))
    counts = data.class_counts()
    assert sum(sum(c.values()) for c in counts.values()) == len(data)


def test_locate_prefers_the_local_copy(fake_cwfid: Path, tmp_path: Path) -> None:
    assert locate_cwfid(fake_cwfid.parent, tmp_path) == fake_cwfid
    with pytest.raises(CwfidError, match="no CWFID copy"):
        locate_cwfid(tmp_path / "nowhere", tmp_path, source="local")
