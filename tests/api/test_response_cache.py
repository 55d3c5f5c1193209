"""Both cache layers: the response cache in front of the routes and the serialized answers.

Through the application on a pipeline-filled store (what a client sees and what is logged), and
the middleware alone around a tiny ASGI application (what it stores and what it lets through).
"""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from fastapi.testclient import TestClient

from api.main import app
from bihar.web.cache import TTLCache
from bihar.web.response_cache import CachedResponse, ResponseCacheMiddleware
from tests.api.conftest import use_store

DAY = "2025-10-30"


def _messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The INFO lines requests logged (not the start-up line)."""
    return [
        r.getMessage()
        for r in caplog.records
        if r.name in {"bihar.api", "bihar.web.response_cache"}
        and r.levelno == logging.INFO
        and not r.getMessage().startswith("serving")
    ]


def test_repeated_requests_are_answered_from_the_response_cache(
    sqlite_pipeline, monkeypatch, caplog
):
    caplog.set_level(logging.INFO)
    use_store(monkeypatch, sqlite_pipeline, BIHAR_API_CACHE_SECONDS="60")
    with TestClient(app) as client:
        first = client.get("/predictions", params={"date": DAY}, headers={"X-Request-ID": "a-1"})
        second = client.get("/predictions", params={"date": DAY}, headers={"X-Request-ID": "a-2"})
        named = client.get("/predictions", params={"date": DAY, "location": "boston"})
    assert first.status_code == second.status_code == named.status_code == 200
    assert first.content == second.content == named.content
    assert second.headers["content-type"] == first.headers["content-type"] == "application/json"
    assert second.headers["content-length"] == str(len(first.content))
    # The request id is each request's own, never the cached one.
    assert (first.headers["x-request-id"], second.headers["x-request-id"]) == ("a-1", "a-2")
    lines = _messages(caplog)
    assert len(lines) == 3
    assert lines[0].startswith(f"predictions date={DAY}") and "(cached)" not in lines[0]
    assert lines[1] == f"/predictions?date={DAY} -> {len(first.content)} bytes (response cache)"
    # Another query string for the same answer: the handler runs, on the serialized answer.
    assert lines[2].startswith(f"predictions date={DAY} location=boston") and "(cached)" in lines[2]
    hit = next(r for r in caplog.records if "response cache" in r.getMessage())
    assert hit.request_id == "a-2"


def test_only_successful_answers_are_stored(sqlite_pipeline, monkeypatch, caplog):
    caplog.set_level(logging.INFO)
    use_store(monkeypatch, sqlite_pipeline, BIHAR_API_CACHE_SECONDS="60")
    with TestClient(app) as client:
        answers = [client.get("/predictions", params={"date": "2030-01-01"}) for _ in range(2)]
        malformed = [client.get("/predictions", params={"date": "2025-13-01"}) for _ in range(2)]
    assert [a.status_code for a in answers] == [404, 404]
    assert [a.status_code for a in malformed] == [422, 422]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 4  # every one reached its handler
    assert not any("response cache" in m for m in _messages(caplog))


@pytest.mark.parametrize("seconds", ["0", "0.3"])
def test_disabled_or_expired_cache_runs_the_handler(sqlite_pipeline, monkeypatch, caplog, seconds):
    caplog.set_level(logging.INFO)
    use_store(monkeypatch, sqlite_pipeline, BIHAR_API_CACHE_SECONDS=seconds)
    with TestClient(app) as client:
        client.get("/predictions", params={"date": DAY})
        time.sleep(float(seconds) + 0.2)
        client.get("/predictions", params={"date": DAY})
    lines = _messages(caplog)
    assert len(lines) == 2 and all(line.startswith("predictions date=") for line in lines)
    assert not any("cache" in line for line in lines)


class _Counting:
    """An ASGI application answering `body` in `chunks` pieces with `status`, counting calls."""

    def __init__(self, status: int = 200, chunks: int = 1) -> None:
        self.status, self.chunks, self.calls = status, chunks, 0

    async def __call__(self, scope, receive, send) -> None:
        self.calls += 1
        headers = [(b"content-type", b"text/plain")]
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        for i in range(self.chunks):
            more = i < self.chunks - 1
            await send({"type": "http.response.body", "body": b"x", "more_body": more})


def _get(middleware, path="/cached", method="GET", query=b"a=1") -> list[dict]:
    class State:
        response_cache = TTLCache[CachedResponse](60)

    if not hasattr(middleware, "_state"):
        middleware._state = State()
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": query,
        "headers": [],
        "app": type("App", (), {"state": middleware._state}),
    }
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(middleware(scope, receive, send))
    return sent


def test_the_middleware_stores_complete_200s_of_its_paths_only():
    inner = _Counting()
    middleware = ResponseCacheMiddleware(inner, paths=["/cached"])
    first, second = _get(middleware), _get(middleware)
    assert inner.calls == 1
    assert second[0]["status"] == 200 and second[1]["body"] == first[1]["body"] == b"x"
    assert second[0]["headers"] == [(b"content-type", b"text/plain")]
    _get(middleware, query=b"a=2")
    _get(middleware, path="/other")
    _get(middleware, path="/other")
    _get(middleware, method="POST")
    assert inner.calls == 5


@pytest.mark.parametrize("inner", [_Counting(status=404), _Counting(chunks=3)])
def test_errors_and_streamed_bodies_are_not_stored(inner):
    middleware = ResponseCacheMiddleware(inner, paths=["/cached"])
    _get(middleware)
    sent = _get(middleware)
    assert inner.calls == 2
    assert sent[0]["status"] == inner.status
    assert [m["body"] for m in sent[1:]] == [b"x"] * inner.chunks
