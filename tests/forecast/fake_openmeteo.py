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


def clipped_archive_handler(payload: dict[str, Any], calls: list[dict[str, str]]):
    """`GET /v1/archive` for any coordinates, answering the part of `payload` the asked days
    share with it (the live API likewise answers what it has)."""

    def handle(request: Request) -> Response:
        query = dict(request.args)
        calls.append(query)
        times = payload["hourly"]["time"]
        first, last = times[0][:10], times[-1][:10]
        start, end = max(query["start_date"], first), min(query["end_date"], last)
        if start > end:
            reason = f"Parameter 'start_date' is out of allowed range from {first} to {last}"
            return Response(
                json.dumps({"error": True, "reason": reason}),
                status=400,
                content_type="application/json",
            )
        answer = slice_payload(payload, start, end)
        answer["latitude"], answer["longitude"] = (
            float(query["latitude"]),
            float(query["longitude"]),
        )
        wanted = query["hourly"].split(",")
        answer["hourly"] = {k: v for k, v in answer["hourly"].items() if k in ["time", *wanted]}
        return Response(json.dumps(answer), content_type="application/json")

    return handle


#: What the geocoding API answers for "brescia" (two places of that name), in its shape.
PLACES = {
    "brescia": [
        {
            "id": 3181554,
            "name": "Brescia",
            "latitude": 45.53558,
            "longitude": 10.21472,
            "elevation": 149.0,
            "feature_code": "PPLA2",
            "country_code": "IT",
            "timezone": "Europe/Rome",
            "country": "Italy",
            "admin1": "Lombardy",
        },
        {
            "id": 3688256,
            "name": "Brescia",
            "latitude": -0.16,
            "longitude": -78.46,
            "elevation": 2800.0,
            "feature_code": "PPL",
            "country_code": "EC",
            "timezone": "America/Guayaquil",
            "country": "Ecuador",
            "admin1": "Pichincha",
        },
    ],
    "hobart": [
        {
            "id": 2163355,
            "name": "Hobart",
            "latitude": -42.87936,
            "longitude": 147.32941,
            "elevation": 27.0,
            "feature_code": "PPLA",
            "country_code": "AU",
            "timezone": "Australia/Hobart",
            "country": "Australia",
            "admin1": "Tasmania",
        }
    ],
}


def search_handler(calls: list[dict[str, str]]):
    """`GET /v1/search` like the geocoding API: `results` when something matches, none else."""

    def handle(request: Request) -> Response:
        query = dict(request.args)
        calls.append(query)
        found = PLACES.get(query["name"].strip().lower(), [])[: int(query.get("count", 10))]
        body: dict[str, Any] = {"generationtime_ms": 0.5}
        if found:
            body["results"] = found
        return Response(json.dumps(body), content_type="application/json")

    return handle
