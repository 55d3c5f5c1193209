"""The TTL cache of serialized answers."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace

from api.main import _cached
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


def test_bytes_are_bounded_least_recently_used_first():
    cache = TTLCache(seconds=60, max_bytes=10)
    cache.put("a", b"1234")
    cache.put("b", b"5678")
    cache.get("a")
    cache.put("c", b"90ab")  # 12 bytes: over the bound, the least recently used goes
    assert cache.get("b") is None and cache.get("a") == b"1234" and cache.get("c") == b"90ab"
    assert cache.bytes == 8
    cache.put("a", b"12")  # replacing an entry counts its new size only
    assert cache.bytes == 6
    cache.put("huge", b"x" * 11)  # larger than the whole bound: not kept, nothing evicted
    assert cache.get("huge") is None and len(cache) == 2


def test_zero_seconds_disables_it():
    cache = TTLCache(seconds=0)
    cache.put("a", b"1")
    assert cache.get("a") is None


def _request(seconds: float) -> SimpleNamespace:
    state = SimpleNamespace(
        cache=TTLCache(seconds), in_flight={}, engine=None, inline_queries=False
    )
    return SimpleNamespace(app=SimpleNamespace(state=state))


class _CountingBuild:
    def __init__(self, fail: bool = False) -> None:
        self.calls = 0
        self.fail = fail

    def __call__(self, engine: object, day: str) -> bytes:
        self.calls += 1
        time.sleep(0.1)  # a slow database query, in the thread pool
        if self.fail:
            raise RuntimeError("database down")
        return day.encode()


async def _many(request: SimpleNamespace, build: _CountingBuild, n: int) -> list:
    return await asyncio.gather(
        *(_cached(request, ("day", "d1"), build, "d1") for _ in range(n)), return_exceptions=True
    )


def test_concurrent_misses_share_one_build():
    request, build = _request(60), _CountingBuild()
    answers = asyncio.run(_many(request, build, 20))
    assert build.calls == 1
    assert [body for body, _ in answers] == [b"d1"] * 20
    assert sum(not cached for _, cached in answers) == 1  # the one that built it
    assert request.app.state.in_flight == {}
    assert request.app.state.cache.get(("day", "d1")) == b"d1"


def test_a_failed_build_reaches_every_waiter_and_is_retried_next_time():
    request, build = _request(60), _CountingBuild(fail=True)
    answers = asyncio.run(_many(request, build, 5))
    assert build.calls == 1
    assert all(isinstance(a, RuntimeError) for a in answers)
    assert request.app.state.in_flight == {}
    build.fail = False
    assert asyncio.run(_many(request, build, 1)) == [(b"d1", False)]
    assert build.calls == 2


def test_without_cache_every_request_builds():
    request, build = _request(0), _CountingBuild()
    asyncio.run(_many(request, build, 3))
    assert build.calls == 3
