"""Classify the tiles of field photos with a saved model: one JSON and one spray map per photo.

The JSON is the contract shared with the C runtime (`edge/`, whose `bihar-edge PHOTO` prints
the same document):

    {"photo": "field.png", "width": 1296, "height": 966, "conversions": [],
     "model": {"name": "field-images", "version": 3, "sha256": "…"},
     "tile": {"size": 160, "stride": 80},
     "classes": ["ground", "crop", "weeds", "crop_and_weeds"],
     "counts": {"ground": 101, "crop": 12, "weeds": 40, "crop_and_weeds": 12},
     "tiles": [{"box": {"top": 0, "left": 0, "bottom": 160, "right": 160},
                "class": "weeds", "probabilities": [0.01, 0.02, 0.95, 0.02]}, …]}

Probabilities are in `classes` order, rounded to 6 decimals. The spray map is the photo with
each tile's central stride×stride square tinted by its class (neighbouring tiles overlap by
half, so their centres pave the photo), with a legend.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from bihar.atomic_write import write_text_atomic
from bihar.file_registry import StoredVersion
from bihar.vision.classes import CLASS_NAMES
from bihar.vision.field_model import FieldModel
from bihar.vision.photos import Photo, photo_tiles

COLOURS = {
    "ground": (150, 110, 70),
    "crop": (40, 170, 60),
    "weeds": (220, 40, 40),
    "crop_and_weeds": (240, 150, 20),
}
"""Spray-map tint of each class: weeds (spray) red, crop and weeds orange, crop green."""


@dataclass(frozen=True)
class PhotoResult:
    """The classification of one photo: its tiles' boxes, probabilities and the JSON document."""

    photo: Photo
    boxes: np.ndarray
    proba: np.ndarray
    document: dict[str, Any]


def classify_photo(model: FieldModel, stored: StoredVersion, photo: Photo) -> PhotoResult:
    """Tile `photo` the training way and classify every tile with `model`."""
    tile, stride = model.config.tiles.tile, model.config.tiles.stride
    tiles, boxes = photo_tiles(photo.image, tile, stride)
    proba = model.predict(tiles).proba
    return PhotoResult(photo, boxes, proba, _document(stored, photo, boxes, proba, tile, stride))


def _document(
    stored: StoredVersion,
    photo: Photo,
    boxes: np.ndarray,
    proba: np.ndarray,
    tile: int,
    stride: int,
) -> dict[str, Any]:
    labels = proba.argmax(axis=1)
    return {
        "photo": str(photo.path),
        "width": photo.width,
        "height": photo.height,
        "conversions": list(photo.conversions),
        "model": {"name": stored.name, "version": stored.version, "sha256": stored.sha256},
        "tile": {"size": tile, "stride": stride},
        "classes": list(CLASS_NAMES),
        "counts": {name: int((labels == k).sum()) for k, name in enumerate(CLASS_NAMES)},
        "tiles": [
            {
                "box": {"top": int(t), "left": int(left), "bottom": int(t) + tile,
                        "right": int(left) + tile},
                "class": CLASS_NAMES[int(k)],
                "probabilities": [round(float(v), 6) for v in p],
            }
            for (t, left), k, p in zip(boxes, labels, proba, strict=True)
        ],
    }  # fmt: skip


def spray_map(result: PhotoResult, stride: int, opacity: float = 0.45) -> Image.Image:
    """The photo with each tile's central stride×stride square tinted by its class, and a legend."""
    image = result.photo.image.astype(np.float32)
    tint = np.zeros_like(image)
    covered = np.zeros(image.shape[:2], dtype=bool)
    size = result.document["tile"]["size"]
    margin = (size - stride) // 2
    for (top, left), k in zip(result.boxes, result.proba.argmax(axis=1), strict=True):
        window = np.s_[top + margin : top + margin + stride, left + margin : left + margin + stride]
        tint[window] = COLOURS[CLASS_NAMES[int(k)]]
        covered[window] = True
    image[covered] = (1 - opacity) * image[covered] + opacity * tint[covered]
    picture = Image.fromarray(image.round().astype(np.uint8))
    return _with_legend(picture, result.document["counts"])


def _with_legend(picture: Image.Image, counts: dict[str, int]) -> Image.Image:
    font = ImageFont.load_default(size=max(12, picture.height // 40))
    line = font.size + 8  # type: ignore[union-attr]
    legend = Image.new("RGB", (picture.width, line * len(COLOURS) + 8), (255, 255, 255))
    draw = ImageDraw.Draw(legend)
    for i, (name, colour) in enumerate(COLOURS.items()):
        y = 4 + i * line
        draw.rectangle((8, y, 8 + line - 6, y + line - 6), fill=colour)
        text = f"{name.replace('_', ' ')}: {counts.get(name, 0)} tiles"
        draw.text((16 + line, y), text, fill=(0, 0, 0), font=font)
    out = Image.new("RGB", (picture.width, picture.height + legend.height), (255, 255, 255))
    out.paste(picture, (0, 0))
    out.paste(legend, (0, picture.height))
    return out


def write_outputs(result: PhotoResult, out_dir: Path, stride: int) -> tuple[Path, Path]:
    """Write `<stem>.json` and `<stem>_spray.png` into `out_dir`, each atomically."""
    stem = result.photo.path.stem
    json_path = write_text_atomic(
        out_dir / f"{stem}.json", json.dumps(result.document, indent=1) + "\n"
    )
    png_path = out_dir / f"{stem}_spray.png"
    fd, tmp = tempfile.mkstemp(prefix=f".{png_path.name}.", suffix=".part", dir=out_dir)
    try:
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as handle:
            spray_map(result, stride).save(handle, format="PNG")
        os.replace(tmp, png_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return json_path, png_path


def unique_stems(paths: Sequence[Path]) -> list[str]:
    """Stems repeated among `paths` (their outputs would overwrite each other)."""
    stems = [p.stem for p in paths]
    return sorted({s for s in stems if stems.count(s) > 1})
