"""Offline snapshots: a live archive answer saved in the exact shape `SnapshotSource` reads
(`<data_dir>/weather/<location>_archive_<start>_<end>.json`), so a machine that is online once
can work offline afterwards (and CI without ../shared gets the same data as here)."""

from __future__ import annotations

import json
import logging
from datetime import date
from pathlib import Path

from bihar.atomic_write import write_text_atomic
from bihar.forecast.locations import Location
from bihar.forecast.openmeteo import OpenMeteoClient
from bihar.settings import Settings

log = logging.getLogger(__name__)


def save_snapshot(
    settings: Settings, location: Location, start: date, end: date, data_dir: Path
) -> Path:
    """Download `start`…`end` from the live API and write it atomically; the file's path."""
    folder = data_dir / "weather"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{location.name}_archive_{start}_{end}.json"
    with OpenMeteoClient(settings.openmeteo_base_url, progress=True) as client:
        payload = client.archive_payload(location.latitude, location.longitude, start, end)
    write_text_atomic(path, json.dumps(payload, separators=(",", ":")))
    log.info(
        "saved %d hours of %s from the live API to %s",
        len(payload["hourly"]["time"]),
        location.name,
        path,
    )
    return path
