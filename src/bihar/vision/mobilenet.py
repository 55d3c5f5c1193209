"""A second ImageNet backbone: MobileNetV2 1.0/224, fully int8-quantised TFLite, as a frozen
feature extractor through `ai-edge-litert`.

The file (`mobilenet_v2_1.0_224_quant.tflite`, under `settings.models_dir`) takes uint8
224×224 RGB and ends in 1000 ImageNet logits. Its 1280-d global-average-pooled features are an
intermediate tensor, read after each call (the interpreter keeps intermediate tensors), then
dequantised. Being int8, it can only be a frozen extractor here; EfficientNet-Lite0 is compared
with it under the same protocol (frozen pooled features of the same tiles at 224 px, the same
linear head and training settings).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from bihar.vision.pretrained import PretrainedUnavailableError, array_digest
from bihar.vision.transforms import to_tensor

log = logging.getLogger(__name__)

MODEL_FILE = "mobilenet_v2_1.0_224_quant.tflite"
POOLED = "global_average_pooling2d/Mean"
"""The name ending of the pooled-features tensor in the converted Keras graph."""
SIZE = 224
FEATURE_DIM = 1280


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """The TFLite runtime announces its CPU delegate on file descriptor 2 (not through Python);
    send that to /dev/null while the interpreter starts."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class MobileNetV2Features:
    """uint8 tiles N×H×W×3 → N×1280 float32 pooled features of the int8 MobileNetV2."""

    def __init__(self, models_dir: Path | None, threads: int = 2) -> None:
        path = models_dir / MODEL_FILE if models_dir is not None else None
        if path is None or not path.is_file():
            raise PretrainedUnavailableError(
                f"{MODEL_FILE} not found in {models_dir} (BIHAR_MODELS_DIR)"
            )
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as exc:
            raise PretrainedUnavailableError("install ai-edge-litert") from exc
        with warnings.catch_warnings(), _native_stderr_silenced():
            warnings.simplefilter("ignore", UserWarning)  # intermediate tensors are wanted here
            self._interpreter = Interpreter(
                model_path=str(path), num_threads=threads, experimental_preserve_all_tensors=True
            )
            self._interpreter.allocate_tensors()
        self._input = self._interpreter.get_input_details()[0]
        pooled = [d for d in self._interpreter.get_tensor_details() if d["name"].endswith(POOLED)]
        if len(pooled) != 1 or tuple(pooled[0]["shape"]) != (1, FEATURE_DIM):
            raise PretrainedUnavailableError(f"{path}: no {FEATURE_DIM}-d {POOLED} tensor")
        self._pooled = pooled[0]
        self.path = path
        log.info("MobileNetV2 int8 from %s", path)

    def __call__(self, images: np.ndarray) -> np.ndarray:
        scale, zero = self._pooled["quantization"]
        out = np.empty((len(images), FEATURE_DIM), np.float32)
        for i in range(len(images)):
            # the tile resized as for EfficientNet at 224 px, back to the bytes the model takes
            x = to_tensor(images[i : i + 1], SIZE)[0].permute(1, 2, 0).numpy()
            pixels = np.clip(np.rint(x * 255.0), 0, 255).astype(np.uint8)[None]
            self._interpreter.set_tensor(self._input["index"], pixels)
            self._interpreter.invoke()
            q = self._interpreter.get_tensor(self._pooled["index"]).astype(np.float32)
            out[i] = (q[0] - zero) * scale
        return out


def mobilenet_features(
    extractor: MobileNetV2Features, images: np.ndarray, cache_dir: Path | None
) -> np.ndarray:
    """`extractor(images)`, cached as .npy under `cache_dir` by the tiles' content."""
    cache = None
    if cache_dir is not None:
        cache = cache_dir / "vision" / f"mobilenet_v2_int8_{array_digest(images)}.npy"
        if cache.is_file():
            return np.load(cache)
    features = extractor(images)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.save(cache, features)
    return features
