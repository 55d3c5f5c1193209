"""Structure of the executed notebooks, checked without executing them.

Each notebook must carry the brief's sections as markdown headings, have been executed end
to end (every code cell run, in order), keep its outputs, show no error, and stay small.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "notebooks"

# The brief's sections; each pattern must match one markdown heading (case-insensitive).
SECTIONS = {
    "summary": r"summary",
    "loading": r"load",
    "exploration": r"explorat|\beda\b",
    "split": r"split",
    "preprocessing": r"preprocess",
    "modelling and evaluation": r"modell?ing",
    "interpretation": r"interpretation",
}

NOTEBOOKS = [
    # Added by each project as its executed notebook lands.
    "01_field_image_classification.ipynb",
    "02_review_sentiment.ipynb",
    "03_temperature_forecasting.ipynb",
]

MAX_BYTES = 5_000_000


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _text(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_has_the_brief_sections(name: str) -> None:
    headings = [
        line.lstrip("#").strip()
        for cell in _cells(NOTEBOOKS_DIR / name)
        if cell["cell_type"] == "markdown"
        for line in _text(cell).splitlines()
        if line.startswith("#")
    ]
    missing = [
        section
        for section, pattern in SECTIONS.items()
        if not any(re.search(pattern, h, re.IGNORECASE) for h in headings)
    ]
    assert not missing, f"{name} lacks sections {missing}; headings: {headings}"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_was_executed_in_order_without_errors(name: str) -> None:
    path = NOTEBOOKS_DIR / name
    code = [c for c in _cells(path) if c["cell_type"] == "code" and _text(c).strip()]
    assert code, f"{name} has no code"
    counts = [c.get("execution_count") for c in code]
    assert None not in counts, f"{name}: cells never executed at positions {counts}"
    assert counts == sorted(counts), f"{name}: cells executed out of order"
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, f"{name}: error outputs {[e.get('ename') for e in errors]}"
    streams = "".join(
        "".join(o.get("text", ""))
        for c in code
        for o in c.get("outputs", [])
        if o.get("output_type") == "stream"
    )
    assert "Traceback (most recent call last)" not in streams


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_keeps_small_outputs_with_figures(name: str) -> None:
    path = NOTEBOOKS_DIR / name
    assert path.stat().st_size < MAX_BYTES, f"{name} is {path.stat().st_size} bytes"
    outputs = [o for c in _cells(path) if c["cell_type"] == "code" for o in c.get("outputs", [])]
    assert outputs, f"{name} has no outputs"
    figures = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(figures) >= 3, f"{name} shows only {len(figures)} figures"
