"""Served days on a real database (SQLite file, PostgreSQL): remade by new predictions, by late
revisions of observations and after a migration, always equal to the stored data."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import insert, select

from bihar.forecast.acquisition import acquire
from bihar.forecast.db.engine import make_engine
from bihar.forecast.db.migrate import alembic_config, upgrade_head
from bihar.forecast.db.models import LocationRow, ModelVersion, Prediction
from bihar.forecast.queries import observed_three_hourly, served_day, served_period
from bihar.forecast.served import remake_served_days
from tests.forecast.conftest import snapshot
from tests.forecast.places import BOSTON

DAY = date(2024, 3, 2)


def add_predictions(engine, version: int, value: float) -> None:
    """Version `version` of the Boston model forecasts every slot of DAY at `value` °C, stored
    the way the batch predictions store them (served days remade in the same transaction)."""
    with engine.begin() as conn:
        loc = conn.execute(select(LocationRow.id).where(LocationRow.name == "boston")).scalar()
        model = conn.execute(
            insert(ModelVersion).values(
                name="temperature-3h-boston",
                version=version,
                location_id=loc,
                algorithm="constant",
                hyperparameters={},
                features=[],
                train_start=datetime(2024, 1, 1),
                train_end=datetime(2024, 3, 1),
                metrics={},
                artifact_path=f"temperature-3h-boston/{version}/model.joblib",
                artifact_sha256="0" * 64,
                code_version="test",
                created_at=datetime(2024, 3, 1),
                stage="candidate",
                timezone="America/New_York",
            )
        ).inserted_primary_key[0]
        issue = datetime.combine(DAY, datetime.min.time()) + timedelta(hours=5)  # 00:00 EST
        conn.execute(
            insert(Prediction),
            [
                {
                    "model_version_id": model,
                    "location_id": loc,
                    "issue_time": issue,
                    "target_time": issue + timedelta(hours=3 * k),
                    "horizon": k + 1,
                    "predicted": value,
                    "features": {},
                    "created_at": issue,
                }
                for k in range(8)
            ],
        )
        remake_served_days(conn, "boston", DAY, DAY)


def slots(engine) -> list[dict]:
    days, _, timezone = served_period(engine, "boston", DAY, DAY)
    assert timezone == "America/New_York"
    return json.loads(days[0])


def test_served_days_follow_predictions_and_late_observations(engine, tmp_path, boston_payload):
    acquire(engine, snapshot(tmp_path, boston_payload), BOSTON, date(2024, 3, 1), date(2024, 3, 3))
    assert served_day(engine, "boston", DAY) is None
    add_predictions(engine, 1, 10.0)

    with engine.connect() as conn:
        observed = observed_three_hourly(conn, "boston", DAY, DAY)
    served = slots(engine)
    assert [s["observed_celsius"] for s in served] == pytest.approx(observed.tolist(), abs=1e-3)
    assert {s["model_version"] for s in served} == {"temperature-3h-boston v1"}
    _, summary, _ = served_period(engine, "boston", DAY, DAY)
    errors = [10.0 - value for value in observed]
    assert summary.count == 8
    assert summary.bias == pytest.approx(sum(errors) / 8, abs=1e-3)
    assert served[0]["target_time"] == "2024-03-02T00:00:00-05:00"
    assert json.loads(served_day(engine, "boston", DAY)[0])[0].keys() == {
        "target_time",
        "horizon",
        "predicted_celsius",
        "model_version",
        "issue_time",
    }

    # A late revision of one hour changes the mean of its slot (and only that one).
    def warmer(hourly):
        hourly["temperature_2m"][24 + 9] += 3.0  # 2024-03-02 09:00 UTC, 04:00 EST: slot 03h

    revised = tmp_path / "revised"
    revised.mkdir()
    acquire(engine, snapshot(revised, boston_payload, edit=warmer), BOSTON, DAY, DAY)
    after = [s["observed_celsius"] for s in slots(engine)]
    before = [s["observed_celsius"] for s in served]
    assert after[1] == pytest.approx(before[1] + 1.0, abs=1e-3)
    assert after[:1] + after[2:] == before[:1] + before[2:]

    # A newer version's predictions are the ones shown.
    add_predictions(engine, 2, 12.0)
    assert {s["predicted_celsius"] for s in slots(engine)} == {12.0}
    assert {s["model_version"] for s in slots(engine)} == {"temperature-3h-boston v2"}


def test_a_migration_remakes_the_served_days(database_url, tmp_path, boston_payload):
    engine = make_engine(database_url)
    upgrade_head(engine)
    acquire(engine, snapshot(tmp_path, boston_payload), BOSTON, date(2024, 3, 1), date(2024, 3, 3))
    add_predictions(engine, 1, 10.0)
    config = alembic_config()
    with engine.begin() as conn:  # back to a store made before served days existed
        config.attributes["connection"] = conn
        command.downgrade(config, "0002")
    upgrade_head(engine)
    assert len(json.loads(served_day(engine, "boston", DAY)[0])) == 8
    engine.dispose()
