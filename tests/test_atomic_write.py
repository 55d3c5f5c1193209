"""Whole-or-nothing writes of reports, model configuration and snapshots."""

from __future__ import annotations

from pathlib import Path

import pytest

from bihar.atomic_write import write_text_atomic
from bihar.reports import write_json_report


def test_writes_and_replaces_whole_text(tmp_path: Path):
    path = tmp_path / "deep" / "figures.json"
    write_text_atomic(path, "first")
    write_text_atomic(path, "é second")
    assert path.read_text(encoding="utf-8") == "é second"
    assert sorted(p.name for p in path.parent.iterdir()) == ["figures.json"]


def test_a_failed_write_keeps_the_previous_file_and_leaves_no_temporary(tmp_path: Path):
    path = tmp_path / "figures.json"
    write_text_atomic(path, "previous")
    with pytest.raises(TypeError):
        write_text_atomic(path, 12345)  # type: ignore[arg-type]
    assert path.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["figures.json"]


def test_json_report_goes_to_the_reports_folder_by_name(tmp_path: Path, monkeypatch):
    from bihar.settings import get_settings

    monkeypatch.setenv("BIHAR_ROOT_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        path = write_json_report("demo", {"mae": 2.13, "city": "Zürich"}, ensure_ascii=False)
    finally:
        get_settings.cache_clear()
    assert path == tmp_path / "reports" / "demo.json"
    assert path.read_text(encoding="utf-8") == '{\n  "mae": 2.13,\n  "city": "Zürich"\n}\n'
