"""The int8 MobileNetV2 (TFLite, ../shared/models) as a frozen feature extractor."""

from __future__ import annotations

import numpy as np
import pytest

from bihar.settings import get_settings
from bihar.vision.mobilenet import FEATURE_DIM, MobileNetV2Features, mobilenet_features
from bihar.vision.pretrained import PretrainedUnavailableError


def test_pooled_features_of_real_tiles_are_cached(tmp_path):
    models = get_settings().models_dir
    if models is None or not (models / "mobilenet_v2_1.0_224_quant.tflite").is_file():
        pytest.fail("the MobileNetV2 TFLite file is needed (BIHAR_MODELS_DIR)")
    extractor = MobileNetV2Features(models, threads=1)
    rng = np.random.default_rng(0)
    tiles = rng.integers(0, 256, (3, 160, 160, 3), dtype=np.uint8)
    tiles[1] = 30  # a flat tile: other features than a noisy one
    features = mobilenet_features(extractor, tiles, tmp_path)
    assert features.shape == (3, FEATURE_DIM) and features.dtype == np.float32
    assert (features >= 0).all() and np.abs(features[0] - features[1]).max() > 0.1  # ReLU6 mean
    np.testing.assert_array_equal(features[2], extractor(tiles[2:3])[0])  # one at a time = batch
    cached = list((tmp_path / "vision").glob("mobilenet_v2_int8_*.npy"))
    assert len(cached) == 1
    np.testing.assert_array_equal(mobilenet_features(extractor, tiles, tmp_path), features)


def test_a_missing_model_file_says_where_it_was_looked_for(tmp_path):
    with pytest.raises(PretrainedUnavailableError, match="BIHAR_MODELS_DIR"):
        MobileNetV2Features(tmp_path)
