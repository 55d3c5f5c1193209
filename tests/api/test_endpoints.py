"""Every endpoint, success and error paths, against a store filled by the pipeline."""

from __future__ import annotations

import logging
from datetime import date

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.main import app
from bihar.forecast.monitoring import plot_monitoring
from bihar.forecast.queries import observed_three_hourly
from tests.api.conftest import use_store

DAY = "2025-10-30"  # a local day of Boston, on its clock (EDT, UTC-4)


def test_predictions_of_a_day(client, pipeline):
    answer = client.get("/predictions", params={"date": DAY})
    assert answer.status_code == 200
    body = answer.json()
    assert body["location"] == "boston" and body["date"] == DAY
    assert body["timezone"] == "America/New_York"
    slots = body["slots"]
    assert [s["horizon"] for s in slots] == list(range(1, 9))
    assert [s["target_time"] for s in slots] == [
        f"{DAY}T{h:02d}:00:00-04:00" for h in range(0, 24, 3)
    ]
    assert {s["issue_time"] for s in slots} == {f"{DAY}T00:00:00-04:00"}
    version = pipeline.result.training.version
    assert {s["model_version"] for s in slots} == {f"{version.name} v{version.version}"}
    assert all(-30 < s["predicted_celsius"] < 40 for s in slots)


def test_day_without_predictions_names_the_range_that_exists(client):
    answer = client.get("/predictions", params={"date": "2030-01-01"})
    assert answer.status_code == 404
    body = answer.json()
    assert "2030-01-01" in body["detail"]
    assert "from 2025-10-01 to 2025-10-31" in body["detail"]
    assert body["available"] == {"first": "2025-10-01", "last": "2025-10-31"}


@pytest.mark.parametrize("bad", ["2025-13-01", "31/10/2025", "2025-W44-5", "20251031", "", "x"])
def test_malformed_dates(client, bad):
    answer = client.get("/predictions", params={"date": bad})
    assert answer.status_code == 422
    assert "YYYY-MM-DD" in answer.json()["detail"]


def test_missing_date(client):
    answer = client.get("/predictions")
    assert answer.status_code == 422 and "date" in answer.json()["detail"]


def test_unknown_and_empty_locations(client):
    unknown = client.get("/predictions", params={"date": DAY, "location": "atlantis"})
    assert unknown.status_code == 404 and "known: boston, paris" in unknown.json()["detail"]
    empty = client.get("/predictions", params={"date": DAY, "location": "Paris"})
    assert empty.status_code == 404
    assert "no predictions for 2025-10-30 (paris): none are stored" in empty.json()["detail"]


def test_predictions_with_observed(client, pipeline):
    answer = client.get(
        "/predictions/observed", params={"start": "2025-10-25", "end": "2025-10-31"}
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["timezone"] == "America/New_York"
    slots = body["slots"]
    assert len(slots) == 7 * 8
    with pipeline.engine.connect() as conn:
        observed = observed_three_hourly(conn, "boston", date(2025, 10, 25), date(2025, 10, 31))
    for slot in slots:
        expected = observed.get(pd.Timestamp(slot["target_time"]).tz_localize(None), np.nan)
        if np.isnan(expected):
            assert slot["observed_celsius"] is None and slot["error_celsius"] is None
        else:
            assert slot["observed_celsius"] == pytest.approx(expected, abs=1e-3)
            assert slot["error_celsius"] == pytest.approx(
                slot["predicted_celsius"] - expected, abs=2e-3
            )
    known = [s["error_celsius"] for s in slots if s["error_celsius"] is not None]
    # the refresh of 2025-10-30 acquired up to that local day: Oct 31 is not observed yet
    assert len(known) == 6 * 8
    summary = body["summary"]
    assert summary["count"] == len(known)
    assert summary["mae"] == pytest.approx(np.mean(np.abs(known)), abs=2e-3)
    assert summary["rmse"] == pytest.approx(np.sqrt(np.mean(np.square(known))), abs=2e-3)
    assert summary["bias"] == pytest.approx(np.mean(known), abs=2e-3)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2025-10-10", "end": "2025-10-01"}, "after end"),
        ({"start": "2024-01-01", "end": "2025-10-01"}, "at most 366"),
        ({"start": "2025-10-01", "end": "soon"}, "YYYY-MM-DD"),
        ({"start": "2025-10-01"}, "end"),
    ],
)
def test_observed_period_errors(client, params, message):
    answer = client.get("/predictions/observed", params=params)
    assert answer.status_code == 422
    assert message in answer.json()["detail"]


def test_observed_period_without_predictions(client):
    answer = client.get(
        "/predictions/observed", params={"start": "2020-01-01", "end": "2020-01-31"}
    )
    assert answer.status_code == 404
    assert answer.json()["available"]["first"] == "2025-10-01"
    unknown = client.get(
        "/predictions/observed", params={"start": DAY, "end": DAY, "location": "atlantis"}
    )
    assert unknown.status_code == 404


