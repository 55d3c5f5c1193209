"""`bihar sentiment …`: the French review classifier as a product.

- `bihar sentiment select`: repeated cross-validation of the cheap candidates on train +
  validation; writes `model/review_sentiment.json` and the `selection` section of
  `reports/sentiment.json` (`make sentiment-selection`);
- `bihar sentiment train [--config FILE] [--source auto|hub|offline]`: fit that configuration on
  train + validation, score it once on test, publish a registry version (`make sentiment-model`);
- `bihar sentiment classify TEXT… | --file FILE [--json]`: label and P(positive) of each review;
- `bihar sentiment evaluate FILE [--text-column C] [--label-column C] [--out FILE]`: the
  model's figures on any labelled file, as JSON.

Exit codes (`bihar.cli`): 2 for a bad review, file, column or label, an invalid configuration
or no registered model (the message names the row and the problem).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from bihar.cli import EXIT_BAD_INPUT, ErrorMap, UsageError
from bihar.settings import get_settings

log = logging.getLogger("bihar.cli")

TABLE_WIDTH = 70


def errors() -> ErrorMap:
    from bihar.file_registry import RegistryError
    from bihar.sentiment.allocine import AllocineDataError
    from bihar.sentiment.model_config import ModelConfigError
    from bihar.sentiment.review_files import ReviewInputError
    from bihar.sentiment.selection import SelectionError

    bad = (RegistryError, ModelConfigError, ReviewInputError, AllocineDataError, SelectionError)
    return [(bad, EXIT_BAD_INPUT)]


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `sentiment` group to `bihar`'s commands."""
    group = sub.add_parser("sentiment", help="French review classifier: select, train, classify…")
    commands = group.add_subparsers(dest="sentiment_command", required=True)

    p = commands.add_parser("select", help="choose the model to ship by repeated CV")
    p.add_argument("--source", choices=["auto", "hub", "offline"], default="auto")
    p.add_argument("--repeats", type=_positive, default=3, help="default: 3")
    p.add_argument("--folds", type=_positive, default=5, help="default: 5")
    p.add_argument("--no-stack", action="store_true", help="leave the two-base stack out")
    p.set_defaults(handler=_select, errors=errors)

    p = commands.add_parser("train", help="train the configured model and publish a version")
    p.add_argument("--config", type=Path, help="default: model/review_sentiment.json")
    p.add_argument("--source", choices=["auto", "hub", "offline"], default="auto")
    p.set_defaults(handler=_train, errors=errors)

    p = commands.add_parser("classify", help="label and P(positive) of reviews")
    p.add_argument("texts", nargs="*", metavar="TEXT", help="reviews (or use --file)")
    _file_options(p, "--file", label=False)
    p.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    p.add_argument("--version", type=int, help="registry version (default: the newest)")
    p.set_defaults(handler=_classify, errors=errors)

    p = commands.add_parser("evaluate", help="score the model on a labelled CSV file (JSON)")
    _file_options(p, "file", label=True)
    p.add_argument("--out", type=Path, help="also write the JSON to this file")
    p.add_argument("--version", type=int, help="registry version (default: the newest)")
    p.set_defaults(handler=_evaluate, errors=errors)


def _file_options(p: argparse.ArgumentParser, name: str, label: bool) -> None:
    kwargs = {"metavar": "FILE"} if name.startswith("-") else {}
    p.add_argument(name, type=Path, help="CSV (or .txt, one review per line)", **kwargs)
    p.add_argument("--text-column", default="text", help="default: text")
    if label:
        p.add_argument("--label-column", default="label", help="default: label (0/1, neg/pos)")
    p.add_argument("--encoding", help="default: UTF-8 (BOM honoured), else Windows-1252")
    p.add_argument("--separator", help="CSV separator; default: detected among , ; tab |")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: must be at least 1")
    return value


