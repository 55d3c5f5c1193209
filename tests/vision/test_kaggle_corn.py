from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bihar.vision.classes import CROP, CROP_AND_WEEDS, GROUND, WEEDS
from bihar.vision.kaggle_corn import (
    KaggleCornError,
    load_kaggle_corn,
    locate_kaggle_corn,
    scan_kaggle_corn,
)

CLASSES = {"Chao": GROUND, "Milho": CROP, "Ervas": WEEDS, "Milho_ervas": CROP_AND_WEEDS}


def _tree(root: Path, validation: str = "Validação") -> Path:
    """root/corn/<split>/<class>/img_k.jpg with 1 image per class and split."""
    base = root / "corn"
    for split in ("Treino", validation, "Teste"):
        for k, name in enumerate(CLASSES):
            folder = base / split / name
            folder.mkdir(parents=True)
            Image.new("RGB", (30, 20), (10 * k, 100, 50)).save(folder / f"img_{k}.jpg")
    return root


def test_scan_maps_folders_to_the_four_classes(tmp_path: Path) -> None:
    records = scan_kaggle_corn(_tree(tmp_path))  # the split folders sit one level down
    assert len(records) == 12
    assert {r.split for r in records} == {"train", "val", "test"}
    for record in records:
        assert record.label == CLASSES[record.path.parent.name]


def test_decomposed_unicode_folder_name_is_accepted(tmp_path: Path) -> None:
    nfd = unicodedata.normalize("NFD", "Validação")
    records = scan_kaggle_corn(_tree(tmp_path, validation=nfd))
    assert sum(r.split == "val" for r in records) == 4


def test_load_resizes_and_labels(tmp_path: Path) -> None:
    data = load_kaggle_corn(_tree(tmp_path), size=16)
    assert data.images.shape == (12, 16, 16, 3)
    assert data.images.dtype == np.uint8
    assert sorted(data.class_counts()["test"].values()) == [1, 1, 1, 1]


def test_unknown_class_folder_is_named(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    (root / "corn" / "Teste" / "Soja").mkdir()
    with pytest.raises(KaggleCornError, match="Soja"):
        scan_kaggle_corn(root)


def test_missing_split_folder_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "Treino" / "Chao").mkdir(parents=True)
    with pytest.raises(KaggleCornError, match="Teste"):
        scan_kaggle_corn(tmp_path)


def test_empty_split_is_a_clear_error(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    for image in (root / "corn" / "Teste").rglob("*.jpg"):
        image.unlink()
    with pytest.raises(KaggleCornError, match="test folder holds no images"):
        scan_kaggle_corn(root)


def test_unreadable_image_is_named(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    bad = root / "corn" / "Treino" / "Chao" / "broken.jpg"
    bad.write_bytes(b"not a jpeg")
    with pytest.raises(KaggleCornError, match=r"broken\.jpg"):
        load_kaggle_corn(root, size=8)


def test_locate_uses_the_local_folder_and_refuses_missing_one(tmp_path: Path) -> None:
    assert locate_kaggle_corn(tmp_path) == tmp_path
    with pytest.raises(KaggleCornError, match="no local copy"):
        locate_kaggle_corn(tmp_path / "absent", source="local")
