"""One refresh of a location at a time: an exclusive `flock` on a file in the registry folder.

The file holds the pid of the refresh that holds the lock, so a second refresh can say which
one is running. The kernel releases the lock when its process ends, however it ends: a killed
refresh never blocks the next one, and no stale lock needs cleaning.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class RefreshRunningError(RuntimeError):
    """Another refresh of the same location holds the lock."""


@contextmanager
def refresh_lock(folder: Path, location: str) -> Iterator[None]:
    """Hold the refresh lock of `location` (under `folder`) for the block, or raise
    `RefreshRunningError` at once naming the pid that holds it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f".refresh-{location}.lock"
    with path.open("a+", encoding="ascii") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RefreshRunningError(
                f"another refresh of {location} is running (pid {_holder(path)}); "
                "run this one again when it has finished"
            ) from None
        try:
            handle.truncate(0)
            handle.write(str(os.getpid()))
            handle.flush()
            yield
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)


def _holder(path: Path, patience: float = 2.0) -> str:
    """The pid written in the lock file (its holder writes it just after locking)."""
    deadline = time.monotonic() + patience
    while True:
        pid = path.read_text(encoding="ascii").strip()
        if pid or time.monotonic() > deadline:
            return pid or "unknown"
        time.sleep(0.05)
