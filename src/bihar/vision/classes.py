"""The four field-image classes shared by every loader and model."""

from __future__ import annotations

CLASS_NAMES: tuple[str, ...] = ("ground", "crop", "weeds", "crop_and_weeds")
"""Index order of the labels: 0 bare soil, 1 crop only, 2 weeds only, 3 crop and weeds."""

GROUND, CROP, WEEDS, CROP_AND_WEEDS = range(4)
AMBIGUOUS = -1
"""Label of a tile that fits no class under the thresholds; such tiles are dropped."""

THREE_CLASSES: tuple[int, ...] = (GROUND, CROP, WEEDS)
FOUR_CLASSES: tuple[int, ...] = (GROUND, CROP, WEEDS, CROP_AND_WEEDS)
