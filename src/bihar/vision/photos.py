"""Field photos as the classifier reads them: checked, converted to 8-bit RGB, cut into tiles.

The model was trained on 8-bit colour photos (CWFID's false-colour images), so a photo is read
under one explicit policy, the same in Python and in the C runtime (edge/):

- JPEG and PNG only; a truncated or corrupt file is refused;
- 8-bit RGB is used as is; a palette image is expanded to RGB;
- 16-bit colour is **converted** to 8 bits by keeping the high byte (what libpng's
  `png_set_strip_16` and Pillow do), and the conversion is reported;
- an alpha channel is **dropped** when every pixel is opaque, and the photo **refused** otherwise
  (the transparent pixels have no colour to classify);
- grayscale (1-, 8- or 16-bit, with or without alpha) is **refused**: the crop/weed cues are in
  the colours, and a gray photo gets confidently wrong answers;
- a photo smaller than one tile, or larger than `MAX_PIXELS`, is refused.

`photo_tiles` cuts the photo the way the training data was cut (`cwfid.tile_sample`): square
tiles of `tile` pixels every `stride` pixels from the top-left corner; a margin narrower than a
stride at the right or bottom edge is not covered.
"""

from __future__ import annotations

import logging
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

log = logging.getLogger(__name__)

MAX_PIXELS = 64_000_000
"""The largest photo read (64 megapixels, 192 MB of RGB): larger files are refused."""

FORMATS = ("JPEG", "PNG")
_GRAY = {"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"}


class PhotoError(ValueError):
    """A file that is not a usable photo; the message names the file and the reason."""


@dataclass(frozen=True)
class Photo:
    """An 8-bit RGB photo (H×W×3 uint8) and what was done to read it."""

    path: Path
    image: np.ndarray
    conversions: tuple[str, ...] = ()

    @property
    def height(self) -> int:
        return int(self.image.shape[0])

    @property
    def width(self) -> int:
        return int(self.image.shape[1])


def _png_header(path: Path) -> tuple[int, int] | None:
    """(bit depth, colour type) from a PNG's IHDR chunk, None when the file is not a PNG."""
    with path.open("rb") as handle:
        head = handle.read(33)
    if len(head) < 33 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    depth, colour = struct.unpack(">BB", head[24:26])
    return depth, colour


def read_photo(path: Path, min_size: int = 1) -> Photo:
    """Read `path` under the policy above; raises `PhotoError` with a one-line reason."""
    path = Path(path)
    if not path.is_file():
        raise PhotoError(f"{path}: no such file")
    try:
        with Image.open(path) as im:
            if im.format not in FORMATS:
                raise PhotoError(f"{path}: a {im.format} image; JPEG or PNG expected")
            width, height = im.size
            if width * height > MAX_PIXELS:
                raise PhotoError(
                    f"{path}: {width}×{height} px is over the {MAX_PIXELS // 1_000_000} "
                    "megapixel limit; downscale it first"
                )
            im.load()
            image, conversions = _to_rgb(path, im)
    except PhotoError:
        raise
    except UnidentifiedImageError:
        raise PhotoError(f"{path}: not an image (JPEG or PNG expected)") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise PhotoError(f"{path}: truncated or corrupt image ({exc})") from None
    if min(image.shape[:2]) < min_size:
        raise PhotoError(
            f"{path}: {image.shape[1]}×{image.shape[0]} px is smaller than one "
            f"{min_size}×{min_size} px tile"
        )
    for note in conversions:
        log.warning("%s: %s", path, note)
    return Photo(path, image, conversions)


def _to_rgb(path: Path, im: Image.Image) -> tuple[np.ndarray, tuple[str, ...]]:
    conversions: list[str] = []
    header = _png_header(path) if im.format == "PNG" else None
    if im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    if im.mode in _GRAY:
        raise PhotoError(
            f"{path}: a grayscale image (mode {im.mode}); the model needs colour (RGB) photos"
        )
    if header is not None and header[0] == 16:
        conversions.append("16-bit colour converted to 8 bits (high byte)")
    if im.mode in ("RGBA", "RGBa"):
        alpha = np.asarray(im.getchannel("A"))
        if alpha.min() < 255:
            share = float((alpha < 255).mean())
            raise PhotoError(
                f"{path}: {share:.1%} of the pixels are transparent; "
                "flatten the photo onto an opaque background first"
            )
        conversions.append("opaque alpha channel dropped")
        im = im.convert("RGB")
    elif im.mode in ("CMYK", "YCbCr", "LAB", "HSV"):
        conversions.append(f"{im.mode} converted to RGB")
        im = im.convert("RGB")
    if im.mode != "RGB":
        raise PhotoError(f"{path}: unsupported pixel format {im.mode}")
    return np.asarray(im, dtype=np.uint8).copy(), tuple(conversions)


def tile_boxes(height: int, width: int, tile: int, stride: int) -> np.ndarray:
    """N×2 (top, left) of the tiles of a height×width photo, row by row."""
    if tile < 1 or stride < 1:
        raise ValueError(f"tile and stride must be positive, got {tile} and {stride}")
    tops = range(0, height - tile + 1, stride)
    lefts = range(0, width - tile + 1, stride)
    return np.array([(t, left) for t in tops for left in lefts], dtype=np.int32).reshape(-1, 2)


def photo_tiles(image: np.ndarray, tile: int, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """(tiles N×tile×tile×3 uint8, boxes N×2 top/left) of an H×W×3 photo.

    Refuses a photo smaller than one tile instead of returning no tiles.
    """
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"expected an H×W×3 uint8 photo, got {image.dtype} {image.shape}")
    height, width = image.shape[:2]
    if height < tile or width < tile:
        raise PhotoError(f"a {width}×{height} px photo is smaller than one {tile}×{tile} px tile")
    boxes = tile_boxes(height, width, tile, stride)
    tiles = np.stack([image[t : t + tile, left : left + tile] for t, left in boxes])
    return tiles, boxes


def check_tiles(images: np.ndarray, tile_px: int) -> None:
    """Raise unless `images` are uint8 tiles N×tile_px×tile_px×3 (a predictor given a whole
    photo would squash it into one tile and still answer)."""
    if images.ndim != 4 or images.shape[1:] != (tile_px, tile_px, 3) or images.dtype != np.uint8:
        raise ValueError(
            f"expected uint8 tiles N×{tile_px}×{tile_px}×3, got {images.dtype} {images.shape}; "
            "cut photos into tiles first (photos.photo_tiles)"
        )


def resize_tiles(tiles: np.ndarray, size: int) -> np.ndarray:
    """uint8 tiles N×S×S×3 resized to size×size with Pillow's bilinear filter (how the training
    tiles are stored: `cwfid.tile_sample`); unchanged when already that size."""
    if tiles.shape[1] == size and tiles.shape[2] == size:
        return tiles
    out = [
        np.asarray(Image.fromarray(t).resize((size, size), Image.Resampling.BILINEAR))
        for t in tiles
    ]
    return np.stack(out).reshape(-1, size, size, 3) if out else np.empty((0, size, size, 3), "u1")
