"""What notebook 01 must hold beyond the shared structure checks (tests/test_notebooks.py): the
test photos are read in one section only, the last one with code, and the model it chose is the
one `bihar vision train` reads."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bihar.vision.model_config import load_model_config
from tests.test_notebooks import NOTEBOOKS_DIR, _cells, _text

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = NOTEBOOKS_DIR / "01_field_image_classification.ipynb"
TEST_SECTION = "## Results on the test set"
READS_TEST = re.compile(r"\btest\b|_test\b|\btest_|\.test\b", re.IGNORECASE)


def _sections() -> tuple[list[dict], list[dict]]:
    cells = _cells(NOTEBOOK)
    starts = [i for i, c in enumerate(cells) if c["cell_type"] == "markdown"
              and _text(c).lstrip().startswith(TEST_SECTION)]  # fmt: skip
    assert len(starts) == 1, f"one '{TEST_SECTION}' section expected, found {len(starts)}"
    return cells[: starts[0]], cells[starts[0] :]


def test_no_cell_before_the_last_section_reads_the_test_photos():
    before, after = _sections()
    for cell in before:
        if cell["cell_type"] == "code":
            code = "\n".join(
                line for line in _text(cell).splitlines() if not line.strip().startswith("#")
            )
            assert not READS_TEST.search(code), f"reads the test photos early:\n{code[:500]}"
    assert any(cell["cell_type"] == "code" and "fit_data.test" in _text(cell) for cell in after)
    headings = [_text(c).splitlines()[0] for c in after if c["cell_type"] == "markdown"]
    assert all(not h.startswith("## ") or h in (TEST_SECTION, "## Conclusion") for h in headings)


def test_the_chosen_model_is_the_one_bihar_vision_train_reads():
    config = load_model_config(ROOT / "model" / "field_images.json")
    report = json.loads((ROOT / "reports" / "vision.json").read_text())
    assert (
        config.selection["chosen"] == report["choice"]["chosen"] == report["test"]["final"]["model"]
    )
    assert config.selection["best_on_validation"] == report["choice"]["best_on_validation"]
    assert {"scratch CNN", "pretrained", "final"} == set(report["test"])
    for family in report["test"].values():
        interval = family["macro_f1"]
        assert interval["low"] <= interval["value"] <= interval["high"]
