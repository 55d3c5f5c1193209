"""Fill the deck's Markdown template: `{{ report/key/key | spec }}` becomes the report's value,
`{{ figure name }}` the path of a copied figure, `{{ table name }}` a table built from the
reports. Every placeholder filled is listed in `deck.facts.json` beside the deck."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from bihar.atomic_write import write_text_atomic
from bihar.deck.facts import MissingFactError, Reports, formatted
from bihar.deck.figures import copy_figure, copy_tree_clean
from bihar.deck.tables import TABLES

log = logging.getLogger(__name__)

PLACEHOLDER = re.compile(r"\{\{\s*(?:(figure|table)\s+)?([^|}]+?)\s*(?:\|\s*([^}]*?)\s*)?\}\}")


@dataclass(frozen=True)
class Deck:
    markdown: Path
    facts: Path
    slides: int


def fill(template: str, reports: Reports, root: Path, figures: Path) -> tuple[str, list[dict]]:
    """The filled Markdown and, per placeholder, what it became and where it came from."""
    filled: list[dict] = []

    def replace(match: re.Match[str]) -> str:
        kind, name, spec = match.group(1), match.group(2), match.group(3) or ""
        if kind == "figure":
            text = copy_figure(name, root, figures)
        elif kind == "table":
            if name not in TABLES:
                raise MissingFactError(f"no table called {name!r}; known: {', '.join(TABLES)}")
            try:
                text = TABLES[name](reports, root)
            except KeyError as exc:
                raise MissingFactError(
                    f"table {name}: a report lacks the key {exc}; rerun the command that writes it"
                ) from None
        else:
            text = formatted(reports.get(name), spec)
        filled.append({"placeholder": match.group(0), "kind": kind or "value", "text": text})
        return text

    return PLACEHOLDER.sub(replace, template), filled


def build_deck(template: Path, reports_dir: Path, root: Path, out_dir: Path) -> Deck:
    """Write `out_dir/deck.md`, its figures under `out_dir/figures/` and `deck.facts.json`."""
    if not template.is_file():
        raise MissingFactError(f"{template} is missing")
    figures = out_dir / "figures"
    copy_tree_clean(figures)
    markdown, filled = fill(
        template.read_text(encoding="utf-8"), Reports.load(reports_dir), root, figures
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    deck = out_dir / "deck.md"
    write_text_atomic(deck, markdown)
    facts = out_dir / "deck.facts.json"
    write_text_atomic(facts, json.dumps(filled, indent=1, ensure_ascii=False) + "\n")
    slides = len(slide_texts(markdown))
    log.info("deck written to %s: %d slides, %d values filled", deck, slides, len(filled))
    return Deck(deck, facts, slides)


def slide_texts(markdown: str) -> list[str]:
    """The slides of a Marp deck (front matter dropped)."""
    body = re.sub(r"\A---\n.*?\n---\n", "", markdown, count=1, flags=re.S)
    return [part.strip() for part in re.split(r"^---$", body, flags=re.M) if part.strip()]
