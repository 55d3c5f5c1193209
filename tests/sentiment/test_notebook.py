"""Structure of the executed sentiment notebook, checked without executing it."""

from __future__ import annotations

import json
import re
from pathlib import Path

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "02_review_sentiment.ipynb"
SECTIONS = ("summary", "load", r"explorat|\beda\b", "split", "preprocess", r"modell?ing",
            "interpretation")  # fmt: skip


def _cells() -> list[dict]:
    return json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]


def _text(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def test_notebook_has_every_section_heading() -> None:
    headings = [
        line.lstrip("#").strip()
        for cell in _cells()
        if cell["cell_type"] == "markdown"
        for line in _text(cell).splitlines()
        if line.startswith("#")
    ]
    for pattern in SECTIONS:
        assert any(re.search(pattern, h, re.IGNORECASE) for h in headings), pattern


def test_notebook_was_executed_in_order_with_figures_and_no_error() -> None:
    code = [c for c in _cells() if c["cell_type"] == "code" and _text(c).strip()]
    counts = [c.get("execution_count") for c in code]
    assert None not in counts and counts == list(range(1, len(code) + 1))
    outputs = [o for c in code for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    streams = "".join("".join(o.get("text", "")) for o in outputs if o.get("name") == "stderr")
    assert "Traceback" not in streams
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 3
    assert NOTEBOOK.stat().st_size < 5_000_000


def test_notebook_calls_the_package_and_states_its_data_source() -> None:
    code = "\n".join(_text(c) for c in _cells() if c["cell_type"] == "code")
    assert "from bihar.sentiment" in code
    assert not re.search(r"^\s*(class|def) ", code, re.MULTILINE)  # heavy code lives in the package
    printed = "".join(
        "".join(o.get("text", "")) for c in _cells() for o in c.get("outputs", [])
    )  # fmt: skip
    assert "source:" in printed
    markdown = "\n".join(_text(c) for c in _cells() if c["cell_type"] == "markdown")
    assert "PLACEHOLDER" not in markdown
