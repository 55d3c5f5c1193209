"""LIME explanations of tile predictions over SLIC superpixels.

`explain_tile` perturbs a tile by hiding random subsets of its superpixels, asks the model for
the probabilities of every perturbed copy and fits a local linear model: the weight of each
superpixel says how much showing it raises (or lowers) the predicted class. A hidden superpixel
is painted with the tile's median colour — on these field tiles that is bare soil, so hiding a
plant means "replace it by ground", a realistic counterfactual (black would be out of domain).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from unittest import mock

import numpy as np

ProbaFn = Callable[[np.ndarray], np.ndarray]
"""uint8 images N×H×W×3 → class probabilities N×K."""


@dataclass
class TileExplanation:
    label: int  # column of the explained class in the probabilities
    probability: float
    segments: np.ndarray  # H×W superpixel ids
    weights: dict[int, float]  # superpixel id → LIME weight for `label`
    mask: np.ndarray  # H×W: +1 superpixels supporting the class, -1 against, 0 neither
    score: float  # R² of the local linear model


def _no_progress(iterable: Any, **_: Any) -> Any:
    return iterable


def slic_segments(image: np.ndarray, n_segments: int = 30, compactness: float = 10.0) -> np.ndarray:
    from skimage.segmentation import slic

    return slic(image, n_segments=n_segments, compactness=compactness, start_label=0)


def explain_tile(
    image: np.ndarray,
    predict_proba: ProbaFn,
    num_samples: int = 300,
    n_segments: int = 30,
    num_features: int = 5,
    seed: int = 42,
    label: int | None = None,
) -> TileExplanation:
    """LIME explanation of `label` (default: the predicted class) for one uint8 H×W×3 tile."""
    from lime import lime_image

    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"expected a uint8 H×W×3 tile, got {image.dtype} {image.shape}")
    proba = predict_proba(image[None])[0]
    target = int(np.argmax(proba)) if label is None else int(label)
    explainer = lime_image.LimeImageExplainer(random_state=seed)
    soil = np.median(image.reshape(-1, 3), axis=0)
    # lime 0.2.0.1 has no switch for its tqdm bar: silence it for this call
    with mock.patch.object(lime_image, "tqdm", _no_progress):
        explanation = explainer.explain_instance(
            image,
            lambda batch: predict_proba(np.asarray(batch).astype(np.uint8)),
            labels=(target,),
            top_labels=None,
            hide_color=soil,
            num_samples=num_samples,
            batch_size=64,
            segmentation_fn=lambda img: slic_segments(img, n_segments),
            random_seed=seed,
        )
    weights = {int(k): float(w) for k, w in explanation.local_exp[target]}
    segments = explanation.segments
    ranked = sorted(weights.items(), key=lambda kv: -abs(kv[1]))[:num_features]
    mask = np.zeros(segments.shape, dtype=np.int8)
    for seg, weight in ranked:
        mask[segments == seg] = 1 if weight > 0 else -1
    return TileExplanation(
        label=target,
        probability=float(proba[target]),
        segments=segments,
        weights=weights,
        mask=mask,
        score=float(explanation.score),
    )
