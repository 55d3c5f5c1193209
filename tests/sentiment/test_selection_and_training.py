"""The selection rule, `bihar sentiment select` and `train` on small data (offline files and a
fake of the Hugging Face hub's layout), the Wilson interval and the configuration checks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bihar.cli import main
from bihar.file_registry import open_version
from bihar.sentiment.evaluation import scorecard, wilson_interval
from bihar.sentiment.model_config import ModelConfigError, ReviewModelConfig, load_model_config
from bihar.sentiment.selection import Candidate, apply_rule
from bihar.settings import get_settings
from tests.sentiment.conftest import NEGATIVE, POSITIVE

SMALL = ReviewModelConfig(name="small", features="nb-tfidf_word+char", C=1.0, min_df=1)


def _folds(accuracies: dict[str, list[float]]) -> pd.DataFrame:
    rows = []
    for name, values in accuracies.items():
        for i, acc in enumerate(values):
            rows.append({"repeat": i // 5, "fold": i % 5, "model": name, "accuracy": acc,
                         "seconds": 1.0, "n_train": 1600, "n_test": 400})  # fmt: skip
    return pd.DataFrame(rows)


def _candidates(*names: str) -> list[Candidate]:
    return [Candidate(n, 0.9, config=SMALL.model_copy(update={"name": n})) for n in names]


def test_the_rule_keeps_the_simplest_candidate_within_the_noise() -> None:
    rng = np.random.default_rng(0)
    base = 0.88 + rng.normal(0, 0.01, 15)
    table = _folds({"simple": list(base), "rich": list(base + 0.002 + rng.normal(0, 0.01, 15))})
    selection = apply_rule(table, _candidates("simple", "rich"), {"simple": 1, "rich": 100})
    assert selection.best == "rich"
    assert selection.chosen == "simple"
    row = selection.summary.loc["simple"]
    assert 0 < row["deficit to best"] <= row["deficit std error (corrected)"]
    assert row["within noise of best"]
    assert selection.evidence()["candidates"]["rich"]["refit seconds"] == 100


def test_the_rule_keeps_the_better_model_when_the_simple_one_is_clearly_worse() -> None:
    rng = np.random.default_rng(1)
    base = 0.88 + rng.normal(0, 0.005, 15)
    table = _folds({"simple": list(base - 0.03), "rich": list(base)})
    selection = apply_rule(table, _candidates("simple", "rich"), {})
    assert selection.chosen == selection.best == "rich"
    assert not selection.summary.loc["simple", "within noise of best"]


def test_wilson_interval_and_scorecard() -> None:
    low, high = wilson_interval(50, 100)
    assert (round(low, 4), round(high, 4)) == (0.4038, 0.5962)
    low, high = wilson_interval(100, 100)
    assert high == pytest.approx(1.0) and 0.96 < low < 0.97
    assert wilson_interval(0, 0) == (0.0, 1.0)
    card = scorecard(np.array([1, 1, 0, 0]), np.array([0.9, 0.2, 0.1, 0.6]))
    assert card["accuracy"] == 0.5 and card["confusion"]["matrix"] == [[1, 1], [1, 1]]
    assert card["accuracy_interval_95"][0] < 0.5 < card["accuracy_interval_95"][1]


def test_select_writes_the_config_that_train_reads(
    allocine_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("BIHAR_DATA_DIR", str(allocine_dir))
    get_settings.cache_clear()
    assert main(["sentiment", "select", "--source", "offline", "--repeats", "2", "--folds", "2",
                 "--no-stack"]) == 0  # fmt: skip
    settings = get_settings()
    config = load_model_config(settings.sentiment_config_path)
    report = json.loads((settings.reports_dir / "sentiment.json").read_text())["selection"]
    assert config.name == report["chosen"]
    assert set(report["candidates"]) == {
        "bag of words + logreg", "TF-IDF words + logreg", "TF-IDF words + chars + logreg",
        "NB-weighted TF-IDF words + chars + logreg",
    }  # fmt: skip
    assert config.selection["figures"] == report["candidates"][config.name]
    assert main(["sentiment", "train", "--source", "offline"]) == 0
    stored = open_version(settings.registry_dir, "review-sentiment")
    assert stored.metadata["config"] == config.name
    assert stored.metadata["data"]["sizes"]["test"] == 3


def _fake_hub(folder: Path) -> dict[str, int]:
    """A dataset folder in the layout of `tblard/allocine` on the hub: README.md declaring the
    `allocine` config, `allocine/<split>-00000-of-00001.parquet` with `review` and `label`."""
    (folder / "allocine").mkdir(parents=True)
    texts = POSITIVE + NEGATIVE
    labels = [1] * len(POSITIVE) + [0] * len(NEGATIVE)
    sizes = {}
    for split, n in (("train", 40), ("validation", 12), ("test", 8)):
        rows = [(f"{texts[i % len(texts)]} ({split} {i})", labels[i % len(texts)])
                for i in range(n)]  # fmt: skip
        pd.DataFrame(rows, columns=["review", "label"]).to_parquet(
            folder / "allocine" / f"{split}-00000-of-00001.parquet", index=False
        )
        sizes[split] = n
    (folder / "README.md").write_text(
        "---\nconfigs:\n- config_name: allocine\n  data_files:\n"
        + "".join(f"  - split: {s}\n    path: allocine/{s}-*\n" for s in sizes)
        + "---\n# Allociné (test fake)\n",
        encoding="utf-8",
    )
    return sizes


def test_train_uses_the_hub_splits_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sizes = _fake_hub(tmp_path / "hub")
    monkeypatch.setenv("BIHAR_ALLOCINE_HUB", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    config = tmp_path / "config.json"
    config.write_text(SMALL.model_dump_json())
    get_settings.cache_clear()
    assert main(["sentiment", "train", "--config", str(config), "--source", "hub"]) == 0
    stored = open_version(get_settings().registry_dir, "review-sentiment")
    data = stored.metadata["data"]
    assert data["sizes"] == {**sizes, "fit (train + validation)": 52}
    assert "hub" in data["source"] and str(tmp_path / "hub") in data["source"]
    assert stored.metadata["test"]["reviews"] == 8


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"name": "x", "C": -1}', "C: Input should be greater than 0"),
        ('{"name": "x", "C": 1, "features": "bert"}', "features"),
        ('{"name": "x", "C": 1, "extra": 1}', "extra"),
        ("not json", "(file)"),
    ],
)
def test_a_bad_config_is_refused_before_any_data_is_read(
    tmp_path: Path, content: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.json"
    path.write_text(content)
    with pytest.raises(ModelConfigError, match=r"config\.json") as info:
        load_model_config(path)
    assert message in str(info.value)
    assert main(["sentiment", "train", "--config", str(path)]) == 2
    assert main(["sentiment", "train", "--config", str(tmp_path / "missing.json")]) == 2
