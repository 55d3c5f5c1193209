"""The C runtime gives PyTorch's answers: layer by layer, input by input, tile by tile.

Through the real shared library (ctypes) and the real CLI. The model is the seeded one
(tests/field_model.py); `make bench-edge` repeats the photo-level comparison on the trained
version.
"""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
import torch

from bihar.vision.classify import classify_photo
from bihar.vision.edge_export import NONE, run_graph
from bihar.vision.edge_runtime import EdgeModel
from bihar.vision.field_model import member_views
from bihar.vision.photos import photo_tiles, read_photo
from tests.edge.conftest import cwfid_test_photos, photo_crop

MAX_DP = 1e-4
MIN_AGREEMENT = 0.999


def test_the_exported_graph_computes_what_the_modules_compute(exported):
    torch.manual_seed(0)
    for index, member in enumerate(exported.graph.members):
        network = exported.model.members[member.name].network.eval()
        x = torch.randn(3, 3, member.input_px, member.input_px)
        values = run_graph(exported.graph, index, x)
        with torch.no_grad():
            logits = network(x)
        assert torch.allclose(values[member.logits].flatten(1), logits, atol=1e-4)
        if member.cells != NONE:
            with torch.no_grad():
                _, cells = network.forward_with_cells(x)
            assert torch.allclose(values[member.cells], cells, atol=1e-4)


def test_every_layer_matches_the_reference(edge_build, exported):
    """The first layer whose output drifts is named, so a kernel bug is located at once.

    Each value is computed from the member's input through every layer before it, so float32
    rounding accumulates: the bound is relative to the value's largest magnitude."""
    tile = read_photo(cwfid_test_photos()[0]).image[80:240, 160:320]
    with EdgeModel(exported.blob) as edge:
        for kernels in ("scalar", "auto"):
            edge.set_kernels(kernels)
            for index, member in enumerate(exported.graph.members):
                x = torch.from_numpy(edge.member_input(index, tile, 0)).permute(2, 0, 1)[None]
                reference = run_graph(exported.graph, index, x)
                end = member.first_layer + member.n_layers
                for number, layer in enumerate(exported.graph.layers[member.first_layer : end]):
                    shape = exported.graph.values[layer.out]
                    got = edge.member_value(
                        index, x[0].permute(1, 2, 0).numpy(), layer.out,
                        (shape.height, shape.width, shape.channels),
                    )  # fmt: skip
                    want = reference[layer.out][0].permute(1, 2, 0).numpy()
                    drift = np.abs(got - want).max() / (1 + np.abs(want).max())
                    assert drift < 1e-4, (
                        f"{kernels} kernels: {member.name} layer {number} ({layer.name}) "
                        f"drifts by {drift:.2e}"
                    )


def test_every_view_of_the_inputs_matches(edge_build, exported):
    """Pillow's resize, PyTorch's antialiased resize, the views and the normalisation."""
    tiles, _ = photo_tiles(read_photo(cwfid_test_photos()[1]).image, 160, 80)
    tiles = tiles[::17]
    with EdgeModel(exported.blob) as edge:
        for index, member in enumerate(exported.graph.members):
            net = exported.model.members[member.name]
            for view, x in member_views(net.config, tiles).items():
                want = net.normalizer(x).permute(0, 2, 3, 1).numpy()
                got = np.stack([edge.member_input(index, t, view) for t in tiles])
                assert np.abs(got - want).max() < 1e-5, f"{member.name} view {view}"


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_c_and_pytorch_agree_on_every_tile_of_the_test_photos(edge_build, exported):
    classes_equal, worst, tiles_seen = 0, 0.0, 0
    with EdgeModel(exported.blob) as edge:
        for path in cwfid_test_photos():
            image = read_photo(path).image
            got, boxes = edge.classify_photo(image)
            tiles, want_boxes = photo_tiles(image, edge.tile, edge.stride)
            assert np.array_equal(boxes, want_boxes)
            want = exported.model.predict(tiles).proba
            classes_equal += int((got.argmax(1) == want.argmax(1)).sum())
            worst = max(worst, float(np.abs(got - want).max()))
            tiles_seen += len(tiles)
    assert tiles_seen == 21 * 11 * 15
    assert classes_equal / tiles_seen >= MIN_AGREEMENT
    assert worst <= MAX_DP, f"max |Δp| {worst:.2e} over {tiles_seen} tiles"


def test_the_scalar_kernels_agree_too(edge_build, exported):
    image = photo_crop(cwfid_test_photos()[2], 320, 400)
    tiles, _ = photo_tiles(image, 160, 80)
    want = exported.model.predict(tiles).proba
    with EdgeModel(exported.blob) as edge:
        edge.set_kernels("scalar")
        got, _ = edge.classify_photo(image)
    assert np.abs(got - want).max() <= MAX_DP


def test_the_cli_prints_the_document_of_bihar_vision_classify(edge_build, exported, tmp_path):
    from PIL import Image

    from bihar.vision.photos import Photo

    path = tmp_path / "field.png"
    Image.fromarray(photo_crop(cwfid_test_photos()[3], 400, 560)).save(path)
    done = subprocess.run(
        [str(edge_build / "bihar-edge"), "--model", str(exported.path), str(path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    c_doc = json.loads(done.stdout)
    photo = read_photo(path)
    py_doc = classify_photo(exported.model, exported.stored, Photo(path, photo.image)).document
    assert set(c_doc) == set(py_doc)
    for key in ("photo", "width", "height", "conversions", "model", "tile", "classes"):
        assert c_doc[key] == py_doc[key], key
    assert len(c_doc["tiles"]) == len(py_doc["tiles"]) == 4 * 6
    for c_tile, py_tile in zip(c_doc["tiles"], py_doc["tiles"], strict=True):
        assert c_tile["box"] == py_tile["box"]
        assert np.allclose(c_tile["probabilities"], py_tile["probabilities"], atol=MAX_DP)
    agree = sum(
        c["class"] == p["class"] for c, p in zip(c_doc["tiles"], py_doc["tiles"], strict=True)
    )
    assert agree == len(py_doc["tiles"])
    assert c_doc["counts"] == py_doc["counts"]
