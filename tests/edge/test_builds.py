"""The C runtime builds warning-free with clang too, and runs on the sprayer's ARM CPU: the
aarch64 cross build's unit tests and CLI under qemu-user give PyTorch's answers."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from bihar.vision.photos import photo_tiles
from tests.edge.conftest import cwfid_test_photos, make, photo_crop

QEMU = ["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu"]


def test_clang_builds_everything_with_warnings_as_errors():
    build = make("clang") / "clang"
    done = subprocess.run([str(build / "test_kernels")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "kernels avx2: tested" in done.stdout


@pytest.fixture(scope="module")
def aarch64() -> Path:
    build = make("cross") / "aarch64"
    kind = subprocess.run(["file", str(build / "bihar-edge")], capture_output=True, text=True)
    assert "ARM aarch64" in kind.stdout
    return build


def test_the_unit_tests_pass_on_aarch64_with_neon(aarch64):
    done = subprocess.run([*QEMU, str(aarch64 / "test_kernels")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "kernels neon: tested" in done.stdout


def test_the_aarch64_cli_gives_pytorchs_answers(aarch64, exported, tmp_path):
    image = photo_crop(cwfid_test_photos()[4], 240, 240)  # 2 × 2 tiles (qemu is slow)
    path = tmp_path / "field.ppm"
    path.write_bytes(b"P6\n240 240\n255\n" + image.tobytes())
    done = subprocess.run(
        [*QEMU, str(aarch64 / "bihar-edge"), "--model", str(exported.path), str(path)],
        capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    got = np.array([t["probabilities"] for t in document["tiles"]])
    tiles, boxes = photo_tiles(image, 160, 80)
    want = exported.model.predict(tiles).proba
    assert got.shape == want.shape == (2 * 2, 4)
    assert [[t["box"]["top"], t["box"]["left"]] for t in document["tiles"]] == boxes.tolist()
    assert np.abs(got - want).max() <= 1e-4
    assert (got.argmax(1) == want.argmax(1)).all()
