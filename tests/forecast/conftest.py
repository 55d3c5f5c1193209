"""Fixtures of the forecasting tests: the real Boston snapshot and slices of it."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bihar.forecast.sources import SnapshotSource
from bihar.settings import get_settings


@pytest.fixture(scope="session")
def boston_snapshot_path() -> Path:
    data_dir = get_settings().data_dir
    assert data_dir is not None, "the offline datasets (../shared/datasets) are required"
    (path,) = sorted((data_dir / "weather").glob("boston_archive_*.json"))
    return path


@pytest.fixture(scope="session")
def boston_payload(boston_snapshot_path: Path) -> dict[str, Any]:
    return json.loads(boston_snapshot_path.read_text(encoding="utf-8"))


def slice_payload(payload: dict[str, Any], start: str, end: str) -> dict[str, Any]:
    """The archive answer for the days `start`…`end` cut out of a larger answer."""
    times = payload["hourly"]["time"]
    lo = times.index(f"{start}T00:00")
    hi = times.index(f"{end}T23:00") + 1
    out = copy.deepcopy({k: v for k, v in payload.items() if k != "hourly"})
    out["hourly"] = {k: v[lo:hi] for k, v in payload["hourly"].items()}
    return out


def snapshot(
    folder: Path,
    payload: dict[str, Any],
    start: str = "2024-03-01",
    end: str = "2024-03-10",
    edit: Callable[[dict[str, list]], None] | None = None,
) -> SnapshotSource:
    """An offline source holding `start`…`end` of `payload`, its hourly arrays changed by `edit`."""
    answer = slice_payload(payload, start, end)
    if edit:
        edit(answer["hourly"])
    path = folder / f"boston_archive_{start}_{end}.json"
    path.write_text(json.dumps(answer), encoding="utf-8")
    return SnapshotSource(path)
