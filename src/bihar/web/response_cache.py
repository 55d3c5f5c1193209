"""A response cache in front of the routes, as a pure ASGI middleware.

A `GET` on one of the cached paths whose exact query string was answered `200` less than the
cache's lifetime ago is answered from memory, before routing, parameter validation and the
handler run: the framework's per-request work is most of the cost of a cached answer, and the
answer to an identical request that already passed validation cannot differ while it is fresh.
Anything else (a miss, another status, a streamed body) goes through the application unchanged,
and only a complete `200` is stored. The cache is the application's `state.response_cache` (a
`TTLCache` its lifespan creates, so a restarted application starts empty); a lifetime of 0
disables it.

Each answer from the cache logs one INFO line with the path, the query and the size, the way a
handler does; headers added outside (the request id) are added per request as usual.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bihar.web.cache import TTLCache

log = logging.getLogger("bihar.web.response_cache")


@dataclass(frozen=True)
class CachedResponse:
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes

    def __len__(self) -> int:
        """What it holds in bytes (what `TTLCache` bounds)."""
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers)


class ResponseCacheMiddleware:
    """Serve repeated `GET`s of `paths` from `scope["app"].state.response_cache`."""

    def __init__(self, app: ASGIApp, paths: Collection[str]) -> None:
        self.app = app
        self.paths = frozenset(paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return
        cache: TTLCache[CachedResponse] | None = getattr(scope["app"].state, "response_cache", None)
        if cache is None or cache.seconds <= 0:
            await self.app(scope, receive, send)
            return
        key = (scope["path"], scope["query_string"])
        hit = cache.get(key)
        if hit is not None:
            log.info(
                "%s?%s -> %d bytes (response cache)",
                scope["path"],
                scope["query_string"].decode("latin-1"),
                len(hit.body),
            )
            await send({"type": "http.response.start", "status": 200, "headers": list(hit.headers)})
            await send({"type": "http.response.body", "body": hit.body})
            return

        # Headers are copied when the start is sent: outer middleware (the request id) adds its
        # own to the same message on the way out, and those must not be stored.
        headers: tuple[tuple[bytes, bytes], ...] | None = None

        async def keep_complete_200(message: Message) -> None:
            nonlocal headers
            if message["type"] == "http.response.start":
                if message["status"] == 200:
                    headers = tuple((bytes(k), bytes(v)) for k, v in message.get("headers", []))
            elif message["type"] == "http.response.body" and headers is not None:
                if message.get("more_body", False):
                    headers = None  # streamed in pieces: not stored
                else:
                    cache.put(key, CachedResponse(headers, bytes(message.get("body", b""))))
            await send(message)

        await self.app(scope, receive, keep_complete_200)
