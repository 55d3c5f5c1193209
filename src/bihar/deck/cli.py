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
    settings = get_settings()
    parser.add_argument("--template", default=str(settings.root_dir / "presentation" / "deck.md"))
    parser.add_argument("--out", default=str(settings.root_dir / "presentation" / "build"))
    parser.set_defaults(handler=_deck, errors=_errors)


def _deck(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bihar.deck.build import build_deck

    settings = get_settings()
    build_deck(Path(args.template), settings.reports_dir, settings.root_dir, Path(args.out))
    return 0


def _errors() -> ErrorMap:
    from bihar.deck.facts import MissingFactError

    return [((MissingFactError,), EXIT_BAD_INPUT)]
