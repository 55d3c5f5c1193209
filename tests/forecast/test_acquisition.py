"""Acquisition into a real database (SQLite file and PostgreSQL): idempotence, gaps, runs."""

from __future__ import annotations

from datetime import date

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from bihar.forecast.acquisition import acquire, period
from bihar.forecast.db.models import Base, IngestionRun, Observation
from bihar.forecast.locations import Location, add_location
from bihar.forecast.openmeteo import ArchiveFormatError
from bihar.forecast.sources import OutOfRangeError, SnapshotSource
from tests.forecast.conftest import slice_payload, snapshot
from tests.forecast.places import PARIS

#: A place whose local days are UTC days all year (no daylight saving time): the storage tests
#: below count whole UTC days of the snapshot; local days are tested in test_local_days.py.
PLACE = Location("reykjavik", 64.1466, -21.9426, "Atlantic/Reykjavik")


@pytest.fixture(autouse=True)
def stored_place(request: pytest.FixtureRequest) -> None:
    if "engine" in request.fixturenames:
        with request.getfixturevalue("engine").begin() as conn:
            add_location(conn, PLACE)


def observations(engine) -> list[Observation]:
    with Session(engine) as session:
        return list(session.scalars(select(Observation).order_by(Observation.time)))


def test_migrated_schema_matches_the_models(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_acquire_stores_every_hour(engine, tmp_path, boston_payload):
    source = snapshot(tmp_path, boston_payload)
    result = acquire(engine, source, PLACE, date(2024, 3, 1), date(2024, 3, 10))
    assert (result.hours, result.inserted, result.updated, result.unchanged) == (240, 240, 0, 0)
    rows = observations(engine)
    assert len(rows) == 240
    first = rows[0]
    assert str(first.time) == "2024-03-01 00:00:00"
    assert (
        first.temperature_2m
        == slice_payload(boston_payload, "2024-03-01", "2024-03-01")["hourly"]["temperature_2m"][0]
    )
    assert first.source == source.name and not first.interpolated


def test_running_twice_changes_nothing(engine, tmp_path, boston_payload):
    source = snapshot(tmp_path, boston_payload)
    acquire(engine, source, PLACE, date(2024, 3, 1), date(2024, 3, 10))
    before = [(r.id, r.time, r.temperature_2m, r.ingested_at) for r in observations(engine)]
    again = acquire(engine, source, PLACE, date(2024, 3, 1), date(2024, 3, 10))
    after = [(r.id, r.time, r.temperature_2m, r.ingested_at) for r in observations(engine)]
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 240)
    assert after == before


def test_changed_values_are_updated_and_overlaps_merged(engine, tmp_path, boston_payload):
    acquire(engine, snapshot(tmp_path, boston_payload), PLACE, date(2024, 3, 1), date(2024, 3, 10))

    def revise(hourly):
        hourly["temperature_2m"][30] += 1.5

    revised = snapshot(tmp_path, boston_payload, "2024-03-05", "2024-03-12", edit=revise)
    result = acquire(engine, revised, PLACE, date(2024, 3, 5), date(2024, 3, 12))
    assert (result.inserted, result.updated, result.unchanged) == (48, 1, 143)
    assert len(observations(engine)) == 288


def test_short_gaps_filled_and_flagged_long_gaps_left_out(engine, tmp_path, boston_payload):
    def holes(hourly):
        for i in range(10, 13):  # 3 h: filled
            hourly["temperature_2m"][i] = None
        for i in range(100, 110):  # 10 h: reported, not invented
            hourly["temperature_2m"][i] = None
        hourly["relative_humidity_2m"][50] = None

    source = snapshot(tmp_path, boston_payload, edit=holes)
    result = acquire(engine, source, PLACE, date(2024, 3, 1), date(2024, 3, 10))
    assert result.hours == 230
    assert result.interpolated == 4
    assert [g.hours for g in result.long_gaps] == [10]
    rows = {str(r.time): r for r in observations(engine)}
    assert "2024-03-05 04:00:00" not in rows  # index 100
    filled = rows["2024-03-01 11:00:00"]
    lo, hi = rows["2024-03-01 09:00:00"], rows["2024-03-01 13:00:00"]
    assert filled.interpolated
    expected = lo.temperature_2m + (hi.temperature_2m - lo.temperature_2m) * 2 / 4
    assert filled.temperature_2m == pytest.approx(expected, abs=0.01)
    with Session(engine) as session:
        run = session.scalars(select(IngestionRun)).one()
    assert run.status == "success" and run.rows_interpolated == 4
    assert len(run.long_gaps) == 1 and "10 h" in run.long_gaps[0]


