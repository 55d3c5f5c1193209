"""Hostile input never crashes the C runtime: corrupt weight files and images are refused with
a clear reason and a non-zero exit, under AddressSanitizer and UndefinedBehaviorSanitizer; a
bounded fuzz loop mutates the weight file; valgrind watches the CLI."""

from __future__ import annotations

import json
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bihar.file_registry import publish
from bihar.vision.edge_export import edge_bytes, edge_graph
from bihar.vision.edge_runtime import EdgeError, EdgeModel
from tests.edge.conftest import cwfid_test_photos, make, photo_crop
from tests.field_model import TEST_CONFIG, seeded_field_model

FUZZ_CASES = 600


@pytest.fixture(scope="module")
def sanitized() -> Path:
    """`make -C edge sanitize`: everything built with ASan + UBSan; the C unit tests pass."""
    return make("sanitize") / "sanitize"


@pytest.fixture(scope="module")
def small_photo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("photos") / "small.png"
    Image.fromarray(photo_crop(cwfid_test_photos()[0], 160, 240)).save(path)
    return path


def with_crc(blob: bytes) -> bytes:
    """`blob` with its CRC-32 recomputed (so that the checks behind the checksum are reached)."""
    data = bytearray(blob)
    struct.pack_into("<I", data, 24, 0)
    struct.pack_into("<I", data, 24, zlib.crc32(data) & 0xFFFFFFFF)
    return bytes(data)


def corrupt_files(blob: bytes) -> dict[str, tuple[bytes, str]]:
    """{case: (bytes, what the error must say)}."""
    value_table = 256 + 128 * struct.unpack_from("<I", blob, 28)[0]
    channels = value_table + 16 * 5 + 8  # the channel count of value 5
    wrong_shape = bytearray(blob)
    struct.pack_into("<I", wrong_shape, channels, struct.unpack_from("<I", blob, channels)[0] + 1)
    flipped = bytearray(blob)
    flipped[len(blob) // 2] ^= 0x10
    return {
        "empty": (b"", "bad magic"),
        "truncated header": (blob[:100], "truncated"),
        "truncated data": (blob[: len(blob) - 4096], "truncated"),
        "wrong magic": (b"NOTAMODL" + blob[8:], "bad magic"),
        "wrong version": (with_crc(blob[:8] + struct.pack("<I", 2) + blob[12:]), "version 2"),
        "shape mismatch": (with_crc(bytes(wrong_shape)), "but its input and parameters give"),
        "one flipped byte": (bytes(flipped), "CRC-32"),
        "extra bytes": (blob + b"\0" * 64, "64 more than the header says"),
    }


def test_corrupt_weight_files_are_refused_by_the_library(edge_build, exported):
    for case, (data, reason) in corrupt_files(exported.blob).items():
        with pytest.raises(EdgeError) as error:
            EdgeModel(data)
        assert reason in str(error.value), f"{case}: {error.value}"


def test_corrupt_weight_files_are_refused_by_the_cli(sanitized, exported, small_photo, tmp_path):
    for case, (data, reason) in corrupt_files(exported.blob).items():
        path = tmp_path / f"{case.replace(' ', '_')}.bhe"
        path.write_bytes(data)
        done = subprocess.run(
            [str(sanitized / "bihar-edge"), "--model", str(path), str(small_photo)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.returncode == 2, f"{case}: {done.returncode} {done.stderr}"
        assert reason in done.stderr and len(done.stderr.strip().splitlines()) == 1, case
        assert "Sanitizer" not in done.stderr


def png_header(width: int, height: int) -> bytes:
    """A PNG signature and a valid IHDR chunk (8-bit RGB) of the given size."""
    ihdr = b"IHDR" + struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    crc = struct.pack(">I", zlib.crc32(ihdr) & 0xFFFFFFFF)
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + ihdr + crc


def corrupt_images(folder: Path, good: Path) -> dict[str, tuple[Path, str]]:
    data = good.read_bytes()
    cases: dict[str, tuple[bytes, str]] = {
        "truncated png": (data[: len(data) // 2], "truncated or corrupt"),
        "png header only": (data[:40], "truncated or corrupt"),
        "garbage in the pixels": (
            data[:200] + bytes(np.random.default_rng(1).integers(0, 256, 3000, np.uint8))
            + data[3200:], "truncated or corrupt",
        ),
        "huge png": (png_header(100_000, 100_000) + data[33:], "megapixel limit"),
        "huge ppm": (b"P6\n100000 100000\n255\n" + b"\0" * 100, "megapixel limit"),
        "short ppm": (b"P6\n300 200\n255\n" + b"\0" * 100, "truncated or corrupt"),
        "bad ppm header": (b"P6\n-3 x\n255\n", "truncated or corrupt PPM header"),
        "not an image": (b"hello, world\n" * 10, "not an image"),
        "jpeg": (b"\xff\xd8\xff\xe0" + b"\0" * 100, "a JPEG"),
        "empty": (b"", "not an image"),
    }  # fmt: skip
    out = {}
    for case, (blob, reason) in cases.items():
        path = folder / f"{case.replace(' ', '_')}.img"
        path.write_bytes(blob)
        out[case] = (path, reason)
    gray = folder / "gray.png"
    Image.open(good).convert("L").save(gray)
    out["grayscale"] = (gray, "grayscale")
    return out


def test_corrupt_or_oversized_images_are_refused(sanitized, exported, small_photo, tmp_path):
    for case, (path, reason) in corrupt_images(tmp_path, small_photo).items():
        done = subprocess.run(
            [str(sanitized / "bihar-edge"), "--model", str(exported.path), str(path)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.returncode == 2, f"{case}: {done.returncode} {done.stderr}"
        assert reason in done.stderr, f"{case}: {done.stderr}"
        assert "Sanitizer" not in done.stderr and "runtime error" not in done.stderr, case


def test_a_bounded_fuzz_loop_over_mutated_weight_files(sanitized, edge_build, tmp_path):
    """A small model keeps each case fast; the loop repairs the CRC-32 in half the cases."""

    config = TEST_CONFIG.model_copy(update={"members": TEST_CONFIG.members[:1], "cover_vote": None})
    scratch = config.members[0].model_copy(update={"weight": 1.0})
    config = config.model_copy(update={"members": [scratch]})
    model = seeded_field_model(config)
    stored = publish(tmp_path, "fuzz", lambda folder: {"purpose": "fuzz"})
    path = tmp_path / "small.bhe"
    path.write_bytes(edge_bytes(edge_graph(model), stored))
    done = subprocess.run(
        [str(sanitized / "fuzz_model"), str(path), str(FUZZ_CASES), "11"],
        capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    refused, opened = (
        int(v) for v in done.stdout.split(":")[1].replace(" refused,", "").split()[:2]
    )
    assert refused + opened == FUZZ_CASES and refused > FUZZ_CASES // 2


def test_the_cli_is_clean_under_valgrind(edge_build, exported, small_photo):
    done = subprocess.run(
        [
            "valgrind", "--error-exitcode=99", "--leak-check=full", "--errors-for-leak-kinds=all",
            "--quiet", str(edge_build / "bihar-edge"), "--model", str(exported.path),
            str(small_photo),
        ],
        capture_output=True, text=True, check=False, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert len(json.loads(done.stdout)["tiles"]) == 2
