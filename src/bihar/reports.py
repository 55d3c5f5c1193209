"""Measured figures as `reports/<name>.json`, each written by the command that measures them."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from bihar.atomic_write import write_text_atomic
from bihar.settings import get_settings

log = logging.getLogger(__name__)


def write_json_report(
    name: str, figures: Any, path: Path | None = None, ensure_ascii: bool = True
) -> Path:
    """Write `figures` (JSON-serialisable) to `path`, by default `<reports_dir>/<name>.json`."""
    path = path or get_settings().reports_dir / f"{name}.json"
    write_text_atomic(path, json.dumps(figures, indent=2, ensure_ascii=ensure_ascii) + "\n")
    log.info("wrote %s", path)
    return path
