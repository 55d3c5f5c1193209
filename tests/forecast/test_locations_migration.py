"""A store made before locations were data upgrades in place: its rows stay (same ids), Boston
and Paris get their time zones, and what was made on UTC days is no longer served as local days
until a new training. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

from alembic import command
from sqlalchemy import text

from bihar.forecast.db.engine import make_engine
from bihar.forecast.db.migrate import alembic_config, upgrade_head
from bihar.forecast.queries import stored_predictions


def test_a_store_at_0003_keeps_its_rows_and_gets_local_clocks(database_url: str):
    engine = make_engine(database_url)
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0003")
        conn.execute(
            text(
                "INSERT INTO locations (id, name, latitude, longitude, elevation, timezone) "
                "VALUES (7, 'boston', 42.3601, -71.0588, 9, 'GMT')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO weather_observations (location_id, time, temperature_2m, "
                "interpolated, source, ingested_at) VALUES (7, :t, 3.5, false, 'old', :t)"
            ),
            [{"t": datetime(2025, 10, 30, h)} for h in range(24)],
        )
        conn.execute(
            text(
                "INSERT INTO model_versions (id, name, version, location_id, algorithm, "
                "hyperparameters, features, train_start, train_end, metrics, artifact_path, "
                "artifact_sha256, code_version, created_at, stage) VALUES (1, "
                "'temperature-3h-boston', 1, 7, 'lightgbm', '{}', '[]', :t, :t, '{}', 'x', 'y', "
                "'z', :t, 'production')"
            ),
            {"t": datetime(2025, 10, 1)},
        )
        conn.execute(
            text(
                "INSERT INTO predictions (model_version_id, location_id, issue_time, "
                "target_time, horizon, predicted, features, created_at) VALUES "
                "(1, 7, :i, :t, 1, 4.0, '{}', :i)"
            ),
            {"i": datetime(2025, 10, 30), "t": datetime(2025, 10, 30)},
        )
    upgrade_head(engine)
    with engine.connect() as conn:
        places = conn.execute(
            text("SELECT id, name, timezone, source FROM locations ORDER BY name")
        ).all()
        assert [tuple(p) for p in places][:2] == [
            (7, "boston", "America/New_York", "seed"),
            (places[1].id, "paris", "Europe/Paris", "seed"),
        ]
        assert conn.execute(text("SELECT count(*) FROM weather_observations")).scalar() == 24
        assert conn.execute(text("SELECT count(*) FROM predictions")).scalar() == 1
        assert conn.execute(text("SELECT timezone FROM model_versions")).scalar() == "GMT"
        # a prediction of a UTC day is not one of Boston's local days
        assert stored_predictions(conn, "boston", datetime(2025, 10, 29).date(),
                                  datetime(2025, 10, 30).date()) == []  # fmt: skip
        assert conn.execute(text("SELECT count(*) FROM served_days")).scalar() == 0
    engine.dispose()
