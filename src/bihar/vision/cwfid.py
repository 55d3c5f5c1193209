"""CWFID (Crop/Weed Field Image Dataset) as a four-class tile dataset.

CWFID holds 60 top-down field photos (966×1296 px) of a carrot field, each with a vegetation
mask (`masks/NNN_mask.png`, black = plant) and a per-pixel plant-type annotation
(`annotations/NNN_annotation.png`, green = crop, red = weed). Each photo is cut into square
tiles; each tile is labelled from the fractions of its pixels that are vegetation, crop and weed
(`label_tile`, thresholds in `TileConfig`). Tiles that fit no rule are dropped as ambiguous.

The split is by source photo: the dataset's `train_test_split.yaml` names the test photos;
validation photos are drawn (seeded) from the training photos, so no photo has tiles on two
sides. The tile arrays are cached as one `.npz` under `settings.cache_dir`, keyed by the config.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import zipfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import yaml
from PIL import Image

from bihar.vision.classes import AMBIGUOUS, CLASS_NAMES, CROP, CROP_AND_WEEDS, GROUND, WEEDS
from bihar.vision.photos import resize_tiles

log = logging.getLogger(__name__)

CWFID_URL = "https://github.com/cwfid/dataset/archive/refs/tags/v1.0.zip"
"""The original release of the dataset (used only when no local copy exists)."""

N_IMAGES = 60


class CwfidError(Exception):
    """The CWFID folder is missing or one of its files is unreadable or inconsistent."""


@dataclass(frozen=True)
class TileConfig:
    """How photos are cut and tiles labelled (fractions are of the tile's pixels).

    tile=160, stride=80: a 160-px square of the 966×1296 photo holds one to a few carrot
    seedlings or weeds (plants are 20–200 px across), a half-tile stride keeps plants cut at one
    border whole in a neighbour. Tiles are stored resized to `out_size` = 96 px (0.6×): the
    pretrained network's input; the scratch CNNs shrink them further to 64 px.
    """

    tile: int = 160
    stride: int = 80
    out_size: int = 96
    ground_max_vegetation: float = 0.005
    """ground: under 0.5 % of the pixels are vegetation."""
    present_min: float = 0.02
    """a plant type is *present* when it covers at least 2 % of the tile."""
    absent_max: float = 0.002
    """a plant type is *absent* when it covers under 0.2 % of the tile."""
    unlabelled_max: float = 0.01
    """vegetation pixels with no crop/weed annotation must stay under 1 % (else unknown type)."""

    def key(self) -> str:
        text = json.dumps(asdict(self), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:10]


@dataclass(frozen=True)
class CwfidSample:
    """One photo and its boolean per-pixel masks (all H×W)."""

    image_id: int
    image: np.ndarray  # uint8 H×W×3
    vegetation: np.ndarray
    crop: np.ndarray
    weed: np.ndarray


@dataclass
class TileDataset:
    """Tiles of many photos: images (N×S×S×3 uint8), labels, source photo, split, position."""

    images: np.ndarray
    labels: np.ndarray
    image_ids: np.ndarray
    splits: np.ndarray  # "train" | "val" | "test"
    boxes: np.ndarray  # N×2: top, left in the source photo
    fractions: np.ndarray  # N×3: vegetation, crop, weed fractions
    config: TileConfig = field(default_factory=TileConfig)

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, split: str, classes: Sequence[int] | None = None) -> TileDataset:
        """The tiles of one split, optionally only the given classes (labels kept as is)."""
        keep = self.splits == split
        if classes is not None:
            keep &= np.isin(self.labels, list(classes))
        return TileDataset(
            self.images[keep],
            self.labels[keep],
            self.image_ids[keep],
            self.splits[keep],
            self.boxes[keep],
            self.fractions[keep],
            self.config,
        )

    def class_counts(
        self, splits: Sequence[str] = ("train", "val", "test")
    ) -> dict[str, dict[str, int]]:
        """{split: {class name: number of tiles}} of `splits` (only those are read)."""
        return {
            split: {
                name: int(((self.splits == split) & (self.labels == k)).sum())
                for k, name in enumerate(CLASS_NAMES)
            }
            for split in splits
        }


def locate_cwfid(
    data_dir: Path | None,
    cache_dir: Path,
    source: Literal["auto", "local", "online"] = "auto",
) -> Path:
    """The CWFID root folder: `data_dir/cwfid` when present (auto/local), else downloaded.

    The download (GitHub release of the original dataset) is unpacked once under `cache_dir`.
    Logs which source was used.
    """
    local = data_dir / "cwfid" if data_dir is not None else None
    if source != "online" and local is not None and (local / "train_test_split.yaml").is_file():
        log.info("CWFID source: local copy %s", local)
        return local
    if source == "local":
        raise CwfidError(f"no CWFID copy at {local} (train_test_split.yaml missing)")
    target = cache_dir / "cwfid-download"
    found = sorted(target.glob("**/train_test_split.yaml"))
    if not found:
        found = [_download(target) / "train_test_split.yaml"]
    log.info("CWFID source: downloaded release %s -> %s", CWFID_URL, found[0].parent)
    return found[0].parent


def _download(target: Path) -> Path:
    import httpx

    log.info("downloading %s", CWFID_URL)
    response = httpx.get(CWFID_URL, follow_redirects=True, timeout=300)
    response.raise_for_status()
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        archive.extractall(target)
    found = sorted(target.glob("**/train_test_split.yaml"))
    if not found:
        raise CwfidError(f"the archive from {CWFID_URL} holds no train_test_split.yaml")
    return found[0].parent


def _read_png(path: Path) -> np.ndarray:
    if not path.is_file():
        raise CwfidError(f"{path}: file missing")
    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB") if im.mode not in ("1", "L") else im)
    except OSError as exc:
        raise CwfidError(f"{path}: not a readable image ({exc})") from exc


def read_sample(root: Path, image_id: int) -> CwfidSample:
    """Read photo `image_id` (1-based) with its vegetation, crop and weed masks."""
    stem = f"{image_id:03d}"
    image = _read_png(root / "images" / f"{stem}_image.png")
    mask = _read_png(root / "masks" / f"{stem}_mask.png")
    annotation = _read_png(root / "annotations" / f"{stem}_annotation.png")
    if image.ndim != 3 or image.shape[2] != 3:
        raise CwfidError(f"{root / 'images' / f'{stem}_image.png'}: expected an RGB image")
    if mask.shape[:2] != image.shape[:2] or annotation.shape[:2] != image.shape[:2]:
        raise CwfidError(
            f"{root}/*/{stem}_*.png: image {image.shape[:2]}, mask {mask.shape[:2]} and "
            f"annotation {annotation.shape[:2]} sizes differ"
        )
    if mask.ndim == 3:
        mask = mask[..., 0]
    vegetation = ~(mask.astype(bool))  # the mask is white on soil, black on plants
    crop = (annotation[..., 1] > 127) & (annotation[..., 0] <= 127)
    weed = (annotation[..., 0] > 127) & (annotation[..., 1] <= 127)
    return CwfidSample(image_id, image, vegetation, crop & vegetation, weed & vegetation)


def read_split(root: Path) -> tuple[list[int], list[int]]:
    """(train ids, test ids) from `train_test_split.yaml`, made disjoint.

    The shipped file lists photo 28 in both lists; a photo in both is kept in test only
    (the side that must stay unseen) and a warning is logged.
    """
    path = root / "train_test_split.yaml"
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        train, test = [int(i) for i in spec["train"]], [int(i) for i in spec["test"]]
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise CwfidError(f"{path}: expected 'train' and 'test' lists of ids ({exc})") from exc
    both = sorted(set(train) & set(test))
    if both:
        log.warning("%s lists photos %s in train and test; kept in test only", path, both)
        train = [i for i in train if i not in both]
    return sorted(set(train)), sorted(set(test))


def assign_splits(
    train_ids: Sequence[int], test_ids: Sequence[int], val_fraction: float, seed: int
) -> dict[int, str]:
    """{photo id: split}: test as given, `val_fraction` of the training photos drawn as val."""
    if set(train_ids) & set(test_ids):
        raise CwfidError(f"photos {sorted(set(train_ids) & set(test_ids))} in train and test")
    rng = np.random.default_rng(seed)
    ids = np.array(sorted(train_ids))
    n_val = max(1, round(val_fraction * len(ids)))
    val = set(rng.choice(ids, size=n_val, replace=False).tolist())
    out = {int(i): ("val" if i in val else "train") for i in ids}
    out.update({int(i): "test" for i in test_ids})
    return out


def label_tile(vegetation: float, crop: float, weed: float, cfg: TileConfig) -> int:
    """The class of a tile from its vegetation / crop / weed pixel fractions, or AMBIGUOUS.

    ground: vegetation < ground_max_vegetation. Otherwise the unannotated vegetation
    (vegetation − crop − weed) must be < unlabelled_max, and: crop present (≥ present_min) with
    weed absent (< absent_max) → crop; the reverse → weeds; both present → crop and weeds.
    Everything between (a trace of one type, too little plant) is ambiguous.
    """
    if vegetation < cfg.ground_max_vegetation:
        return GROUND
    if vegetation - crop - weed >= cfg.unlabelled_max:
        return AMBIGUOUS
    crop_on, weed_on = crop >= cfg.present_min, weed >= cfg.present_min
    if crop_on and weed_on:
        return CROP_AND_WEEDS
    if crop_on and weed < cfg.absent_max:
        return CROP
    if weed_on and crop < cfg.absent_max:
        return WEEDS
    return AMBIGUOUS


def tile_sample(
    sample: CwfidSample, cfg: TileConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(tiles N×out×out×3, labels N, boxes N×2, fractions N×3) of one photo, ambiguous dropped."""
    height, width = sample.vegetation.shape
    tiles, labels, boxes, fractions = [], [], [], []
    for top in range(0, height - cfg.tile + 1, cfg.stride):
        for left in range(0, width - cfg.tile + 1, cfg.stride):
            window = np.s_[top : top + cfg.tile, left : left + cfg.tile]
            frac = (
                float(sample.vegetation[window].mean()),
                float(sample.crop[window].mean()),
                float(sample.weed[window].mean()),
            )
            label = label_tile(*frac, cfg)
            if label == AMBIGUOUS:
                continue
            tiles.append(resize_tiles(sample.image[window][None], cfg.out_size)[0])
            labels.append(label)
            boxes.append((top, left))
            fractions.append(frac)
    size = cfg.out_size
    return (
        np.asarray(tiles, dtype=np.uint8).reshape(-1, size, size, 3),
        np.asarray(labels, dtype=np.int64),
        np.asarray(boxes, dtype=np.int32).reshape(-1, 2),
        np.asarray(fractions, dtype=np.float32).reshape(-1, 3),
    )


def build_tile_dataset(
    root: Path,
    cfg: TileConfig | None = None,
    cache_dir: Path | None = None,
    val_fraction: float = 0.2,
    seed: int = 42,
    image_ids: Sequence[int] | None = None,
) -> TileDataset:
    """Tile every photo (or `image_ids`), label, split by photo; cached as an .npz when asked."""
    cfg = cfg or TileConfig()
    train_ids, test_ids = read_split(root)
    splits = assign_splits(train_ids, test_ids, val_fraction, seed)
    ids = sorted(splits) if image_ids is None else sorted(image_ids)
    cache = None
    if cache_dir is not None:
        tag = hashlib.sha256(f"{cfg.key()}-{val_fraction}-{seed}-{ids}".encode()).hexdigest()[:10]
        cache = cache_dir / "vision" / f"cwfid_tiles_{tag}.npz"
        if cache.is_file():
            log.info("CWFID tiles from cache %s", cache)
            with np.load(cache) as data:
                return TileDataset(
                    data["images"],
                    data["labels"],
                    data["image_ids"],
                    data["splits"].astype(str),
                    data["boxes"],
                    data["fractions"],
                    cfg,
                )
    parts: list[tuple[np.ndarray, ...]] = []
    for image_id in ids:
        if image_id not in splits:
            raise CwfidError(f"photo {image_id} is in neither list of train_test_split.yaml")
        tiles, labels, boxes, fractions = tile_sample(read_sample(root, image_id), cfg)
        parts.append(
            (tiles, labels, np.full(len(labels), image_id), boxes, fractions, splits[image_id])
        )
        log.debug("photo %d: %d tiles", image_id, len(labels))
    data = TileDataset(
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        np.concatenate([p[2] for p in parts]),
        np.concatenate([np.full(len(p[1]), p[5]) for p in parts]).astype(str),
        np.concatenate([p[3] for p in parts]),
        np.concatenate([p[4] for p in parts]),
        cfg,
    )
    log.info("CWFID: %d tiles from %d photos; %s", len(data), len(ids), data.class_counts())
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(
            cache,
            images=data.images,
            labels=data.labels,
            image_ids=data.image_ids,
            splits=data.splits.astype("U5"),
            boxes=data.boxes,
            fractions=data.fractions,
        )
        log.info("CWFID tiles cached in %s", cache)
    return data
