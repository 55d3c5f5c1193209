"""The API contract, checked over HTTP against any running instance.

    pytest tests/contract --base-url http://127.0.0.1:8000 [--expect-version <commit sha>]

Without --base-url, a local uvicorn server on a pipeline-filled store is started. The checks
discover the days that have predictions from the API itself, so they hold for any data.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest


@pytest.fixture(scope="module")
def available(api: httpx.Client) -> dict[str, str]:
    answer = api.get("/predictions", params={"date": "1900-01-01"})
    assert answer.status_code == 404, answer.text
    body = answer.json()
    assert "1900-01-01" in body["detail"]
    return body["available"]


def test_health(api):
    answer = api.get("/health")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "database": "ok"}


def test_version(api, expected_version):
    answer = api.get("/version")
    assert answer.status_code == 200
    version = answer.json()
    assert isinstance(version, str)
    if expected_version is not None:
        assert version == expected_version
    else:
        assert re.fullmatch(r"0\.0\.0|[0-9a-f]{7,40}", version), version


def test_predictions_of_the_last_day(api, available):
    day = available["last"]
    answer = api.get("/predictions", params={"date": day})
    assert answer.status_code == 200
    body = answer.json()
    assert body["date"] == day
    slots = body["slots"]
    assert [s["horizon"] for s in slots] == list(range(1, 9))
    # the location's local day, on its clock: local 00h, 03h, … 21h with their UTC offsets
    start = datetime.fromisoformat(f"{day}T00:00:00").replace(tzinfo=ZoneInfo(body["timezone"]))
    assert all(re.search(r"[+-]\d\d:\d\d$", s["target_time"]) for s in slots)
    assert [datetime.fromisoformat(s["target_time"]) for s in slots] == [
        start + timedelta(hours=3 * i) for i in range(8)
    ]
    assert all(datetime.fromisoformat(s["issue_time"]) == start for s in slots)
    assert all(isinstance(s["predicted_celsius"], float) for s in slots)


def test_predictions_with_observed(api, available):
    last = date.fromisoformat(available["last"])
    first = max(date.fromisoformat(available["first"]), last - timedelta(days=29))
    answer = api.get("/predictions/observed", params={"start": str(first), "end": str(last)})
    assert answer.status_code == 200
    body = answer.json()
    errors = [s["error_celsius"] for s in body["slots"] if s["observed_celsius"] is not None]
    assert body["summary"]["count"] == len(errors) > 0
    assert body["summary"]["mae"] == pytest.approx(
        sum(abs(e) for e in errors) / len(errors), abs=2e-3
    )
    for slot in body["slots"]:
        if slot["observed_celsius"] is not None:
            assert slot["error_celsius"] == pytest.approx(
                slot["predicted_celsius"] - slot["observed_celsius"], abs=2e-3
            )


@pytest.mark.parametrize(
    ("path", "params", "status", "needle"),
    [
        ("/predictions", {"date": "2025-02-30"}, 422, "YYYY-MM-DD"),
        ("/predictions", {"date": "2025-10-30", "location": "atlantis"}, 404, "known: "),
        ("/predictions/observed", {"start": "2025-10-10", "end": "2025-10-01"}, 422, "after"),
        ("/predictions/observed", {"start": "2023-01-01", "end": "2025-01-01"}, 422, "366"),
        ("/predictions/observed", {"start": "nope", "end": "2025-01-01"}, 422, "YYYY-MM-DD"),
        ("/does-not-exist", {}, 404, "Not Found"),
    ],
)
def test_client_errors(api, path, params, status, needle):
    answer = api.get(path, params=params)
    assert answer.status_code == status
    assert needle in answer.json()["detail"]


def test_models(api):
    answer = api.get("/models")
    assert answer.status_code == 200
    models = answer.json()
    assert models and sum(m["stage"] == "production" for m in models) == 1
    assert all("mae" in m["metrics"] for m in models)


def test_monitoring_plot(api):
    answer = api.get("/monitoring/plot.png")
    assert answer.status_code in (200, 404)
    if answer.status_code == 200:
        assert answer.headers["content-type"] == "image/png"
        assert answer.content.startswith(b"\x89PNG")
    else:
        assert "monitoring/plot.py" in answer.json()["detail"]


def test_request_id_header(api):
    answer = api.get("/health", headers={"X-Request-ID": "contract-1"})
    assert answer.headers["x-request-id"] == "contract-1"


def test_docs(api):
    assert api.get("/docs").status_code == 200
    paths = api.get("/openapi.json").json()["paths"]
    assert {"/predictions", "/predictions/observed", "/version", "/health"} <= set(paths)
