from __future__ import annotations

import numpy as np
import pytest

from bihar.vision.evaluation import evaluate
from bihar.vision.explain import explain_tile


def _greenness_left(images: np.ndarray) -> np.ndarray:
    """A toy model: P(plant) = fraction of green pixels in the left half of the tile."""
    left = images[:, :, : images.shape[2] // 2].astype(float)
    green = (left[..., 1] > left[..., 0] + 40).mean(axis=(1, 2))
    return np.stack([1 - green, green], axis=1)


def test_lime_points_at_the_region_the_model_uses() -> None:
    image = np.zeros((32, 32, 3), dtype=np.uint8)
    image[:] = (120, 90, 60)  # soil
    image[8:24, 4:14] = (40, 180, 40)  # a plant on the left: the model's evidence
    image[8:24, 20:28] = (40, 180, 40)  # a plant on the right: ignored by the model
    explanation = explain_tile(
        image, _greenness_left, num_samples=150, n_segments=12, seed=0, label=1
    )
    assert explanation.label == 1
    assert explanation.segments.shape == (32, 32)
    assert explanation.probability == pytest.approx(_greenness_left(image[None])[0, 1])
    positive = explanation.mask == 1
    assert positive.any()
    assert positive[8:24, 4:14].mean() > 0.5  # the left plant supports the class
    assert not positive[8:24, 20:28].any()


def test_lime_rejects_non_uint8_tiles() -> None:
    with pytest.raises(ValueError, match="uint8"):
        explain_tile(np.zeros((8, 8, 3)), _greenness_left)


def test_evaluate_perfect_and_confused_predictions() -> None:
    y = np.array([0, 1, 2, 2])
    perfect = np.eye(3)[y]
    result = evaluate(y, perfect, [0, 1, 2])
    assert result.accuracy == 1.0 and result.macro_f1 == 1.0
    assert result.confusion.tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 2]]
    swapped = np.eye(3)[[0, 2, 1, 2]]
    result = evaluate(y, swapped, [0, 1, 2])
    assert result.per_class["crop"]["recall"] == 0.0
    assert result.per_class["weeds"]["support"] == 2
    assert result.accuracy == 0.5
    assert result.macro_f1 == pytest.approx((1 + 0 + 0.5) / 3)
