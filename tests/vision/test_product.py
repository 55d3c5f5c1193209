"""The field-image model as a product: photos read under one policy, a versioned registry, and
the `bihar vision` commands run as a user runs them (real processes, real files)."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bihar.file_registry import RegistryError, open_version
from bihar.vision.model_config import ModelConfigError, load_model_config, save_model_config
from bihar.vision.photos import PhotoError, photo_tiles, read_photo
from bihar.vision.versions import MODEL_NAME, WEIGHTS_FILE, load_field_model
from tests.field_model import TEST_CONFIG, publish_seeded_model, seeded_field_model

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def photo_001() -> Path:
    from bihar.settings import get_settings

    data = get_settings().data_dir
    path = data / "cwfid" / "images" / "001_image.png" if data else None
    if path is None or not path.is_file():
        pytest.fail("CWFID photo 001 is needed (BIHAR_DATA_DIR/cwfid)")
    return path


@pytest.fixture(scope="module")
def model():
    return seeded_field_model()


def png16(path: Path, pixels: np.ndarray) -> Path:
    """A 16-bit PNG (colour type from the channel count), written byte by byte."""
    h, w, c = pixels.shape
    colour = {1: 0, 2: 4, 3: 2, 4: 6}[c]
    raw = b"".join(b"\0" + pixels[y].astype(">u2").tobytes() for y in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", w, h, 16, colour, 0, 0, 0)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + body)
    return path


# --- the photo policy ------------------------------------------------------------------------


def test_a_grayscale_photo_with_alpha_is_refused_not_classified_as_ground(photo_001, tmp_path):
    gray = tmp_path / "gray.png"
    Image.open(photo_001).convert("LA").save(gray)
    with pytest.raises(PhotoError, match=r"grayscale image \(mode LA\); the model needs colour"):
        read_photo(gray)


def test_a_16_bit_photo_is_converted_and_classified_like_the_original(photo_001, tmp_path, model):
    original = read_photo(photo_001)
    wide = png16(tmp_path / "wide.png", original.image.astype(np.uint16) * 257)
    photo = read_photo(wide)
    assert photo.conversions == ("16-bit colour converted to 8 bits (high byte)",)
    assert np.array_equal(photo.image, original.image)
    tiles, _ = photo_tiles(photo.image[:320, :480], 160, 80)
    want, _ = photo_tiles(original.image[:320, :480], 160, 80)
    assert np.array_equal(model.predict(tiles).labels, model.predict(want).labels)
    gray16 = png16(tmp_path / "gray16.png", original.image[..., :1].astype(np.uint16) * 257)
    with pytest.raises(PhotoError, match="grayscale"):
        read_photo(gray16)


def test_a_photo_smaller_than_one_tile_is_refused(photo_001, tmp_path):
    small = tmp_path / "small.png"
    Image.open(photo_001).crop((0, 0, 150, 120)).save(small)
    with pytest.raises(PhotoError, match=r"150×120 px is smaller than one 160×160 px tile"):
        read_photo(small, min_size=160)
    with pytest.raises(PhotoError, match="smaller than one"):
        photo_tiles(read_photo(small).image, 160, 80)


def test_a_whole_photo_is_not_squashed_into_one_tile(photo_001, model):
    image = read_photo(photo_001).image
    with pytest.raises(ValueError, match=r"cut photos into tiles first"):
        model.predict(image[None])
    tiles, boxes = photo_tiles(image, 160, 80)
    assert tiles.shape == (11 * 15, 160, 160, 3) and boxes[-1].tolist() == [800, 1120]


def test_alpha_palette_jpeg_and_bad_files(photo_001, tmp_path):
    rgba = Image.open(photo_001).convert("RGBA")
    rgba.save(tmp_path / "opaque.png")
    assert read_photo(tmp_path / "opaque.png").conversions == ("opaque alpha channel dropped",)
    pixels = np.asarray(rgba).copy()
    pixels[:10, :10, 3] = 0
    Image.fromarray(pixels).save(tmp_path / "holes.png")
    with pytest.raises(PhotoError, match="pixels are transparent"):
        read_photo(tmp_path / "holes.png")
    Image.open(photo_001).convert("P").save(tmp_path / "palette.png")
    assert read_photo(tmp_path / "palette.png").image.shape == (966, 1296, 3)
    Image.open(photo_001).save(tmp_path / "field.jpg", quality=90)
    assert read_photo(tmp_path / "field.jpg").image.shape == (966, 1296, 3)
    Image.open(photo_001).save(tmp_path / "field.gif")
    with pytest.raises(PhotoError, match="a GIF image; JPEG or PNG expected"):
        read_photo(tmp_path / "field.gif")
    data = photo_001.read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 3])
    with pytest.raises(PhotoError, match="truncated or corrupt"):
        read_photo(tmp_path / "cut.png")
    (tmp_path / "notes.png").write_text("not a photo")
    with pytest.raises(PhotoError, match="not an image"):
        read_photo(tmp_path / "notes.png")
    with pytest.raises(PhotoError, match="no such file"):
        read_photo(tmp_path / "missing.png")


# --- configuration and registry ------------------------------------------------------------


def test_the_configuration_is_validated(tmp_path):
    path = save_model_config(TEST_CONFIG, tmp_path / "field_images.json")
    assert load_model_config(path) == TEST_CONFIG
    document = json.loads(path.read_text())
    document["members"][0]["weight"] = 0.9
    path.write_text(json.dumps(document))
    with pytest.raises(ModelConfigError, match="weights must sum to 1"):
        load_model_config(path)
    document["members"][0]["weight"] = 0.3
    document["cover_vote"]["member"] = "scratch"
    path.write_text(json.dumps(document))
    with pytest.raises(ModelConfigError, match="needs an efficientnet_lite0 member with a cell"):
        load_model_config(path)
    with pytest.raises(ModelConfigError, match="notebook 01 writes it"):
        load_model_config(tmp_path / "missing.json")


def test_a_saved_version_loads_back_with_the_same_answers(tmp_path, photo_001):
    model, stored = publish_seeded_model(tmp_path)
    assert stored.version == 1 and set(stored.metadata["files"]) == {"config.json", WEIGHTS_FILE}
    assert stored.metadata["tile"] == {"size": 160, "stride": 80}
    assert stored.metadata["libraries"]["torch"].startswith("2.")
    loaded, again = load_field_model(tmp_path)
    assert again.sha256 == stored.sha256
    tiles, _ = photo_tiles(read_photo(photo_001).image[:320, :320], 160, 80)
    assert np.array_equal(loaded.predict(tiles).proba, model.predict(tiles).proba)
    weights = stored.file(WEIGHTS_FILE)
    weights.chmod(0o644)
    with weights.open("r+b") as handle:
        handle.seek(5000)
        handle.write(b"\xff")
    with pytest.raises(RegistryError, match="does not match its SHA-256"):
        load_field_model(tmp_path)


# --- the commands --------------------------------------------------------------------------


def bihar(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "BIHAR_ROOT_DIR": str(root),
        "MLFLOW_TRACKING_URI": f"sqlite:///{root / 'mlflow.db'}",
    }
    return subprocess.run(
        [sys.executable, "-m", "bihar.cli", *args],
        cwd=root, env=env, capture_output=True, text=True, timeout=1200, check=False,
    )  # fmt: skip


def test_classify_writes_a_document_and_a_spray_map_per_photo(tmp_path, photo_001):
    _, stored = publish_seeded_model(tmp_path / "model" / "registry")
    good = tmp_path / "field.png"
    Image.open(photo_001).crop((0, 0, 400, 320)).save(good)
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n broken")
    done = bihar(tmp_path, "vision", "classify", str(good), str(bad), "--out", "maps")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if " ERROR " in line]
    assert len(errors) == 1 and "broken.png: not an image" in errors[0]
    document = json.loads((tmp_path / "maps" / "field.json").read_text())
    assert document["model"] == {"name": MODEL_NAME, "version": 1, "sha256": stored.sha256}
    assert len(document["tiles"]) == 3 * 4 and sum(document["counts"].values()) == 12
    first = document["tiles"][0]
    assert first["box"] == {"top": 0, "left": 0, "bottom": 160, "right": 160}
    assert abs(sum(first["probabilities"]) - 1) < 1e-5
    assert first["class"] == document["classes"][int(np.argmax(first["probabilities"]))]
    spray = Image.open(tmp_path / "maps" / "field_spray.png")
    assert spray.width == 400 and spray.height > 320  # the photo, then the legend
    assert "field.png: 12 tiles" in done.stdout


def test_classify_without_a_registered_model_says_what_to_do(tmp_path, photo_001):
    done = bihar(tmp_path, "vision", "classify", str(photo_001))
    assert done.returncode == 2
    assert "no field-images model" in done.stderr and "make vision-model" in done.stderr
    assert "Traceback" not in done.stderr


def test_train_publishes_a_version_scored_on_test_photos(tmp_path):
    """Two training photos, one validation photo, one test photo, one epoch per phase."""
    config = TEST_CONFIG.model_copy(deep=True)
    effnet = config.members[1].model_copy(update={"views": [0], "training_views": [0]})
    config = config.model_copy(update={"members": [config.members[0], effnet]})
    path = save_model_config(config, tmp_path / "tiny.json")
    done = bihar(tmp_path, "vision", "train", "--config", str(path), "--photos", "1,2,5,6")
    assert done.returncode == 0, done.stderr[-3000:]
    stored = open_version(tmp_path / "model" / "registry", MODEL_NAME)
    meta = stored.metadata
    assert meta["data"]["photos"] == {"train_and_validation": [2, 5, 6], "test": [1]}
    test = meta["test"]
    assert test["photos"] == 1 and 0 <= test["macro_f1"]["low"] <= test["macro_f1"]["value"]
    assert sum(map(sum, test["confusion"])) == test["tiles"] > 100
    assert meta["mlflow_run_id"] and meta["device"] == "cpu"
    assert "test macro-F1" in done.stderr
    again = bihar(tmp_path, "vision", "train", "--config", str(path), "--photos", "2,5,6")
    assert again.returncode == 2 and "hold no test tile" in again.stderr
    broken = tmp_path / "broken.json"
    broken.write_text('{"members": []}')
    refused = bihar(tmp_path, "vision", "train", "--config", str(broken))
    assert refused.returncode == 2 and "members" in refused.stderr
    assert "Traceback" not in refused.stderr + again.stderr


def test_export_edge_writes_the_weight_file_of_a_version(tmp_path):
    _, stored = publish_seeded_model(tmp_path / "model" / "registry")
    done = bihar(tmp_path, "vision", "export-edge", "--out", "m.bhe")
    assert done.returncode == 0, done.stderr
    blob = (tmp_path / "m.bhe").read_bytes()
    assert blob[:8] == b"BIHAREDG" and blob[72:104] == bytes.fromhex(stored.sha256)
    missing = bihar(tmp_path, "vision", "export-edge", "--version", "9")
    assert missing.returncode == 2 and "has no version 9; available: [1]" in missing.stderr


def test_models_that_share_a_member_train_it_once(fake_cwfid):
    from bihar.vision.cwfid import build_tile_dataset
    from bihar.vision.field_model import predict_many
    from bihar.vision.fit import FitData, fit_field_models
    from bihar.vision.model_config import FieldModelConfig

    scratch = {"kind": "scratch_cnn", "name": "scratch", "arch": "simple", "dropout": 0.0,
               "batchnorm": True, "stored_px": 16, "input_px": 16,
               "training": {"learning_rates": [0.01, 0.01], "batch_size": 4}}  # fmt: skip
    tiles = {"tile": 16, "stride": 8}
    alone = FieldModelConfig.model_validate(
        {"tiles": tiles, "members": [{**scratch, "weight": 1.0}]}
    )
    pair = FieldModelConfig.model_validate(
        {"tiles": tiles, "members": [{**scratch, "weight": 0.5},
                                     {**scratch, "name": "wide", "dropout": 0.5, "weight": 0.5}]}
    )  # fmt: skip
    data = build_tile_dataset(fake_cwfid, alone.tiles.tile_config(16), None, 0.2, 0)
    models = fit_field_models({"alone": alone, "pair": pair}, FitData.split(data, alone),
                              fake_cwfid, None)  # fmt: skip
    shared = models["alone"].members["scratch"].network
    assert models["pair"].members["scratch"].network is shared
    assert models["pair"].members["wide"].network is not shared
    test = FitData.split(data, alone).test.images
    outputs = models["pair"].member_outputs(test)
    np.testing.assert_allclose(models["alone"].combine(outputs).proba, outputs["scratch"].proba)
    both = predict_many(models, test)
    np.testing.assert_allclose(both["alone"].proba, models["alone"].predict(test).proba)
    np.testing.assert_allclose(both["pair"].proba, models["pair"].predict(test).proba)
