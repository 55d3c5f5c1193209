"""Where a result came from: code version, library versions, data fingerprints."""

from __future__ import annotations

import hashlib
import platform
import subprocess
from importlib import metadata
from pathlib import Path

import pandas as pd

from bihar.settings import get_settings

#: The folder of the running code: inside a git checkout when the package is installed from one.
CODE_DIR = Path(__file__).resolve().parent


def code_version() -> str:
    """The git commit of the checkout the running code comes from (`+dirty` with uncommitted
    changes), whatever the root folder of the data; else (an installed wheel, as in the image)
    the app version."""
    root = CODE_DIR
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
