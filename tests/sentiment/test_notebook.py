"""What the sentiment notebook must show beyond the shared structure checks
(tests/test_notebooks.py): it calls the package, states its data source, reads the test reviews
only in its final section, and ships the model its selection chose."""

from __future__ import annotations

import json
import re

from bihar.sentiment.model_config import load_model_config
from tests.test_notebooks import NOTEBOOKS_DIR, _cells, _text

NOTEBOOK = NOTEBOOKS_DIR / "02_review_sentiment.ipynb"
ROOT = NOTEBOOKS_DIR.parent
RESULTS = "## Results on the test set"
#: The only uses of the loaded splits allowed before the results: setting the test reviews
#: aside, and naming the data source, its sizes and the loader's notes.
ALLOWED_SPLITS_USE = re.compile(
    r"\bsplits\s*(=|\.without_test\(\)|\.source\b|\.sizes\(\)|\.notes\b)"
)


def _outputs_text(cells: list[dict]) -> str:
    parts = []
    for cell in cells:
        for output in cell.get("outputs", []):
            parts.append("".join(output.get("text", "")))
            for kind in ("text/plain", "text/markdown"):
                parts.append("".join(output.get("data", {}).get(kind, "")))
    return "\n".join(parts)


def _split_at_results() -> tuple[list[dict], list[dict]]:
    cells = _cells(NOTEBOOK)
    starts = [
        i
        for i, c in enumerate(cells)
        if c["cell_type"] == "markdown" and _text(c).lstrip().startswith(RESULTS)
    ]
    assert len(starts) == 1, f"one {RESULTS!r} section expected, found {len(starts)}"
    return cells[: starts[0]], cells[starts[0] :]


def test_notebook_calls_the_package_and_states_its_data_source() -> None:
    cells = _cells(NOTEBOOK)
    code = "\n".join(_text(c) for c in cells if c["cell_type"] == "code")
    assert "from bihar.sentiment" in code
    assert not re.search(r"^\s*(class|def) ", code, re.MULTILINE)  # heavy code lives in the package
    assert not re.search(r"^\s*print\(", code, re.MULTILINE)
    assert "source:" in _outputs_text(cells)
    markdown = "\n".join(_text(c) for c in cells if c["cell_type"] == "markdown")
    assert "PLACEHOLDER" not in markdown


def test_no_cell_before_the_results_reads_the_test_reviews() -> None:
    before, after = _split_at_results()
    for cell in before:
        if cell["cell_type"] != "code":
            continue
        source = _text(cell)
        assert not re.search(r"\btest\b", source), f"reads the test set:\n{source}"
        for match in re.finditer(r"\bsplits\b.{0,20}", source):
            use = match.group(0)
            assert ALLOWED_SPLITS_USE.match(use), f"uses the full splits: {use}"
    code_after = "\n".join(_text(c) for c in after if c["cell_type"] == "code")
    assert "splits.test" in code_after  # the final section is where the test reviews are scored


def test_the_notebook_ships_the_model_its_selection_chose() -> None:
    shipped = load_model_config(ROOT / "model" / "review_sentiment.json")
    report = json.loads((ROOT / "reports" / "sentiment.json").read_text(encoding="utf-8"))
    assert report["selection"]["chosen"] == shipped.name
    assert report["final_model"]["model"] == shipped.name
    assert shipped.selection["figures"] == report["selection"]["candidates"][shipped.name]
    assert f"chosen: **{shipped.name}**" in _outputs_text(_cells(NOTEBOOK))


def _section_words(heading: str) -> int:
    cell = next(c for c in _cells(NOTEBOOK) if c["cell_type"] == "markdown" and heading in _text(c))
    body = _text(cell).split(heading, 1)[1]
    return len(re.findall(r"[\w’'.,%-]+", body))


def test_summary_and_conclusion_stay_short() -> None:
    assert _section_words("## Summary") <= 200
    assert _section_words("### Conclusion") <= 400
