"""What every benchmark writes: `reports/<name>.json` and `reports/<name>.md`, with the
machine and its load, so a figure is never quoted without the conditions it was measured in."""

from __future__ import annotations

import os
import platform
from datetime import date
from typing import Any

from bihar.atomic_write import write_text_atomic
from bihar.reports import write_json_report
from bihar.settings import get_settings


def machine() -> dict[str, Any]:
    return {
        "measured_on": date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "load_average_1min_at_start": round(os.getloadavg()[0], 2),
    }


def write_report(name: str, report: dict[str, Any], markdown: list[str]) -> None:
    write_json_report(name, report)
    write_text_atomic(get_settings().reports_dir / f"{name}.md", "\n".join(markdown) + "\n")