def test_date_outside_the_source_is_refused_and_nothing_recorded(engine, tmp_path, boston_payload):
    source = snapshot(tmp_path, boston_payload)
    with pytest.raises(OutOfRangeError, match="2024-03-01 to 2024-03-10"):
        acquire(engine, source, PLACE, date(2024, 4, 1), date(2024, 4, 5))
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from ingestion_runs")).scalar() == 0
        assert conn.execute(text("select count(*) from weather_observations")).scalar() == 0


def test_periods(tmp_path, boston_payload):
    source = snapshot(tmp_path, boston_payload)
    assert period(source, date(2024, 3, 10), days=3) == (date(2024, 3, 8), date(2024, 3, 10))
    assert period(source, date(2024, 3, 10), backfill=True) == (
        date(2024, 3, 1),
        date(2024, 3, 10),
    )
    with pytest.raises(ValueError, match="at least 1"):
        period(source, date(2024, 3, 10), days=0)


def test_a_backfill_loads_everything_the_snapshots_hold():
    from bihar.settings import get_settings

    source = SnapshotSource.find(get_settings().data_dir, PARIS)  # 11 years
    assert source is not None
    assert period(source, date(2024, 12, 31), backfill=True) == (
        date(2014, 1, 1),
        date(2024, 12, 31),
    )


def test_snapshot_of_a_location_with_temperature_only(engine, tmp_path):
    from bihar.settings import get_settings

    source = SnapshotSource.find(get_settings().data_dir, PARIS)
    assert source is not None and source.variables == ("temperature_2m",)
    result = acquire(engine, source, PARIS, date(2020, 2, 1), date(2020, 2, 2))
    assert result.inserted == 48
    row = observations(engine)[0]
    assert row.relative_humidity_2m is None and row.temperature_2m is not None


def test_sqlite_runs_with_wal_and_foreign_keys(tmp_path):
    from bihar.forecast.db.engine import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'sub' / 'x.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_snapshot_files_of_a_location_are_merged_by_time(engine, tmp_path, boston_payload):
    snapshot(tmp_path, boston_payload, "2024-03-01", "2024-03-06")
    snapshot(tmp_path, boston_payload, "2024-03-05", "2024-03-10")  # two days in common
    snapshot(tmp_path, boston_payload, "2024-03-14", "2024-03-15")  # after a 3-day hole
    for path in tmp_path.glob("boston_archive_*.json"):
        path.rename(tmp_path / path.name.replace("boston", "reykjavik"))
    (tmp_path / "weather").mkdir()
    for path in tmp_path.glob("reykjavik_archive_*.json"):
        path.rename(tmp_path / "weather" / path.name)
    source = SnapshotSource.find(tmp_path, PLACE)
    assert source is not None and len(source.paths) == 3
    assert (source.coverage().first, source.coverage().last) == (
        date(2024, 3, 1),
        date(2024, 3, 15),
    )
    result = acquire(engine, source, PLACE, date(2024, 3, 1), date(2024, 3, 15))
    assert result.hours == 12 * 24  # the hole stays missing, reported as a long gap
    assert any("72 h" in gap.describe() for gap in result.long_gaps)
    whole = slice_payload(boston_payload, "2024-03-01", "2024-03-10")["hourly"]["temperature_2m"]
    assert [r.temperature_2m for r in observations(engine)][:240] == whole


def test_snapshots_that_disagree_name_both_files(tmp_path, boston_payload):
    (tmp_path / "weather").mkdir()

    def revise(hourly):
        hourly["temperature_2m"][5] += 0.5  # 2024-03-05 05:00

    for start, end, edit in (
        ("2024-03-01", "2024-03-06", None),
        ("2024-03-05", "2024-03-10", revise),
    ):
        snapshot(tmp_path / "weather", boston_payload, start, end, edit=edit)
    for path in (tmp_path / "weather").glob("boston_archive_*.json"):
        path.rename(path.with_name(path.name.replace("boston", "reykjavik")))
    with pytest.raises(ArchiveFormatError) as info:
        SnapshotSource.find(tmp_path, PLACE)
    message = str(info.value)
    assert "reykjavik_archive_2024-03-01_2024-03-06.json" in message
    assert "reykjavik_archive_2024-03-05_2024-03-10.json" in message
    assert "2024-03-05 05:00" in message
