"""Immutable versions on disk: concurrent publishers, failed writes, tampered files."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from bihar.file_registry import RegistryError, open_version, publish, versions


def _write_model(folder: Path, payload: str) -> dict:
    (folder / "weights.bin").write_text(payload)
    return {"payload": payload}


def _publish_many(registry: str, worker: int, count: int, queue) -> None:
    for i in range(count):
        stored = publish(Path(registry), "demo", lambda f, i=i: _write_model(f, f"{worker}-{i}"))
        queue.put((stored.version, f"{worker}-{i}"))


def test_publish_numbers_versions_and_records_checksums(tmp_path):
    first = publish(tmp_path, "demo", lambda f: _write_model(f, "a"))
    second = publish(tmp_path, "demo", lambda f: _write_model(f, "b"))
    assert (first.version, second.version) == (1, 2)
    assert versions(tmp_path, "demo") == [1, 2]
    opened = open_version(tmp_path, "demo")
    assert opened.version == 2 and opened.metadata["payload"] == "b"
    assert set(opened.metadata["files"]) == {"weights.bin"}
    assert opened.file("weights.bin").read_text() == "b"
    assert opened.sha256 != open_version(tmp_path, "demo", 1).sha256
    assert not (opened.file("weights.bin").stat().st_mode & 0o222)


def test_concurrent_publishers_never_share_a_version(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    workers = [
        ctx.Process(target=_publish_many, args=(str(tmp_path), w, 5, queue)) for w in range(4)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
        assert w.exitcode == 0
    results = [queue.get(timeout=5) for _ in range(20)]
    assert sorted(v for v, _ in results) == list(range(1, 21))
    for version, payload in results:  # each number holds the files of the writer that took it
        stored = open_version(tmp_path, "demo", version)
        assert stored.file("weights.bin").read_text() == payload
    assert not [p for p in (tmp_path / "demo").iterdir() if not p.name.isdigit()]


def test_a_failed_write_publishes_nothing(tmp_path):
    def broken(folder: Path) -> dict:
        (folder / "weights.bin").write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        publish(tmp_path, "demo", broken)
    assert versions(tmp_path, "demo") == []
    assert list((tmp_path / "demo").iterdir()) == []


def test_a_tampered_or_missing_file_is_refused(tmp_path):
    stored = publish(tmp_path, "demo", lambda f: _write_model(f, "a"))
    weights = stored.file("weights.bin")
    weights.chmod(0o644)
    weights.write_text("b")
    with pytest.raises(RegistryError, match="does not match its SHA-256"):
        open_version(tmp_path, "demo")
    weights.unlink()
    with pytest.raises(RegistryError, match=r"weights\.bin is missing"):
        open_version(tmp_path, "demo", 1)


def test_unknown_names_and_versions_are_refused(tmp_path):
    with pytest.raises(RegistryError, match="no version of demo"):
        open_version(tmp_path, "demo")
    publish(tmp_path, "demo", lambda f: _write_model(f, "a"))
    with pytest.raises(RegistryError, match=r"no version 7; available: \[1\]"):
        open_version(tmp_path, "demo", 7)
    meta = tmp_path / "demo" / "1" / "metadata.json"
    meta.chmod(0o644)
    meta.write_text("{not json")
    with pytest.raises(RegistryError, match="unreadable metadata"):
        open_version(tmp_path, "demo", 1)
