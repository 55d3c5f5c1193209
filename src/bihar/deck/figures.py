"""The figures the deck shows: PNG outputs of the executed notebooks, found by the call that
draws them, and image files written by the pipeline and the tests (monitoring plot, demo page
screenshot). Each is copied into the deck's build folder."""

from __future__ import annotations

import base64
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from bihar.deck.facts import MissingFactError


@dataclass(frozen=True)
class NotebookFigure:
    """The `index`-th PNG output of the first code cell of `notebook` whose source holds
    `marker`."""

    notebook: str
    marker: str
    index: int = 0

    def png(self, root: Path) -> bytes:
        path = root / "notebooks" / self.notebook
        if not path.is_file():
            raise MissingFactError(f"{path} is missing")
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for cell in cells:
            if cell["cell_type"] == "code" and self.marker in "".join(cell["source"]):
                images = [
                    output["data"]["image/png"]
                    for output in cell.get("outputs", [])
                    if "image/png" in output.get("data", {})
                ]
                if len(images) > self.index:
                    return base64.b64decode(images[self.index])
                raise MissingFactError(
                    f"{path}: the cell calling {self.marker!r} has no figure output "
                    f"#{self.index}; execute the notebook (make notebooks)"
                )
        raise MissingFactError(f"{path} has no code cell calling {self.marker!r}")


@dataclass(frozen=True)
class FileFigure:
    """An image file under the repository, written by `command`."""

    path: str
    command: str

    def png(self, root: Path) -> bytes:
        path = root / self.path
        if not path.is_file():
            raise MissingFactError(f"{path} is missing; {self.command} writes it")
        return path.read_bytes()


Figure = NotebookFigure | FileFigure

FIGURES: dict[str, Figure] = {
    "vision_tiles": NotebookFigure(
        "01_field_image_classification.ipynb", "plots.photo_with_tiles("
    ),
    "vision_counts": NotebookFigure("01_field_image_classification.ipynb", "plots.class_counts("),
    "vision_selection": NotebookFigure(
        "01_field_image_classification.ipynb", "plots.selection_chart("
    ),
    "sentiment_lengths": NotebookFigure(
        "02_review_sentiment.ipynb", 'bins = np.linspace(0, train["words"]'
    ),
    "sentiment_ablation": NotebookFigure(
        "02_review_sentiment.ipynb", 'ax.barh(ablation["pipeline"]'
    ),
    "sentiment_lstm": NotebookFigure(
        "02_review_sentiment.ipynb", "for i, r in enumerate(lstm_results)"
    ),
    "forecast_stl": NotebookFigure("03_temperature_forecasting.ipynb", "stl = STL("),
    "forecast_split": NotebookFigure("03_temperature_forecasting.ipynb", "ex.chronological_split("),
    "forecast_results": NotebookFigure(
        "03_temperature_forecasting.ipynb", 'show = ["persistence", "seasonal_naive"'
    ),
    "monitoring": FileFigure("monitoring/output/boston_latest.png", "make demo-state"),
    "demo_page": FileFigure("reports/demo_page.png", "pytest tests/api/test_demo_page.py"),
}


def copy_figure(name: str, root: Path, folder: Path) -> str:
    """Write figure `name` to `folder/<name>.png`; its path relative to the deck."""
    if name not in FIGURES:
        raise MissingFactError(f"no figure called {name!r}; known: {', '.join(sorted(FIGURES))}")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.png").write_bytes(FIGURES[name].png(root))
    return f"{folder.name}/{name}.png"


def copy_tree_clean(folder: Path) -> None:
    """Empty `folder` so that no figure of an earlier build lingers."""
    if folder.exists():
        shutil.rmtree(folder)