def _select(args: argparse.Namespace) -> int:
    from bihar.sentiment.allocine import load_allocine
    from bihar.sentiment.model_config import write_model_config
    from bihar.sentiment.report import update_report
    from bihar.sentiment.selection import select, selection_vectors, shipped_config

    settings = get_settings()
    splits = load_allocine(args.source)
    kv = None if args.no_stack else selection_vectors(splits)
    selection = select(splits, kv, args.repeats, args.folds, settings.seed)
    config = shipped_config(selection, splits.source)
    update_report("selection", {"data_source": splits.source, **selection.evidence(),
                                "command": "make sentiment-selection"})  # fmt: skip
    path = write_model_config(config, settings.sentiment_config_path)
    sys.stdout.write(selection.summary.round(4).to_string() + "\n")
    sys.stdout.write(f"chosen: {selection.chosen} -> {path}\n")
    return 0


def _train(args: argparse.Namespace) -> int:
    from bihar.sentiment.model_config import load_model_config
    from bihar.sentiment.release import train_and_publish

    settings = get_settings()
    config = args.config or settings.sentiment_config_path
    load_model_config(config)  # a bad file is refused before any data is read
    stored = train_and_publish(settings, config, args.source)
    sys.stdout.write(f"{stored.path}\n")
    return 0


def _load(version: int | None):  # -> (ReviewPipeline, StoredVersion)
    from bihar.sentiment.versions import load_review_model

    return load_review_model(get_settings().registry_dir, version)


def _read(args: argparse.Namespace, label: bool):  # -> ReviewTable
    from bihar.sentiment.review_files import read_reviews_file

    return read_reviews_file(
        args.file,
        text_column=args.text_column,
        label_column=args.label_column if label else None,
        encoding=args.encoding,
        separator=args.separator,
    )


def _classify(args: argparse.Namespace) -> int:
    from bihar.sentiment.pipeline import MAX_CHARS
    from bihar.sentiment.review_files import read_text_argument

    if bool(args.texts) == (args.file is not None):
        raise UsageError("give reviews as arguments or --file FILE, not both and not neither")
    texts = read_text_argument(args.texts) if args.texts else _read(args, label=False).texts
    pipeline, _ = _load(args.version)
    prob = pipeline.predict_proba(texts)
    long = sum(len(t) > MAX_CHARS for t in texts)
    if long:
        log.warning("%d review(s) longer than %d characters: only their beginning is read",
                    long, MAX_CHARS)  # fmt: skip
    out = sys.stdout
    if args.json:
        for i, (text, p) in enumerate(zip(texts, prob, strict=True), start=1):
            row = {"review": i, "label": "positive" if p > 0.5 else "negative",
                   "p_positive": round(float(p), 4), "truncated": len(text) > MAX_CHARS,
                   "text": _excerpt(text, 200)}  # fmt: skip
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        return 0
    out.write(f"{'#':>5}  {'label':<8}  {'P(pos)':>6}  text\n")
    for i, (text, p) in enumerate(zip(texts, prob, strict=True), start=1):
        label = "positive" if p > 0.5 else "negative"
        out.write(f"{i:>5}  {label:<8}  {p:6.3f}  {_excerpt(text, TABLE_WIDTH)}\n")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from bihar.atomic_write import write_text_atomic
    from bihar.sentiment.evaluation import scorecard

    table = _read(args, label=True)
    pipeline, stored = _load(args.version)
    prob = pipeline.predict_proba(table.texts)
    document = {
        "file": str(table.path),
        "encoding": table.encoding,
        "separator": table.separator,
        "model": {
            "name": stored.name,
            "version": stored.version,
            "sha256": stored.sha256,
            "config": pipeline.config.name,
        },
        **scorecard(table.labels, prob),  # type: ignore[arg-type]
    }
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if args.out is not None:
        write_text_atomic(args.out, text)
    sys.stdout.write(text)
    return 0


def _excerpt(text: str, width: int) -> str:
    flat = " ".join(text[: width * 4].split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
