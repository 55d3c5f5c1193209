"""The demo page's files: one HTML page, its script and style, and the vendored chart library
(uPlot 1.6.32 from npm, MIT, under static/vendor/), all served by the API itself so the page
works offline and in the container."""

from __future__ import annotations

from pathlib import Path

STATIC_DIR = Path(__file__).with_name("static")
INDEX = STATIC_DIR / "index.html"
