"""The deck's tables and lists, built from the reports, the CI workflow and the demo scenario
(Markdown, one row per line)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml

from bihar.deck.facts import MissingFactError, Reports, formatted
from bihar.web.demo_scenario import SCENARIO

BASELINES = ("seasonal_naive", "persistence", "climatology")


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = [" | ".join(header), " | ".join("---" for _ in header)]
    lines += [" | ".join(cell.replace("|", "\\|") for cell in row) for row in rows]
    return "\n".join(f"| {line} |" for line in lines)


FIELD_FAMILIES = ("scratch CNN", "pretrained", "final")


def interval(value: dict[str, float], spec: str = ".3f") -> str:
    """`0.861 [0.823, 0.894]`: a test figure with its 95 % interval."""
    return (
        f"{formatted(value['value'], spec)} "
        f"[{formatted(value['low'], spec)}, {formatted(value['high'], spec)}]"
    )


def vision_results(reports: Reports, root: Path) -> str:
    """The chosen model of each family: its validation macro-F1 (what chose it) and its test
    macro-F1 with the 95 % photo-bootstrap interval (scored once, after refitting)."""
    rows = []
    for family in FIELD_FAMILIES:
        test = reports.get(f"vision/test/{family}")
        validation = reports.get(f"vision/validation/{test['model']}")
        rows.append(
            [
                family,
                test["model"].removeprefix("4c "),
                formatted(validation["val_macro_f1"], ".3f"),
                interval(test["macro_f1"]),
            ]
        )
    return markdown_table(["family", "model", "validation macro-F1", "test macro-F1 [95 %]"], rows)


def vision_per_class(reports: Reports, root: Path) -> str:
    per_class = reports.get("vision/test/final/per_class")
    rows = [
        [
            name.replace("_", " "),
            *(formatted(v[k], ".2f") for k in ("precision", "recall", "f1")),
            str(v["support"]),
        ]
        for name, v in per_class.items()
    ]
    return markdown_table(["class", "precision", "recall", "F1", "test tiles"], rows)


def sentiment_results(reports: Reports, root: Path) -> str:
    results = reports.get("sentiment/test_results")
    rows = [
        [
            family,
            formatted(v["val_accuracy"], ".3f"),
            f"{formatted(v['test_accuracy'], '.3f')} "
            f"[{formatted(v['test_accuracy_interval_95'][0], '.3f')}, "
            f"{formatted(v['test_accuracy_interval_95'][1], '.3f')}]",
            formatted(v["test_f1"], ".3f"),
            formatted(v["test_roc_auc"], ".3f"),
        ]
        for family, v in results.items()
    ]
    return markdown_table(
        ["family (chosen on validation)", "val. / CV acc.", "test acc. [95 % CI]", "F1", "ROC-AUC"],
        rows,
    )


def forecast_results(reports: Reports, root: Path) -> str:
    models: dict[str, dict[str, Any]] = reports.get("forecast_experiments/test/models")
    ranked = sorted(models.items(), key=lambda item: item[1]["mae"])
    learned = [item for item in ranked if item[0] not in BASELINES][:5]
    shown = learned + [item for item in ranked if item[0] in BASELINES]
    rows = [
        [
            name.replace("_", " "),
            formatted(v["mae"], ".2f"),
            formatted(v["mae_ratio"], ".3f"),
            formatted(v["mae_h1"], ".2f"),
            formatted(v["mae_h8"], ".2f"),
        ]
        for name, v in shown
    ]
    return markdown_table(["test year", "MAE °C", "/ seasonal naive", "MAE 00h", "MAE 21h"], rows)


def ci_jobs(reports: Reports, root: Path) -> str:
    path = root / ".github" / "workflows" / "ci.yml"
    if not path.is_file():
        raise MissingFactError(f"{path} is missing")
    jobs: dict[str, dict[str, Any]] = yaml.safe_load(path.read_text(encoding="utf-8"))["jobs"]
    rows = []
    for name, job in jobs.items():
        needs = job.get("needs", [])
        needs = [needs] if isinstance(needs, str) else needs
        rows.append([f"`{name}`", ", ".join(f"`{n}`" for n in needs) or "push / PR", _outputs(job)])
    return markdown_table(["job", "after", "outputs"], rows)


def _outputs(job: dict[str, Any]) -> str:
    outputs = []
    for step in job.get("steps", []):
        uses, with_ = step.get("uses", ""), step.get("with", {}) or {}
        run = step.get("run", "")
        if uses.startswith("actions/upload-artifact"):
            outputs.append(f"artifact `{with_['name']}`")
        elif uses.startswith("docker/build-push-action") and with_.get("push"):
            outputs.append("image in ghcr.io, tagged with the commit")
        elif "make test" in run:
            outputs.append("lint and test results")
        elif "api-test" in run:
            outputs.append("contract tests on the pulled image")
    return ", ".join(outputs)


def demo_scenario(reports: Reports, root: Path) -> str:
    rows = []
    for step in SCENARIO:
        query = "&".join(f"{k}={v}" for k, v in step.params.items())
        call = f"`{step.path}{'?' + query if query else ''}`"
        rows.append([step.title, call, f"`{step.status}`", step.shows])
    return markdown_table(["step", "call", "answer", "the audience sees"], rows)


TABLES: dict[str, Callable[[Reports, Path], str]] = {
    "vision_results": vision_results,
    "vision_per_class": vision_per_class,
    "sentiment_results": sentiment_results,
    "forecast_results": forecast_results,
    "ci_jobs": ci_jobs,
    "demo_scenario": demo_scenario,
}
