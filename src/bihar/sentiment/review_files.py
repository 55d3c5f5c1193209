"""Reviews given to `bihar sentiment classify` and `evaluate`: one text, or a file, checked.

- A text must hold something once markup is removed (`check_text`); otherwise a
  `ReviewInputError` names it.
- `.txt`: one review per line (blank lines at the end of the file are ignored, any other blank
  line is an error naming it).
- Any other file is read as CSV: the separator (`,` `;` tab or `|`) is detected from the first
  lines unless given; the review column is `text` unless given, and `evaluate` needs a label
  column (`label`: 0/1, or neg/pos, negative/positive, négatif/positif).
- Encoding: UTF-8 with or without a BOM, UTF-16 with a BOM; a file that is not valid UTF-8 is
  read as Windows-1252 (a superset of Latin-1's printable characters) and a warning says so.
  A file with NUL bytes and no UTF-16 BOM is refused as binary. `--encoding` forces one.

Every problem is one `ReviewInputError` whose message names the file, the row and the problem
(rows are numbered from 1, the header excluded).
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from bihar.sentiment.pipeline import MAX_CHARS
from bihar.sentiment.preprocessing import clean

log = logging.getLogger(__name__)

SEPARATORS = ",;\t|"
LABELS = {
    "0": 0, "1": 1, "0.0": 0, "1.0": 1, "neg": 0, "pos": 1, "negative": 0, "positive": 1,
    "négatif": 0, "positif": 1, "negatif": 0,
}  # fmt: skip
MAX_ROWS_NAMED = 5


class ReviewInputError(ValueError):
    """A review, a file or a column cannot be read; the message says where and why."""


def check_text(text: str, where: str) -> str:
    """`text` if it holds words once markup is removed, else `ReviewInputError`."""
    if not isinstance(text, str) or not text.strip():
        raise ReviewInputError(f"{where}: empty review")
    if not clean(text[:MAX_CHARS]):
        raise ReviewInputError(f"{where}: no text left once HTML markup is removed")
    return text


@dataclass(frozen=True)
class ReviewTable:
    """The reviews of a file, their labels when asked for, and how the file was read."""

    texts: list[str]
    labels: list[int] | None
    path: Path
    encoding: str
    separator: str | None


def decode(data: bytes, path: Path, encoding: str | None = None) -> tuple[str, str]:
    """The text of a file and the encoding used (see the module docstring)."""
    if encoding is not None:
        try:
            codecs.lookup(encoding)
            return data.decode(encoding), encoding
        except LookupError:
            raise ReviewInputError(f"unknown encoding {encoding!r}") from None
        except UnicodeDecodeError as exc:
            raise ReviewInputError(
                f"{path}: not {encoding} (byte {exc.start}: {data[exc.start : exc.start + 1]!r})"
            ) from None
    for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                      (codecs.BOM_UTF16_BE, "utf-16")):  # fmt: skip
        if data.startswith(bom):
            try:
                return data.decode(name), name
            except UnicodeDecodeError as exc:
                raise ReviewInputError(f"{path}: invalid {name} at byte {exc.start}") from None
    if b"\x00" in data:
        raise ReviewInputError(f"{path}: binary file (NUL bytes), not a text or CSV file")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        log.warning("%s: not UTF-8 (byte %d); read as Windows-1252 / Latin-1", path, exc.start)
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def read_text_argument(texts: list[str]) -> list[str]:
    """Texts given on the command line, each checked."""
    return [check_text(t, f"review {i}") for i, t in enumerate(texts, start=1)]


def read_reviews_file(
    path: Path,
    text_column: str = "text",
    label_column: str | None = None,
    encoding: str | None = None,
    separator: str | None = None,
) -> ReviewTable:
    """The reviews of `path` (and their labels when `label_column` is given)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ReviewInputError(f"{path}: file not found") from None
    except OSError as exc:
        raise ReviewInputError(f"{path}: cannot read ({exc.strerror})") from None
    text, used = decode(data, path, encoding)
    if path.suffix.lower() == ".txt" and label_column is None:
        lines = text.rstrip("\r\n\t ").splitlines() if text.strip() else []
        if not lines:
            raise ReviewInputError(f"{path}: no reviews")
        for i, line in enumerate(lines, start=1):
            check_text(line, f"{path}: line {i}")
        return ReviewTable(lines, None, path, used, None)
    sep = separator or sniff_separator(text, path)
    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, engine="python"
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as exc:
        raise ReviewInputError(f"{path}: not a readable CSV ({_first_line(exc)})") from None
    columns = [text_column] + ([label_column] if label_column else [])
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ReviewInputError(
            f"{path}: no column {', '.join(map(repr, missing))}; columns found: "
            f"{list(frame.columns)} (separator {sep!r}; see --text-column/--label-column)"
        )
    if frame.empty:
        raise ReviewInputError(f"{path}: no reviews")
    texts = frame[text_column].tolist()
    empty = [i for i, t in enumerate(texts, start=1) if not t.strip() or not clean(t[:MAX_CHARS])]
    if empty:
        raise ReviewInputError(f"{path}: empty text in row(s) {_rows(empty)}")
    labels = None
    if label_column:
        raw = frame[label_column].str.strip().str.lower()
        bad = [(i, v) for i, v in enumerate(raw, start=1) if v not in LABELS]
        if bad:
            row, value = bad[0]
            raise ReviewInputError(
                f"{path}: label {value!r} in row {row} is not 0/1 (or neg/pos); "
                f"{len(bad)} bad label(s) in row(s) {_rows([r for r, _ in bad])}"
            )
        labels = [LABELS[v] for v in raw]
    return ReviewTable(texts, labels, path, used, sep)


def sniff_separator(text: str, path: Path) -> str:
    """The CSV separator of `text`, from its first lines (`,` when nothing else fits)."""
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=SEPARATORS).delimiter
    except csv.Error:
        header = text.splitlines()[0] if text.strip() else ""
        counts = {s: header.count(s) for s in SEPARATORS}
        best = max(counts, key=lambda s: counts[s])
        return best if counts[best] else ","


def _rows(rows: list[int]) -> str:
    shown = ", ".join(map(str, rows[:MAX_ROWS_NAMED]))
    return shown + (f" and {len(rows) - MAX_ROWS_NAMED} more" if len(rows) > MAX_ROWS_NAMED else "")


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
