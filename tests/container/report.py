"""reports/container.json and reports/container.md from the container suite's measurements."""

from __future__ import annotations

import json
from pathlib import Path

from bihar.atomic_write import write_text_atomic

ROWS = (
    ("image_size_mb", "API image size (MB, uncompressed)"),
    ("image_layers", "API image layers"),
    ("cold_build_s", "cold build (s): fresh daemon, no build cache, base image present"),
    ("rebuild_after_code_change_s", "rebuild after editing api/ and src/bihar/ (s)"),
    ("push_s", "push to the local registry (s)"),
    ("pull_s", "pull back after deleting the local image and build cache (s)"),
    ("base_image_size_mb", "local base image size (MB)"),
    ("base_image_ready_s", "base image ready (s): import from cache, or debootstrap"),
    ("debootstrap_s", "debootstrap of the base root file system, first run only (s)"),
)


def write_report(figures: dict[str, object], folder: Path) -> None:
    """Write the measurements as JSON and as a Markdown table, each whole or not at all."""
    write_text_atomic(
        folder / "container.json", json.dumps(figures, indent=2, sort_keys=True) + "\n"
    )
    lines = [
        "# Container figures",
        "",
        "Written by `make bench-container` (the tests/container suite). Machine: "
        f"{figures.get('cpus')} CPUs, load average {figures.get('load_average_at_start')} "
        f"at the start (other sessions share the cores); docker {figures.get('docker_version')}.",
        f"Base image: `{figures.get('base_image')}` (debootstrap bookworm + python3 3.11, "
        f"{'reused from cache' if figures.get('base_image_from_cache') else 'made in this run'}).",
        f"Baked database: {figures.get('baked_database')}.",
        f"Contract tests against the pulled image: {figures.get('contract_tests')}.",
        "",
        "| figure | value |",
        "|---|---|",
        *(f"| {label} | {figures[key]} |" for key, label in ROWS if key in figures),
        "",
        "Steps reported CACHED in the rebuild after the code change:",
        "",
        *(f"- `{step}`" for step in figures.get("rebuild_cached_steps", [])),
        "",
        "Steps run again:",
        "",
        *(f"- `{step}`" for step in figures.get("rebuild_rerun_steps", [])),
        "",
    ]
    write_text_atomic(folder / "container.md", "\n".join(lines))
