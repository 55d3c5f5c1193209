"""Request ids and last-resort error handling, as a pure ASGI middleware.

Every request gets an id (the client's `X-Request-ID` when it sends a sane one), stored in a
context variable that the logging filter writes on every log line, and returned in the
`X-Request-ID` response header. An exception no handler caught is logged with its traceback at
ERROR and answered with a JSON 500 that names the request id and nothing internal.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from contextvars import ContextVar
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("bihar.web")

HEADER = "x-request-id"
_HEADER_KEY = HEADER.encode()
_SANE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
request_id: ContextVar[str] = ContextVar("request_id", default="-")


class RequestIdFilter(logging.Filter):
    """Adds `record.request_id` (the current request's id, `-` outside requests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == _HEADER_KEY), b"").decode("latin-1")
        rid = given if _SANE.match(given) else uuid.uuid4().hex
        request_id.set(rid)
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (_HEADER_KEY, rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unexpected error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            await _internal_error(send, rid)


async def _internal_error(send: Send, rid: str) -> None:
    body: dict[str, Any] = {"detail": "Internal server error", "request_id": rid}
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (HEADER.encode(), rid.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
