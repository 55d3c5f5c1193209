"""Loader for the Kaggle "Labeled Corn Dataset" layout (the brief's original data).

The dataset is a folder tree `Treino|Validação|Teste` (train / validation / test) ×
`Chao|Milho|Ervas|Milho_ervas` (ground / corn / weeds / corn and weeds) of photos. It could not
be obtained in this project's environment, so every executed figure uses CWFID instead
(`bihar.vision.cwfid`); this loader maps the same tree onto the four shared classes, from a
local folder or — when online — through `kagglehub`.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image

from bihar.vision.classes import CROP, CROP_AND_WEEDS, GROUND, WEEDS
from bihar.vision.cwfid import TileConfig, TileDataset

log = logging.getLogger(__name__)

KAGGLE_HANDLE = "alexandrelemercier/labeled-corn-dataset"
"""kagglehub handle `owner/dataset`; override with the `handle` argument if it moved."""

SPLIT_FOLDERS: dict[str, str] = {"treino": "train", "validacao": "val", "teste": "test"}
CLASS_FOLDERS: dict[str, int] = {
    "chao": GROUND,
    "milho": CROP,
    "ervas": WEEDS,
    "milho_ervas": CROP_AND_WEEDS,
}
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff"}


class KaggleCornError(Exception):
    """The folder does not have the Treino|Validação|Teste × class-folder layout."""


@dataclass(frozen=True)
class ImageRecord:
    path: Path
    split: str  # train | val | test
    label: int


def _key(name: str) -> str:
    """Folder name → ASCII lower case ('Validação' in NFC or NFD → 'validacao', 'Chão' → 'chao')."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower().strip()


def _find_root(folder: Path) -> Path:
    """The folder that holds the split folders: `folder` itself or one of its descendants."""
    candidates = [folder, *sorted(p for p in folder.rglob("*") if p.is_dir())]
    for candidate in candidates:
        names = {_key(p.name) for p in candidate.iterdir() if p.is_dir()}
        if set(SPLIT_FOLDERS) <= names:
            return candidate
    raise KaggleCornError(
        f"{folder}: no folder holding {sorted(SPLIT_FOLDERS)} (Treino, Validação, Teste) found"
    )


def scan_kaggle_corn(folder: Path) -> list[ImageRecord]:
    """Every image of the tree with its split and class; clear errors on a bad tree."""
    if not folder.is_dir():
        raise KaggleCornError(f"{folder}: not a folder")
    root = _find_root(folder)
    records: list[ImageRecord] = []
    for split_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        split = SPLIT_FOLDERS.get(_key(split_dir.name))
        if split is None:
            continue
        for class_dir in sorted(p for p in split_dir.iterdir() if p.is_dir()):
            label = CLASS_FOLDERS.get(_key(class_dir.name))
            if label is None:
                raise KaggleCornError(
                    f"{class_dir}: unknown class folder; expected one of Chao, Milho, Ervas, "
                    "Milho_ervas"
                )
            files = sorted(
                p for p in class_dir.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
            )
            records += [ImageRecord(p, split, label) for p in files]
    for split in SPLIT_FOLDERS.values():
        if not any(r.split == split for r in records):
            raise KaggleCornError(f"{root}: the {split} folder holds no images")
    log.info("Kaggle corn layout at %s: %d images", root, len(records))
    return records


def locate_kaggle_corn(
    local_dir: Path | None = None,
    source: Literal["auto", "local", "online"] = "auto",
    handle: str = KAGGLE_HANDLE,
) -> Path:
    """The dataset folder: `local_dir` when it exists (auto/local), else `kagglehub` download."""
    if source != "online" and local_dir is not None and local_dir.is_dir():
        log.info("Kaggle corn source: local folder %s", local_dir)
        return local_dir
    if source == "local":
        raise KaggleCornError(f"{local_dir}: no local copy of the Kaggle corn dataset")
    try:
        import kagglehub

        path = Path(kagglehub.dataset_download(handle))
    except Exception as exc:  # network, credentials, unknown handle: all mean "not obtainable"
        raise KaggleCornError(f"kagglehub could not download {handle!r}: {exc}") from exc
    log.info("Kaggle corn source: kagglehub %s -> %s", handle, path)
    return path


def load_kaggle_corn(folder: Path, size: int = 96) -> TileDataset:
    """All images of the tree resized to size×size, as a TileDataset (split from the folders)."""
    records = scan_kaggle_corn(folder)
    images = np.empty((len(records), size, size, 3), dtype=np.uint8)
    for i, record in enumerate(records):
        try:
            with Image.open(record.path) as im:
                resized = im.convert("RGB").resize((size, size), Image.Resampling.BILINEAR)
                images[i] = np.asarray(resized)
        except OSError as exc:
            raise KaggleCornError(f"{record.path}: not a readable image ({exc})") from exc
    n = len(records)
    return TileDataset(
        images=images,
        labels=np.array([r.label for r in records], dtype=np.int64),
        image_ids=np.arange(n),
        splits=np.array([r.split for r in records]).astype(str),
        boxes=np.zeros((n, 2), dtype=np.int32),
        fractions=np.full((n, 3), np.nan, dtype=np.float32),
        config=TileConfig(tile=size, stride=size, out_size=size),
    )
