"""A fake Open-Meteo archive server (pytest-httpserver) replaying slices of the real snapshot."""

from __future__ import annotations

import json
from typing import Any

from werkzeug import Request, Response

from tests.forecast.conftest import slice_payload


def archive_handler(payload: dict[str, Any], calls: list[dict[str, str]]):
    """Answer `GET /v1/archive` like the API does, from `payload`, recording each query."""

    def handle(request: Request) -> Response:
        query = dict(request.args)
        calls.append(query)
        answer = slice_payload(payload, query["start_date"], query["end_date"])
        wanted = query["hourly"].split(",")
        answer["hourly"] = {k: v for k, v in answer["hourly"].items() if k in ["time", *wanted]}
        return Response(json.dumps(answer), content_type="application/json")

    return handle
