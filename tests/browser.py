"""Headless Chromium driven from the command line: the DOM after the page's scripts ran, and
screenshots. The browser is `Settings.chrome_path` (CHROME_PATH), set up by
scripts/browser/tools.sh."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from bihar.settings import get_settings


def chromium() -> str:
    path = shutil.which(get_settings().chrome_path)
    assert path, f"no browser {get_settings().chrome_path!r}: run scripts/browser/tools.sh"
    return path


def _run(url: str, *flags: str, budget_ms: int) -> str:
    with tempfile.TemporaryDirectory(prefix="bihar-chromium-") as profile:
        done = subprocess.run(
            [
                chromium(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--no-first-run",
                f"--user-data-dir={profile}",
                f"--virtual-time-budget={budget_ms}",
                *flags,
                url,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def dom_after_scripts(url: str, budget_ms: int = 20_000, width: int = 1280) -> str:
    """The serialized DOM once the page's scripts have run (virtual time `budget_ms`)."""
    return _run(url, f"--window-size={width},1000", "--dump-dom", budget_ms=budget_ms)


def screenshot(url: str, path: Path, width: int, height: int, budget_ms: int = 20_000) -> Path:
    """A PNG of the page's first `width` x `height` pixels."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _run(url, f"--window-size={width},{height}", f"--screenshot={path}", budget_ms=budget_ms)
    assert path.is_file() and path.stat().st_size > 0
    return path
