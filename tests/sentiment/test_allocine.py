from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from bihar.sentiment import allocine
from bihar.sentiment.allocine import AllocineDataError, load_allocine, load_offline, read_reviews


def test_offline_loader_dedups_against_test_and_splits_stratified(allocine_dir: Path) -> None:
    splits = load_offline(allocine_dir, val_fraction=0.25, seed=0)
    test_texts = set(splits.test["text"])
    assert len(splits.test) == 3  # the test file is untouched
    assert not (set(splits.train["text"]) | set(splits.validation["text"])) & test_texts
    assert len(splits.train) + len(splits.validation) == 19  # 20 train rows − 1 shared
    assert splits.validation["label"].value_counts().to_dict() == {0: 3, 1: 2} or (
        splits.validation["label"].value_counts().to_dict() == {0: 2, 1: 3}
    )
    assert not set(splits.train["text"]) & set(splits.validation["text"])
    assert any("both files" in note for note in splits.notes)
    assert "offline" in splits.source
    assert set(splits.train.columns) == {"text", "label"}


def test_offline_split_is_reproducible(allocine_dir: Path) -> None:
    a = load_offline(allocine_dir, seed=1).validation["text"].tolist()
    b = load_offline(allocine_dir, seed=1).validation["text"].tolist()
    c = load_offline(allocine_dir, seed=2).validation["text"].tolist()
    assert a == b and a != c


def test_auto_falls_back_offline_and_says_so(
    allocine_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(allocine, "hub_reachable", lambda *a, **k: False)
    splits = load_allocine("auto", data_dir=allocine_dir)
    assert splits.source.startswith("offline subset")


def test_hub_failure_in_auto_mode_falls_back(
    allocine_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(allocine, "hub_reachable", lambda *a, **k: True)

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ConnectionError("no network")

    monkeypatch.setattr(allocine, "load_hub", broken)
    assert load_allocine("auto", data_dir=allocine_dir).source.startswith("offline")
    with pytest.raises(ConnectionError):
        load_allocine("hub", data_dir=allocine_dir)


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(AllocineDataError, match=r"train_data_allocine\.csv: file not found"):
        load_offline(tmp_path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("review,stars\nbien,5\n", r"missing column\(s\) \['label', 'text'\]"),
        ("text,label\nbien,positive\n", "label\\(s\\) not 0/1"),
        ("text,label\nbien,3\n", "label\\(s\\) not 0/1"),
        ("text,label\n", "no rows"),
        ("", "not a readable CSV"),
    ],
)
def test_bad_files_raise_a_clear_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(AllocineDataError, match=message) as info:
        read_reviews(path)
    assert str(path) in str(info.value)


def test_empty_reviews_are_dropped(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    pd.DataFrame({"text": ["bien", "  ", None], "label": [1, 0, 0]}).to_csv(path, index=False)
    assert read_reviews(path)["text"].tolist() == ["bien"]
