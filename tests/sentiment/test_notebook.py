"""What the sentiment notebook must show beyond the shared structure checks
(tests/test_notebooks.py): it calls the package and states its data source."""

from __future__ import annotations

import re

from tests.test_notebooks import NOTEBOOKS_DIR, _cells, _text

NOTEBOOK = NOTEBOOKS_DIR / "02_review_sentiment.ipynb"


def test_notebook_calls_the_package_and_states_its_data_source() -> None:
    code = "\n".join(_text(c) for c in _cells(NOTEBOOK) if c["cell_type"] == "code")
    assert "from bihar.sentiment" in code
    assert not re.search(r"^\s*(class|def) ", code, re.MULTILINE)  # heavy code lives in the package
    printed = "".join(
        "".join(o.get("text", "")) for c in _cells(NOTEBOOK) for o in c.get("outputs", [])
    )  # fmt: skip
    assert "source:" in printed
    markdown = "\n".join(_text(c) for c in _cells(NOTEBOOK) if c["cell_type"] == "markdown")
    assert "PLACEHOLDER" not in markdown
