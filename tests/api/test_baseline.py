"""GET /baselines/seasonal-naive against a store filled by the pipeline: the baseline the demo
page draws next to the model."""

from __future__ import annotations

from datetime import datetime, timedelta

START, END = "2025-10-03", "2025-10-31"


def _by_time(slots: list[dict], key: str) -> dict[datetime, float | None]:
    return {datetime.fromisoformat(s["target_time"]): s[key] for s in slots}


def test_each_slot_gets_the_observed_value_one_day_earlier(client):
    answer = client.get("/baselines/seasonal-naive", params={"start": START, "end": END})
    assert answer.status_code == 200
    body = answer.json()
    assert (body["location"], body["baseline"]) == ("boston", "seasonal_naive")
    previous_start = "2025-10-02"
    observed = client.get("/predictions/observed", params={"start": previous_start, "end": END})
    truth = _by_time(observed.json()["slots"], "observed_celsius")
    model = client.get("/predictions/observed", params={"start": START, "end": END}).json()
    assert [s["target_time"] for s in body["slots"]] == [s["target_time"] for s in model["slots"]]
    for slot in body["slots"]:
        time = datetime.fromisoformat(slot["target_time"])
        assert slot["predicted_celsius"] == truth[time - timedelta(days=1)]
        assert slot["observed_celsius"] == truth[time]
        if truth[time] is None:  # the last local hours of the store are not observed yet
            assert slot["error_celsius"] is None
            continue
        # The error is rounded from unrounded values: within a rounding step of the shown ones.
        assert abs(slot["error_celsius"] - (slot["predicted_celsius"] - truth[time])) < 1.5e-3
    errors = [s["error_celsius"] for s in body["slots"] if s["error_celsius"] is not None]
    summary = body["summary"]
    assert summary["count"] == model["summary"]["count"] == len(errors)
    assert 28 * 8 <= len(errors) <= 29 * 8 == len(body["slots"])
    assert abs(summary["mae"] - sum(abs(e) for e in errors) / len(errors)) < 2e-3
    # The model beats the baseline on this month, as the backtest says it does over a year.
    assert model["summary"]["mae"] < summary["mae"]


def test_a_period_without_predictions_and_bad_periods(client):
    empty = {"start": "2020-01-01", "end": "2020-01-30"}
    answer = client.get("/baselines/seasonal-naive", params=empty)
    assert answer.status_code == 404
    assert answer.json() == client.get("/predictions/observed", params=empty).json()
    reversed_period = client.get("/baselines/seasonal-naive", params={"start": END, "end": START})
    assert reversed_period.status_code == 422
    assert reversed_period.json()["detail"] == f"start {END} is after end {START}"
    unknown = client.get(
        "/baselines/seasonal-naive", params={"start": START, "end": END, "location": "atlantis"}
    )
    assert unknown.status_code == 404 and "unknown location" in unknown.json()["detail"]