def test_a_full_year_is_allowed(client):
    answer = client.get(
        "/predictions/observed", params={"start": "2024-11-01", "end": "2025-10-31"}
    )
    assert answer.status_code == 200 and len(answer.json()["slots"]) == 31 * 8


def test_version_health_models(client, pipeline):
    assert client.get("/version").json() == "0.0.0"
    assert client.get("/health").json() == {"status": "ok", "database": "ok"}
    models = client.get("/models").json()
    assert [(m["version"], m["stage"]) for m in models] == [(1, "production")]
    assert models[0]["location"] == "boston" and models[0]["timezone"] == "America/New_York"
    assert models[0]["train_end"] == "2025-10-01T00:00:00-04:00"  # local midnight
    assert 0 < models[0]["metrics"]["mae_ratio_vs_seasonal_naive"] < 1


def test_version_comes_from_the_build(sqlite_pipeline, monkeypatch):
    use_store(monkeypatch, sqlite_pipeline, APP_VERSION="3f2c1ab")
    with TestClient(app) as client:
        assert client.get("/version").json() == "3f2c1ab"


def test_health_reports_an_unmigrated_database_at_warning(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    from bihar.settings import get_settings

    get_settings.cache_clear()
    caplog.set_level(logging.INFO, logger="bihar.api")
    with TestClient(app) as client:
        answer = client.get("/health")
    assert answer.status_code == 503
    assert answer.json()["status"] == "unavailable"
    (record,) = [r for r in caplog.records if r.getMessage().startswith("health ->")]
    assert record.levelno == logging.WARNING and "unavailable" in record.getMessage()


def test_an_unsupported_method_is_answered_405_with_allow(client):
    answer = client.post("/predictions", params={"date": DAY})
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET"
    assert client.delete("/version").headers["allow"] == "GET"


def test_monitoring_plot(client, pipeline):
    missing = client.get("/monitoring/plot.png")
    if missing.status_code == 404:
        assert "monitoring/plot.py" in missing.json()["detail"]
    plot_monitoring(
        pipeline.engine,
        pipeline.settings.monitoring_dir,
        "boston",
        date(2025, 10, 1),
        date(2025, 10, 31),
    )
    answer = client.get("/monitoring/plot.png")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/png"
    assert answer.content[:4] == b"\x89PNG"


def test_request_ids(client):
    generated = client.get("/version")
    assert len(generated.headers["x-request-id"]) == 32
    echoed = client.get("/version", headers={"X-Request-ID": "demo-42"})
    assert echoed.headers["x-request-id"] == "demo-42"
    refused = client.get("/version", headers={"X-Request-ID": "bad id\twith spaces"})
    assert refused.headers["x-request-id"] != "bad id\twith spaces"
    assert client.get("/nope").headers["x-request-id"]


def test_one_info_line_per_handler_and_warnings_for_client_errors(client, caplog):
    caplog.set_level(logging.INFO, logger="bihar.api")
    client.get("/predictions", params={"date": DAY}, headers={"X-Request-ID": "req-1"})
    client.get("/predictions", params={"date": "2030-01-01"}, headers={"X-Request-ID": "req-2"})
    records = [r for r in caplog.records if r.name == "bihar.api"]
    info = [r for r in records if r.levelno == logging.INFO]
    warnings = [r for r in records if r.levelno == logging.WARNING]
    assert len(info) == 1 and f"date={DAY}" in info[0].getMessage()
    assert "bytes" in info[0].getMessage() and info[0].request_id == "req-1"
    assert len(warnings) == 1 and "404" in warnings[0].getMessage()
    assert warnings[0].request_id == "req-2"


def test_unexpected_errors_are_logged_and_answered_without_internals(client, monkeypatch, caplog):
    import api.main

    def broken(*args, **kwargs):
        raise RuntimeError("secret connection string postgres://admin:hunter2@db")

    monkeypatch.setattr(api.main, "served_day", broken)
    caplog.set_level(logging.INFO)
    answer = client.get(
        "/predictions", params={"date": "2025-10-30"}, headers={"X-Request-ID": "boom"}
    )
    assert answer.status_code == 500
    assert answer.json() == {"detail": "Internal server error", "request_id": "boom"}
    assert answer.headers["x-request-id"] == "boom"
    assert "hunter2" not in answer.text
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is not None
    assert errors[0].request_id == "boom"


def test_docs_and_schema(client):
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    assert {"/predictions", "/predictions/observed", "/version", "/health", "/models"} <= set(
        schema["paths"]
    )
    params = schema["paths"]["/predictions"]["get"]["parameters"]
    assert any(p["name"] == "date" and p["schema"].get("examples") for p in params)
