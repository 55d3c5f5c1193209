"""What every benchmark writes: `reports/<name>.json` and `reports/<name>.md`, with the
machine and its load, so a figure is never quoted without the conditions it was measured in."""

from __future__ import annotations

import json
import os
import platform
from datetime import date
from typing import Any

from bihar.settings import get_settings


def machine() -> dict[str, Any]:
    return {
        "measured_on": date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "load_average_1min_at_start": round(os.getloadavg()[0], 2),
    }


def write_report(name: str, report: dict[str, Any], markdown: list[str]) -> None:
    reports = get_settings().reports_dir
    reports.mkdir(exist_ok=True)
    (reports / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    (reports / f"{name}.md").write_text("\n".join(markdown) + "\n")
