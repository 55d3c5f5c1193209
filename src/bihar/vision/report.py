"""The headline figures of the project, written to `reports/vision.json`."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bihar.settings import get_settings

log = logging.getLogger(__name__)


def write_report(figures: Mapping[str, Any], path: Path | None = None) -> Path:
    """Write `figures` (JSON-serialisable) with a timestamp to reports/vision.json."""
    path = path or get_settings().reports_dir / "vision.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), **figures}
    path.write_text(json.dumps(payload, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    log.info("vision report written to %s", path)
    return path
