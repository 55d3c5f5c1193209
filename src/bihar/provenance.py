"""Where a result came from: code version, library versions, data fingerprints."""

from __future__ import annotations

import hashlib
import platform
import subprocess
from importlib import metadata

import pandas as pd

from bihar.settings import get_settings


def code_version() -> str:
    """The git commit of the checkout (`+dirty` with uncommitted changes), else the app version."""
    root = get_settings().root_dir
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return get_settings().app_version
    return f"{commit}+dirty" if dirty else commit


def library_versions(*names: str) -> dict[str, str]:
    """Installed versions of `names`, plus Python's."""
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def fingerprint(frame: pd.DataFrame) -> str:
    """SHA-256 of a frame's index and values: same data, same fingerprint."""
    hashed = pd.util.hash_pandas_object(frame, index=True).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()
