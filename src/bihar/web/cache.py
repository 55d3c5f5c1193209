"""A small time-to-live cache of serialized answers (bytes, or whole responses).

Stored predictions change once per refresh (a daily batch), so an answer a few seconds old is
as good as a fresh one; serving it from memory keeps the database off the hot path. What it may
hold is bounded twice: at most `size` entries and at most `max_bytes` of answers (`len` of each
value), the least recently used going first; an answer larger than the whole bound is not kept.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Hashable, Sized
from typing import Generic, TypeVar

V = TypeVar("V", bound=Sized)


class TTLCache(Generic[V]):
    """At most `size` entries and `max_bytes` bytes, each fresh for `seconds` (0 disables it)."""

    def __init__(self, seconds: float, size: int = 1024, max_bytes: int = 64 << 20) -> None:
        self.seconds = seconds
        self.size = size
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        if self.seconds <= 0:
            return None
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires, value = entry
            if expires < time.monotonic():
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: V) -> None:
        if self.seconds <= 0 or len(value) > self.max_bytes:
            return
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = (time.monotonic() + self.seconds, value)
            self.bytes += len(value)
            while len(self._entries) > self.size or self.bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def _drop(self, key: Hashable) -> None:
        _, value = self._entries.pop(key)
        self.bytes -= len(value)
