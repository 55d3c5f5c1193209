"""A tiny fake CWFID tree: 4 photos of 40×60 px with known vegetation / crop / weed regions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image


def write_fake_cwfid(root: Path, train: list[int], test: list[int]) -> Path:
    """Photos 40×60: soil everywhere, a crop square at top-left, a weed square at top-right."""
    for folder in ("images", "masks", "annotations"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    for image_id in sorted(set(train) | set(test)):
        stem = f"{image_id:03d}"
        image = np.full((40, 60, 3), (120, 90, 60), dtype=np.uint8)  # brown soil
        soil = np.ones((40, 60), dtype=bool)  # the mask is white (True) on soil
        annotation = np.zeros((40, 60, 3), dtype=np.uint8)
        soil[2:12, 2:12] = False  # a crop plant
        annotation[2:12, 2:12] = (0, 255, 0)
        soil[2:12, 48:58] = False  # a weed
        annotation[2:12, 48:58] = (255, 0, 0)
        image[~soil] = (40, 160, 40)
        Image.fromarray(image).save(root / "images" / f"{stem}_image.png")
        Image.fromarray(soil).save(root / "masks" / f"{stem}_mask.png")
        Image.fromarray(annotation).save(root / "annotations" / f"{stem}_annotation.png")
    (root / "train_test_split.yaml").write_text(f"train: {train}\ntest: {test}\n")
    return root


@pytest.fixture
def fake_cwfid(tmp_path: Path) -> Path:
    return write_fake_cwfid(tmp_path / "cwfid", train=[1, 2, 3, 4, 5], test=[5, 6])
