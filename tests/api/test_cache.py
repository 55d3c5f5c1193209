"""The TTL cache of serialized answers."""

from __future__ import annotations

import time

from bihar.web.cache import TTLCache


def test_entries_expire():
    cache = TTLCache(seconds=0.05)
    cache.put("a", b"1")
    assert cache.get("a") == b"1"
    time.sleep(0.06)
    assert cache.get("a") is None


def test_size_is_bounded_least_recently_used_first():
    cache = TTLCache(seconds=60, size=2)
    cache.put("a", b"1")
    cache.put("b", b"2")
    cache.get("a")
    cache.put("c", b"3")
    assert cache.get("b") is None and cache.get("a") == b"1" and cache.get("c") == b"3"


def test_zero_seconds_disables_it():
    cache = TTLCache(seconds=0)
    cache.put("a", b"1")
    assert cache.get("a") is None
