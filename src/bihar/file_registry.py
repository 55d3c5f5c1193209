"""Immutable model versions kept as folders, for models served without a database.

`model/registry/<name>/<version>/` holds a version's files and `metadata.json`, which lists the
SHA-256 of every other file. A version is written whole into a staging folder beside the
versions, then renamed to the next free number: `rename` of a folder onto an existing, non-empty
one fails, so two trainings that finish at once take two different numbers, and a reader never
sees a half-written version. Files are made read-only once published. Opening a version checks
every file against its recorded SHA-256; the SHA-256 of `metadata.json` identifies the whole
version (`StoredVersion.sha256`).
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

METADATA_FILE = "metadata.json"
MAX_ATTEMPTS = 1000


class RegistryError(RuntimeError):
    """No such model or version, a version whose files do not match their checksums, or (for
    the forecast registry) no serving model."""


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class StoredVersion:
    """A published version: its folder, its metadata and the SHA-256 of `metadata.json`."""

    name: str
    version: int
    path: Path
    metadata: dict[str, Any]
    sha256: str

    def file(self, name: str) -> Path:
        """A file of this version (its checksum was verified when the version was opened)."""
        if name not in self.metadata.get("files", {}):
            raise RegistryError(f"{self.name} v{self.version} has no file {name!r}")
        return self.path / name


def versions(registry_dir: Path, name: str) -> list[int]:
    """The published version numbers of `name`, ascending."""
    family = registry_dir / name
    if not family.is_dir():
        return []
    return sorted(int(p.name) for p in family.iterdir() if p.name.isdigit() and p.is_dir())


def publish(
    registry_dir: Path,
    name: str,
    write: Callable[[Path], Mapping[str, Any]],
) -> StoredVersion:
    """Publish a new version of `name`: `write(folder)` writes the files and returns metadata.

    The metadata (JSON-serialisable) is stored with `name`, `version` and the SHA-256 of every
    file `write` left in the folder. Nothing is published when `write` raises.
    """
    family = registry_dir / name
    family.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=family))
    try:
        metadata = dict(write(staging))
        files = {p.name: sha256_of(p) for p in sorted(staging.iterdir()) if p.name != METADATA_FILE}
        for _ in range(MAX_ATTEMPTS):
            version = (versions(registry_dir, name) or [0])[-1] + 1
            document = {**metadata, "name": name, "version": version, "files": files}
            _write_json(staging / METADATA_FILE, document)
            final = family / str(version)
            try:
                os.rename(staging, final)
            except OSError as exc:
                if exc.errno in (errno.EEXIST, errno.ENOTEMPTY):
                    continue  # another writer took this number first
                raise
            break
        else:
            raise RegistryError(f"no free version number for {name} after {MAX_ATTEMPTS} tries")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    for path in [*final.iterdir(), final]:
        mode = path.stat().st_mode
        path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    log.info("published %s version %d (%s)", name, version, final)
    return open_version(registry_dir, name, version)


def open_version(registry_dir: Path, name: str, version: int | None = None) -> StoredVersion:
    """Version `version` of `name` (default: the newest), every file checked against its SHA-256."""
    available = versions(registry_dir, name)
    if not available:
        raise RegistryError(f"no version of {name} in {registry_dir}")
    if version is None:
        version = available[-1]
    elif version not in available:
        raise RegistryError(f"{name} has no version {version}; available: {available}")
    folder = registry_dir / name / str(version)
    meta_path = folder / METADATA_FILE
    try:
        metadata = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RegistryError(f"{meta_path}: unreadable metadata ({exc})") from exc
    for file, expected in metadata.get("files", {}).items():
        path = folder / file
        if not path.is_file():
            raise RegistryError(f"{name} v{version}: {file} is missing")
        if sha256_of(path) != expected:
            raise RegistryError(f"{name} v{version}: {file} does not match its SHA-256")
    return StoredVersion(name, version, folder, metadata, sha256_of(meta_path))


def _write_json(path: Path, document: Mapping[str, Any]) -> None:
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
