"""The headline figures of the project, written to `reports/vision.json`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bihar.reports import write_json_report


def write_report(figures: Mapping[str, Any], path: Path | None = None) -> Path:
    """Write `figures` (JSON-serialisable) with a timestamp to reports/vision.json."""
    payload = {"generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), **figures}
    return write_json_report("vision", payload, path)
