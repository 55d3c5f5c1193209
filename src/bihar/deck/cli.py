"""`bihar deck`: presentation/build/deck.md from presentation/deck.md and the reports."""

from __future__ import annotations

import argparse

from bihar.cli import EXIT_BAD_INPUT, ErrorMap
from bihar.settings import get_settings


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "deck",
        help="fill the slide deck from reports/*.json and the figures (make slides builds it)",
    )
    parser.add_argument("--template", help="default: presentation/deck.md")
    parser.add_argument("--out", help="default: presentation/build")
    parser.set_defaults(handler=_deck, errors=_errors)


def _deck(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bihar.deck.build import build_deck

    settings = get_settings()
    root = settings.root_dir
    template = Path(args.template) if args.template else root / "presentation" / "deck.md"
    out = Path(args.out) if args.out else root / "presentation" / "build"
    build_deck(template, settings.reports_dir, root, out)
    return 0


def _errors() -> ErrorMap:
    from bihar.deck.facts import MissingFactError

    return [((MissingFactError,), EXIT_BAD_INPUT)]
