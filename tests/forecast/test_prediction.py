"""Batch predictions stored by the pipeline: content, idempotence, missing history."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from sqlalchemy import func, select

from bihar.forecast.db.models import Prediction
from bihar.forecast.prediction import MissingHistoryError, predict_days
from bihar.forecast.queries import observed_three_hourly, stored_predictions


def all_predictions(engine) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(
            select(Prediction.id, Prediction.target_time, Prediction.predicted).order_by(
                Prediction.id
            )
        ).all()


def test_refresh_stored_the_30_days_and_the_next(pipeline):
    with pipeline.engine.connect() as conn:
        days = conn.execute(
            select(func.count(func.distinct(Prediction.issue_time)), func.count())
        ).one()
        first_issue = conn.execute(select(func.min(Prediction.issue_time))).scalar()
        rows = stored_predictions(conn, "boston", date(2025, 10, 1), date(2025, 10, 31))
    assert tuple(days) == (31, 31 * 8)
    assert len(rows) == 31 * 8
    # Boston's local days, stored in UTC: local midnight on Oct 1 (EDT) is 04:00 UTC
    assert first_issue == pd.Timestamp("2025-10-01 04:00").to_pydatetime()
    assert rows[0].target_time == pd.Timestamp("2025-10-01 00:00", tz="America/New_York")
    assert rows[0].target_time.isoformat() == "2025-10-01T00:00:00-04:00"
    assert rows[-1].target_time == pd.Timestamp("2025-10-31 21:00", tz="America/New_York")
    assert [row.horizon for row in rows[:8]] == list(range(1, 9))
    # every day was forecast by a model trained before the predicted period
    assert pipeline.result.training.version.train_end <= pd.Timestamp("2025-10-01").to_pydatetime()
    assert pipeline.result.training.version.timezone == "America/New_York"


def test_stored_explanatory_values_are_those_known_at_issue_time(pipeline):
    with pipeline.engine.connect() as conn:
        row = conn.execute(
            select(Prediction.features, Prediction.issue_time).where(
                # 12:00 EDT
                Prediction.target_time == pd.Timestamp("2025-10-15 16:00").to_pydatetime()
            )
        ).one()
        observed = observed_three_hourly(conn, "boston", date(2025, 10, 13), date(2025, 10, 14))
    assert row.issue_time == pd.Timestamp("2025-10-15 04:00").to_pydatetime()
    assert row.features["lag_1"] == pytest.approx(
        observed[pd.Timestamp("2025-10-14 21:00")], abs=1e-3
    )
    assert row.features["same_slot_1d"] == pytest.approx(
        observed[pd.Timestamp("2025-10-14 12:00")], abs=1e-3
    )
    assert row.features["horizon"] == 5


def test_predicting_again_changes_nothing(pipeline):
    before = all_predictions(pipeline.engine)
    run = predict_days(
        pipeline.engine,
        pipeline.settings.registry_dir,
        "boston",
        date(2025, 10, 1),
        date(2025, 10, 31),
    )
    assert run.rows == 248
    assert all_predictions(pipeline.engine) == before


def test_missing_history_names_the_missing_period(pipeline):
    with pytest.raises(MissingHistoryError) as info:
        predict_days(
            pipeline.engine,
            pipeline.settings.registry_dir,
            "boston",
            date(2025, 11, 3),
            date(2025, 11, 4),
        )
    message = str(info.value)
    assert "2025-11-02 00:00" in message and "2025-11-03 21:00" in message
    assert "data/acquire.py --date 2025-11-03" in message
