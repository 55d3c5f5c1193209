"""Loaders of Théophile Blard's Allociné reviews (labels: 0 negative, 1 positive).

Online: the Hugging Face hub dataset `tblard/allocine` (train 160k / validation 20k / test 20k).
Offline: the stratified subset in `<data_dir>/allocine/` (`train_data_allocine.csv`, 2,000 reviews;
`test_data_allocine_full.csv`, 1,000 reviews; columns `text,label`). One review occurs in both
files: it is dropped from *train* (the test file stays untouched), as are exact duplicates inside
train; the offline train file is then split, stratified and seeded, into train and validation.
"""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd
from sklearn.model_selection import train_test_split

from bihar.settings import get_settings

log = logging.getLogger(__name__)

TRAIN_FILE = "train_data_allocine.csv"
TEST_FILE = "test_data_allocine_full.csv"
Source = Literal["auto", "hub", "offline"]


class AllocineDataError(ValueError):
    """An Allociné file is missing or malformed; the message names the file and the problem."""


@dataclass
class AllocineSplits:
    """Train / validation / test frames with columns `text` (str) and `label` (0/1)."""

    train: pd.DataFrame
    validation: pd.DataFrame
    test: pd.DataFrame
    source: str
    notes: list[str] = field(default_factory=list)

    def without_test(self) -> AllocineSplits:
        """Train and validation with an empty test frame: what every experiment is given, so
        that only the final scoring can read the test reviews."""
        return AllocineSplits(
            self.train, self.validation, self.test.iloc[:0], self.source, list(self.notes)
        )

    def sizes(self) -> dict[str, int]:
        return {
            "train": len(self.train),
            "validation": len(self.validation),
            "test": len(self.test),
        }


def read_reviews(path: Path) -> pd.DataFrame:
    """Read one `text,label` CSV and validate it (clear `AllocineDataError` otherwise)."""
    if not path.is_file():
        raise AllocineDataError(f"{path}: file not found")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise AllocineDataError(f"{path}: not a readable CSV ({exc})") from exc
    missing = {"text", "label"} - set(frame.columns)
    if missing:
        raise AllocineDataError(
            f"{path}: missing column(s) {sorted(missing)}; found {list(frame.columns)}"
        )
    if frame.empty:
        raise AllocineDataError(f"{path}: no rows")
    labels = pd.to_numeric(frame["label"], errors="coerce")
    bad = ~labels.isin([0, 1])
    if bad.any():
        raise AllocineDataError(
            f"{path}: {int(bad.sum())} label(s) not 0/1, e.g. row {int(bad.idxmax())}: "
            f"{frame['label'][bad].iloc[0]!r}"
        )
    text = frame["text"]
    empty = text.isna() | (text.astype(str).str.strip() == "")
    if empty.any():
        log.warning("%s: dropping %d empty review(s)", path, int(empty.sum()))
    return pd.DataFrame(
        {"text": text[~empty].astype(str).str.strip(), "label": labels[~empty].astype(int)}
    ).reset_index(drop=True)


def load_offline(
    data_dir: Path | None = None, val_fraction: float = 0.2, seed: int | None = None
) -> AllocineSplits:
    """The offline subset: dedup (train ∩ test dropped from train), stratified train/validation."""
    settings = get_settings()
    base = Path(data_dir or settings.data_dir or "") / "allocine"
    seed = settings.seed if seed is None else seed
    train_all = read_reviews(base / TRAIN_FILE)
    test = read_reviews(base / TEST_FILE)
    notes = []
    n0 = len(train_all)
    train_all = train_all.drop_duplicates("text")
    if len(train_all) < n0:
        notes.append(f"{n0 - len(train_all)} exact duplicate review(s) dropped inside train")
    shared = train_all["text"].isin(set(test["text"]))
    if shared.any():
        notes.append(
            f"{int(shared.sum())} review(s) present in both files dropped from train "
            "(test file kept untouched)"
        )
    train_all = train_all[~shared].reset_index(drop=True)
    train, validation = train_test_split(
        train_all, test_size=val_fraction, stratify=train_all["label"], random_state=seed
    )
    for note in notes:
        log.info("allocine offline: %s", note)
    log.info("Allociné source: offline subset %s", base)
    return AllocineSplits(
        train.reset_index(drop=True),
        validation.reset_index(drop=True),
        test,
        source=f"offline subset {base}",
        notes=notes,
    )


def hub_reachable(host: str = "huggingface.co", timeout: float = 3.0) -> bool:
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
    except OSError:
        return False
    return True


def load_hub(cache_dir: Path | None = None) -> AllocineSplits:
    """The full dataset from the Hugging Face hub (`review`, `label` → `text`, `label`), its
    train / validation / test splits used unchanged. The dataset is `settings.allocine_hub`:
    the hub id, or a local folder in the hub's layout (`allocine/<split>-*.parquet`)."""
    from datasets import load_dataset

    name = get_settings().allocine_hub
    ds = load_dataset(name, cache_dir=str(cache_dir) if cache_dir else None)

    def frame(split: str) -> pd.DataFrame:
        data = ds[split].to_pandas()
        return pd.DataFrame({"text": data["review"].astype(str), "label": data["label"]})

    log.info("Allociné source: Hugging Face hub dataset %r", name)
    return AllocineSplits(
        frame("train"), frame("validation"), frame("test"), source=f"Hugging Face hub {name!r}"
    )


def load_allocine(
    source: Source = "auto", data_dir: Path | None = None, seed: int | None = None
) -> AllocineSplits:
    """`auto`: the hub when reachable, else the offline subset; the result names its source."""
    if source == "hub" or (source == "auto" and hub_reachable()):
        try:
            return load_hub(get_settings().cache_dir / "hf")
        except Exception as exc:
            if source == "hub":
                raise
            log.warning("hub dataset unavailable (%s); falling back to the offline subset", exc)
    return load_offline(data_dir, seed=seed)
