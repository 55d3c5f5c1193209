"""The C runtime under test: built by its own Makefile, fed the seeded model's weight file."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from bihar.cpu import tune_allocator
from bihar.file_registry import StoredVersion
from bihar.settings import get_settings
from bihar.vision.cwfid import read_split
from bihar.vision.edge_export import EdgeGraph, edge_bytes, edge_graph
from bihar.vision.field_model import FieldModel
from bihar.vision.photos import read_photo
from tests.field_model import publish_seeded_model

ROOT = Path(__file__).resolve().parents[2]
EDGE = ROOT / "edge"


def make(*targets: str) -> Path:
    """`make -C edge TARGETS` (installing the Debian tools first when missing)."""
    tools = subprocess.run(
        [str(ROOT / "scripts" / "edge" / "tools.sh")], capture_output=True, text=True
    )
    assert tools.returncode == 0, tools.stderr
    done = subprocess.run(["make", "-C", str(EDGE), "-s", *targets], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return EDGE / "build"


@dataclass(frozen=True)
class Exported:
    model: FieldModel
    stored: StoredVersion
    graph: EdgeGraph
    blob: bytes
    path: Path


@pytest.fixture(scope="session", autouse=True)
def _allocator() -> None:
    """PyTorch's reference runs on thousands of tiles: reuse freed blocks (`bihar.cpu`)."""
    tune_allocator()


@pytest.fixture(scope="session")
def edge_build() -> Path:
    return make("all")


@pytest.fixture(scope="session")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Exported:
    folder = tmp_path_factory.mktemp("edge-model")
    model, stored = publish_seeded_model(folder / "registry")
    graph = edge_graph(model)
    blob = edge_bytes(graph, stored)
    path = folder / "seeded.bhe"
    path.write_bytes(blob)
    return Exported(model, stored, graph, blob, path)


def cwfid_root() -> Path:
    data = get_settings().data_dir
    root = data / "cwfid" if data is not None else None
    if root is None or not (root / "train_test_split.yaml").is_file():
        pytest.fail("the CWFID photos are needed (BIHAR_DATA_DIR/cwfid)")
    return root


def cwfid_test_photos() -> list[Path]:
    """The 21 CWFID test photos."""
    root = cwfid_root()
    _, test_ids = read_split(root)
    return [root / "images" / f"{i:03d}_image.png" for i in test_ids]


def photo_crop(path: Path, height: int, width: int) -> np.ndarray:
    return read_photo(path).image[:height, :width].copy()
